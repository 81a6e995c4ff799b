/**
 * A counting semaphore for async work. Image decoding is CPU- and memory-bound: more photos in flight than
 * cores only raises peak memory (each decode holds its buffers) without raising throughput.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }

  /** Photos being worked on now. */
  get active(): number {
    return this.running;
  }

  /** Photos waiting for a slot. */
  get pending(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    // FIFO: the slot passes straight to the next waiter, so `running` never dips and a late caller cannot jump the queue.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
