import { RecencyMap } from '../collections/recency-map';

/**
 * A sliding-window rate limiter with a fixed capacity of keys, pure (the caller passes the time).
 *
 * Each key (a client address, a case number) may take `max` hits within any `windowMs`. Keys are kept in two
 * tables of at most `capacity` each: keys still below their limit, and keys that have used it up (refused). When a
 * table is full the key seen least recently in it is evicted, one at a time, never the whole table. A spray of
 * fresh keys only ever pushes out other keys below their limit: to evict a refused key, capacity other keys must
 * be refused first. Memory is bounded by 2 × capacity × max timestamps.
 */
export interface SlidingWindowLimits {
  /** Hits a key may take within one window. */
  max: number;
  windowMs: number;
  /** Keys tracked at most; the least recently seen is evicted beyond it. */
  capacity: number;
}

export class SlidingWindowLimiter {
  /** Keys below their limit, least recently seen first (every hit touches its key). */
  private readonly hits = new RecencyMap<string, number[]>();
  /** Keys that have used up their window. */
  private readonly full = new RecencyMap<string, number[]>();

  constructor(readonly limits: SlidingWindowLimits) {
    if (!(limits.max >= 1 && limits.windowMs > 0 && limits.capacity >= 1)) throw new RangeError('max, windowMs and capacity must be positive');
  }

  /** Records a hit for key at now; false (and the hit is not counted) when the key has used up its window. */
  take(key: string, now: number): boolean {
    const recent = this.recent(key, now);
    const allowed = recent.length < this.limits.max;
    if (allowed) recent.push(now);
    this.touch(key, recent);
    return allowed;
  }

  /** Whether key may take a hit now, without recording one. */
  allows(key: string, now: number): boolean {
    return this.count(key, now) < this.limits.max;
  }

  /** Records a hit without refusing (a failure counted after the fact); returns the hits in the window. */
  record(key: string, now: number): number {
    const recent = this.recent(key, now);
    recent.push(now);
    if (recent.length > this.limits.max) recent.splice(0, recent.length - this.limits.max);
    this.touch(key, recent);
    return recent.length;
  }

  /** Hits key has in the window ending at now. */
  count(key: string, now: number): number {
    const since = now - this.limits.windowMs;
    return this.stored(key).filter((t) => t > since).length;
  }

  /** Milliseconds until key may take a hit again (0 when it may now). */
  retryAfterMs(key: string, now: number): number {
    const recent = this.recent(key, now);
    if (recent.length < this.limits.max) return 0;
    return recent[recent.length - this.limits.max] + this.limits.windowMs - now;
  }

  /** Keys tracked now (never above 2 × capacity). */
  get size(): number {
    return this.hits.size + this.full.size;
  }

  private stored(key: string): number[] {
    return this.hits.get(key) ?? this.full.get(key) ?? [];
  }

  private recent(key: string, now: number): number[] {
    const since = now - this.limits.windowMs;
    return this.stored(key).filter((t) => t > since);
  }

  private touch(key: string, recent: number[]): void {
    this.hits.delete(key);
    this.full.delete(key);
    if (recent.length === 0) return;
    const table = recent.length >= this.limits.max ? this.full : this.hits;
    table.set(key, recent);
    while (table.size > this.limits.capacity) table.dropOldest();
  }
}
