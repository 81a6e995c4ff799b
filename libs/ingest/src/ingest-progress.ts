/**
 * Whether ingest is moving, per transport: when a batch last committed, how many attempts failed since, and
 * since when work has been waiting without a commit. Fed by IngestService (every attempt, commit and
 * failure) and by the transports' waiting counts; read by the stall watchdog and /health. Plain state with
 * an injected clock, so its rules are tested without timers.
 */
export type IngestTransport = 'mqtt' | 'kafka' | 'http';

export interface TransportProgress {
  transport: IngestTransport;
  lastCommitAt?: Date;
  /** Failed attempts since the last commit. */
  failuresInARow: number;
  lastError?: string;
  /** Since when work has waited without a commit (first attempt or first seen waiting after the last commit). */
  waitingSince?: Date;
  /** Messages seen waiting at the last look (transport backlog) plus batches in flight. */
  waiting: number;
  stalled: boolean;
  /** Why it is stalled, in words. */
  reason?: string;
}

export interface ProgressRules {
  /** Stalled when work has waited this long without a commit. */
  stallMs: number;
  /** Stalled at once when this many attempts in a row failed. */
  failuresToStall: number;
}

interface State {
  lastCommitAt?: number;
  failuresInARow: number;
  lastError?: string;
  waitingSince?: number;
  inFlight: number;
  backlog: number;
}

export class IngestProgress {
  private readonly states = new Map<IngestTransport, State>();

  constructor(
    private readonly rules: ProgressRules,
    private readonly now: () => number = Date.now,
  ) {}

  private stateOf(transport: IngestTransport): State {
    let s = this.states.get(transport);
    if (!s) {
      s = { failuresInARow: 0, inFlight: 0, backlog: 0 };
      this.states.set(transport, s);
    }
    return s;
  }

  attempted(transport: IngestTransport): void {
    const s = this.stateOf(transport);
    s.inFlight++;
    s.waitingSince ??= this.now();
  }

  committed(transport: IngestTransport): void {
    const s = this.stateOf(transport);
    s.inFlight = Math.max(0, s.inFlight - 1);
    s.lastCommitAt = this.now();
    s.failuresInARow = 0;
    s.lastError = undefined;
    // Still moving: whatever waits now is measured from this commit.
    s.waitingSince = s.inFlight > 0 || s.backlog > 0 ? this.now() : undefined;
  }

  failed(transport: IngestTransport, err: unknown): void {
    const s = this.stateOf(transport);
    s.inFlight = Math.max(0, s.inFlight - 1);
    s.failuresInARow++;
    s.lastError = err instanceof Error ? err.message : String(err);
  }

  /** The transport's own count of messages received and not yet stored (MQTT backlog). */
  backlog(transport: IngestTransport, waiting: number): void {
    const s = this.stateOf(transport);
    s.backlog = waiting;
    if (waiting > 0) s.waitingSince ??= this.now();
    else if (s.inFlight === 0 && s.failuresInARow === 0) s.waitingSince = undefined;
  }

  report(): TransportProgress[] {
    const now = this.now();
    return [...this.states.entries()].map(([transport, s]) => {
      const waitedMs = s.waitingSince === undefined ? 0 : now - s.waitingSince;
      const stuck = waitedMs > this.rules.stallMs;
      const failing = s.failuresInARow >= this.rules.failuresToStall;
      const reason = failing
        ? `${s.failuresInARow} batch attempts in a row failed: ${s.lastError ?? 'unknown error'}`
        : stuck
          ? `nothing committed for ${Math.round(waitedMs / 1000)} s with ${s.backlog + s.inFlight} waiting`
          : undefined;
      const p: TransportProgress = { transport, failuresInARow: s.failuresInARow, waiting: s.backlog + s.inFlight, stalled: failing || stuck };
      if (s.lastCommitAt !== undefined) p.lastCommitAt = new Date(s.lastCommitAt);
      if (s.lastError !== undefined) p.lastError = s.lastError;
      if (s.waitingSince !== undefined) p.waitingSince = new Date(s.waitingSince);
      if (reason !== undefined) p.reason = reason;
      return p;
    });
  }
}
