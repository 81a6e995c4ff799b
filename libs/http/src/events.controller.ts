import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, EVENT_LOG_MAX_LIMIT, EventLogService } from '@app/core';
import type { Actor } from '@app/domain';
import { z } from 'zod';
import { ApiAccess, ZodQuery, ZodResponse } from './openapi';
import { eventLogSchema } from './openapi/events.schemas';

export const eventLogQuery = z
  .object({
    device: z.string().min(1).max(200).optional().describe('device id'),
    from: z.iso.datetime({ offset: true }).optional().describe('occurred at or after this instant (source time)'),
    to: z.iso.datetime({ offset: true }).optional().describe('occurred before this instant'),
    q: z.string().min(1).max(200).optional().describe('text in the raw payload or the source’s event id (case-insensitive)'),
    limit: z.coerce.number().int().min(1).max(EVENT_LOG_MAX_LIMIT).optional().describe('default 50'),
    offset: z.coerce.number().int().min(0).optional(),
  })
  .strict();

@ApiTags('events')
@ApiAccess()
@Controller('api/v1/events')
export class EventsController {
  constructor(private readonly log: EventLogService) {}

  /** What devices sent, newest first (source time): each stored event with its raw payload and what became of it. */
  @Get()
  @Access('operator', 'supervisor', 'admin')
  @ZodResponse(200, eventLogSchema, 'stored events with their outcome (case, suppression, none), the exact total, and the dead letters of the same window')
  list(@CurrentActor() actor: Actor, @ZodQuery(eventLogQuery) query: z.infer<typeof eventLogQuery>) {
    return this.log.listEvents(actor, query);
  }
}
