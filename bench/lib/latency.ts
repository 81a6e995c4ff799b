/**
 * Latency bookkeeping shared by the CloudPatrol and naive phases: publish → live alert from the SSE
 * stream (probes only: each opens a new case), and publish → stored from events.received_at (the storing
 * transaction's start, PostgreSQL's clock: the same machine clock as the publisher's).
 */
import type { Client } from 'pg';
import { SseClient } from './sse';
import { LatencySummary, summarise } from './stats';
import { parseProbe, ProbePhase } from './workload';

export class AlertCollector {
  readonly latencies: Record<ProbePhase, Map<string, number>> = { saturation: new Map(), fixed: new Map() };
  alerts = 0;
  opened = 0;
  private sse?: SseClient;

  async open(url: string, token: string): Promise<void> {
    this.sse = await SseClient.open(new URL('/api/v1/alerts/stream', url).toString(), token, (data, arrivedAt) => {
      this.alerts++;
      const a = data as { type?: string; case?: { explanation?: { eventId?: unknown } } };
      if (a.type !== 'case.opened') return;
      this.opened++;
      const id = a.case?.explanation?.eventId;
      const probe = typeof id === 'string' ? parseProbe(id) : undefined;
      if (probe && typeof id === 'string' && !this.latencies[probe.phase].has(id)) this.latencies[probe.phase].set(id, arrivedAt - probe.publishedAt);
    });
  }

  summary(phase: ProbePhase): LatencySummary {
    return summarise([...this.latencies[phase].values()]);
  }

  close(): void {
    this.sse?.close();
  }
}

/** Publish → stored for the events whose id matches `like`, given each one's publish time (ms). */
export async function storeLatency(pg: Client, like: string, publishedAt: (eventId: string) => number | undefined): Promise<LatencySummary> {
  return summarise([...(await storeTimes(pg, like, publishedAt)).values()]);
}

/** Publish → stored (the storing transaction's start), by event id, for the events whose id matches `like`. */
export async function storeTimes(pg: Client, like: string, publishedAt: (eventId: string) => number | undefined): Promise<Map<string, number>> {
  const rows = await pg.query<{ id: string; ms: number }>(
    'SELECT source_event_id AS id, (extract(epoch FROM received_at) * 1000)::float8 AS ms FROM events WHERE source_event_id LIKE $1',
    [like],
  );
  const stored = new Map<string, number>();
  for (const r of rows.rows) {
    const at = publishedAt(r.id);
    if (at !== undefined) stored.set(r.id, Number(r.ms) - at);
  }
  return stored;
}

/**
 * For each probe with both: its storing transaction's start → its live alert (the transaction, its commit and the
 * way to the console), so a slow alert shows whether it waited before its batch began or inside it.
 */
export function alertAfterStore(alertMs: ReadonlyMap<string, number>, storedMs: ReadonlyMap<string, number>): number[] {
  const after: number[] = [];
  for (const [id, ms] of alertMs) {
    const stored = storedMs.get(id);
    if (stored !== undefined) after.push(ms - stored);
  }
  return after;
}

/** Publish times of a pre-built stream `<prefix>-<i>`, recorded as each message is handed to MQTT.js. */
export class SendTimes {
  private readonly at: Float64Array;
  constructor(
    private readonly prefix: string,
    n: number,
  ) {
    this.at = new Float64Array(n);
  }
  mark(i: number): void {
    this.at[i] = Date.now();
  }
  of = (eventId: string): number | undefined => {
    if (!eventId.startsWith(this.prefix)) return undefined;
    const i = Number(eventId.slice(this.prefix.length));
    return Number.isInteger(i) && i >= 0 && i < this.at.length && this.at[i] > 0 ? this.at[i] : undefined;
  };
}
