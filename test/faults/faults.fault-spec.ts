import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connectAsync } from 'mqtt';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '@app/persistence';
import { eventIds, genericEvent, GENERIC_MQTT_TOPIC, publishMqttStream } from '../fixtures/generic-events';
import { freePort, startMosquitto, stopProcessAndWait } from '../support/services';
import { createTestDatabase, eventually } from '../support/test-app';
import { WorkerProcess, type WorkerIdentity } from '../support/worker-process';
import { execFileSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { ROOT } from '../support/services';

/**
 * The fault suite (`npm run test:faults`, also part of `npm test`): infrastructure fails mid-stream and
 * every event still ends up stored exactly once — offered = stored, duplicated 0, lost 0.
 */
const tag = () => randomBytes(4).toString('hex');
const count = async (db: Client, prefix: string) =>
  Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE source_event_id LIKE $1`, [`${prefix}%`])).rows[0].n);

async function exactlyOnce(db: Client, prefix: string, offered: number): Promise<void> {
  await eventually(`all ${offered} ${prefix} events stored`, async () => ((await count(db, prefix)) === offered ? true : undefined), 120_000).catch(
    async (err: Error) => {
      throw new Error(`${err.message}; stored ${await count(db, prefix)} of ${offered}`);
    },
  );
  // Redeliveries still in flight would show up now; the unique index would refuse a second copy anyway,
  // so also check each occurrence was counted once on the case.
  await new Promise((r) => setTimeout(r, 1500));
  expect(await count(db, prefix)).toBe(offered);
  const occurrences = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM case_occurrences o JOIN events e ON e.id = o.event_id WHERE e.source_event_id LIKE $1`,
    [`${prefix}%`],
  );
  expect(Number(occurrences.rows[0].n)).toBe(offered);
  expect(Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM dead_letters`)).rows[0].n)).toBe(0);
}

describe('faults mid-stream', () => {
  it('Mosquitto restarted mid-stream: the persistent sessions and their backlog survive, every event stored once', async () => {
    const t = tag();
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'cp-fault-mosquitto-'));
    let broker = await startMosquitto(`fault-${t}`, port, dir);
    const identity: WorkerIdentity = {
      databaseUrl: await createTestDatabase(),
      mqttUrl: broker.url,
      mqttClientId: `cp-fault-worker-${t}`,
      mqttShareGroup: '', // the default plain subscription: it survives a broker restart
      kafkaGroupId: `cp-fault-${t}`,
      kafkaTopicPrefix: `fault${t}.`,
      env: { DEVICE_EVENTS_PER_SECOND: '0' },
    };
    const worker = await WorkerProcess.start(identity);
    const db = new Client({ connectionString: identity.databaseUrl });
    await db.connect();
    // The publisher keeps its own session too, so what was in flight at the restart is sent again.
    const publisher = await connectAsync(broker.url, {
      clientId: `cp-fault-pub-${t}`,
      clean: false,
      reconnectPeriod: 300,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 600 },
    });
    try {
      const offered = 6000;
      const ids = eventIds(`mq-${t}-`, offered);
      const stream = publishMqttStream(
        publisher,
        GENERIC_MQTT_TOPIC,
        ids.map((id) => genericEvent(id)),
        { perSecond: 1500, window: 200 },
      );
      await eventually('a third stored', async () => ((await count(db, `mq-${t}-`)) >= offered / 3 ? true : undefined), 60_000);
      await stopProcessAndWait(broker.pid); // SIGTERM: Mosquitto writes its persistence file and exits
      await new Promise((r) => setTimeout(r, 2000));
      broker = await startMosquitto(`fault-${t}`, port, dir);
      await stream.done;
      await exactlyOnce(db, `mq-${t}-`, offered);
    } finally {
      publisher.end(true);
      await db.end();
      await worker.stop();
      await stopProcessAndWait(broker.pid);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('PostgreSQL stopped for 30 s mid-stream: nothing is acknowledged while it is down, and every event is stored once after', async () => {
    const t = tag();
    const dataDir = mkdtempSync(join(tmpdir(), 'cp-fault-pg-'));
    chmodSync(dataDir, 0o755); // as root, the server runs as `postgres`
    const pgPort = await freePort();
    const startDb = () => startEmbeddedPostgres({ dataDir, port: pgPort, log: () => undefined });
    let database: EmbeddedDatabase = await startDb();
    const broker = await startMosquitto(`fault-pg-${t}`);
    const identity: WorkerIdentity = {
      databaseUrl: database.url,
      mqttUrl: broker.url,
      mqttClientId: `cp-fault-pg-worker-${t}`,
      mqttShareGroup: `faultpg${t}`,
      kafkaGroupId: `cp-fault-pg-${t}`,
      kafkaTopicPrefix: `faultpg${t}.`,
      env: { DEVICE_EVENTS_PER_SECOND: '0' },
    };
    const worker = await WorkerProcess.start(identity);
    const publisher = await connectAsync(broker.url, { clientId: `cp-fault-pg-pub-${t}`, clean: false, reconnectPeriod: 300, protocolVersion: 5 });
    const db = () => {
      const c = new Client({ connectionString: database.url });
      return c.connect().then(() => c);
    };
    try {
      const first = eventIds(`pg-${t}-a-`, 1000);
      await publishMqttStream(
        publisher,
        GENERIC_MQTT_TOPIC,
        first.map((id) => genericEvent(id)),
      ).done;
      let c = await db();
      await eventually('the first 1,000 stored', async () => ((await count(c, `pg-${t}-a-`)) === 1000 ? true : undefined), 60_000);
      await c.end();

      await database.stop();
      // Published while the database is down: the broker holds them, the worker must not acknowledge any.
      const second = eventIds(`pg-${t}-b-`, 2000);
      await publishMqttStream(
        publisher,
        GENERIC_MQTT_TOPIC,
        second.map((id) => genericEvent(id)),
        { perSecond: 200 },
      ).done;
      await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - 10_000)));
      expect(worker.running).toBe(true); // the outage did not crash it
      database = await startDb();

      c = await db();
      await exactlyOnce(c, `pg-${t}-`, 3000);
      await c.end();
    } finally {
      publisher.end(true);
      await worker.stop();
      await stopProcessAndWait(broker.pid);
      await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);

  it('the Kafka broker restarted mid-stream: offsets and records survive, every event stored once', async () => {
    const t = tag();
    const [port, controllerPort] = [await freePort(), await freePort()];
    const dataDir = join(tmpdir(), `cp-fault-kafka-${t}`);
    const kafkaEnv = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort), KAFKA_DATA_DIR: dataDir };
    const kafkaSh = (cmd: string, extra: Record<string, string> = {}) =>
      execFileSync('bash', [join(ROOT, 'scripts/kafka/kafka.sh'), cmd], { env: { ...kafkaEnv, ...extra }, stdio: 'ignore' });
    kafkaSh('start');
    const broker = await startMosquitto(`fault-kafka-${t}`);
    const identity: WorkerIdentity = {
      databaseUrl: await createTestDatabase(),
      mqttUrl: broker.url,
      mqttClientId: `cp-fault-k-worker-${t}`,
      mqttShareGroup: '',
      kafkaGroupId: `cp-fault-k-${t}`,
      kafkaTopicPrefix: `faultk${t}.`,
      env: { DEVICE_EVENTS_PER_SECOND: '0', KAFKA_BROKERS: `127.0.0.1:${port}` },
    };
    const worker = await WorkerProcess.start(identity, 120_000);
    const db = new Client({ connectionString: identity.databaseUrl });
    await db.connect();
    const producer = new Kafka({ clientId: 'fault-producer', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } }).producer();
    try {
      await producer.connect();
      const offered = 6000;
      const ids = eventIds(`kf-${t}-`, offered);
      const topic = `${identity.kafkaTopicPrefix}cloudpatrol.events.v1`;
      // A producer that keeps trying through the outage (a resend after a lost ack is a duplicate the
      // unique key absorbs).
      const send = async (slice: string[]) => {
        for (let attempt = 0; ; attempt++) {
          try {
            await producer.send({ topic, acks: -1, messages: slice.map((id) => ({ key: 'DEMO-CAM-01', value: genericEvent(id) })) });
            return;
          } catch (err) {
            if (attempt > 60) throw err;
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
      };
      let restarted = false;
      for (let i = 0; i < offered; i += 500) {
        await send(ids.slice(i, i + 500));
        if (!restarted && i >= 2000) {
          await eventually('some stored', async () => ((await count(db, `kf-${t}-`)) >= 1000 ? true : undefined), 60_000);
          kafkaSh('stop');
          await new Promise((r) => setTimeout(r, 2000));
          kafkaSh('start', { KAFKA_KEEP_DATA: '1' });
          restarted = true;
        }
      }
      await exactlyOnce(db, `kf-${t}-`, offered);
    } finally {
      await producer.disconnect().catch(() => undefined);
      await db.end();
      await worker.stop();
      await stopProcessAndWait(broker.pid);
      kafkaSh('stop');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
