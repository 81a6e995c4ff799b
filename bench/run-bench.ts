/**
 * `npm run bench`: CloudPatrol's throughput, latency and photo benchmark against the real Mosquitto,
 * Kafka and PostgreSQL, in one run of under 10 minutes, writing bench/results/latest.{json,md,svg}.
 * See bench/README.md for the method. Every phase is bounded in time and reports partial results;
 * everything the run starts (Mosquitto, Kafka if it was not running, child processes, databases) is
 * stopped or dropped at the end, also on error or Ctrl-C.
 *
 * Environment (all optional): TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
 * KAFKA_BROKERS (127.0.0.1:9092), BENCH_EVENTS (50000), BENCH_FIXED_RATE (1000), BENCH_FIXED_SECONDS (20),
 * BENCH_PROBE_EVERY (10), BENCH_PHOTOS (24), BENCH_PHOTO_ROUNDS (3), BENCH_PHOTO_DIR (/tmp/cloudpatrol-bench-photos),
 * BENCH_BUDGET_SECONDS (540), BENCH_SATURATION_ALERTS=0 (no SSE client during the burst), BENCH_KEEP_DATABASES=1, BENCH_SKIP (comma list: mqtt,kafka,postgres,memory,stages,cloudpatrol,embedded,naive,photos,scale-out), BENCH_SCALE_WORKERS (2),
 * BENCH_CPU_PROF=<dir> (V8 CPU profiles of the child processes), BENCH_HEAP_PROF=<dir> (a sampling heap profile of the
 * CloudPatrol phase's child; BENCH_HEAP_FROM 3 s, BENCH_HEAP_SECONDS 4), BENCH_INGEST_BATCH_SIZE, BENCH_INGEST_BATCH_WAIT_MS,
 * BENCH_KAFKA_RECORDS (9000: department records of the Kafka feed sub-phase),
 * BENCH_INGEST_PIPELINE_DEPTH, BENCH_MQTT_RECEIVE_MAXIMUM (instead of the product defaults, for an experiment).
 */
import { loadDistrictConfig } from '@app/config';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { measureKafkaLimit, measureMqttLimit } from './phases/broker-limit';
import { runBoundedMemoryPhase } from './phases/bounded-memory';
import { runPipelineStagesPhase } from './phases/pipeline-stages';
import { runCloudPatrolPhase } from './phases/cloudpatrol';
import { runEmbeddedPhase } from './phases/embedded';
import { runNaivePhase } from './phases/naive';
import { runPhotoPhase } from './phases/photos';
import { runScaleOutPhase } from './phases/scale-out';
import { measurePostgres } from './phases/postgres';
import { BenchDetails, Machine, markdown, summarise, svg } from './lib/report';
import { buildService, Cleanup, createDatabase, ensureKafka, log, pgClient, ROOT, settlePostgres, startMosquitto, withTimeout } from './lib/services';
import { benchIdentities, benchSourceClock, identityEvent, SOURCE_MINUTES } from './lib/workload';

const env = process.env;
const num = (name: string, fallback: number): number => {
  const v = Number(env[name]);
  return env[name] !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
};

