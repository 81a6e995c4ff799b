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
 */
@Injectable()
export class IngestPressure {
  private readonly fullFrom: number;
  private lastFullBatchAt = Number.NEGATIVE_INFINITY;

  constructor(@Inject(RUNTIME_OPTIONS) runtime: Pick<RuntimeOptions, 'env'>) {
    this.fullFrom = Math.max(1, Math.floor(runtime.env.INGEST_BATCH_SIZE * FULL_SHARE));
  }

  /** A batch of `size` messages was stored. */
  batchStored(size: number, now = performance.now()): void {
    if (size >= this.fullFrom) this.lastFullBatchAt = now;
  }

  backlogged(now = performance.now()): boolean {
    return now - this.lastFullBatchAt < BACKLOG_MEMORY_MS;
  }
}

/** Yields to a backlog for at most `maxMs` in a row, then runs once whatever the pressure, and may yield again. */
export class BoundedYield {
  private since?: number;

  constructor(private readonly maxMs: number) {}

  /** True: wait and ask again. False: run now. */
  waits(backlogged: boolean, now: number): boolean {
    if (!backlogged) {
      this.since = undefined;
      return false;
    }
    this.since ??= now;
    if (now - this.since < this.maxMs) return true;
    this.since = undefined;
    return false;
  }
}
