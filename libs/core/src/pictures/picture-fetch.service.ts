import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { frigateSnapshotMatchKey, type FrigatePictureRequest } from '@app/domain';
import { DeviceRepository, type DuePicture, PictureRepository, type PictureSettlement } from '@app/persistence';
import { Counter } from 'prom-client';
import { Clock } from '../case-loop/clock';
import { LOGGER, type Logger } from '../observability/logger';
import { MetricsService } from '../observability/metrics.service';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { fetchFrigateSnapshot, type FrigateSnapshotAnswer } from './frigate-api.client';
import { PictureStore } from './picture-store';

/** A round starts this long after the previous one ended. */
const ROUND_EVERY_MS = 1_000;
/** A claimed fetch is nobody else's for this long (a crashed fetcher's rows come back after it). */
const LEASE_MS = 30_000;
/** Fetches at once (each may hold a picture of up to PHOTO_MAX_BYTES and run the imagery pipeline). */
export const PICTURE_FETCH_CONCURRENCY = 4;
/** One request to a source's API, body included; well inside the lease. */
export const PICTURE_FETCH_TIMEOUT_MS = 10_000;
/** A claimed slot's outcome, and the origin its metric counts it under. */
interface Settled {
  row: DuePicture;
  origin: string;
  outcome: PictureSettlement;
}

/** Rounds of claims per wake-up, so a long backlog does not keep one round going for ever. */
const MAX_CLAIMS_PER_ROUND = 50;

/** Back-off between attempts: 2 s, 4 s, 8 s … at most 60 s. `attempts` counts the attempt just made (1, 2, …). */
export function retryDelayMs(attempts: number): number {
  return Math.min(2_000 * 2 ** Math.max(0, Math.min(attempts - 1, 10)), 60_000);
}

/** When to try again: after the back-off, but never later than the give-up time (one last try happens then). */
export function nextAttemptAt(now: Date, attempts: number, giveUpAt: Date): Date {
  return new Date(Math.min(now.getTime() + retryDelayMs(attempts), Math.max(giveUpAt.getTime(), now.getTime())));
}

/**
 * Where Frigate's MQTT snapshot of an event is looked for, by when CloudPatrol received it: first around the
 * event (a minute either side: the picture that was current then), then up to ten minutes after it (the label's
 * next picture, better than none; its time is in the detail).
 */
export function mqttSnapshotWindows(capturedAt: Date): { from: Date; to: Date }[] {
  const at = capturedAt.getTime();
  return [
    { from: new Date(at - 60_000), to: new Date(at + 60_000) },
    { from: new Date(at - 60_000), to: new Date(at + 10 * 60_000) },
  ];
}

/** What asking the source's API gave, when it gave no stored picture. */
export type ApiAttempt = { kind: 'no-api' } | { kind: 'failed'; retryable: boolean; detail: string } | { kind: 'refused'; detail: string };

/**
 * What to do after an attempt that stored no picture from the API:
 * - `retry-api`: the API may still answer (the snapshot is not there yet, Frigate is restarting): ask again at
 *   `at`, with back-off, until the give-up time;
 * - `fallback`: take Frigate's MQTT snapshot instead; when there is none, `final` says the slot is recorded
 *   missing now, otherwise it waits for one until `at`.
 * There is no API address, the API failed for good (refused the request, sent something too large), it sent
 * bytes the imagery pipeline refused, or the give-up time has come: the fallback.
 */
export type FetchStep = { do: 'retry-api'; at: Date } | { do: 'fallback'; final: boolean; at: Date };

export function stepAfter(api: ApiAttempt, now: Date, giveUpAt: Date, attempts: number): FetchStep {
  const expired = now.getTime() >= giveUpAt.getTime();
  const at = nextAttemptAt(now, attempts, giveUpAt);
  if (api.kind === 'failed' && api.retryable && !expired) return { do: 'retry-api', at };
  // A picture the pipeline refused is an answer: the fallback or, without one, missing with the reason now.
  if (api.kind === 'refused') return { do: 'fallback', final: true, at };
  return { do: 'fallback', final: expired, at };
}

