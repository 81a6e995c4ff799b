import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor } from '@app/core';
import { DeadLetterReplayService, REPLAY_MAX_LIMIT, REPLAYABLE_REASONS } from '@app/ingest';
import type { Actor } from '@app/domain';
import { z } from 'zod';
import { ApiAccess, ZodBody, ZodResponse } from './openapi';
import { deadLetterReplaySchema } from './openapi/ingest.schemas';

const replayBody = z
  .object({
    reason: z.enum(REPLAYABLE_REASONS),
    deviceId: z.string().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(REPLAY_MAX_LIMIT).optional(),
  })
  .strict();

@ApiTags('dead-letters')
@ApiAccess()
@Controller('api/v1/dead-letters')
export class DeadLettersController {
  constructor(private readonly replays: DeadLetterReplayService) {}

  /** Stores messages the rate limit kept aside (oldest first, each once); `remaining` says whether to call again. */
  @Post('replay')
  @HttpCode(200)
  @Access('supervisor', 'admin')
  @ZodResponse(200, deadLetterReplaySchema, 'what became of each replayed message')
  replay(@CurrentActor() actor: Actor, @ZodBody(replayBody) body: z.infer<typeof replayBody>) {
    return this.replays.replay(actor, body);
  }
}
