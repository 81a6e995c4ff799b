/**
 * Scale-out on Kafka (issue 19): the saturation stream through the split deployment's scalable path —
 * devices → Mosquitto → MQTT gateway (PUBACK only after Kafka's acks=all) → `cloudpatrol.ingest.v1` (12
 * partitions, keyed by device) → N workers in one consumer group → PostgreSQL — beside the direct path (one
 * process subscribed to Mosquitto, the cloudpatrol phase). Events/s = events / (first publish → as many rows in
 * `events`); the gateway's own rate is first publish → the last message acknowledged by Kafka. Every process is
 * a child of its own (the gateway and each worker), as deployed.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { Kafka, logLevel } from 'kafkajs';
import { backendPids, CpuMeter, per1000Events } from '../lib/cpu';
import { MqttPublisher } from '../lib/publisher';
import { BenchChild, Cleanup, cloudPatrolChildEnv, createDatabase, isType, log, pgClient, sleep, startService } from '../lib/services';
import { benchDevices } from '../lib/workload';

export interface ScaleOutPhaseOptions {
  runId: string;
  adminUrl: string;
  mqttUrl: string;
  kafkaBrokers: string;
  payloads: { topic: string; payload: string }[];
  /** Workers in the consumer group (BENCH_SCALE_WORKERS, default 2). */
  workers: number;
  cleanup: Cleanup;
  deadline: number;
}

export interface ScaleOutResult {
  workers: number;
  partitions: number;
  events: number;
  acknowledged: number;
  /** Messages the gateway had on Kafka (acknowledged) when the last event was stored. */
  onKafka?: number;
  stored: number;
  deadLetters: number;
  seconds?: number;
  /** End to end: publish → stored, classified and grouped, through the gateway and Kafka. */
  eventsPerSecond?: number;
  /** Publish → on Kafka (the gateway alone). */
  gatewayMessagesPerSecond?: number;
  /** First-time stores per worker (its share). */
  storedByWorker: number[];
  /**
   * CPU seconds spent per 1,000 events during the run (user + system, from /proc): the gateway, all workers,
   * and this database's PostgreSQL backends (WAL writer and checkpointer are shared and not counted). 1,000 /
   * this = events per second one core of that kind carries: the capacity table's basis, independent of how
   * busy the shared bench machine was.
   */
  cpuSecondsPer1000Events?: { gateway: number; workers: number; postgresBackends: number };
  errors: string[];
}

const PARTITIONS = 12;

