/**
 * Phase 3, CloudPatrol end to end (its own process: `startCloudPatrol('standalone')` on the bench's
 * Mosquitto, Kafka and a fresh database):
 * - saturation: N generic events of the demo-rule mix (bench/lib/workload.ts) published as fast as QoS 1
 *   allows (4 connections); events/s = events / (first publish → as many rows in `events`: a batch's events
 *   are classified, grouped into cases or recorded as suppressed in the transaction that stores them, so a
 *   stored event is a classified one; not every event becomes a case occurrence — suppressed, inhibited,
 *   silenced or not yet dwelt long enough — so case_occurrences is reported, not waited for); after every
 *   100th event a latency probe (publish → alert under a backlog); publish → stored for every event;
 * - fixed offered load: R events/s for D s, one in `probeEvery` a latency probe that opens a new case;
 *   p50/p95/p99 of (SSE alert arrival − publish time embedded in the probe's event id);
 * - mixed sources: the device simulator (Frigate, generic, DJI OSD over MQTT; department records over
 *   Kafka; Hikvision over HTTP) with duplicates and malformed input, checked against the database.
 */
import { parseEnv, type DistrictConfig } from '@app/config';
import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { simDistrict } from '../../scripts/simulator/district';
import { DEPARTMENT_TYPES, type Department, departmentRecord } from '../../scripts/simulator/payloads';
import { HttpSink, KafkaSink, MqttSink } from '../../scripts/simulator/sinks';
import { runPaced, simulate, SimulationResult } from '../../scripts/simulator/simulate';
import { SimulatedStream } from '../../scripts/simulator/stream';
import { backendPids, CpuMeter, MachineCpuMeter, type MachineMicrosPerEvent, per1000Events } from '../lib/cpu';
import { MqttPublisher } from '../lib/publisher';
import { BenchChild, Cleanup, cloudPatrolChildEnv, createDatabase, isType, log, pgClient, sleep, startService } from '../lib/services';
import { AlertCollector, alertAfterStore, SendTimes, storeLatency, storeTimes } from '../lib/latency';
import { login } from '../lib/sse';
import { LatencySummary, round, summarise } from '../lib/stats';
import { identityEvent, Identity, PROBE_PREFIX, probeEvent, publishedAtOf, benchDevices } from '../lib/workload';

export interface SaturationResult {
  events: number;
  published: number;
  publishSeconds?: number;
  publishPerSecond?: number;
  stored: number;
  /** Rows in case_occurrences: the stored events that became (or grew) a case. */
  grouped: number;
  cases: number;
  /** Detections that met a rule and were kept from a case, by reason (suppressions.count summed). */
  suppressedByReason: Record<string, number>;
  deadLetters: number;
  deadLettersByReason: Record<string, { count: number; example: string }>;
  seconds?: number;
  eventsPerSecond?: number;
  probes: number;
  probesWithoutAlert: number;
  /** Alerts the SSE client received during the burst (when connected). */
  alertsReceived: number;
  /** Publish → live alert of the probes in the burst (queueing behind the backlog included). */
  alertLatency: LatencySummary;
  /** Publish → stored of every event of the burst. */
  storeLatency: LatencySummary;
  /** The burst's end on the database's clock: when the last of its events was seen stored. */
  endedAt?: Date;
  /** From the last event stored until the background work the burst left (sealing, case intake) was done. */
  backgroundCatchUpSeconds?: number;
  /**
   * From the burst's end (the last event stored) until no case of it was waiting for its opening to be recorded
   * (transition, audit entry, outbox record), on the database's clock, polled every 100 ms.
   */
  intakeCatchUpSeconds?: number;
  /** From the burst's end until every stored event was sealed into the audit chain. */
  sealingCatchUpSeconds?: number;
  /**
   * CPU seconds per 1,000 events of the burst, first publish → all stored: the CloudPatrol process (every thread:
   * V8's garbage collector helpers included) and the PostgreSQL backends of its database. It moves far less than
   * events/s with how fast or busy the machine is (0.15–0.18 s here in an hour when events/s halved), so it is the
   * figure to compare runs of different hours by.
   */
  cpuSecondsPer1000Events?: CpuPer1000Events;
  /**
   * The whole machine over the same stretch, µs of CPU per event by who used it (the idle and stolen time
   * included): what the burst's events/s was made of, and so what a faster one would have to take from whom.
   */
  machineMicrosPerEvent?: MachineMicrosPerEvent;
  /** The same from the first publish until the background work was done (sealing, case intake). */
  cpuSecondsPer1000EventsWithBackground?: CpuPer1000Events;
  partial?: string;
}

