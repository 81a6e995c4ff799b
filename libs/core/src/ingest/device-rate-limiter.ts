/**
 * A token bucket per device, refilled by the events' own source time: `ratePerSecond` sustained, `burst`
 * at once. A device flooding (a firmware loop, a replay attack) has the excess kept aside as dead letters.
 * Measured in source time, not arrival time, so a backlog that drains fast after an outage (events spread
 * over the outage) is not mistaken for a flood. Per worker process.
 */
export class DeviceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  get enabled(): boolean {
    return this.ratePerSecond > 0;
  }

  /** Takes one token for `deviceId` at source time `sourceMs`; false when its bucket is empty. */
  take(deviceId: string, sourceMs: number): boolean {
    if (!this.enabled) return true;
    const b = this.buckets.get(deviceId) ?? { tokens: this.burst, at: sourceMs };
    // Only time moving forward refills: late or replayed events cannot buy more tokens.
    if (sourceMs > b.at) {
      b.tokens = Math.min(this.burst, b.tokens + ((sourceMs - b.at) / 1000) * this.ratePerSecond);
      b.at = sourceMs;
    }
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(deviceId, b);
    if (this.buckets.size > 100_000) this.buckets.clear(); // bounded memory under a spray of device ids
    return ok;
  }
}
