import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ClassificationStateRepository } from '@app/persistence';
import { CaseNoticeService } from '../case-file/case-notice.service';
import { DeviceHealthService } from '../devices/device-health.service';
import { LOGGER, type Logger } from '../observability/logger';
import { BoundedYield, IngestPressure } from '../runtime/ingest-pressure';
import { CaseLoopService } from './case-loop.service';
import { Clock } from './clock';
import { DeadlineWatcher } from './deadline-watcher.service';
import { EvidenceService } from './evidence.service';

/**
 * New cases are looked for this often: a case's opening (its record, review clock and `open` event) should follow
 * the case within a second or two. Its own job, so the sealing of a burst's events does not hold it back.
 */
const INTAKE_EVERY_MS = 500;
/** Openings recorded per transaction (one statement per table for the lot). */
const INTAKE_BATCH = 500;
const SEALING_EVERY_MS = 2_000;
/**
 * Events sealed per transaction (one audit entry names them all). A round's work on the event loop grows with it:
 * 500 took 50-70 ms on the slower bench machine, and the stream's batches waited behind it.
 */
const SEALING_ROUND = 250;
/**
 * While this process's ingest drains a backlog, sealing waits (it is a record that may lag by seconds; a burst's
 * events are stored and alerted first), looking again this often, and never longer than SEALING_MAX_DEFER_MS in a
 * row: under a stream that never calms down, sealing still runs.
 */
const SEALING_DEFER_CHECK_MS = 250;
const SEALING_MAX_DEFER_MS = 10_000;
const DEADLINES_EVERY_MS = 30_000;
/** Due notifier deliveries are looked for this often (their back-off decides when each is due). */
const NOTICES_EVERY_MS = 1_000;
/** Device health (offline / back) is judged this often: thresholds are minutes, and 10 s at least. */
const DEVICE_HEALTH_EVERY_MS = 10_000;
/**
 * A track state nobody has written for this long is deleted (one row per tracked object, for ever, before): far past
 * any rule's gap that restarts a track, so only a backlog replayed weeks late, dated right after a pruned track, finds
 * its dwell counted afresh.
 */
const TRACK_STATE_RETENTION_DAYS = 7;
const TRACK_STATE_PRUNE_EVERY_MS = 60_000;
const TRACK_STATE_PRUNE_LIMIT = 5_000;

/**
 * The loop's background work in worker processes: record the opening of new cases (and seal their
 * evidence), seal every other new event, watch deadlines and send notices through the outbound notifier. Every step is safe with several workers
 * (row locks with SKIP LOCKED, the audit chain lock), so each worker may run it.
 */
@Injectable()
export class CaseLoopScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private inFlight = new Set<Promise<unknown>>();
  private stopped = false;
  private readonly sealingYield = new BoundedYield(SEALING_MAX_DEFER_MS);

  constructor(
    private readonly loop: CaseLoopService,
    private readonly evidence: EvidenceService,
    private readonly deadlines: DeadlineWatcher,
    private readonly notices: CaseNoticeService,
    private readonly deviceHealth: DeviceHealthService,
    private readonly clock: Clock,
    private readonly ingestPressure: IngestPressure,
    private readonly trackStates: ClassificationStateRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.every('case intake', INTAKE_EVERY_MS, async () => {
      while ((await this.loop.intakePending(INTAKE_BATCH)) === INTAKE_BATCH && !this.stopped);
    });
    this.every('evidence sealing', SEALING_EVERY_MS, async () => {
      const now = performance.now();
      if (this.sealingYield.waits(this.ingestPressure.backlogged(now), now)) return { againInMs: SEALING_DEFER_CHECK_MS };
      // Round after round until the queue is drained, unless a burst starts meanwhile: asked only before the first
      // round, a run begun just before a burst sealed on through all of it (the burst's events keep the queue full).
      for (let more = true; more && !this.stopped;) {
        if (!this.sealingYield.goesOn(this.ingestPressure.backlogged())) return { againInMs: SEALING_DEFER_CHECK_MS };
        more = (await this.evidence.sealPending(this.clock.now(), SEALING_ROUND)) === SEALING_ROUND;
      }
    });
    this.every('deadline watch', DEADLINES_EVERY_MS, async () => {
      await this.deadlines.scan();
    });
    this.every('notice delivery', NOTICES_EVERY_MS, async () => {
      await this.notices.deliverDue();
    });
    this.every('device health watch', DEVICE_HEALTH_EVERY_MS, async () => {
      await this.deviceHealth.scan();
    });
    this.every('track state pruning', TRACK_STATE_PRUNE_EVERY_MS, async () => {
      while ((await this.trackStates.pruneTrackStates(TRACK_STATE_RETENTION_DAYS, TRACK_STATE_PRUNE_LIMIT)) === TRACK_STATE_PRUNE_LIMIT && !this.stopped);
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.timers.forEach((t) => clearTimeout(t));
    await Promise.allSettled([...this.inFlight]);
  }

  /** Runs `work` now and then `ms` after each run ends (never two at once); a run may ask for a different wait. */
  private every(name: string, ms: number, work: () => Promise<{ againInMs: number } | void>): void {
    const run = (): void => {
      if (this.stopped) return;
      let next = ms;
      const p = work()
        .then((asked) => {
          if (asked) next = asked.againInMs;
        })
        .catch((err: Error) => this.logger.warn({ err: err.message, job: name }, 'case loop job failed; retrying'))
        .finally(() => {
          this.inFlight.delete(p);
          if (!this.stopped) this.timers.set(name, setTimeout(run, next));
        });
      this.inFlight.add(p);
    };
    this.timers.set(name, setTimeout(run, 0));
  }
}