export interface CpuPer1000Events {
  cloudPatrol: number;
  postgresBackends: number;
}

export interface FixedLoadResult {
  offeredPerSecond: number;
  seconds: number;
  events: number;
  achievedOfferedPerSecond?: number;
  /** Events stored (and so classified and grouped) per second over the window (first publish → last event stored). */
  sustainedEventsPerSecond?: number;
  allStored: boolean;
  probes: number;
  probeEvery: number;
  /** Every alert the SSE client received during the window (opened and updated cases). */
  alertsReceived: number;
  openedAlerts: number;
  probesWithoutAlert: number;
  /** Publish → live alert (SSE `case.opened`) for each probe. */
  alertLatency: LatencySummary;
  /** Publish → stored (events.received_at, the storing transaction's start) for each probe. */
  storeLatency: LatencySummary;
  /** The storing transaction's start → live alert for each probe: the alert's time inside and after its batch. */
  alertAfterStoreLatency: LatencySummary;
  /**
   * CPU seconds per 1,000 events over the window, the background work of the steady state included (sealing, case
   * intake, alerts): small batches make the per-batch costs show, where the burst shows the per-event ones.
   */
  cpuSecondsPer1000Events?: CpuPer1000Events;
  partial?: string;
}

export interface MixResult {
  rate: number;
  seconds: number;
  simulator: Omit<SimulationResult, 'eventIds'>;
  expectedEvents: number;
  storedOfExpected: number;
  storedBySource: Record<string, number>;
  deadLettersByReason: Record<string, number>;
  partial?: string;
}

/** The Kafka path on its own: department records produced onto CloudPatrol's feed topics → stored and grouped. */
export interface KafkaFeedResult {
  records: number;
  produced: number;
  produceSeconds?: number;
  stored: number;
  /** Dead letters the feed left (refused records, or over a platform's rate limit). */
  deadLetters: number;
  /** Of the stored records, those that became (or grew) a case. */
  grouped: number;
  cases: number;
  seconds?: number;
  /** Records stored (classified and grouped) per second: first produce → as many stored. */
  eventsPerSecond?: number;
  partial?: string;
}

export interface CloudPatrolResult {
  startupSeconds?: number;
  settings: Record<string, string | number>;
  saturation?: SaturationResult;
  fixedLoad?: FixedLoadResult;
  mix?: MixResult;
  kafkaFeed?: KafkaFeedResult;
  /** Peak resident set of the CloudPatrol process over the whole phase (VmHWM), MB. */
  peakRssMb?: number;
  errors: string[];
}

export interface CloudPatrolPhaseOptions {
  runId: string;
  adminUrl: string;
  mqttUrl: string;
  /** Mosquitto's process, for the machine's CPU split. */
  brokerPid: number;
  kafkaBrokers?: string;
  district: DistrictConfig;
  identities: Identity[];
  saturationPayloads: { topic: string; payload: string }[];
  fixedRate: number;
  fixedSeconds: number;
  probeEvery: number;
  saturationProbeEvery: number;
  /** Keep the SSE client connected during the saturation burst (operators watching); default true. */
  saturationAlerts: boolean;
  mixRate: number;
  mixSeconds: number;
  /** Department records for the Kafka feed sub-phase (3 platforms; each platform may burst 10,000). */
  kafkaFeedRecords: number;
  cleanup: Cleanup;
  /** Epoch ms by which the whole phase must be over. */
  deadline: number;
}

const ADMIN = 'admin';

