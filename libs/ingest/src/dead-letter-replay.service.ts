import { ConflictException, Inject, Injectable, ServiceUnavailableException, UnprocessableEntityException } from '@nestjs/common';
import type { Actor } from '@app/domain';
import type { InboundMessage } from '@app/messaging';
import { ClaimedDeadLetter, DeadLetterRepository } from '@app/persistence';
import { DeviceRegisterService, LOGGER, type Logger } from '@app/core';
import { IngestOutcome, IngestService } from './ingest.service';

/**
 * Reasons a replay can change: the rate limit kept good data aside, or the device register did not know the device
 * (`unknown-device`) or had it retired (`retired-device`) — replayable once the register is fixed, one device at a
 * time. Others would be refused the same way (an invalid schema, a payload too large, a value the database refuses,
 * a device reporting for another: `topic-mismatch` is a refusal of authority, not of data) and are not offered.
 */
export const REPLAYABLE_REASONS = ['rate-limited', 'unknown-device', 'retired-device'] as const;
export type ReplayableReason = (typeof REPLAYABLE_REASONS)[number];
/** Reasons fixed in the device register: a replay names the device, and the register must accept it now. */
const REGISTER_REASONS: ReadonlySet<ReplayableReason> = new Set(['unknown-device', 'retired-device']);

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
    private readonly register: DeviceRegisterService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async replay(actor: Actor, request: DeadLetterReplayRequest): Promise<DeadLetterReplayResult> {
    // The register as it is now: what was fixed in it is what the replay is for.
    await this.register.refresh();
    if (REGISTER_REASONS.has(request.reason)) this.assertRegisterFixed(request.reason, request.deviceId);
    const filter = { reason: request.reason, deviceId: request.deviceId };
    const limit = Math.min(request.limit ?? REPLAY_DEFAULT_LIMIT, REPLAY_MAX_LIMIT);
    const claimed = await this.deadLetters.claimForReplay({ ...filter, limit, staleAfterSeconds: STALE_CLAIM_SECONDS }, actor.username);
    const result: DeadLetterReplayResult = { replayed: 0, stored: 0, duplicate: 0, ignored: 0, rejected: 0, remaining: 0, results: [] };
    for (let i = 0; i < claimed.length; i += REPLAY_BATCH) {
      const chunk = claimed.slice(i, i + REPLAY_BATCH);
      let outcomes: IngestOutcome[];
      try {
        ({ outcomes } = await this.ingest.ingestBatch(chunk.map((d) => messageOf(d, this.speaksFor(d)))));
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

  /**
   * The device the message's publisher may speak for, judged with today's register: itself, or — for an NVR whose
   * camera was not registered under it when the message came (it was then held to the NVR itself) — the camera now
   * registered under it. Undefined when no device authenticated the message (a broker without device accounts, Kafka).
   */
  private speaksFor(d: ClaimedDeadLetter): string | undefined {
    const publisher = d.authenticatedDeviceId;
    if (publisher === null) return undefined;
    const device = d.deviceId === null ? undefined : this.registeredAs(d.deviceId);
    if (device !== undefined && device !== publisher && this.register.brokerAccount(publisher)?.devices.some((c) => c.id === device)) return device;
    return publisher;
  }

  /**
   * The registered device a dead letter's device id names now: the id itself, or — when the message came before the
   * device was registered and so named it as its source does — its Frigate camera name or alias (e.g. a Hikvision
   * MAC and channel), which ingest maps to the device the same way.
   */
  private registeredAs(id: string): string | undefined {
    if (this.register.lookup(id)) return id;
    return this.register.deviceForFrigateCamera(id) ?? this.register.deviceForAlias(id);
  }

  /**
   * A register reason is replayed for one device (as the dead letters name it: its id, Frigate camera or alias), once
   * the register accepts it: replaying messages of a device that is still unknown or retired would only keep them
   * aside again, as new dead letters.
   */
  private assertRegisterFixed(reason: ReplayableReason, deviceId: string | undefined): void {
    if (deviceId === undefined) throw new UnprocessableEntityException(`a replay of "${reason}" names the device (deviceId) whose register entry was fixed`);
    const registered = this.registeredAs(deviceId);
    const device = registered === undefined ? undefined : this.register.lookup(registered);
    if (!device) throw new ConflictException(`device "${deviceId}" is still not registered: register it, then replay`);
    if (device.status === 'retired') throw new ConflictException(`device "${deviceId}" is retired: reactivate it, then replay`);
  }
}

/**
 * The message as its transport handed it over, held to the device its publisher may speak for (`speaksFor`): a
 * device may report only for itself or its own cameras, on a replay as on arrival.
 */
function messageOf(d: ClaimedDeadLetter, authenticatedDeviceId: string | undefined): InboundMessage {
  return {
    transport: d.transport,
    topic: d.topic,
    payload: d.payload,
    ...(authenticatedDeviceId !== undefined && { authenticatedDeviceId }),
    // Adapters read "now" from it, and a date from the future is measured against it: judged as on arrival.
    receivedAt: d.receivedAt,
    replayOfDeadLetter: d.id,
  };
}
