/**
 * The bounded memories at steady state, in a fresh process: what one more event (or key) costs once a memory is
 * full and drops its oldest entry for every new one, against what it cost while the memory was filling. The
 * service reaches that state minutes into a steady stream; the CloudPatrol phase's ~72,000 events never do.
 * - The device rate limiter as ingest builds it (the product defaults), remembering 200,000 charges: events of
 *   100 cameras, each with its own id, dated 10 per millisecond of device time (none refused).
 * - The sign-in / case-file throttle (a sliding-window limiter) under a spray of fresh keys (one address each),
 *   with THROTTLE_TRACKED_KEYS at 100,000 (10,000 by default: too few operations to time apart from a GC pause).
 * IPC: `{ type: 'result', result: BoundedMemoryResult }`.
 */
import { parseEnv } from '@app/config';
import { SlidingWindowLimiter } from '@app/domain';
import { DeviceRateLimiter } from '../../libs/ingest/src/device-rate-limiter';

export interface MemoryCost {
  /** Entries the memory keeps at most. */
  capacity: number;
  /** Mean µs per operation while the memory fills (nothing dropped yet). */
  fillingMicros: number;
  /** Mean µs per operation once full, between 2× and 3× the capacity of operations. */
  fullMicros: number;
  /** fullMicros / fillingMicros. */
  ratio: number;
}

export interface BoundedMemoryResult {
  rateLimiter: MemoryCost;
  throttle: MemoryCost;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Runs `op(i)` for i = 0 … 3 × capacity; times the first capacity (filling) and the last (full). */
function measure(capacity: number, op: (i: number) => void): MemoryCost {
  let filling = 0;
  let full = 0;
  for (let i = 0; i < 3 * capacity; i++) {
    const timed = i < capacity || i >= 2 * capacity;
    const t = timed ? process.hrtime.bigint() : 0n;
    op(i);
    if (!timed) continue;
    const ns = Number(process.hrtime.bigint() - t);
    if (i < capacity) filling += ns;
    else full += ns;
  }
  const fillingMicros = filling / capacity / 1000;
  const fullMicros = full / capacity / 1000;
  return { capacity, fillingMicros: round(fillingMicros, 2), fullMicros: round(fullMicros, 2), ratio: round(fullMicros / fillingMicros, 2) };
}

function main(): void {
  const env = parseEnv({});
  const limiter = new DeviceRateLimiter({
    ratePerSecond: env.DEVICE_EVENTS_PER_SECOND,
    burst: env.DEVICE_EVENTS_BURST,
    futureToleranceSeconds: env.DEVICE_EVENT_FUTURE_TOLERANCE_SECONDS,
  });
  const start = Date.UTC(2026, 11, 5, 12);
  const cameras = Array.from({ length: 100 }, (_, i) => `BENCH-CAM-${String(i).padStart(3, '0')}`);
  let refused = 0;
  const event = (l: DeviceRateLimiter, i: number) => {
    const deviceId = cameras[i % cameras.length];
    const at = start + Math.floor(i / 10);
    // The key ingest charges an event by: source, device, event id, time.
    if (!l.take(deviceId, `cloudpatrol\u0000${deviceId}\u0000ev-${i}\u0000${at}`, at, at).allowed) refused++;
  };
  // Compiled first on a limiter of its own, so the filling figure is not the compiler's.
  const warm = new DeviceRateLimiter({ ratePerSecond: env.DEVICE_EVENTS_PER_SECOND, burst: env.DEVICE_EVENTS_BURST, futureToleranceSeconds: 300 });
  for (let i = 0; i < 50_000; i++) event(warm, i);
  const rateLimiter = measure(200_000, (i) => event(limiter, i));
  if (refused > 0) throw new Error(`the rate limiter refused ${refused} events of a stream within its rate`);
  if (limiter.memoryInUse.charges !== 200_000) throw new Error(`the rate limiter remembers ${limiter.memoryInUse.charges} charges, not 200,000`);

  const throttleKeys = 100_000;
  const throttleOf = () => new SlidingWindowLimiter({ max: 10, windowMs: 10 * 60_000, capacity: throttleKeys });
  const address = (l: SlidingWindowLimiter, i: number) => l.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, start + i);
  const warmThrottle = throttleOf();
  for (let i = 0; i < 50_000; i++) address(warmThrottle, i);
  const throttle = throttleOf();
  const spray = measure(throttleKeys, (i) => address(throttle, i));
  process.send?.({ type: 'result', result: { rateLimiter, throttle: spray } satisfies BoundedMemoryResult }, () => process.exit(0));
}

try {
  main();
} catch (err) {
  console.error((err as Error).stack ?? (err as Error).message);
  process.exit(1);
}