export async function runCloudPatrolPhase(o: CloudPatrolPhaseOptions): Promise<CloudPatrolResult> {
  const result: CloudPatrolResult = { settings: {}, errors: [] };
  const saturationProbes = Math.floor(o.saturationPayloads.length / o.saturationProbeEvery);
  const fixedProbes = Math.floor((o.fixedRate * o.fixedSeconds) / o.probeEvery);
  const probeDevices = Math.max(1, Math.ceil((saturationProbes + fixedProbes) / 4));
  const databaseUrl = await createDatabase(o.adminUrl, `cpbench_${o.runId}_cp`, o.cleanup);
  const dataDir = join('/tmp', `cloudpatrol-bench-data-${o.runId}`);
  o.cleanup.add('bench data dir', () => rmSync(dataDir, { recursive: true, force: true }));
  const adminPassword = randomBytes(12).toString('base64url');
  const kafkaPrefix = `bench${o.runId}.`;
  // The product defaults (BENCH_<NAME> overrides one for an experiment), stated so the results say what was measured.
  const defaults = parseEnv({});
  const settings = Object.fromEntries(
    (['INGEST_BATCH_SIZE', 'INGEST_BATCH_WAIT_MS', 'INGEST_PIPELINE_DEPTH', 'MQTT_RECEIVE_MAXIMUM'] as const).map((k) => [
      k,
      process.env[`BENCH_${k}`] ?? String(defaults[k]),
    ]),
  );
  result.settings = { ...settings, probeDevices, kafka: o.kafkaBrokers ? 'on' : 'off' };
  const kafkaBrokers = o.kafkaBrokers;
  if (kafkaBrokers) o.cleanup.add('Kafka topics of the CloudPatrol run', () => dropKafkaTenancy(kafkaBrokers, kafkaPrefix, `cp-bench-${o.runId}`));
  const started = Date.now();
  const child: BenchChild = startService(
    'standalone',
    {
      ...cloudPatrolChildEnv(databaseUrl, dataDir),
      MQTT_URL: o.mqttUrl,
      MQTT_CLIENT_ID: `cp-bench-${o.runId}`,
      MQTT_SHARE_GROUP: `bench${o.runId}`,
      KAFKA_BROKERS: o.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: kafkaPrefix,
      KAFKA_GROUP_ID: `cp-bench-${o.runId}`,
      ADMIN_USERNAME: ADMIN,
      ADMIN_PASSWORD: adminPassword,
      ...settings,
      // BENCH_HEAP_PROF=<dir>: a sampling heap profile of this child (bench/children/service.js).
      BENCH_HEAP_PROF: process.env.BENCH_HEAP_PROF,
      BENCH_HEAP_FROM: process.env.BENCH_HEAP_FROM,
      BENCH_HEAP_SECONDS: process.env.BENCH_HEAP_SECONDS,
    },
    benchDevices(probeDevices),
    o.cleanup,
  );
  const pg = pgClient(databaseUrl);
  const alerts = new AlertCollector();
  try {
    const ready = await child.message(isType<{ type: 'ready'; url: string }>('ready'), 150_000, 'CloudPatrol start');
    result.startupSeconds = round((Date.now() - started) / 1000, 1);
    log(`CloudPatrol up at ${ready.url} in ${result.startupSeconds} s`);
    await pg.connect();
    const token = await login(ready.url, ADMIN, adminPassword);
    if (o.saturationAlerts) await alerts.open(ready.url, token);

    const servicePid = child.child.pid as number;
    const cpu = new CpuMeter([servicePid, ...(await backendPids(pg))]);
    const cpuPer1000 = async (events: number): Promise<CpuPer1000Events> => ({
      cloudPatrol: per1000Events(cpu.used([servicePid]), events),
      postgresBackends: per1000Events(cpu.used(await backendPids(pg)), events),
    });
    const machine = new MachineCpuMeter({ cloudPatrol: servicePid, broker: o.brokerPid }, await backendPids(pg));
    const machinePerEvent = async (events: number) => machine.perEvent(events, await backendPids(pg));
    const burstDeadline = Math.min(o.deadline, Date.now() + 150_000);
    result.saturation = await saturation(o, pg, alerts, probeDevices, burstDeadline, cpuPer1000, machinePerEvent).catch((err: Error) => {
      result.errors.push(`saturation: ${err.message}`);
      return undefined;
    });
    if (result.saturation) {
      const s = result.saturation;
      const alertText = s.alertLatency.samples ? `; alert p50 ${s.alertLatency.p50Ms} ms, p99 ${s.alertLatency.p99Ms} ms` : '';
      log(
        `saturation: ${s.eventsPerSecond ?? '?'} events/s (${s.stored}/${s.events} stored; ${s.grouped} case occurrences in ${s.cases} cases; suppressed ${JSON.stringify(s.suppressedByReason)})${alertText}`,
      );
    }

    if (result.saturation) {
      // The burst leaves background work behind (sealing every event into the audit chain, recording each new
      // case's opening). The fixed load measures the steady state, so it starts once that work is done.
      const caughtUp = await backgroundCaughtUp(pg, result.saturation.endedAt, Math.min(o.deadline - (o.fixedSeconds + 60) * 1000, Date.now() + 120_000));
      result.saturation.backgroundCatchUpSeconds = caughtUp.seconds;
      result.saturation.intakeCatchUpSeconds = caughtUp.intakeSeconds;
      result.saturation.sealingCatchUpSeconds = caughtUp.sealingSeconds;
      if (caughtUp.done) result.saturation.cpuSecondsPer1000EventsWithBackground = await cpuPer1000(result.saturation.events);
      log(`case intake after the burst: ${caughtUp.intakeSeconds ?? '?'} s (burst end → last opening recorded); sealing ${caughtUp.sealingSeconds ?? '?'} s`);
      log(`background work after the burst: ${caughtUp.done ? `done in ${caughtUp.seconds} s` : `not done after ${caughtUp.seconds} s (${caughtUp.left})`}`);
      log(
        `CPU s per 1,000 events: burst ${JSON.stringify(result.saturation.cpuSecondsPer1000Events)}, with its background work ${JSON.stringify(result.saturation.cpuSecondsPer1000EventsWithBackground)}`,
      );
      if (!caughtUp.done) result.errors.push(`background work after the burst not done after ${caughtUp.seconds} s: ${caughtUp.left}`);
      // A running install has statistics on its tables (autovacuum analyses them); this database got 50,000 events
      // seconds ago, before autovacuum's first look, and queries over the new cases were planned without them
      // (the intake's evidence read: parallel hash joins over every event, 55–150 ms, instead of 6 ms).
      await pg.query('ANALYZE');
    }
    if (!o.saturationAlerts) await alerts.open(ready.url, token);
    if (Date.now() + (o.fixedSeconds + 25) * 1000 < o.deadline) {
      const fixedCpu = new CpuMeter([servicePid, ...(await backendPids(pg))]);
      result.fixedLoad = await fixedLoad(o, pg, alerts, saturationProbes, fixedProbes, probeDevices).catch((err: Error) => {
        result.errors.push(`fixed load: ${err.message}`);
        return undefined;
      });
      if (result.fixedLoad) {
        const events = result.fixedLoad.events;
        result.fixedLoad.cpuSecondsPer1000Events = {
          cloudPatrol: per1000Events(fixedCpu.used([servicePid]), events),
          postgresBackends: per1000Events(fixedCpu.used(await backendPids(pg)), events),
        };
        log(
          `fixed load ${o.fixedRate}/s: alert p50 ${result.fixedLoad.alertLatency.p50Ms} ms, p99 ${result.fixedLoad.alertLatency.p99Ms} ms (${result.fixedLoad.alertLatency.samples} probes); ` +
            `CPU s per 1,000 events ${JSON.stringify(result.fixedLoad.cpuSecondsPer1000Events)}`,
        );
      }
    } else result.errors.push('fixed load: skipped, not enough time left');
    alerts.close();

    if (Date.now() + (o.mixSeconds + 25) * 1000 < o.deadline) {
      result.mix = await mixedSources(o, pg, ready.url, kafkaPrefix).catch((err: Error) => {
        result.errors.push(`mixed sources: ${err.message}`);
        return undefined;
      });
      if (result.mix)
        log(
          `mixed sources: ${result.mix.storedOfExpected}/${result.mix.expectedEvents} expected events stored, dead letters ${JSON.stringify(result.mix.deadLettersByReason)}`,
        );
    } else result.errors.push('mixed sources: skipped, not enough time left');

    if (!o.kafkaBrokers) result.errors.push('kafka feed: skipped, no Kafka');
    else if (Date.now() + 40_000 < o.deadline) {
      result.kafkaFeed = await kafkaFeed(o, pg, o.kafkaBrokers, kafkaPrefix, Math.min(o.deadline, Date.now() + 60_000)).catch((err: Error) => {
        result.errors.push(`kafka feed: ${err.message}`);
        return undefined;
      });
      if (result.kafkaFeed)
        log(
          `kafka feed: ${result.kafkaFeed.eventsPerSecond ?? '?'} records/s (${result.kafkaFeed.stored}/${result.kafkaFeed.records} stored, ${result.kafkaFeed.grouped} grouped into ${result.kafkaFeed.cases} cases, ${result.kafkaFeed.deadLetters} dead letters)`,
        );
    } else result.errors.push('kafka feed: skipped, not enough time left');
  } catch (err) {
    result.errors.push((err as Error).message);
  } finally {
    alerts.close();
    result.peakRssMb = child.peakRssMb();
    await pg.end().catch(() => undefined);
    await child.stop(15_000);
  }
  return result;
}

