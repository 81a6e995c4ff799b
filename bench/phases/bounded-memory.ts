/**
 * Bounded memories at steady state (bench/children/bounded-memory.ts, a fresh process): the device rate limiter
 * and the sign-in throttle, µs per operation once full against while filling. A memory that drops its oldest entry
 * for every new one must cost about the same full as filling; the service runs full for most of its life.
 */
import type { BoundedMemoryResult } from '../children/bounded-memory';
import { Cleanup, isType, startChild } from '../lib/services';

export async function runBoundedMemoryPhase(o: { cleanup: Cleanup; timeoutMs: number }): Promise<BoundedMemoryResult> {
  const child = startChild('bench/children/bounded-memory.ts', [], {}, o.cleanup);
  try {
    const m = await child.message(isType<{ type: 'result'; result: BoundedMemoryResult }>('result'), o.timeoutMs, 'bounded memories');
    return m.result;
  } finally {
    await child.stop();
  }
}
