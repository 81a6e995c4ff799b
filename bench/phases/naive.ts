/**
 * Phase 4, the naive baseline (bench/children/naive.ts: stock NestJS MQTT transport, one @EventPattern
 * handler, TypeORM save() per event) on its own fresh database with CloudPatrol's schema, fed the same
 * stream: saturation (N events as fast as QoS 1 allows, bounded in time; rate from what it stored), then
 * the same fixed offered load, with publish → stored latency (it has no alerts).
 */
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/persistence';
import { runPaced } from '../../scripts/simulator/simulate';
import { MqttPublisher } from '../lib/publisher';
import { BenchChild, Cleanup, createDatabase, isType, log, pgClient, sleep, startChild } from '../lib/services';
import { SendTimes, storeLatency } from '../lib/latency';
import { LatencySummary, round } from '../lib/stats';
import { identityEvent, Identity, publishedAtOf } from '../lib/workload';

export interface NaiveResult {
  saturation?: {
    events: number;
    published: number;
    publishPerSecond?: number;
    stored: number;
    received?: number;
    pendingInProcess?: number;
    notYetDelivered?: number;
    /** Acknowledged by the broker and never stored although storing had stalled (the transport had acknowledged them). */
    lost: number;
    handlerErrors: number;
    lastError?: string;
    seconds?: number;
    eventsPerSecond?: number;
    /** Publish → stored of every stored event of the burst. */
    storeLatency: LatencySummary;
    partial?: string;
  };
  fixedLoad?: {
    offeredPerSecond: number;
    seconds: number;
    events: number;
    stored: number;
    sustainedEventsPerSecond?: number;
    /** Publish → stored (events.received_at, its save() transaction). */
    storeLatency: LatencySummary;
    partial?: string;
  };
  peakRssMb?: number;
  errors: string[];
}

interface Stats {
  type: 'stats';
  received: number;
  saved: number;
  failed: number;
  lastError: string;
}