/** Deletes the topics CloudPatrol created under this run's prefix, and its consumer group. */
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

async function count(pg: Client, sql: string): Promise<number> {
  const r = await pg.query<{ n: string }>(sql);
  return Number(r.rows[0].n);
}

/**
 * Waits until `target` events are stored (each batch's events are classified and grouped, or recorded as
 * suppressed, in the transaction that stores them) or kept aside as dead letters (so a refused event ends
 * the wait instead of running out the clock; they are reported): polls every 250 ms, every 50 ms near the
 * end (counting costs the database a little; the end time is what matters).
 */
async function waitStored(pg: Client, target: number, deadline: number): Promise<{ stored: number; doneAt?: number; doneDbAt?: Date }> {
  let stored = 0;
  while (Date.now() < deadline) {
    const { rows } = await pg.query<{ stored: number; dead: number; at: Date }>(
      'SELECT (SELECT count(*) FROM events)::int AS stored, (SELECT count(*) FROM dead_letters)::int AS dead, clock_timestamp() AS at',
    );
    stored = rows[0].stored;
    if (stored + rows[0].dead >= target) return { stored, doneAt: Date.now(), doneDbAt: rows[0].at };
    await sleep(stored >= target * 0.9 ? 50 : 250);
  }
  return { stored };
}