/** Why the API's picture is not the one used, in words for the reviewer. */
export function whyNotApi(api: ApiAttempt, attempts: number, deviceId: string): string {
  switch (api.kind) {
    case 'no-api':
      return `no Frigate API address is registered for ${deviceId} or its NVR (PATCH /api/v1/devices/{id} {"apiUrl": …})`;
    case 'failed':
      return `Frigate's API gave no picture in ${attempts} attempt${attempts === 1 ? '' : 's'} (last: ${api.detail})`;
    case 'refused':
      return `Frigate's API sent a picture that was refused (${api.detail})`;
  }
}

const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The request of a Frigate fetch row, or why it cannot be fetched. */
export function frigateRequestOf(row: Pick<DuePicture, 'origin' | 'request'>): FrigatePictureRequest | string {
  if (row.origin !== 'frigate-api') return `no fetcher for pictures of origin "${row.origin}"`;
  const r = row.request;
  const ok = (v: unknown): v is string => typeof v === 'string' && v !== '' && v.length <= 200;
  if (!ok(r.frigateEventId) || !ok(r.camera) || !ok(r.label)) return 'the picture request names no Frigate event id, camera and label';
  return { frigateEventId: r.frigateEventId, camera: r.camera, label: r.label };
}

/**
 * Pictures CloudPatrol asks its sources for (issue 14): every Frigate event's snapshot, from the Frigate HTTP API
 * of its camera's NVR (`apiUrl` in the device register), with back-off while the API cannot give it, and
 * Frigate's MQTT snapshot (kept as it arrives, see MqttPictureIntake) as the fallback. A picture that cannot be
 * had by the slot's give-up time is recorded missing with what was tried — never dropped silently. Also records
 * missing the slots whose separately sent picture (a device's snapshot, a DJI upload) never came.
 *
 * Runs in worker processes, like the case loop; safe with several workers (claimed rows are leased with SKIP
 * LOCKED, a settlement only changes a row still pending).
 */
