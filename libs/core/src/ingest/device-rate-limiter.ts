/**
 * A token bucket per device: `ratePerSecond` sustained, `burst` at once. A device sending more (a loop in
 * its firmware, a replay attack) has the excess kept aside as dead letters instead of flooding the
 * pipeline. Per worker process; with N workers sharing a topic the effective limit is about N× this.
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

  /** Takes one token for `deviceId`; false when its bucket is empty. */
  take(deviceId: string, nowMs: number): boolean {
    if (!this.enabled) return true;
    const b = this.buckets.get(deviceId) ?? { tokens: this.burst, at: nowMs };
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.ratePerSecond);
    b.at = nowMs;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(deviceId, b);
    return ok;
  }
}