async function saturation(
  o: CloudPatrolPhaseOptions,
  pg: Client,
  alerts: AlertCollector,
  probeDevices: number,
  deadline: number,
  cpuPer1000: (events: number) => Promise<CpuPer1000Events>,
  machinePerEvent: (events: number) => Promise<MachineMicrosPerEvent>,
): Promise<SaturationResult> {
  const n = o.saturationPayloads.length;
  const prefix = `sat-${o.runId}-`;
  const times = new SendTimes(prefix, n);
  const pub = await MqttPublisher.open(o.mqttUrl, 4, 1000, 'bench-cp');
  const alertsBefore = alerts.alerts;
  let published = 0;
  let publishedAt = 0;
  let probes = 0;
  const t0 = Date.now();
  const publishing = (async () => {
    for (let i = 0; i < n; i++) {
      if (Date.now() > deadline) break;
      const p = o.saturationPayloads[i];
      times.mark(i);
      await pub.send(p.topic, p.payload);
      published++;
      if (i % o.saturationProbeEvery === o.saturationProbeEvery - 1) {
        const m = probeEvent('saturation', probes++, probeDevices, new Date());
        await pub.send(m.topic, m.payload);
        published++;
      }
    }
    await pub.drain(30_000);
    publishedAt = Date.now();
  })();
  const total = n + Math.floor(n / o.saturationProbeEvery);
  const { stored: storedAtDone, doneAt, doneDbAt } = await waitStored(pg, total, deadline);
  const cpuSecondsPer1000Events = doneAt ? await cpuPer1000(total) : undefined;
  const machineMicrosPerEvent = doneAt ? await machinePerEvent(total) : undefined;
  await publishing;
  await pub.close();
  // The last probes' alerts may still be on their way.
  const until = Date.now() + (o.saturationAlerts ? 5_000 : 0);
  while (alerts.latencies.saturation.size < probes && Date.now() < until) await sleep(50);
  const [stored, grouped, cases, deadLetters] = [
    await count(pg, 'SELECT count(*) AS n FROM events'),
    await count(pg, 'SELECT count(*) AS n FROM case_occurrences'),
    await count(pg, 'SELECT count(*) AS n FROM cases'),
    await count(pg, 'SELECT count(*) AS n FROM dead_letters'),
  ];
  const suppressed = await pg.query<{ reason: string; n: string }>('SELECT reason, sum(count) AS n FROM suppressions GROUP BY reason ORDER BY reason');
  const reasons = await pg.query<{ reason: string; detail: string; n: string }>(
    'SELECT reason, min(detail) AS detail, count(*) AS n FROM dead_letters GROUP BY reason ORDER BY count(*) DESC',
  );
  const seconds = ((doneAt ?? Date.now()) - t0) / 1000;
  return {
    events: total,
    published,
    publishSeconds: round((publishedAt - t0) / 1000, 2),
    publishPerSecond: round(pub.acked / ((publishedAt - t0) / 1000)),
    stored,
    grouped,
    cases,
    suppressedByReason: Object.fromEntries(suppressed.rows.map((r) => [r.reason, Number(r.n)])),
    deadLetters,
    deadLettersByReason: Object.fromEntries(reasons.rows.map((r) => [r.reason, { count: Number(r.n), example: r.detail.slice(0, 200) }])),
    seconds: round(seconds, 2),
    eventsPerSecond: round(storedAtDone / seconds),
    probes,
    probesWithoutAlert: probes - alerts.latencies.saturation.size,
    alertsReceived: alerts.alerts - alertsBefore,
    alertLatency: alerts.summary('saturation'),
    storeLatency: await storeLatency(pg, `${prefix}%`, times.of),
    endedAt: doneDbAt,
    cpuSecondsPer1000Events,
    machineMicrosPerEvent,
    ...(!doneAt && { partial: `${storedAtDone} of ${total} stored when the phase's time ran out` }),
  };
}

