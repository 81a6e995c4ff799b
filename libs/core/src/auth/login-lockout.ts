import { BoundedMap } from './bounded-map';

interface LockoutEntry {
  failures: number;
  lockedUntil: number;
  last: number;
}

export const LOCKOUT = {
  /** Consecutive failures of one username from one address before it is locked there. */
  threshold: 5,
  /** The first lock; each further failure after it doubles the next one, up to `maxMs`. */
  baseMs: 60_000,
  maxMs: 15 * 60_000,
  /** A pair not tried for this long starts afresh. */
  forgetMs: 60 * 60_000,
  maxKeys: 20_000,
} as const;

/**
 * Login lockout by (username, client address) with exponential back-off. A stranger who guesses a user's
 * password from one address locks only that pair: the user still logs in from anywhere else. In memory, per API
 * process (the per-address throttle bounds what a spray of addresses can try).
 */
export class LoginLockout {
  private readonly entries = new BoundedMap<LockoutEntry>(LOCKOUT.maxKeys);

  private key(username: string, client: string): string {
    return `${username}\u0000${client}`;
  }

  private current(key: string, now: number): LockoutEntry | undefined {
    const e = this.entries.get(key);
    return e && now - e.last <= LOCKOUT.forgetMs ? e : undefined;
  }

  /** The time until which this pair is locked, or undefined. */
  lockedUntil(username: string, client: string, now = Date.now()): number | undefined {
    const e = this.current(this.key(username, client), now);
    return e && e.lockedUntil > now ? e.lockedUntil : undefined;
  }

  /** Counts a failure; answers the new lock's end when this failure locks the pair. */
  failure(username: string, client: string, now = Date.now()): { failures: number; lockedUntil?: number } {
    const key = this.key(username, client);
    const e = this.current(key, now) ?? { failures: 0, lockedUntil: 0, last: now };
    e.failures += 1;
    e.last = now;
    let lockedUntil: number | undefined;
    if (e.failures >= LOCKOUT.threshold) {
      lockedUntil = now + Math.min(LOCKOUT.baseMs * 2 ** (e.failures - LOCKOUT.threshold), LOCKOUT.maxMs);
      e.lockedUntil = lockedUntil;
    }
    this.entries.set(key, e);
    return { failures: e.failures, lockedUntil };
  }

  success(username: string, client: string): void {
    this.entries.delete(this.key(username, client));
  }
}
