/**
 * Orders the batches one worker stores at once (the MQTT transport keeps two in flight; HTTP pushes and Kafka
 * chunks take turns too). A batch opens its transaction once the batch before it has inserted its events and
 * the batch `depth` places before it has committed; it classifies only once the previous batch has committed.
 * So the next batch's decoding and insert overlap the previous one's classification and commit, while
 * classification sees every earlier batch (tracks, inhibitors, do-not-disturb history) as it did when batches
 * went one at a time.
 *
 * Why the waits sit where they do: a batch waits for its turn (`mayOpen`) holding no database connection, and
 * once its transaction is open it waits only for batches that already hold theirs and need nothing more from
 * the pool. At most `depth` ingest transactions are open at once, so the API keeps connections of its own.
 * (Waiting for a turn inside an open transaction, while an earlier turn needed a connection for a cache
 * refresh, deadlocked the whole pool under 50 parallel pushes.)
 */
export interface BatchTurn {
  /** Resolves when this batch may open its transaction: the previous one has inserted, the one `depth` before has committed. */
  readonly mayOpen: Promise<void>;
  /** Resolves when the previous batch has committed (or failed). */
  readonly previousDone: Promise<void>;
  inserted(): void;
  /** Committed (or failed): the next batch may classify. Called again when the batch is through; only the first counts. */
  done(): void;
}

export class BatchTurns {
  private lastInserted: Promise<void> = Promise.resolve();
  /** Done signals of the last `depth` turns, oldest first. */
  private readonly recentDone: Promise<void>[] = [];

  constructor(private readonly depth = 2) {
    if (depth < 1) throw new Error('depth must be at least 1');
  }

  /** In call order: the transports start batches in the order they received them. */
  take(): BatchTurn {
    let inserted!: () => void;
    let done!: () => void;
    const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
    const doneSignal = new Promise<void>((resolve) => (done = resolve));
    const previousDone = this.recentDone[this.recentDone.length - 1] ?? Promise.resolve();
    const olderDone = this.recentDone.length >= this.depth ? this.recentDone[this.recentDone.length - this.depth] : Promise.resolve();
    const turn: BatchTurn = {
      mayOpen: Promise.all([this.lastInserted, olderDone]).then(() => undefined),
      previousDone,
      inserted,
      done: () => {
        inserted(); // a batch that failed before inserting must not hold the next one
        done();
      },
    };
    this.lastInserted = insertedSignal;
    this.recentDone.push(doneSignal);
    // Only the last `depth` turns can still hold a later one back.
    if (this.recentDone.length > this.depth) void this.recentDone.shift();
    return turn;
  }
}
