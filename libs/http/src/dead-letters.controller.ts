import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, EVENT_LOG_MAX_LIMIT, EventLogService } from '@app/core';
import { DeadLetterReplayService, REPLAY_MAX_LIMIT, REPLAYABLE_REASONS } from '@app/ingest';
import type { Actor } from '@app/domain';
import { z } from 'zod';
import { ApiAccess, ZodBody, ZodQuery, ZodResponse } from './openapi';
import { deadLetterReplaySchema } from './openapi/ingest.schemas';
import { deadLetterListSchema } from './openapi/events.schemas';

const replayBody = z
  .object({
    reason: z.enum(REPLAYABLE_REASONS),
    deviceId: z.string().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(REPLAY_MAX_LIMIT).optional(),
  })
  .strict()
  .refine((b) => b.reason === 'rate-limited' || b.deviceId !== undefined, {
    message: 'a replay of unknown-device or retired-device names the device (deviceId) whose register entry was fixed',
    path: ['deviceId'],
  });

const deadLetterQuery = z
  .object({
    reason: z.string().min(1).max(100).optional().describe('e.g. unknown-device, rate-limited, invalid-schema'),
    source: z.string().min(1).max(100).optional().describe('the source the topic belongs to, e.g. frigate, hikvision-isapi'),
    device: z.string().min(1).max(200).optional().describe('device id (when the message named one)'),
    from: z.iso.datetime({ offset: true }).optional().describe('received at or after this instant'),
    to: z.iso.datetime({ offset: true }).optional().describe('received before this instant'),
    limit: z.coerce.number().int().min(1).max(EVENT_LOG_MAX_LIMIT).optional().describe('default 50'),
    offset: z.coerce.number().int().min(0).optional(),
  })
  .strict();

@ApiTags('dead-letters')
@ApiAccess()
@Controller('api/v1/dead-letters')
export class DeadLettersController {
  constructor(
    private readonly replays: DeadLetterReplayService,
    private readonly log: EventLogService,
  ) {}

  /** Messages that could not become events, newest first: the reason, the raw payload, and what a replay made of each. */
  @Get()
  @Access('operator', 'supervisor', 'admin')
  @ZodResponse(200, deadLetterListSchema, 'dead letters matching the filter, the exact total, and the count per reason')
  list(@CurrentActor() actor: Actor, @ZodQuery(deadLetterQuery) query: z.infer<typeof deadLetterQuery>) {
    return this.log.listDeadLetters(actor, query);
  }

  /**
   * Stores dead letters again (oldest first, each once, its outcome kept): what the rate limit kept aside, or a
   * device's messages kept aside before it was registered (or while retired), once the register accepts it (409 if
   * not yet). `remaining` says whether to call again.
   */
  @Post('replay')
  @HttpCode(200)
  @Access('supervisor', 'admin')
  @ZodResponse(200, deadLetterReplaySchema, 'what became of each replayed message')
  replay(@CurrentActor() actor: Actor, @ZodBody(replayBody) body: z.infer<typeof replayBody>) {
    return this.replays.replay(actor, body);
  }
}
