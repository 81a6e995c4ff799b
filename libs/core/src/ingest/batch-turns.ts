/**
 * Orders the batches one worker stores at once (the MQTT transport keeps two in flight). A batch inserts its
 * events once the batch before it has inserted its own, and classifies only once that batch has committed:
 * so the next batch's decoding and insert overlap the previous one's classification and commit, while
 * classification sees every earlier batch of this worker (tracks, inhibitors, do-not-disturb history) as
 * it did when batches went one at a time. No batch ever waits in the database for a later one: a later batch
 * touches nothing before the earlier one has finished inserting, and nothing but its own new events before
 * that one has committed.
 */
export interface BatchTurn {
  /** Resolves when the previous batch has inserted its events (or failed). */
  readonly previousInserted: Promise<void>;
  /** Resolves when the previous batch has committed (or failed). */
  readonly previousDone: Promise<void>;
  inserted(): void;
  done(): void;
}

export class BatchTurns {
  private lastInserted: Promise<void> = Promise.resolve();
  private lastDone: Promise<void> = Promise.resolve();

  /** In call order: the transport starts batches in the order it received them. */
  take(): BatchTurn {
    let inserted!: () => void;
    let done!: () => void;
    const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
    const doneSignal = new Promise<void>((resolve) => (done = resolve));
    const turn: BatchTurn = {
      previousInserted: this.lastInserted,
      previousDone: this.lastDone,
      inserted,
      done: () => {
        inserted(); // a batch that failed before inserting must not hold the next one
        done();
      },
    };
    this.lastInserted = insertedSignal;
    this.lastDone = doneSignal;
    return turn;
  }
}
