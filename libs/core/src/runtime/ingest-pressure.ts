import { Inject, Injectable } from '@nestjs/common';
import { RUNTIME_OPTIONS, type RuntimeOptions } from './runtime-options';

/** A batch this full means the stream is queued behind it (the micro-batcher's short wait did not end it). */
const FULL_SHARE = 0.5;
/** Ingest counts as draining a backlog this long after its last full batch. */
const BACKLOG_MEMORY_MS = 500;

/**
 * Whether this process's ingest is draining a backlog (a burst, the queue after an outage). Background work that
 * may lag by seconds (sealing events into the audit chain) yields to it, within a bound its owner sets, so a burst
 * is stored, grouped and alerted first and sealed right after, with the same total work. Monotonic time: this is
 * scheduling, never a record.
 *
 * Backlogged while a full batch is being stored, and for a while after the last one ended. Counting only batches
 * already stored let the sealer in whenever one batch took longer than that while, and a sealing round mid-burst holds
 * the audit chain's lock that the storing batches take last.
 */
@Injectable()
export class IngestPressure {
  private readonly fullFrom: number;
  private lastFullBatchAt = Number.NEGATIVE_INFINITY;
  private fullInFlight = 0;

  constructor(@Inject(RUNTIME_OPTIONS) runtime: Pick<RuntimeOptions, 'env'>) {
    this.fullFrom = Math.max(1, Math.floor(runtime.env.INGEST_BATCH_SIZE * FULL_SHARE));
  }

  /** A batch of `size` messages is being stored, until `batchEnded`. */
  batchStarted(size: number): void {
    if (size >= this.fullFrom) this.fullInFlight++;
  }

  /** The batch of `size` messages `batchStarted` announced is stored, or failed (to be stored again: still a backlog). */
  batchEnded(size: number, now = performance.now()): void {
    if (size < this.fullFrom) return;
    this.fullInFlight = Math.max(0, this.fullInFlight - 1);
    this.lastFullBatchAt = now;
  }

  backlogged(now = performance.now()): boolean {
    return this.fullInFlight > 0 || now - this.lastFullBatchAt < BACKLOG_MEMORY_MS;
  }
}

/** Yields to a backlog for at most `maxMs` in a row, then runs once whatever the pressure, and may yield again. */
export class BoundedYield {
  private since?: number;
  /** The last run `waits` let go was forced by the bound (the backlog had lasted `maxMs`). */
  private forced = false;

  constructor(private readonly maxMs: number) {}

  /** True: wait and ask again. False: run now. */
  waits(backlogged: boolean, now: number): boolean {
    if (!backlogged) {
      this.since = undefined;
      this.forced = false;
      return false;
    }
    this.since ??= now;
    if (now - this.since < this.maxMs) return true;
    this.since = undefined;
    this.forced = true;
    return false;
  }

  /**
   * Between the rounds of a run `waits` let go: a run the bound forced goes on to the end (under a stream that never
   * calms down it is the only one); any other stops as soon as a backlog starts, and waits again.
   */
  goesOn(backlogged: boolean): boolean {
    return this.forced || !backlogged;
  }
}