/**
 * Waits until every stored event is sealed and every case's opening recorded (or `until`). Times are taken on the
 * database's clock from `burstEnd` (when the last event was seen stored), so the figures are not skewed by the
 * bench's own polling: intake is done at the first poll (every 100 ms) that finds no case awaiting its opening.
 */
async function backgroundCaughtUp(
  pg: Client,
  burstEnd: Date | undefined,
  until: number,
): Promise<{ done: boolean; seconds: number; intakeSeconds?: number; sealingSeconds?: number; left: string }> {
  const started = Date.now();
  const since = (at: Date) => (burstEnd ? Math.max(0, Math.round((at.getTime() - burstEnd.getTime()) / 100) / 10) : undefined);
  let intakeSeconds: number | undefined;
  let sealingSeconds: number | undefined;
  for (;;) {
    const { rows } = await pg.query<{ queued: number; intake: number; at: Date }>(
      `SELECT (SELECT count(*) FROM evidence_queue)::int AS queued,
              (SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_workflow w WHERE w.case_id = c.id))::int AS intake,
              clock_timestamp() AS at`,
    );
    const { queued, intake, at } = rows[0];
    if (intake === 0 && intakeSeconds === undefined) intakeSeconds = since(at);
    if (queued === 0 && sealingSeconds === undefined) sealingSeconds = since(at);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    if (queued === 0 && intake === 0) return { done: true, seconds, intakeSeconds, sealingSeconds, left: '' };
    if (Date.now() >= until) return { done: false, seconds, intakeSeconds, sealingSeconds, left: `${queued} events to seal, ${intake} openings to record` };
    await sleep(100);
  }
}

