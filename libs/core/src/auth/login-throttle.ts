import { SlidingWindowLimiter } from '@app/domain';

/**
 * A per-client sliding window of login attempts (in memory: each API process limits its own share). At most
 * `capacity` clients are tracked; beyond that the least recently seen is evicted, never the whole table, so a
 * spray of addresses cannot reset a client that is being refused.
 */
export class LoginThrottle {
  private readonly limiter: SlidingWindowLimiter;

  constructor(max: number, windowMs: number, capacity: number) {
    this.limiter = new SlidingWindowLimiter({ max, windowMs, capacity });
  }

  /** Records an attempt; false when the client has used up its window. */
  take(client: string, now = Date.now()): boolean {
    return this.limiter.take(client, now);
  }

  /** When the client may try again (now when it may already). */
  retryAt(client: string, now = Date.now()): Date {
    return new Date(now + this.limiter.retryAfterMs(client, now));
  }
}
