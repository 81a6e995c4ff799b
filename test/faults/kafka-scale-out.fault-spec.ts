import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { freePort, readServices, ROOT, startMosquitto, stopProcessAndWait } from '../support/services';
import { createTestDatabase, eventually } from '../support/test-app';
import { WorkerProcess, type WorkerIdentity } from '../support/worker-process';

/**
 * Scale-out on Kafka (issue 19), against the real Mosquitto, Kafka and PostgreSQL: an MQTT gateway puts every
 * device message on `cloudpatrol.ingest.v1` before its PUBACK and the workers share that topic as one consumer
 * group. Each test counts every event: sent, acknowledged by Mosquitto, records on Kafka, stored — and prints them.
 * A record produced twice (a gateway killed between Kafka's ack and its PUBACK) or processed twice (a worker
 * killed before its offset commit) is absorbed by the events' unique key; the counts show how many there were.
 */
const CAMERAS = 24;
/** A worker that stops heartbeating loses its partitions after this long (the product default is 30 s). */
const SESSION_TIMEOUT_MS = 10_000;
const PARTITIONS = 12;

const tag = () => randomBytes(4).toString('hex');
const cameraId = (i: number) => `SCALE-CAM-${String(i).padStart(2, '0')}`;

/** The demo district with CAMERAS more cameras, so the stream has enough device keys to spread over partitions. */
function districtWithCameras(): string {
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

interface Message {
  topic: string;
  payload: string;
}

/** `count` generic events, round-robin over the test cameras; event ids `${prefix}<n>`. */
function stream(prefix: string, count: number): Message[] {
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
function publish(client: MqttClient, messages: Message[], options: { perSecond?: number; window?: number } = {}) {
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

interface Rig {
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

async function rig(): Promise<Rig> {
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

async function startApp(r: Rig, app: 'gateway' | 'worker', name: string): Promise<WorkerProcess> {
  const p = await WorkerProcess.start({ ...r.base, app, mqttClientId: `cp-scale-${name}-${r.t}` }, 120_000);
  r.processes.push(p);
  return p;
}

async function teardown(r: Rig): Promise<void> {
  r.publisher.end(true);
  for (const p of r.processes) await p.stop();
  await r.db.end();
  await r.admin.disconnect();
  await stopProcessAndWait(r.mosquitto.pid);
  rmSync(r.mosquitto.dir, { recursive: true, force: true });
  rmSync(r.configDir, { recursive: true, force: true });
}

const stored = async (r: Rig, prefix: string) =>
  Number((await r.db.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE source_event_id LIKE $1`, [`${prefix}%`])).rows[0].n);

/** Records on the ingest topic (an idempotent producer writes no transaction markers: one offset, one record). */
async function onKafka(r: Rig): Promise<number> {
  const offsets = await r.admin.fetchTopicOffsets(r.topic);
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

/** A worker's count from its /metrics (summed over labels). */
async function metric(p: WorkerProcess, name: string): Promise<number> {
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
async function exactlyOnce(r: Rig, prefix: string, offered: number) {
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

function print(title: string, counts: Record<string, unknown>): void {
  process.stdout.write(
    `\n[scale-out] ${title}\n${Object.entries(counts)
      .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
      .join('\n')}\n`,
  );
}

describe('scale-out on Kafka: MQTT gateway → cloudpatrol.ingest.v1 → workers as one consumer group', () => {
  it('two workers split a 20,000-event stream: each stores a share, every event stored once', async () => {
    const r = await rig();
    try {
      await startApp(r, 'gateway', 'gw');
      const workers = [await startApp(r, 'worker', 'w1'), await startApp(r, 'worker', 'w2')];
      const offered = 20_000;
      const prefix = `split-${r.t}-`;
      const started = Date.now();
      const sent = publish(r.publisher, stream(prefix, offered));
      await sent.done;
      const counts = await exactlyOnce(r, prefix, offered);
      const seconds = (Date.now() - started) / 1000;
      const shares = await Promise.all(workers.map((w) => metric(w, 'cloudpatrol_events_stored_total')));
      const redelivered = await Promise.all(workers.map((w) => metric(w, 'cloudpatrol_events_duplicate_total')));
      print('two workers split 20,000 events', {
        sent: offered,
        ackedByMosquitto: sent.acked,
        ...counts,
        storedByWorker: shares,
        duplicatesAbsorbedByWorker: redelivered,
        eventsPerSecondEndToEnd: Math.round(offered / seconds),
      });
      expect(sent.acked).toBe(offered);
      // Each worker did a real share of the work, and together exactly the stream.
      for (const share of shares) expect(share).toBeGreaterThan(offered / 10);
      expect(shares[0] + shares[1]).toBe(offered);
    } finally {
      await teardown(r);
    }
  }, 420_000);

  it('one of two workers killed with SIGKILL mid-stream: its partitions move to the other, nothing lost or duplicated', async () => {
    const r = await rig();
    try {
      await startApp(r, 'gateway', 'gw');
      const survivor = await startApp(r, 'worker', 'w1');
      const victim = await startApp(r, 'worker', 'w2');
      await eventually(
        'both workers in the group',
        async () => {
          const [g] = (await r.admin.describeGroups([r.base.kafkaGroupId])).groups;
          return g.state === 'Stable' && g.members.length === 2 ? true : undefined;
        },
        60_000,
      );
      const offered = 20_000;
      const prefix = `kill-${r.t}-`;
      const sent = publish(r.publisher, stream(prefix, offered), { perSecond: 2000 });
      await eventually('a third stored', async () => ((await stored(r, prefix)) >= offered / 3 ? true : undefined), 120_000);
      const victimShare = await metric(victim, 'cloudpatrol_events_stored_total');
      const atKill = await stored(r, prefix);
      const killedAt = Date.now();
      await victim.kill();
      // Takeover: the group is down to the survivor and has settled (it holds every partition).
      await eventually(
        'the survivor holds every partition',
        async () => {
          const [g] = (await r.admin.describeGroups([r.base.kafkaGroupId])).groups;
          return g.state === 'Stable' && g.members.length === 1 ? true : undefined;
        },
        SESSION_TIMEOUT_MS + 60_000,
      );
      const takeoverMs = Date.now() - killedAt;
      await sent.done;
      const counts = await exactlyOnce(r, prefix, offered);
      const allStoredMs = Date.now() - killedAt;
      const survivorDuplicates = await metric(survivor, 'cloudpatrol_events_duplicate_total');
      print('a worker killed mid-stream', {
        sent: offered,
        ackedByMosquitto: sent.acked,
        ...counts,
        storedWhenKilled: atKill,
        storedByVictimBeforeKill: victimShare,
        storedBySurvivor: await metric(survivor, 'cloudpatrol_events_stored_total'),
        reprocessedBySurvivorAbsorbed: survivorDuplicates,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        takeoverMs,
        killToAllStoredMs: allStoredMs,
      });
      expect(victimShare).toBeGreaterThan(0);
      // The partitions moved once the session ran out, not at some later time.
      expect(takeoverMs).toBeLessThan(SESSION_TIMEOUT_MS + 15_000);
    } finally {
      await teardown(r);
    }
  }, 420_000);

  it('the gateway killed with SIGKILL mid-stream and started again: nothing lost, a re-produced record is stored once', async () => {
    const r = await rig();
    try {
      let gateway = await startApp(r, 'gateway', 'gw');
      await startApp(r, 'worker', 'w1');
      const offered = 10_000;
      const prefix = `gw-${r.t}-`;
      const sent = publish(r.publisher, stream(prefix, offered), { perSecond: 2000 });
      await eventually('a third on Kafka', async () => ((await onKafka(r)) >= offered / 3 ? true : undefined), 120_000);
      await gateway.kill();
      const killedAt = Date.now();
      gateway = await startApp(r, 'gateway', 'gw'); // the same client id: Mosquitto kept its session and queue
      const restartMs = Date.now() - killedAt;
      await sent.done;
      const counts = await exactlyOnce(r, prefix, offered);
      print('the gateway killed and restarted', { sent: offered, ackedByMosquitto: sent.acked, ...counts, gatewayRestartMs: restartMs });
      expect(sent.acked).toBe(offered);
    } finally {
      await teardown(r);
    }
  }, 420_000);

  it('Mosquitto restarted mid-stream: the gateway resumes its session and nothing is lost', async () => {
    const r = await rig();
    try {
      await startApp(r, 'gateway', 'gw');
      await startApp(r, 'worker', 'w1');
      const offered = 10_000;
      const prefix = `mq-${r.t}-`;
      const sent = publish(r.publisher, stream(prefix, offered), { perSecond: 2000, window: 200 });
      await eventually('a third stored', async () => ((await stored(r, prefix)) >= offered / 3 ? true : undefined), 120_000);
      await stopProcessAndWait(r.mosquitto.pid); // SIGTERM: Mosquitto writes its persistence file and exits
      await new Promise((res) => setTimeout(res, 2000));
      r.mosquitto = await startMosquitto(`scale-${r.t}`, r.mosquitto.port, r.mosquitto.dir);
      await sent.done;
      const counts = await exactlyOnce(r, prefix, offered);
      print('Mosquitto restarted mid-stream', { sent: offered, ackedByMosquitto: sent.acked, ...counts });
    } finally {
      await teardown(r);
    }
  }, 420_000);
});
