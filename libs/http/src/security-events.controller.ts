import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, SECURITY_EVENT_TYPES, type SecurityEventQuery, UserService } from '@app/core';
import type { Actor } from '@app/domain';
import { z } from 'zod';
import { ApiAccess, ZodQuery, ZodResponse } from './openapi';
import { securityEventListSchema } from './openapi/accounts.schemas';

const securityEventsQuery = z
  .object({
    from: z.string().datetime({ offset: true }).optional().describe('ISO 8601 instant, inclusive'),
    to: z.string().datetime({ offset: true }).optional().describe('ISO 8601 instant, exclusive'),
    type: z.enum(SECURITY_EVENT_TYPES).optional().describe('one kind of event'),
    limit: z.coerce.number().int().min(1).max(1000).optional().describe('at most this many, newest first (default 100)'),
  })
  .strict();

@ApiTags('security')
@ApiAccess()
@Controller('api/v1/security-events')
export class SecurityEventsController {
  constructor(private readonly users: UserService) {}

  /** Logins, lockouts, device authentication failures, account and device credential changes (from the audit log). */
  @Get()
  @Access('admin')
  @ZodResponse(200, securityEventListSchema, 'security events, newest first')
  list(@CurrentActor() actor: Actor, @ZodQuery(securityEventsQuery) query: SecurityEventQuery) {
    return this.users.securityEvents(actor, query);
  }
}