export async function runNaivePhase(o: {
  runId: string;
  adminUrl: string;
  mqttUrl: string;
  identities: Identity[];
  saturationPayloads: { topic: string; payload: string }[];
  saturationTimeoutMs: number;
  fixedRate: number;
  fixedSeconds: number;
  cleanup: Cleanup;
  deadline: number;
}): Promise<NaiveResult> {
  const result: NaiveResult = { errors: [] };
  const databaseUrl = await createDatabase(o.adminUrl, `cpbench_${o.runId}_naive`, o.cleanup);
  const ds = new DataSource(dataSourceOptions(databaseUrl));
  await ds.initialize();
  try {
    await ds.runMigrations();
  } finally {
    await ds.destroy();
  }
  const child: BenchChild = startChild('bench/children/naive.ts', [o.mqttUrl, databaseUrl], {}, o.cleanup);
  const pg = pgClient(databaseUrl);
  const stats = async (): Promise<Stats | undefined> => {
    child.child.send({ type: 'stats' });
    return child.message(isType<Stats>('stats'), 5_000, 'naive stats').catch(() => undefined);
  };
  try {
    await child.message(isType<{ type: 'ready' }>('ready'), 90_000, 'naive start');
    await sleep(1000); // the stock transport subscribes after connecting; let the SUBACK land
    await pg.connect();
    const count = async () => Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0].n);

    // Saturation, bounded: stop at N stored, at the time bound, or when storing has stalled 10 s after publishing.
    const n = o.saturationPayloads.length;
    const pub = await MqttPublisher.open(o.mqttUrl, 4, 1000, 'bench-naive');
    const t0 = Date.now();
    const bound = Math.min(o.deadline, t0 + o.saturationTimeoutMs);
    let published = 0;
    let publishedAt = 0;
    const prefix = `sat-${o.runId}-`; // the ids run-bench gave the stream
    const times = new SendTimes(prefix, n);
    const publishing = (async () => {
      for (let i = 0; i < n; i++) {
        if (Date.now() > bound) break;
        times.mark(i);
        await pub.send(o.saturationPayloads[i].topic, o.saturationPayloads[i].payload);
        published++;
      }
      await pub.drain(30_000);
      publishedAt = Date.now();
    })();
    let stored = 0;
    let lastGrowth = Date.now();
    let doneAt = 0;
    let stalled = false;
    while (Date.now() < bound) {
      const now = await count();
      if (now > stored) lastGrowth = Date.now();
      stored = now;
      if (stored >= n) {
        doneAt = Date.now();
        break;
      }
      // A stall: nothing stored for 10 s since publishing ended (or since the last row), with nothing pending in the
      // handler. Saves still queued (a slow or busy database) are not a stall: look again 10 s later, until the bound.
      if (publishedAt && Date.now() - Math.max(lastGrowth, publishedAt) > 10_000) {
        const st = await stats();
        if (!st || st.received - st.saved - st.failed <= 0) {
          stalled = true;
          break;
        }
        lastGrowth = Date.now();
      }
      await sleep(100);
    }
    await publishing;
    await pub.close();
    const st = await stats();
    const end = doneAt || (stored > 0 ? lastGrowth : Date.now());
    const seconds = (end - t0) / 1000;
    result.saturation = {
      events: n,
      published,
      publishPerSecond: round(pub.acked / ((publishedAt - t0) / 1000)),
      stored,
      received: st?.received,
      // Acknowledged by the broker, handed to the handler, not stored yet (its save() still queued in the pool).
      pendingInProcess: st ? Math.max(0, st.received - st.saved - st.failed) : undefined,
      // Acknowledged by the broker, not yet delivered to the consumer (still queued in Mosquitto).
      notYetDelivered: st ? Math.max(0, pub.acked - st.received) : undefined,
      // Only a stall proves loss: storing stopped growing 10 s after publishing ended with nothing pending.
      lost: stalled ? Math.max(0, pub.acked - stored) : 0,
      handlerErrors: st?.failed ?? 0,
      ...(st?.lastError && { lastError: st.lastError }),
      seconds: round(seconds, 2),
      eventsPerSecond: round(stored / seconds),
      storeLatency: await storeLatency(pg, `${prefix}%`, times.of),
      ...(!doneAt && {
        partial: `${stored} of ${n} stored when stopped (${Math.round((Date.now() - t0) / 1000)} s; bound ${Math.round(o.saturationTimeoutMs / 1000)} s)`,
      }),
    };
    log(`naive saturation: ${result.saturation.eventsPerSecond} events/s (${stored}/${n} stored)`);

    // Fixed offered load, only once the saturation backlog is gone (else it measures the backlog).
    if (!doneAt) {
      result.errors.push('fixed load: skipped, the saturation backlog was not stored in time');
    } else if (Date.now() + (o.fixedSeconds + 20) * 1000 > o.deadline) {
      result.errors.push('fixed load: skipped, not enough time left');
    } else {
      // As for CloudPatrol's fixed load: with the statistics a running install has.
      await pg.query('ANALYZE');
      const base = await count();
      const fpub = await MqttPublisher.open(o.mqttUrl, 1, 1000, 'bench-naive-fixed');
      const f0 = Date.now();
      const paced = await runPaced({
        rate: o.fixedRate,
        durationMs: o.fixedSeconds * 1000,
        emit: async (i, now) => {
          const m = identityEvent(o.identities, `nlat-${now.getTime()}-${i}`, i, now);
          await fpub.send(m.topic, m.payload);
        },
      });
      await fpub.drain(10_000);
      await fpub.close();
      const until = Date.now() + 20_000;
      let got = 0;
      let doneFixed = 0;
      while (Date.now() < until) {
        got = (await count()) - base;
        if (got >= paced.emitted) {
          doneFixed = Date.now();
          break;
        }
        await sleep(100);
      }
      result.fixedLoad = {
        offeredPerSecond: o.fixedRate,
        seconds: o.fixedSeconds,
        events: paced.emitted,
        stored: got,
        sustainedEventsPerSecond: round(got / (((doneFixed || Date.now()) - f0) / 1000)),
        storeLatency: await storeLatency(pg, 'nlat-%', publishedAtOf),
        ...(!doneFixed && { partial: `${got} of ${paced.emitted} stored 20 s after the load ended` }),
      };
      log(`naive fixed load: store p50 ${result.fixedLoad.storeLatency.p50Ms} ms, p99 ${result.fixedLoad.storeLatency.p99Ms} ms`);
    }
  } catch (err) {
    result.errors.push((err as Error).message);
  } finally {
    result.peakRssMb = child.peakRssMb();
    await pg.end().catch(() => undefined);
    await child.stop(10_000);
  }
  return result;
}
