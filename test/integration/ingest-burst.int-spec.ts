import { Kafka, logLevel, Producer } from 'kafkajs';
import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { deleteKafkaTopics } from '../fixtures/kafka-topics';
import { PrivateMosquitto, startPrivateMosquitto } from '../fixtures/private-mosquitto';
import { freePort, readServices } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 22: a fire is exactly when many smoke detections arrive at once, and exactly when the centre must
 * not go blind. 300 smoke detections of one camera in one burst (every one inhibits minor issues in the same
 * grid, all in one batch) once wedged all ingestion: 0 stored, and nothing behind them either. Every count is
 * exact: published, acknowledged by the broker, stored, dead-lettered; and a detection of another device
 * published after the burst is stored.
 */

const BURST = 300;
const FEED = 20_000;
const BURST_START = Date.parse('2026-11-28T14:00:00+08:00');

function smoke(deviceId: string, n: number): string {
  return JSON.stringify({
    eventId: `smoke-${n}`,
    deviceId,
    occurredAt: new Date(BURST_START + n * 50).toISOString(),
    location: { lat: 23.105, lng: 113.255 },
    detections: [{ label: 'smoke', confidence: 0.93 }],
  });
}

function garbage(deviceId: string, eventId: string): string {
  return JSON.stringify({
    eventId,
    deviceId,
    occurredAt: new Date(BURST_START + 60_000).toISOString(),
    location: { lat: 23.1252, lng: 113.256 },
    detections: [{ label: 'garbage', confidence: 0.9 }],
  });
}

interface Accounting {
  published: number;
  acknowledged: number;
  stored: number;
  deadLettered: number;
}

async function storedCounts(db: Client, deviceId: string, prefix: string): Promise<{ stored: number; deadLettered: number }> {
  const { rows } = await db.query<{ stored: number; dead: number }>(
    `SELECT (SELECT count(*)::int FROM events WHERE device_id = $1 AND source_event_id LIKE $2) AS stored,
            (SELECT count(*)::int FROM dead_letters) AS dead`,
    [deviceId, `${prefix}%`],
  );
  return { stored: rows[0].stored, deadLettered: rows[0].dead };
}

/** Publishes the burst QoS 1 all at once and counts the broker's PUBACKs. */
async function publishBurst(client: MqttClient, deviceId: string): Promise<number> {
  let acknowledged = 0;
  await Promise.all(
    Array.from({ length: BURST }, (_, n) =>
      client.publishAsync(`cloudpatrol/v1/devices/${deviceId}/events`, smoke(deviceId, n), { qos: 1 }).then(() => {
        acknowledged++;
      }),
    ),
  );
  return acknowledged;
}