export async function runScaleOutPhase(o: ScaleOutPhaseOptions): Promise<ScaleOutResult> {
  const result: ScaleOutResult = {
    workers: o.workers,
    partitions: PARTITIONS,
    events: o.payloads.length,
    acknowledged: 0,
    stored: 0,
    deadLetters: 0,
    storedByWorker: [],
    errors: [],
  };
  const databaseUrl = await createDatabase(o.adminUrl, `cpbench_${o.runId}_scale`, o.cleanup);
  const prefix = `benchscale${o.runId}.`;
  const group = `cp-bench-scale-${o.runId}`;
  o.cleanup.add('Kafka topics of the scale-out run', () => dropKafkaTenancy(o.kafkaBrokers, prefix, group));
  const jwt = randomBytes(32).toString('hex');
  const common = (name: string) => {
    const dataDir = join('/tmp', `cloudpatrol-bench-scale-${o.runId}-${name}`);
    o.cleanup.add(`bench scale-out data dir ${name}`, () => rmSync(dataDir, { recursive: true, force: true }));
    return {
      ...cloudPatrolChildEnv(databaseUrl, dataDir),
      JWT_SECRET: jwt,
      MQTT_URL: o.mqttUrl,
      MQTT_CLIENT_ID: `cp-bench-scale-${o.runId}-${name}`,
      KAFKA_BROKERS: o.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: group,
      KAFKA_INGEST_PARTITIONS: String(PARTITIONS),
      INGEST_VIA_KAFKA: 'true',
      // BENCH_<NAME> overrides a product default for an experiment, as in the cloudpatrol phase.
      ...Object.fromEntries(
        (['INGEST_BATCH_SIZE', 'INGEST_BATCH_WAIT_MS', 'INGEST_PIPELINE_DEPTH', 'MQTT_RECEIVE_MAXIMUM'] as const).flatMap((k) => {
          const v = process.env[`BENCH_${k}`];
          return v === undefined ? [] : [[k, v]];
        }),
      ),
    };
  };
  const children: BenchChild[] = [];
  const pg = pgClient(databaseUrl);
  const admin = new Kafka({ clientId: 'bench-scale', brokers: o.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
  let pub: MqttPublisher | undefined;
  try {
    const start = async (role: 'gateway' | 'worker', name: string) => {
      const child = startService(role, common(name), role === 'worker' ? benchDevices(0) : [], o.cleanup);
      children.push(child);
      return (await child.message(isType<{ type: 'ready'; url: string }>('ready'), 150_000, `scale-out ${name} start`)).url;
    };
    // The gateway first: it creates the ingest topic with its partitions. Workers one by one: the first migrates.
    const gatewayUrl = await start('gateway', 'gateway');
    const workerUrls: string[] = [];
    for (let i = 1; i <= o.workers; i++) workerUrls.push(await start('worker', `worker-${i}`));
    await admin.connect();
    for (;;) {
      const [g] = (await admin.describeGroups([group])).groups;
      if (g.state === 'Stable' && g.members.length === o.workers) break;
      if (Date.now() > o.deadline) throw new Error(`the ${o.workers} workers did not settle in their group`);
      await sleep(200);
    }
    await pg.connect();
    log(`scale-out: gateway + ${o.workers} worker(s) up, ${PARTITIONS} partitions`);

    pub = await MqttPublisher.open(o.mqttUrl, 4, 1000, 'bench-scale');
    const n = o.payloads.length;
    const gatewayPid = [children[0].child.pid as number];
    const workerPids = children.slice(1).map((c) => c.child.pid as number);
    const cpu = new CpuMeter([...gatewayPid, ...workerPids, ...(await backendPids(pg))]);
    const t0 = Date.now();
    const publishing = (async () => {
      for (const p of o.payloads) {
        if (Date.now() > o.deadline) break;
        await pub.send(p.topic, p.payload);
      }
      await pub.drain(30_000);
    })();
    let gatewayDoneAt: number | undefined;
    while (Date.now() < o.deadline) {
      if (gatewayDoneAt === undefined) {
        const forwarded = ((await getJson(`${gatewayUrl}/health`)) as { forwarded?: number }).forwarded ?? 0;
        if (forwarded >= n) gatewayDoneAt = Date.now();
      }
      const { rows } = await pg.query<{ stored: number; dead: number }>(
        'SELECT (SELECT count(*) FROM events)::int AS stored, (SELECT count(*) FROM dead_letters)::int AS dead',
      );
      result.stored = rows[0].stored;
      result.deadLetters = rows[0].dead;
      if (result.stored + result.deadLetters >= n) break;
      await sleep(result.stored >= n * 0.9 ? 50 : 250);
    }
    const doneAt = Date.now();
    result.cpuSecondsPer1000Events = {
      gateway: per1000Events(cpu.used(gatewayPid), n),
      workers: per1000Events(cpu.used(workerPids), n),
      postgresBackends: per1000Events(cpu.used(await backendPids(pg)), n),
    };
    await publishing;
    result.acknowledged = pub.acked;
    if (result.stored + result.deadLetters >= n) {
      result.seconds = Math.round((doneAt - t0) / 10) / 100;
      result.eventsPerSecond = Math.round(result.stored / result.seconds);
    }
    if (gatewayDoneAt !== undefined) result.gatewayMessagesPerSecond = Math.round(n / ((gatewayDoneAt - t0) / 1000));
    result.onKafka = ((await getJson(`${gatewayUrl}/health`)) as { forwarded?: number }).forwarded;
    result.storedByWorker = await Promise.all(workerUrls.map(async (url) => storedTotal(await getText(`${url}/metrics`))));
    log(
      `scale-out (gateway → Kafka → ${o.workers} worker(s)): ${result.eventsPerSecond ?? '?'} events/s end to end (${result.stored}/${n} stored, ` +
        `${result.deadLetters} dead letters, by worker ${result.storedByWorker.join(' + ')}); gateway alone ${result.gatewayMessagesPerSecond ?? '?'} msg/s to Kafka; ` +
        `CPU s per 1,000 events: ${JSON.stringify(result.cpuSecondsPer1000Events)}`,
    );
  } catch (err) {
    result.errors.push((err as Error).message.split('\n')[0]);
  } finally {
    await pub?.close();
    await pg.end().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    // Workers before the gateway: nothing is left unacknowledged on their side.
    for (const c of children.reverse()) await c.stop(15_000);
  }
  return result;
}

/** First-time stores in a worker's /metrics (summed over sources and devices). */
function storedTotal(metrics: string): number {
  return metrics
    .split('\n')
    .filter((l) => l.startsWith('cloudpatrol_events_stored_total{'))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function getJson(url: string): Promise<unknown> {
  return JSON.parse(await getText(url)) as unknown;
}

/** Deletes the topics this run created under its prefix, and its consumer group. */
async function dropKafkaTenancy(brokers: string, prefix: string, groupId: string): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-cleanup', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics });
    await admin.deleteGroups([groupId]).catch(() => undefined);
  } catch (err) {
    log(`could not delete the Kafka topics under ${prefix}: ${(err as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
