/**
 * Counts of a batch per pair of label values (transport and source, source and device), added to their counter once
 * per pair when the batch has committed. prom-client validates and hashes the labels of every `inc`: ~0.5 µs a call,
 * against ~0.1 µs to count here (measured on Node 20, 200 devices), and ingest counted two per event.
 */
export class LabelTally {
  private readonly counts = new Map<string, Map<string, number>>();

  add(first: string, second: string, n = 1): void {
    let inner = this.counts.get(first);
    if (!inner) this.counts.set(first, (inner = new Map<string, number>()));
    inner.set(second, (inner.get(second) ?? 0) + n);
  }

  /** Each pair counted, with its count. */
  forEach(each: (first: string, second: string, n: number) => void): void {
    for (const [first, inner] of this.counts) for (const [second, n] of inner) each(first, second, n);
  }
}