async function expectBurstStoredAndStreamMoving(app: TestApp, db: Client, camera: MqttClient, other: MqttClient, label: string): Promise<void> {
  const acknowledged = await publishBurst(camera, 'DEMO-CAM-01');
  // Published after the burst by another camera: it must not wait behind a wedged batch.
  await other.publishAsync('cloudpatrol/v1/devices/CAM-MARKET-01/events', garbage('CAM-MARKET-01', 'after-the-burst'), { qos: 1 });
  let seen = '';
  const counts = await eventually(
    'the whole burst and the later event stored',
    async () => {
      const burst = await storedCounts(db, 'DEMO-CAM-01', 'smoke-');
      const after = await storedCounts(db, 'CAM-MARKET-01', 'after-the-burst');
      seen = `burst ${JSON.stringify(burst)}, later event ${after.stored}`;
      return burst.stored === BURST && after.stored === 1 ? burst : undefined;
    },
    30_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${seen}`);
  });
  const accounting: Accounting = { published: BURST, acknowledged, stored: counts.stored, deadLettered: counts.deadLettered };
  process.stdout.write(`[issue 22] ${label}: smoke burst ${JSON.stringify(accounting)}, later event from CAM-MARKET-01 stored\n`);
  expect(accounting).toEqual({ published: BURST, acknowledged: BURST, stored: BURST, deadLettered: 0 });

  // One fire case holding every detection, and the grid's inhibitor stored once.
  const cases = await db.query<{ occurrences: number; trail: number }>(
    `SELECT c.occurrence_count AS occurrences, (SELECT count(*)::int FROM case_occurrences o WHERE o.case_id = c.id) AS trail
       FROM cases c WHERE c.category_code = 'fire-smoke' AND c.device_id = 'DEMO-CAM-01'`,
  );
  expect(cases.rows).toEqual([{ occurrences: BURST, trail: BURST }]);
  // One row for the burst's one stretch, however many batches carried it (each batch reads what is in force).
  const inhibitors = await db.query<{ sources: number; rows: number; from: Date }>(
    `SELECT count(DISTINCT source_identity_key)::int AS sources, count(*)::int AS rows, min(from_at) AS from
       FROM inhibitors WHERE inhibition_id = 'fire-mutes-minor-in-grid'`,
  );
  expect(inhibitors.rows).toEqual([{ sources: 1, rows: 1, from: new Date(BURST_START) }]);

  // Nothing failed on the way, and /health says ingest is moving.
  const metrics = (await request(app.url).get('/metrics').expect(200)).text;
  expect(metrics).not.toMatch(/^cloudpatrol_ingest_batch_failures_total\{[^}]*\} [1-9]/m);
  const health = (await request(app.url).get('/health').expect(200)).body as { checks: Record<string, { status: string }> };
  expect(health.checks.ingest).toEqual({ status: 'up' });
}

describe('a burst of smoke detections never wedges ingestion', () => {
  describe('through Mosquitto', () => {
    let broker: PrivateMosquitto;
    let app: TestApp;
    let db: Client;
    let camera: MqttClient;
    let other: MqttClient;

    beforeAll(async () => {
      broker = await startPrivateMosquitto();
      app = await startTestApp({ env: { MQTT_URL: broker.url } });
      db = new Client({ connectionString: app.databaseUrl });
      await db.connect();
      camera = await connectAsync(broker.url, { protocolVersion: 5 });
      other = await connectAsync(broker.url, { protocolVersion: 5 });
    });

    afterAll(async () => {
      await camera?.endAsync();
      await other?.endAsync();
      await db?.end();
      await app?.stop();
      await broker?.stop();
    });

    it('stores all 300 smoke detections as one fire case, and the event published after them', async () => {
      await expectBurstStoredAndStreamMoving(app, db, camera, other, 'Mosquitto');
    });
  });

  describe('through the embedded broker of the one-command start', () => {
    let app: TestApp;
    let db: Client;
    let camera: MqttClient;
    let other: MqttClient;

    beforeAll(async () => {
      const port = await freePort();
      app = await startTestApp({ env: { MQTT_URL: '', EMBEDDED_MQTT_PORT: String(port) } });
      db = new Client({ connectionString: app.databaseUrl });
      await db.connect();
      const url = `mqtt://127.0.0.1:${port}`;
      camera = await connectAsync(url, { protocolVersion: 4, username: 'DEMO-CAM-01', password: 'cloudpatrol-demo', clientId: 'DEMO-CAM-01' });
      other = await connectAsync(url, { protocolVersion: 4, username: 'CAM-MARKET-01', password: 'cloudpatrol-demo', clientId: 'CAM-MARKET-01' });
    });

    afterAll(async () => {
      await camera?.endAsync();
      await other?.endAsync();
      await db?.end();
      await app?.stop();
    });

    it('stores all 300 smoke detections as one fire case, and the event published after them', async () => {
      await expectBurstStoredAndStreamMoving(app, db, camera, other, 'embedded broker');
    });
  });

  describe('a 20,000-record fire feed on Kafka', () => {
    let app: TestApp;
    let db: Client;
    let producer: Producer;
    let broker: PrivateMosquitto;
    let other: MqttClient;

    beforeAll(async () => {
      broker = await startPrivateMosquitto();
      app = await startTestApp({ kafka: true, env: { MQTT_URL: broker.url } });
      db = new Client({ connectionString: app.databaseUrl });
      await db.connect();
      producer = new Kafka({ clientId: 'ingest-burst-test', brokers: readServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).producer();
      await producer.connect();
      other = await connectAsync(broker.url, { protocolVersion: 5 });
    });

    afterAll(async () => {
      await other?.endAsync();
      await producer?.disconnect();
      await db?.end();
      await app?.stop();
      await broker?.stop();
      if (app) await deleteKafkaTopics(app.kafkaTopicPrefix);
    });

    it('stores every smoke alarm spread over the district, then an event from another device within seconds', async () => {
      // Positions on a coarse lattice over the district: many alarms share a grid cell (and so an inhibitor) in every batch.
      const records = Array.from({ length: FEED }, (_, n) => ({
        key: `FA-${n}`,
        value: JSON.stringify({
          schemaVersion: 1,
          recordId: `FA-burst-${n}`,
          platform: 'FIRE-PLATFORM',
          deviceId: `SD-${n % 97}`,
          reportedAt: new Date(BURST_START + n * 50 + 2000).toISOString(),
          occurredAt: new Date(BURST_START + n * 50).toISOString(),
          location: { lat: 23.045 + ((n * 7) % 23) * 0.005, lng: 113.24 + ((n * 11) % 23) * 0.005 },
          type: 'smoke_alarm',
          severity: 'high',
        }),
      }));
      const topic = `${app.kafkaTopicPrefix}monitoring.fire.v1`;
      let acknowledged = 0;
      let progressLine = '';
      const started = Date.now();
      const ticker = setInterval(() => process.stdout.write(`[issue 22] feed after ${Math.round((Date.now() - started) / 1000)} s: ${progressLine}\n`), 10_000);
      for (let i = 0; i < records.length; i += 1000) {
        const chunk = records.slice(i, i + 1000);
        await producer.send({ topic, messages: chunk, acks: -1 });
        acknowledged += chunk.length;
      }
      const counts = await eventually(
        'every fire record stored',
        async () => {
          const c = await storedCounts(db, 'FIRE-PLATFORM', 'FIRE-PLATFORM:FA-burst-');
          progressLine = JSON.stringify(c);
          return c.stored + c.deadLettered >= FEED ? c : undefined;
        },
        180_000,
      ).finally(() => clearInterval(ticker));
      await other.publishAsync('cloudpatrol/v1/devices/CAM-MARKET-01/events', garbage('CAM-MARKET-01', 'after-the-feed'), { qos: 1 });
      await eventually(
        'the event published after the feed stored',
        async () => ((await storedCounts(db, 'CAM-MARKET-01', 'after-the-feed')).stored === 1 ? true : undefined),
        10_000,
      );
      const accounting: Accounting = { published: FEED, acknowledged, stored: counts.stored, deadLettered: counts.deadLettered };
      process.stdout.write(`[issue 22] Kafka monitoring.fire.v1: ${JSON.stringify(accounting)}, later MQTT event stored\n`);
      expect(accounting).toEqual({ published: FEED, acknowledged: FEED, stored: FEED, deadLettered: 0 });
      const metrics = (await request(app.url).get('/metrics').expect(200)).text;
      expect(metrics).not.toMatch(/^cloudpatrol_ingest_batch_failures_total\{[^}]*\} [1-9]/m);
    }, 240_000);
  });
});
