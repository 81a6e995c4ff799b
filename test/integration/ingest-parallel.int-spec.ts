import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import { hikAlert } from '../fixtures/payloads/hikvision-isapi.fixtures';
import { PrivateMosquitto, startPrivateMosquitto } from '../fixtures/private-mosquitto';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 23: 300–400 Hikvision pushes with 30–50 in parallel once hung the whole process for good (every
 * pool connection "idle in transaction", /health and login hanging, MQTT events not stored). Now: every
 * alarm answered and stored once, /health answering throughout, and an MQTT event published meanwhile stored.
 */

const PUSHES = 400;
const PARALLEL = 50;
const basic = `Basic ${Buffer.from('HIK-GATE-01:cloudpatrol-demo').toString('base64')}`;
const start = Date.parse('2026-11-28T09:00:00+08:00');

/** One distinct AID alarm per second of source time, on HIK-GATE-01 (alias 44:19:b6:00:00:01:ch1). */
function alarm(n: number): string {
  const at = new Date(start + n * 1000 + 8 * 3600_000).toISOString().replace('Z', '+08:00').replace('.000', '');
  return hikAlert(
    { macAddress: '44:19:b6:00:00:01', channelID: '1', dateTime: at },
    '  <AID><illegalTrafficEvent>abandonedObject</illegalTrafficEvent></AID>\n',
  );
}

describe('parallel HTTP pushes', () => {
  let broker: PrivateMosquitto;
  let app: TestApp;
  let db: Client;
  let device: MqttClient;

  beforeAll(async () => {
    broker = await startPrivateMosquitto();
    app = await startTestApp({ env: { MQTT_URL: broker.url } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    device = await connectAsync(broker.url, { protocolVersion: 5 });
  });

  afterAll(async () => {
    await device?.endAsync();
    await db?.end();
    await app?.stop();
    await broker?.stop();
  });

  it(`stores ${PUSHES} Hikvision alarms pushed ${PARALLEL} at a time, each once, with /health answering throughout`, async () => {
    const answers: { status: number; body: string }[] = [];
    let next = 0;
    const pusher = async () => {
      while (next < PUSHES) {
        const n = next++;
        const res = await fetch(`${app.url}/api/v1/ingest/hikvision`, {
          method: 'POST',
          headers: { Authorization: basic, 'Content-Type': 'application/xml' },
          body: alarm(n),
          signal: AbortSignal.timeout(30_000),
        });
        answers[n] = { status: res.status, body: await res.text() };
      }
    };

    const health: { status: number; ms: number; body: string }[] = [];
    let pushing = true;
    const prober = (async () => {
      while (pushing) {
        const t = Date.now();
        const res = await fetch(`${app.url}/health`, { signal: AbortSignal.timeout(10_000) });
        health.push({ status: res.status, ms: Date.now() - t, body: await res.text() });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const pushers = Array.from({ length: PARALLEL }, pusher);
    // Published while the pushes run: MQTT ingest shares the pool and must not wait behind them.
    await device.publishAsync(
      'cloudpatrol/v1/devices/DEMO-CAM-01/events',
      JSON.stringify({
        eventId: 'during-the-pushes',
        deviceId: 'DEMO-CAM-01',
        occurredAt: '2026-11-28T10:00:00+08:00',
        detections: [{ label: 'garbage', confidence: 0.9 }],
      }),
      { qos: 1 },
    );
    await Promise.all(pushers);
    pushing = false;
    await prober;

    const statuses = answers.map((a) => a.status);
    const stored = answers.filter((a) => a.status === 200 && JSON.parse(a.body).status === 'stored').length;
    const rows = await db.query<{ n: number; ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT source_event_id)::int AS ids FROM events WHERE device_id = 'HIK-GATE-01'`,
    );
    const slowestHealth = Math.max(...health.map((h) => h.ms));
    process.stdout.write(
      `[issue 23] ${PUSHES} pushes, ${PARALLEL} in parallel: ${stored} answered stored, ${rows.rows[0].n} rows; /health probed ${health.length} times, slowest ${slowestHealth} ms\n`,
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(stored).toBe(PUSHES);
    expect(rows.rows[0]).toEqual({ n: PUSHES, ids: PUSHES });
    expect(health.length).toBeGreaterThan(0);
    // A refused probe is shown with the checks it names, so a failure says which part was reported down.
    expect(health.filter((h) => h.status !== 200).map((h) => `${h.status} after ${h.ms} ms: ${h.body}`)).toEqual([]);
    expect(slowestHealth).toBeLessThan(5000);
    await eventually('the MQTT event published during the pushes stored', async () =>
      (await db.query(`SELECT 1 FROM events WHERE source_event_id = 'during-the-pushes'`)).rowCount === 1 ? true : undefined,
    );
  }, 120_000);
});