@Injectable()
export class PictureFetchService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly outcomes: Counter<'origin' | 'outcome'>;

  constructor(
    private readonly pictures: PictureRepository,
    private readonly devices: DeviceRepository,
    private readonly store: PictureStore,
    private readonly clock: Clock,
    metrics: MetricsService,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.outcomes = new Counter({
      name: 'cloudpatrol_pictures_fetched_total',
      help: 'Picture slots settled by the fetcher: present (by origin: frigate-api, frigate-mqtt), missing, or retried later',
      labelNames: ['origin', 'outcome'],
      registers: [metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.round?.catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.runRound()
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'picture fetch round failed; retrying'))
        .finally(() => this.schedule(ROUND_EVERY_MS));
    }, ms);
  }

  /** One round: expire what waited in vain, then fetch what is due, a few at a time. */
  async runRound(): Promise<void> {
    const expired = await this.pictures.expireWaiting(this.clock.now());
    if (expired > 0) this.outcomes.inc({ origin: 'awaited', outcome: 'missing' }, expired);
    // A device's API address, read once a round (a camera's own, or its NVR's).
    const apiUrls = new Map<string, Promise<string | null>>();
    const apiUrlOf = (deviceId: string): Promise<string | null> => {
      let url = apiUrls.get(deviceId);
      if (!url) {
        url = this.devices.apiUrlOf(deviceId);
        url.catch(() => apiUrls.delete(deviceId));
        apiUrls.set(deviceId, url);
      }
      return url;
    };
    for (let i = 0; i < MAX_CLAIMS_PER_ROUND && !this.stopped; i++) {
      const now = this.clock.now();
      const due = await this.pictures.claimDue(now, new Date(now.getTime() + LEASE_MS), PICTURE_FETCH_CONCURRENCY);
      const later: Settled[] = [];
      await Promise.all(
        due.map(async (row) => {
          try {
            const settled = await this.fetchOne(row, apiUrlOf);
            // A picture is in the case file as soon as it is here; the claim's retries and give-ups are written together.
            if (settled?.outcome.status === 'present') await this.settle([settled]);
            else if (settled) later.push(settled);
          } catch (err) {
            // Its lease runs out and it is tried again.
            this.logger.warn({ err: (err as Error).message, eventPicture: row.id }, 'picture fetch failed');
          }
        }),
      );
      await this.settle(later).catch((err: Error) => this.logger.warn({ err: err.message, eventPictures: later.length }, 'picture fetch failed'));
      if (due.length < PICTURE_FETCH_CONCURRENCY) break;
    }
  }

  /** What became of one claimed slot, to be written; undefined when stopping (its lease runs out, it is asked again). */
  private async fetchOne(row: DuePicture, apiUrlOf: (deviceId: string) => Promise<string | null>): Promise<Settled | undefined> {
    const request = frigateRequestOf(row);
    if (typeof request === 'string') return { row, origin: 'none', outcome: { status: 'missing', detail: `${request}: nothing was fetched` } };

    const apiUrl = await apiUrlOf(row.deviceId);
    let api: ApiAttempt = { kind: 'no-api' };
    if (apiUrl) {
      const answer: FrigateSnapshotAnswer = await fetchFrigateSnapshot(apiUrl, request.frigateEventId, {
        timeoutMs: PICTURE_FETCH_TIMEOUT_MS,
        maxBytes: this.runtime.env.PHOTO_MAX_BYTES,
        signal: this.abort.signal,
      });
      // Stopping: the row's lease runs out and the next start (or another worker) asks again.
      if (this.stopped) return undefined;
      if (answer.ok) {
        const stored = await this.store.store(answer.bytes);
        if (stored.status === 'stored') {
          return {
            row,
            origin: 'frigate-api',
            outcome: {
              status: 'present',
              sha256: stored.picture.sha256,
              origin: 'frigate-api',
              detail: `Frigate's snapshot of tracked object ${request.frigateEventId} (its best frame so far), fetched from ${answer.url} at ${iso(this.clock.now())}`,
            },
          };
        }
        api = { kind: 'refused', detail: `${stored.reason}: ${stored.detail}` };
      } else {
        api = { kind: 'failed', retryable: answer.retryable, detail: answer.detail };
      }
    }

    const now = this.clock.now();
    const giveUpAt = row.giveUpAt ?? now;
    const step = stepAfter(api, now, giveUpAt, row.attempts);
    if (step.do === 'retry-api') {
      return {
        row,
        origin: 'frigate-api',
        outcome: { status: 'pending', detail: `attempt ${row.attempts}: ${api.kind === 'failed' ? api.detail : api.kind}`, nextAttemptAt: step.at },
      };
    }
    const key = frigateSnapshotMatchKey(row.deviceId, request.camera, request.label);
    const why = whyNotApi(api, row.attempts, row.deviceId);
    for (const window of mqttSnapshotWindows(row.capturedAt)) {
      const snapshot = await this.pictures.latestArrival(key, window.from, window.to);
      if (snapshot) {
        return {
          row,
          origin: 'frigate-mqtt',
          outcome: {
            status: 'present',
            sha256: snapshot.sha256,
            origin: 'frigate-mqtt',
            detail: `${why}; Frigate's MQTT snapshot of ${request.camera}/${request.label} (the camera's latest ${request.label}, not tied to tracked object ${request.frigateEventId}) received at ${iso(new Date(snapshot.receivedAt))}, event at ${iso(row.capturedAt)}`,
          },
        };
      }
    }
    const [near, wide] = mqttSnapshotWindows(row.capturedAt);
    const noMqtt = `no MQTT snapshot of ${request.camera}/${request.label} arrived between ${iso(near.from)} and ${iso(wide.to)}`;
    if (step.final) return { row, origin: 'none', outcome: { status: 'missing', detail: `${why}; ${noMqtt}` } };
    return { row, origin: 'frigate-mqtt', outcome: { status: 'pending', detail: `attempt ${row.attempts}: ${why}; ${noMqtt} yet`, nextAttemptAt: step.at } };
  }

  /** Writes outcomes in one statement, then counts and reports them. */
  private async settle(settled: readonly Settled[]): Promise<void> {
    if (settled.length === 0) return;
    await this.pictures.settleMany(settled.map((s) => ({ id: s.row.id, outcome: s.outcome })));
    for (const { row, origin, outcome } of settled) {
      this.outcomes.inc({ origin, outcome: outcome.status === 'pending' ? 'retry' : outcome.status });
      if (outcome.status === 'missing') this.logger.warn({ eventPicture: row.id, eventId: row.eventId, detail: outcome.detail }, 'picture recorded missing');
    }
  }
}
