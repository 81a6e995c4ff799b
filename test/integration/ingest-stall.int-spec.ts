import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { PrivateMosquitto, startPrivateMosquitto } from '../fixtures/private-mosquitto';
import { SseClient } from '../support/sse-client';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issues 22 and 23: when ingest stops moving, people are told (health degraded, a metric, a log line, a live
 * alert), and when every database connection is taken, requests fail loudly with 503 instead of hanging.
 * The database is made to hang for real: a test client holds an exclusive lock on a table, so statements
 * that need it wait exactly like they do behind a frozen disk.
 */

const event = (eventId: string) =>
  JSON.stringify({ eventId, deviceId: 'DEMO-CAM-01', occurredAt: '2026-11-28T10:00:00+08:00', detections: [{ label: 'garbage', confidence: 0.9 }] });

const metric = (text: string, name: string, labels: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('an ingest stall is seen, and an exhausted pool answers 503', () => {
  let broker: PrivateMosquitto;
  let app: TestApp;
  let db: Client;
  let locker: Client;
  let device: MqttClient;

  beforeAll(async () => {
    broker = await startPrivateMosquitto();
    app = await startTestApp({ env: { MQTT_URL: broker.url, INGEST_STALL_SECONDS: '2', DB_POOL_SIZE: '5', DB_CONNECT_TIMEOUT_MS: '500' } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    locker = new Client({ connectionString: app.databaseUrl });
    await locker.connect();
    device = await connectAsync(broker.url, { protocolVersion: 5 });
  });

  afterAll(async () => {
    await device?.endAsync();
    await locker?.end();
    await db?.end();
    await app?.stop();
    await broker?.stop();
  });

  it('reports a stall on /health, the metric and the live stream while events wait, and the recovery after', async () => {
    const token = await app.token();
    const stream = await SseClient.open(`${app.url}/api/v1/alerts/stream`, token);
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
      await device.publishAsync('cloudpatrol/v1/devices/DEMO-CAM-01/events', event('stall-1'), { qos: 1 });

      const degraded = await eventually(
        'health to report ingest degraded',
        async () => {
          const res = await request(app.url).get('/health');
          const body = res.body as { status: string; checks: Record<string, { status: string; detail?: string }> };
          return res.status === 503 && body.checks.ingest?.status === 'degraded' ? body : undefined;
        },
        15_000,
      );
      expect(degraded.status).toBe('degraded');
      expect(degraded.checks.database.status).toBe('up');
      expect(degraded.checks.ingest.detail).toMatch(/^mqtt: nothing committed for \d+ s with \d+ waiting/);
      expect(metric((await request(app.url).get('/metrics')).text, 'cloudpatrol_ingest_stalled', 'transport="mqtt"')).toBe(1);
      await eventually('the stall alert on the live stream', async () =>
        stream.events.find((e) => (e as { type?: string }).type === 'ingest.stalled') ? true : undefined,
      );
      const stalled = stream.events.find((e) => (e as { type?: string }).type === 'ingest.stalled') as { ingest: { transport: string; reason: string } };
      expect(stalled.ingest).toMatchObject({ transport: 'mqtt', reason: expect.stringMatching(/nothing committed/) });
    } finally {
      await locker.query('ROLLBACK');
    }

    // The lock is gone: the waiting event is stored, and everyone hears that ingest moves again.
    await eventually('the waiting event stored', async () =>
      (await db.query(`SELECT 1 FROM events WHERE source_event_id = 'stall-1'`)).rowCount === 1 ? true : undefined,
    );
    await eventually('the recovery alert', async () => (stream.events.some((e) => (e as { type?: string }).type === 'ingest.recovered') ? true : undefined));
    await eventually('health back to ok', async () => ((await request(app.url).get('/health')).status === 200 ? true : undefined));
    expect(metric((await request(app.url).get('/metrics')).text, 'cloudpatrol_ingest_stalled', 'transport="mqtt"')).toBe(0);
    stream.close();
  });

  it('answers 503 within the configured wait when every connection is taken, and health says the database did not answer', async () => {
    const token = await app.token();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE cases IN ACCESS EXCLUSIVE MODE');
    const blocked: Promise<number>[] = [];
    try {
      // Five requests wait on the lock, each holding one of the five connections.
      for (let i = 0; i < 5; i++)
        blocked.push(
          request(app.url)
            .get('/api/v1/cases')
            .set('Authorization', `Bearer ${token}`)
            .then((r) => r.status),
        );
      await eventually('every connection taken', async () => {
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'cloudpatrol' AND wait_event_type = 'Lock'`,
        );
        return rows[0].n >= 4 ? true : undefined;
      });
      const started = Date.now();
      const res = await request(app.url).get('/api/v1/cases').set('Authorization', `Bearer ${token}`);
      const waited = Date.now() - started;
      expect(res.status).toBe(503);
      expect((res.body as { message: string }).message).toMatch(/database is not available/);
      expect(waited).toBeLessThan(5000); // bounded by DB_CONNECT_TIMEOUT_MS (500 ms), never a hang

      const healthStarted = Date.now();
      const health = await request(app.url).get('/health');
      expect(Date.now() - healthStarted).toBeLessThan(3000);
      expect(health.status).toBe(503);
      expect((health.body as { checks: { database: { status: string; detail: string } } }).checks.database).toEqual({
        status: 'down',
        detail: expect.stringMatching(/did not answer|timeout exceeded/),
      });
    } finally {
      await locker.query('ROLLBACK');
    }
    // The requests that held a connection are answered once the lock is gone; one that found none waiting
    // answered 503 like the probe above. None hangs, none is a 500.
    const answers = await Promise.all(blocked);
    expect(answers.every((s) => s === 200 || s === 503)).toBe(true);
    expect(answers.filter((s) => s === 200).length).toBeGreaterThanOrEqual(4);
    await eventually('health back to ok', async () => ((await request(app.url).get('/health')).status === 200 ? true : undefined));
  });
});
