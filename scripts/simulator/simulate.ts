/**
 * Runs a simulated stream at a chosen rate for a chosen duration into the connected sinks. Used by the
 * CLI (`npm run simulate`) and by the benchmark's mixed-source phase.
 */
import type { SimMessage } from './payloads';
import { HttpSink, KafkaSink, MqttSink, SinkStats } from './sinks';
import { SimulatedStream, StreamCounts } from './stream';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PacedResult {
  emitted: number;
  elapsedMs: number;
  /** Messages per second actually offered (lower than asked when a sink pushed back). */
  achievedRate: number;
}

/**
 * Calls `emit` `rate` times a second for `durationMs`, in ticks of `tickMs`; when `emit` is slow the
 * schedule is caught up on the next tick (an open-loop load, not a closed loop).
 */
export async function runPaced(o: {
  rate: number;
  durationMs: number;
  tickMs?: number;
  emit: (index: number, now: Date) => Promise<void> | void;
  onTick?: () => void;
  stop?: () => boolean;
}): Promise<PacedResult> {
  const start = performance.now();
  const tick = o.tickMs ?? 10;
  let emitted = 0;
  const total = Math.floor((o.rate * o.durationMs) / 1000);
  while (emitted < total && !o.stop?.()) {
    const elapsed = performance.now() - start;
    if (elapsed > o.durationMs * 1.5 + 5000) break; // far behind schedule: stop, report what was offered
    const due = Math.min(total, Math.floor((elapsed / 1000) * o.rate) + 1);
    while (emitted < due) await o.emit(emitted++, new Date());
    o.onTick?.();
    const next = start + ((emitted + 1) * 1000) / o.rate;
    await sleep(Math.max(0, Math.min(tick, next - performance.now())));
  }
  o.onTick?.();
  const elapsedMs = performance.now() - start;
  return { emitted, elapsedMs, achievedRate: emitted / (elapsedMs / 1000) };
}

export interface Sinks {
  mqtt?: MqttSink;
  kafka?: KafkaSink;
  http?: HttpSink;
}

export interface SimulationResult extends PacedResult {
  stream: StreamCounts;
  sinks: Partial<Record<keyof Sinks, SinkStats>>;
  /** Source event ids of fresh, well-formed generic / department messages (for checks). */
  eventIds: string[];
}

export async function simulate(o: {
  stream: SimulatedStream;
  sinks: Sinks;
  rate: number;
  durationMs: number;
  onProgress?: (r: SimulationResult) => void;
  stop?: () => boolean;
}): Promise<SimulationResult> {
  const eventIds: string[] = [];
  const send = async (m: SimMessage) => {
    if (m.eventId && !m.duplicate && !m.malformed) eventIds.push(m.eventId);
    switch (m.transport) {
      case 'mqtt':
        return o.sinks.mqtt?.send(m);
      case 'kafka':
        return o.sinks.kafka?.send(m);
      case 'http':
        return o.sinks.http?.send(m);
    }
  };
  const snapshot = (paced: PacedResult): SimulationResult => ({
    ...paced,
    stream: o.stream.counts,
    // Only the sinks given: a transport left out (no Kafka) has no stats to report.
    sinks: Object.fromEntries(
      Object.entries(o.sinks)
        .filter(([, s]) => s !== undefined)
        .map(([k, s]) => [k, (s as { stats: SinkStats }).stats]),
    ),
    eventIds,
  });
  let lastReport = performance.now();
  const start = performance.now();
  const paced = await runPaced({
    rate: o.rate,
    durationMs: o.durationMs,
    emit: (_i, now) => send(o.stream.next(now)),
    stop: o.stop,
    onTick: () => {
      o.sinks.kafka?.flush();
      if (o.onProgress && performance.now() - lastReport >= 1000) {
        lastReport = performance.now();
        const elapsedMs = lastReport - start;
        o.onProgress(snapshot({ emitted: o.stream.counts.total, elapsedMs, achievedRate: o.stream.counts.total / (elapsedMs / 1000) }));
      }
    },
  });
  await Promise.all([o.sinks.mqtt?.drain(), o.sinks.kafka?.drain(), o.sinks.http?.drain()]);
  return snapshot(paced);
}