async function fixedLoad(
  o: CloudPatrolPhaseOptions,
  pg: Client,
  alerts: AlertCollector,
  firstProbe: number,
  probes: number,
  probeDevices: number,
): Promise<FixedLoadResult> {
  const alertsBefore = alerts.alerts;
  const openedBefore = alerts.opened;
  const base = await count(pg, 'SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM dead_letters) AS n');
  const pub = await MqttPublisher.open(o.mqttUrl, 1, 1000, 'bench-fixed');
  let k = 0;
  const t0 = Date.now();
  const paced = await runPaced({
    rate: o.fixedRate,
    durationMs: o.fixedSeconds * 1000,
    emit: async (i, now) => {
      const m =
        i % o.probeEvery === 0 && k < probes
          ? probeEvent('fixed', firstProbe + k++, probeDevices, now)
          : identityEvent(o.identities, `fix-${o.runId}-${i}`, i, now);
      await pub.send(m.topic, m.payload);
    },
  });
  await pub.drain(10_000);
  await pub.close();
  const { doneAt } = await waitStored(pg, base + paced.emitted, Date.now() + 20_000);
  const stored = (await count(pg, 'SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM dead_letters) AS n')) - base;
  const until = Date.now() + 5_000;
  while (alerts.latencies.fixed.size < k && Date.now() < until) await sleep(50);
  const seconds = ((doneAt ?? Date.now()) - t0) / 1000;
  const probesStored = await storeTimes(pg, `${PROBE_PREFIX.fixed}-%`, publishedAtOf);
  return {
    offeredPerSecond: o.fixedRate,
    seconds: o.fixedSeconds,
    events: paced.emitted,
    achievedOfferedPerSecond: round(paced.achievedRate),
    sustainedEventsPerSecond: round(stored / seconds),
    allStored: stored >= paced.emitted,
    probes: k,
    probeEvery: o.probeEvery,
    alertsReceived: alerts.alerts - alertsBefore,
    openedAlerts: alerts.opened - openedBefore,
    probesWithoutAlert: k - alerts.latencies.fixed.size,
    alertLatency: alerts.summary('fixed'),
    storeLatency: summarise([...probesStored.values()]),
    alertAfterStoreLatency: summarise(alertAfterStore(alerts.latencies.fixed, probesStored)),
    ...(stored < paced.emitted && { partial: `${stored} of ${paced.emitted} stored 20 s after the load ended` }),
  };
}

