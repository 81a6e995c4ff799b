import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { freePort, readServices, ROOT, startMosquitto, stopProcessAndWait } from './services';
import { createTestDatabase, eventually } from './test-app';
import { WorkerProcess, type WorkerIdentity } from './worker-process';

/**
 * The rig of the scale-out fault tests (test/faults/kafka-scale-out.fault-spec.ts): its own Mosquitto (to restart),
 * the run's Kafka under a topic prefix of its own, a fresh database, the demo district with more cameras, and
 * counters for every place an event can be: published, acknowledged by Mosquitto, on Kafka, stored.
 */
export const CAMERAS = 24;
/** A worker that stops heartbeating loses its partitions after this long (the product default is 30 s). */
export const SESSION_TIMEOUT_MS = 10_000;
export const PARTITIONS = 12;

export const tag = () => randomBytes(4).toString('hex');
export const cameraId = (i: number) => `SCALE-CAM-${String(i).padStart(2, '0')}`;

/** The demo district with CAMERAS more cameras, so the stream has enough device keys to spread over partitions. */
export function districtWithCameras(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cp-scale-config-'));
  cpSync(join(ROOT, 'config/demo'), dir, { recursive: true });
  const cameras = Array.from(
    { length: CAMERAS },
    (_, i) => `  - id: ${cameraId(i)}
    kind: camera
    name: Scale-out test camera ${i}
    ownerDepartment: city-management
    location: { lat: 23.105, lng: 113.255 }
    review: { legalReviewPassed: true, technicalReviewPassed: true, reviewedOn: '2026-01-15', locationPublished: true }
`,
  ).join('');
  const file = join(dir, 'devices.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/\n?$/, '\n') + cameras);
  return dir;
}

export interface Message {
  topic: string;
  payload: string;
}

/** `count` generic events, round-robin over the test cameras; event ids `${prefix}<n>`. */
export function stream(prefix: string, count: number): Message[] {
  return Array.from({ length: count }, (_, i) => {
    const device = cameraId(i % CAMERAS);
    return {
      topic: `cloudpatrol/v1/devices/${device}/events`,
      payload: JSON.stringify({
        eventId: `${prefix}${i}`,
        deviceId: device,
        occurredAt: new Date(Date.parse('2026-11-28T02:00:00Z') + Math.floor(i / CAMERAS) * 1000).toISOString(),
        detections: [{ label: 'garbage', confidence: 0.91 }],
      }),
    };
  });
}

/** Publishes QoS 1, `window` at a time, at most `perSecond`; `acked` counts Mosquitto's PUBACKs. */
export function publish(client: MqttClient, messages: Message[], options: { perSecond?: number; window?: number } = {}) {
  const progress = { acked: 0, done: Promise.resolve() };
  const window = options.window ?? 500;
  progress.done = (async () => {
    const started = Date.now();
    for (let i = 0; i < messages.length; i += window) {
      const slice = messages.slice(i, i + window);
      await Promise.all(slice.map((m) => client.publishAsync(m.topic, m.payload, { qos: 1 }).then(() => progress.acked++)));
      if (options.perSecond) {
        const due = started + ((i + slice.length) / options.perSecond) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
    }
  })();
  return progress;
}

export interface Rig {
  t: string;
  configDir: string;
  mosquitto: { url: string; pid: number; dir: string; port: number };
  databaseUrl: string;
  db: Client;
  admin: Admin;
  topic: string;
  base: Omit<WorkerIdentity, 'mqttClientId'>;
  publisher: MqttClient;
  processes: WorkerProcess[];
}

export async function rig(): Promise<Rig> {
  const t = tag();
  const configDir = districtWithCameras();
  const port = await freePort();
  const mosquittoDir = mkdtempSync(join(tmpdir(), 'cp-scale-mosquitto-'));
  const mosquitto = await startMosquitto(`scale-${t}`, port, mosquittoDir);
  const databaseUrl = await createTestDatabase();
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const admin = new Kafka({ clientId: 'scale-test', brokers: readServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const prefix = `scale${t}.`;
  const base: Omit<WorkerIdentity, 'mqttClientId'> = {
    databaseUrl,
    mqttUrl: mosquitto.url,
    mqttShareGroup: '', // the gateway's plain subscription: Mosquitto keeps it (and its queue) across a restart
    kafkaGroupId: `cp-scale-${t}`,
    kafkaTopicPrefix: prefix,
    env: {
      CONFIG_DIR: configDir,
      DEVICE_EVENTS_PER_SECOND: '0',
      INGEST_VIA_KAFKA: 'true',
      KAFKA_INGEST_PARTITIONS: String(PARTITIONS),
      KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    },
  };
  // The publisher keeps its session, so what was in flight at a broker restart is sent again.
  const publisher = await connectAsync(mosquitto.url, {
    clientId: `cp-scale-pub-${t}`,
    clean: false,
    reconnectPeriod: 300,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 600 },
  });
  return { t, configDir, mosquitto, databaseUrl, db, admin, topic: `${prefix}cloudpatrol.ingest.v1`, base, publisher, processes: [] };
}

export async function startApp(r: Rig, app: 'gateway' | 'worker', name: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const p = await WorkerProcess.start({ ...r.base, app, mqttClientId: `cp-scale-${name}-${r.t}`, env: { ...r.base.env, ...env } }, 120_000);
  r.processes.push(p);
  return p;
}

export async function teardown(r: Rig): Promise<void> {
  r.publisher.end(true);
  for (const p of r.processes) await p.stop();
  await r.db.end();
  await r.admin.disconnect();
  await stopProcessAndWait(r.mosquitto.pid);
  rmSync(r.mosquitto.dir, { recursive: true, force: true });
  rmSync(r.configDir, { recursive: true, force: true });
}

export const stored = async (r: Rig, prefix: string) =>
  Number((await r.db.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE source_event_id LIKE $1`, [`${prefix}%`])).rows[0].n);

/** Records on the ingest topic (an idempotent producer writes no transaction markers: one offset, one record). */
export async function onKafka(r: Rig): Promise<number> {
  const offsets = await r.admin.fetchTopicOffsets(r.topic);
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

/** A worker's count from its /metrics (summed over labels). */
export async function metric(p: WorkerProcess, name: string): Promise<number> {
  const text = await p.metrics();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/**
 * Waits until all `offered` events are stored, then checks: each exactly once, no dead letters, no event counted
 * twice on a case. Returns the final counts, printed by the caller.
 */
export async function exactlyOnce(r: Rig, prefix: string, offered: number) {
  await eventually(`all ${offered} events stored`, async () => ((await stored(r, prefix)) === offered ? true : undefined), 180_000).catch(
    async (err: Error) => {
      throw new Error(`${err.message}; stored ${await stored(r, prefix)} of ${offered}, ${await onKafka(r)} records on Kafka`);
    },
  );
  // Redeliveries still in flight would show now; the unique key would refuse a second copy anyway.
  await new Promise((res) => setTimeout(res, 1500));
  const final = await stored(r, prefix);
  expect(final).toBe(offered);
  const distinct = Number(
    (await r.db.query<{ n: string }>(`SELECT count(DISTINCT source_event_id) AS n FROM events WHERE source_event_id LIKE $1`, [`${prefix}%`])).rows[0].n,
  );
  expect(distinct).toBe(offered);
  const twice = await r.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM (SELECT o.event_id FROM case_occurrences o JOIN events e ON e.id = o.event_id
      WHERE e.source_event_id LIKE $1 GROUP BY o.event_id HAVING count(*) > 1) x`,
    [`${prefix}%`],
  );
  expect(Number(twice.rows[0].n)).toBe(0);
  const deadLetters = Number((await r.db.query<{ n: string }>(`SELECT count(*) AS n FROM dead_letters`)).rows[0].n);
  expect(deadLetters).toBe(0);
  const records = await onKafka(r);
  expect(records).toBeGreaterThanOrEqual(offered);
  return { stored: final, recordsOnKafka: records, producedTwice: records - offered, deadLetters };
}

export function print(title: string, counts: Record<string, unknown>): void {
  process.stdout.write(
    `\n[scale-out] ${title}\n${Object.entries(counts)
      .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
      .join('\n')}\n`,
  );
}
