/** A per-client sliding window of login attempts (in memory: each API process limits its own share). */
export class LoginThrottle {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Records an attempt; false when the client has used up its window. */
  take(client: string, now = Date.now()): boolean {
    const since = now - this.windowMs;
    const recent = (this.attempts.get(client) ?? []).filter((t) => t > since);
    if (recent.length >= this.max) {
      this.attempts.set(client, recent);
      return false;
    }
    recent.push(now);
    this.attempts.set(client, recent);
    // Keep the map from growing without bound under a spray of addresses.
    if (this.attempts.size > 10_000) for (const [k, v] of this.attempts) if (v.every((t) => t <= since)) this.attempts.delete(k);
    return true;
  }
}