async function main(): Promise<number> {
  const startedAt = Date.now();
  const budgetMs = num('BENCH_BUDGET_SECONDS', 540) * 1000;
  const deadline = startedAt + budgetMs;
  const remaining = () => deadline - Date.now();
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const skip = new Set((env.BENCH_SKIP ?? '').split(',').filter(Boolean));
  const events = num('BENCH_EVENTS', 50_000);
  const fixedRate = num('BENCH_FIXED_RATE', 1000);
  const fixedSeconds = num('BENCH_FIXED_SECONDS', 20);
  const probeEvery = num('BENCH_PROBE_EVERY', 10);
  const photoCount = num('BENCH_PHOTOS', 24);
  const photoRounds = num('BENCH_PHOTO_ROUNDS', 3);
  const adminUrl = env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const kafkaBrokers = env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const resultsDir = join(ROOT, 'bench/results');
  // CloudPatrol runs from its build, as `npm start` runs it: build it first when the sources are newer.
  buildService();
  const cleanup = new Cleanup();
  const errors: string[] = [];
  const details: BenchDetails = {};
  const machine: Machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverageStart: Math.round(loadavg()[0] * 100) / 100,
  };

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: stopping what the bench started`);
    // Phases still running see their connections go away: keep stopping, do not crash half-way.
    process.on('uncaughtException', (err) => log(`while stopping: ${err.message}`));
    process.on('unhandledRejection', (err) => log(`while stopping: ${(err as Error).message}`));
    void cleanup.run().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  /** Runs a phase unless skipped or out of time; an error is recorded, not thrown. */
  const phase = async <T>(name: string, minMs: number, run: () => Promise<T>): Promise<T | undefined> => {
    if (interrupted) return undefined;
    if (skip.has(name)) {
      errors.push(`${name}: skipped (BENCH_SKIP)`);
      return undefined;
    }
    if (remaining() < minMs) {
      errors.push(`${name}: skipped, ${Math.round(remaining() / 1000)} s left of the budget`);
      return undefined;
    }
    log(`phase ${name} (${Math.round(remaining() / 1000)} s left)`);
    try {
      await settlePostgres(adminUrl);
      return await withTimeout(run(), Math.max(1000, remaining() - 5_000), name);
    } catch (err) {
      errors.push(`${name}: ${(err as Error).message}`);
      log(`phase ${name} failed: ${(err as Error).message.split('\n')[0]}`);
      return undefined;
    }
  };

  try {
    const pg = pgClient(adminUrl);
    await pg.connect().catch((err: Error) => {
      throw new Error(`PostgreSQL not reachable at ${adminUrl} (set TEST_DATABASE_URL): ${err.message}`);
    });
    machine.postgres = `PostgreSQL ${(await pg.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version}`;
    await pg.end();
    try {
      machine.mosquitto = execFileSync('mosquitto', ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0];
    } catch (err) {
      // `mosquitto -h` exits non-zero after printing its version.
      const out = (err as { stdout?: string }).stdout ?? '';
      machine.mosquitto = out.split('\n')[0] || undefined;
    }

    const district = loadDistrictConfig(join(ROOT, 'config/demo'));
    const identities = benchIdentities(district, 200);
    // The saturation stream is a district's evening half hour (source time), published as fast as QoS 1 allows.
    const sourceTime = benchSourceClock(district, events);
    const roles = [...new Set(identities.map((i) => i.role))];
    log(`${identities.length} identities (${roles.join(', ')}); source times ${sourceTime(0).toISOString()} + ${SOURCE_MINUTES} min`);
    const saturationPayloads = Array.from({ length: events }, (_, i) => identityEvent(identities, `sat-${runId}-${i}`, i, sourceTime(i)));

    const mosquitto = await startMosquitto(runId, cleanup);
    log(`Mosquitto (project delivery.conf) on ${mosquitto.url}`);
    let kafkaOk = false;
    if (!skip.has('kafka')) {
      try {
        // A whole number of ms: child_process refuses a fractional timeout.
        const k = await ensureKafka(kafkaBrokers, cleanup, Math.floor(Math.min(180_000, remaining() / 3)));
        kafkaOk = true;
        log(`Kafka on ${kafkaBrokers}${k.startedByUs ? ' (started by the bench, stopped at the end)' : ' (already running)'}`);
      } catch (err) {
        errors.push(`kafka: ${(err as Error).message.split('\n')[0]}`);
      }
    }

    details.mqttLimit = await phase('mqtt', 20_000, () => measureMqttLimit({ url: mosquitto.url, payloads: saturationPayloads, cleanup, timeoutMs: 60_000 }));
    if (details.mqttLimit) log(`MQTT limit: ${details.mqttLimit.messagesPerSecond} msg/s`);
    if (kafkaOk) {
      details.kafkaLimit = await phase('kafka', 20_000, () =>
        measureKafkaLimit({ brokers: kafkaBrokers, runId, n: events, payload: saturationPayloads[0].payload, timeoutMs: 60_000 }),
      );
      if (details.kafkaLimit) log(`Kafka limit: ${details.kafkaLimit.messagesPerSecond} msg/s`);
    }

    details.postgres = await phase('postgres', 20_000, async () => {
      const url = await createDatabase(adminUrl, `cpbench_${runId}_copy`, cleanup);
      return measurePostgres({
        databaseUrl: url,
        copyRows: 200_000,
        unnestRows: 100_000,
        singleRows: 3_000,
        rawFor: (i) => saturationPayloads[i % events].payload,
        deadline: Date.now() + 60_000,
      });
    });
    if (details.postgres)
      log(
        `PostgreSQL: COPY ${details.postgres.copyRowsPerSecond} rows/s, unnest ${details.postgres.unnestRowsPerSecond} rows/s, single ${details.postgres.singleRowsPerSecond} rows/s`,
      );

    details.boundedMemory = await phase('memory', 20_000, () => runBoundedMemoryPhase({ cleanup, timeoutMs: 60_000 }));
    if (details.boundedMemory)
      log(
        `bounded memories, µs per operation filling → full: rate limiter ${details.boundedMemory.rateLimiter.fillingMicros} → ${details.boundedMemory.rateLimiter.fullMicros}, throttle ${details.boundedMemory.throttle.fillingMicros} → ${details.boundedMemory.throttle.fullMicros}`,
      );

    details.stages = await phase('stages', 20_000, () => runPipelineStagesPhase({ cleanup, timeoutMs: 90_000 }));
    if (details.stages) {
      const us = details.stages.microsPerEvent;
      log(`pipeline stages, µs per event: adapt ${us.adapt}, classify ${us.classify}, group ${us.group}, events document ${us.document}; in all ${us.total}`);
    }

    details.cloudpatrol = await phase('cloudpatrol', 90_000, () =>
      runCloudPatrolPhase({
        runId,
        adminUrl,
        mqttUrl: mosquitto.url,
        brokerPid: mosquitto.pid,
        kafkaBrokers: kafkaOk ? kafkaBrokers : undefined,
        district,
        identities,
        saturationPayloads,
        fixedRate,
        fixedSeconds,
        probeEvery,
        saturationProbeEvery: 100,
        saturationAlerts: env.BENCH_SATURATION_ALERTS !== '0',
        mixRate: 300,
        mixSeconds: 5,
        kafkaFeedRecords: num('BENCH_KAFKA_RECORDS', 9000),
        cleanup,
        // Leave time for the photo and naive phases.
        deadline: Math.min(deadline - 170_000, Date.now() + 330_000),
      }),
    );
    if (details.cloudpatrol?.errors.length) errors.push(...details.cloudpatrol.errors.map((e) => `cloudpatrol ${e}`));

    details.embedded = await phase('embedded', 40_000, () =>
      runEmbeddedPhase({ adminUrl, runId, payloads: saturationPayloads, cleanup, deadline: Math.min(deadline - 150_000, Date.now() + 120_000) }),
    );
    if (details.embedded?.errors.length) errors.push(...details.embedded.errors.slice(0, 5).map((e) => `embedded ${e}`));

    const photoDir = env.BENCH_PHOTO_DIR ?? '/tmp/cloudpatrol-bench-photos';
    mkdirSync(photoDir, { recursive: true });
    details.photos = await phase('photos', 40_000, () => runPhotoPhase({ dir: photoDir, count: photoCount, rounds: photoRounds, cleanup, timeoutMs: 90_000 }));
    if (details.photos?.errors.length) errors.push(...details.photos.errors.map((e) => `photos ${e}`));

    details.naive = await phase('naive', 45_000, () =>
      runNaivePhase({
        runId,
        adminUrl,
        mqttUrl: mosquitto.url,
        identities,
        saturationPayloads,
        saturationTimeoutMs: 90_000,
        fixedRate,
        fixedSeconds,
        cleanup,
        deadline: deadline - 15_000,
      }),
    );
    if (details.naive?.errors.length) errors.push(...details.naive.errors.map((e) => `naive ${e}`));

    if (kafkaOk)
      details.scaleOut = await phase('scale-out', 45_000, () =>
        runScaleOutPhase({
          runId,
          adminUrl,
          mqttUrl: mosquitto.url,
          kafkaBrokers,
          payloads: saturationPayloads,
          workers: num('BENCH_SCALE_WORKERS', 2),
          cleanup,
          deadline: deadline - 10_000,
        }),
      );
    if (details.scaleOut?.errors.length) errors.push(...details.scaleOut.errors.map((e) => `scale-out ${e}`));
  } catch (err) {
    errors.push((err as Error).message);
    log(`bench failed: ${(err as Error).message}`);
  } finally {
    log('stopping what the bench started');
    await cleanup.run();
  }

  machine.loadAverageEnd = Math.round(loadavg()[0] * 100) / 100;
  const results = summarise(details, machine, startedAt, errors);
  mkdirSync(resultsDir, { recursive: true });
  const md = markdown(results);
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'latest.md'), md);
  writeFileSync(join(resultsDir, 'latest.svg'), svg(results));
  process.stdout.write(`\n${md}\n`);
  log(`results in bench/results/latest.{json,md,svg}; run took ${results.runtimeSeconds} s`);
  return results.eventsPerSecond === undefined ? 1 : 0;
}

main()
  .then((code) => process.exit(code))
  .catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  });
