import { RecencyMap } from '@app/domain';

/**
 * A map of at most `maxKeys` entries: past that, the least recently written key is dropped, one at a time.
 * Never cleared wholesale, so a spray of new keys cannot wipe out the entries that matter (a locked address).
 */
export class BoundedMap<V> {
  private readonly map = new RecencyMap<string, V>();

  constructor(private readonly maxKeys: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Writes and marks the key as the most recent. */
  set(key: string, value: V): void {
    this.map.touch(key, value);
    if (this.map.size > this.maxKeys) this.map.dropOldest();
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
