/**
 * A map of at most `maxKeys` entries: past that, the least recently written key is dropped, one at a time.
 * Never cleared wholesale, so a spray of new keys cannot wipe out the entries that matter (a locked address).
 */
export class BoundedMap<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly maxKeys: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Writes and marks the key as the most recent. */
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.maxKeys) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}

/** The timestamps after `since`. */
export function recentFailures(times: readonly number[] | undefined, since: number): number[] {
  return (times ?? []).filter((t) => t > since);
}