async function mixedSources(o: CloudPatrolPhaseOptions, pg: Client, url: string, kafkaPrefix: string): Promise<MixResult> {
  const started = (await pg.query<{ now: Date }>('SELECT now() AS now')).rows[0].now;
  const district = simDistrict(o.district, 3);
  const sinks = {
    mqtt: new MqttSink({ url: o.mqttUrl, passwordFor: () => undefined, protocolVersion: 5, clientIdPrefix: `sim-${o.runId}` }),
    kafka: o.kafkaBrokers ? new KafkaSink({ brokers: o.kafkaBrokers.split(','), topicPrefix: kafkaPrefix, clientId: `sim-${o.runId}` }) : undefined,
    http: new HttpSink({ baseUrl: url, passwordFor: () => 'cloudpatrol-demo' }),
  };
  await sinks.kafka?.start();
  try {
    const stream = new SimulatedStream({
      district,
      runId: `mix${o.runId}`,
      seed: 11,
      duplicates: 0.05,
      malformed: 0.02,
      transports: { mqtt: true, kafka: !!sinks.kafka, http: true },
    });
    const sim = await simulate({ stream, sinks, rate: o.mixRate, durationMs: o.mixSeconds * 1000 });
    // Wait until storage is quiet (events and dead letters unchanged for 3 s), at most 20 s.
    const until = Date.now() + 20_000;
    let last = -1;
    let stableSince = Date.now();
    while (Date.now() < until) {
      const n = await count(pg, `SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM dead_letters) AS n`);
      if (n !== last) {
        last = n;
        stableSince = Date.now();
      } else if (Date.now() - stableSince >= 3000) break;
      await sleep(250);
    }
    const expected = [...new Set(sim.eventIds)];
    const storedOfExpected = Number(
      (await pg.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE source_event_id = ANY($1::text[])', [expected])).rows[0].n,
    );
    const bySource = await pg.query<{ source: string; n: string }>(
      'SELECT source, count(*) AS n FROM events WHERE received_at >= $1 GROUP BY source ORDER BY source',
      [started],
    );
    const byReason = await pg.query<{ reason: string; n: string }>(
      'SELECT reason, count(*) AS n FROM dead_letters WHERE received_at >= $1 GROUP BY reason ORDER BY reason',
      [started],
    );
    const { eventIds: _ids, ...simulator } = sim;
    return {
      rate: o.mixRate,
      seconds: o.mixSeconds,
      simulator,
      expectedEvents: expected.length,
      storedOfExpected,
      storedBySource: Object.fromEntries(bySource.rows.map((r) => [r.source, Number(r.n)])),
      deadLettersByReason: Object.fromEntries(byReason.rows.map((r) => [r.reason, Number(r.n)])),
      ...(storedOfExpected < expected.length && { partial: `${expected.length - storedOfExpected} well-formed generic/department events not stored` }),
    };
  } finally {
    await sinks.mqtt.close();
    await sinks.kafka?.close().catch(() => undefined);
  }
}

/**
 * The Kafka path's own end-to-end figure: `records` fire / police / emergency records (the published v1 schemas,
 * at the simulator's district points) produced in batches of 500 (acks all) onto CloudPatrol's department feed
 * topics; rate = records stored (classified and grouped in the storing transaction) / (first produce → all stored).
 */
async function kafkaFeed(o: CloudPatrolPhaseOptions, pg: Client, brokers: string, kafkaPrefix: string, deadline: number): Promise<KafkaFeedResult> {
  const targets = simDistrict(o.district, 5).targets;
  const depts: Department[] = ['fire', 'police', 'emergency'];
  const at = new Date();
  const messages = Array.from({ length: o.kafkaFeedRecords }, (_, i) => {
    const dept = depts[i % depts.length];
    const types = DEPARTMENT_TYPES[dept];
    // A few hundred places and types, so records both open cases and group into open ones.
    const place = targets[Math.floor(i / depts.length) % Math.min(targets.length, 60)];
    return departmentRecord(dept, {
      recordId: `KF${o.runId.toUpperCase()}-${i}`,
      at: new Date(at.getTime() - (o.kafkaFeedRecords - i)),
      location: { lat: place.lat, lng: place.lng },
      type: types[Math.floor(i / depts.length / 60) % types.length],
    });
  });
  const expected = messages.map((m) => m.eventId as string);
  const kafka = new Kafka({ clientId: `bench-feed-${o.runId}`, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const base = await count(pg, 'SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM dead_letters) AS n');
  const deadBefore = await count(pg, 'SELECT count(*) AS n FROM dead_letters');
  let produced = 0;
  const t0 = Date.now();
  let producedAt = t0;
  try {
    for (let b = 0; b < messages.length; b += 500) {
      const batch = messages.slice(b, b + 500);
      const byTopic = new Map<string, { key?: string; value: string }[]>();
      for (const m of batch) {
        const list = byTopic.get(kafkaPrefix + m.topic) ?? [];
        list.push({ key: m.key, value: m.payload });
        byTopic.set(kafkaPrefix + m.topic, list);
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
      produced += batch.length;
    }
    producedAt = Date.now();
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  const { doneAt } = await waitStored(pg, base + produced, deadline);
  const stored = Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE source_event_id = ANY($1::text[])', [expected])).rows[0].n);
  const grouping = await pg.query<{ grouped: string; cases: string }>(
    `SELECT count(DISTINCT o.event_id) AS grouped, count(DISTINCT o.case_id) AS cases
       FROM events e JOIN case_occurrences o ON o.event_id = e.id WHERE e.source_event_id = ANY($1::text[])`,
    [expected],
  );
  const seconds = ((doneAt ?? Date.now()) - t0) / 1000;
  return {
    records: messages.length,
    produced,
    produceSeconds: round((producedAt - t0) / 1000, 2),
    stored,
    deadLetters: (await count(pg, 'SELECT count(*) AS n FROM dead_letters')) - deadBefore,
    grouped: Number(grouping.rows[0].grouped),
    cases: Number(grouping.rows[0].cases),
    seconds: round(seconds, 2),
    eventsPerSecond: round(stored / seconds),
    ...(stored < messages.length && { partial: `${stored} of ${messages.length} records stored${doneAt ? '' : " when the sub-phase's time ran out"}` }),
  };
}
