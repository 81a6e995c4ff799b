import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { Actor } from '@app/domain';
import type { InboundMessage } from '@app/messaging';
import { ClaimedDeadLetter, DeadLetterRepository } from '@app/persistence';
import { LOGGER, type Logger } from '@app/core';
import { IngestOutcome, IngestService } from './ingest.service';

/**
 * Reasons a replay can change: the rate limit kept good data aside. Others would be refused the same way (an
 * invalid schema, a payload too large, a value the database refuses) and are not offered.
 */
export const REPLAYABLE_REASONS = ['rate-limited'] as const;
export type ReplayableReason = (typeof REPLAYABLE_REASONS)[number];

export const REPLAY_DEFAULT_LIMIT = 1000;
export const REPLAY_MAX_LIMIT = 10_000;
/** Messages handed to ingest at once: one ingest transaction each. */
const REPLAY_BATCH = 500;
/** A dead letter taken this long ago with no outcome belongs to a replay that died: another may take it. */
const STALE_CLAIM_SECONDS = 600;

export interface DeadLetterReplayRequest {
  reason: ReplayableReason;
  deviceId?: string;
  limit?: number;
}

export interface DeadLetterReplayResult {
  /** Dead letters replayed by this call (each once, ever). */
  replayed: number;
  stored: number;
  duplicate: number;
  ignored: number;
  /** Refused again for another reason: kept again as a new dead letter with that reason. */
  rejected: number;
  /** Matching dead letters still not replayed (call again to go on). */
  remaining: number;
  results: { deadLetterId: string; outcome: IngestOutcome }[];
}

/**
 * Feeds dead-lettered messages back through ingest, past the rate limit (`replayOfDeadLetter`), and marks each
 * with its outcome so it is never replayed twice. A message stored before is answered `duplicate`.
 */
@Injectable()
export class DeadLetterReplayService {
  constructor(
    private readonly deadLetters: DeadLetterRepository,
    private readonly ingest: IngestService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async replay(actor: Actor, request: DeadLetterReplayRequest): Promise<DeadLetterReplayResult> {
    const filter = { reason: request.reason, deviceId: request.deviceId };
    const limit = Math.min(request.limit ?? REPLAY_DEFAULT_LIMIT, REPLAY_MAX_LIMIT);
    const claimed = await this.deadLetters.claimForReplay({ ...filter, limit, staleAfterSeconds: STALE_CLAIM_SECONDS }, actor.username);
    const result: DeadLetterReplayResult = { replayed: 0, stored: 0, duplicate: 0, ignored: 0, rejected: 0, remaining: 0, results: [] };
    for (let i = 0; i < claimed.length; i += REPLAY_BATCH) {
      const chunk = claimed.slice(i, i + REPLAY_BATCH);
      let outcomes: IngestOutcome[];
      try {
        ({ outcomes } = await this.ingest.ingestBatch(chunk.map(messageOf)));
      } catch (err) {
        // Not stored now: what this call did not replay goes back for a later call.
        await this.deadLetters.releaseClaims(claimed.slice(i).map((d) => d.id)).catch(() => undefined);
        this.logger.error({ err: (err as Error).message, actor: actor.username, replayed: result.replayed }, 'dead-letter replay could not store the messages');
        throw new ServiceUnavailableException(`could not store the replayed messages now (${result.replayed} replayed before); try again`);
      }
      const replayed = chunk.map((d, j) => ({ deadLetterId: d.id, outcome: outcomes[j] ?? ({ status: 'ignored' } as const) }));
      await this.deadLetters.recordReplayed(replayed.map((r) => ({ id: r.deadLetterId, outcome: r.outcome })));
      for (const r of replayed) {
        result.replayed++;
        switch (r.outcome.status) {
          case 'stored':
            result.stored++;
            break;
          case 'duplicate':
            result.duplicate++;
            break;
          case 'ignored':
            result.ignored++;
            break;
          case 'rejected':
            result.rejected++;
            break;
        }
        result.results.push(r);
      }
    }
    result.remaining = await this.deadLetters.countNotReplayed(filter);
    this.logger.info(
      {
        actor: actor.username,
        ...filter,
        replayed: result.replayed,
        stored: result.stored,
        duplicate: result.duplicate,
        rejected: result.rejected,
        remaining: result.remaining,
      },
      'dead letters replayed',
    );
    return result;
  }
}

/**
 * The message as its transport handed it over. No authenticated device: a `rate-limited` message had passed that
 * check already (the limit is judged after it), and the dead letter's device id comes from the event itself.
 */
function messageOf(d: ClaimedDeadLetter): InboundMessage {
  return {
    transport: d.transport,
    topic: d.topic,
    payload: d.payload,
    // Adapters read "now" from it, and a date from the future is measured against it: judged as on arrival.
    receivedAt: d.receivedAt,
    replayOfDeadLetter: d.id,
  };
}
