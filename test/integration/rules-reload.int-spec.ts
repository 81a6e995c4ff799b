import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { readServices, ROOT } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/** A supervisor changes a threshold in rules.yaml and reloads: no restart, every version kept, bad files refused. */
describe('rules reload without a restart', () => {
  const root = mkdtempSync(join(tmpdir(), 'cp-rules-'));
  const configDir = join(root, 'demo');
  const rulesFile = join(configDir, 'rules.yaml');
  let app: TestApp;
  let worker: TestApp;
  let mqtt: MqttClient;
  let db: Client;
  let n = 0;

  beforeAll(async () => {
    cpSync(join(ROOT, 'config/demo'), configDir, { recursive: true });
    cpSync(join(ROOT, 'config/calendar'), join(root, 'calendar'), { recursive: true });
    // The API process takes the reload; a separate worker process must follow it.
    app = await startTestApp({ mode: 'api', env: { CONFIG_DIR: configDir } });
    worker = await startTestApp({ mode: 'worker', databaseUrl: app.databaseUrl, env: { CONFIG_DIR: configDir } });
    mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await db?.end();
    await worker?.stop();
    await app?.stop();
  });

  /** A garbage detection at 0.55 confidence, each time in a different grid cell (a new identity). */
  const garbageAt55 = async () => {
    const id = `rr-${n++}`;
    await mqtt.publishAsync(
      'cloudpatrol/v1/devices/DRONE-01/events',
      JSON.stringify({
        eventId: id,
        deviceId: 'DRONE-01',
        occurredAt: '2026-11-28T10:00:00+08:00',
        location: { lat: 23.0775 + n * 0.0001, lng: 113.2425 + (n % 2) * 0.015 },
        detections: [{ label: 'garbage', confidence: 0.55 }],
      }),
      { qos: 1 },
    );
    await eventually(`event ${id} stored`, async () =>
      (await db.query(`SELECT 1 FROM events WHERE source_event_id = $1`, [id])).rowCount === 1 ? true : undefined,
    );
    return Number((await db.query(`SELECT count(*) AS n FROM cases`)).rows[0].n);
  };

  it('applies a raised threshold in every process, keeps both versions, and refuses a broken file', async () => {
    const token = await app.token();
    expect(await garbageAt55()).toBe(1);

    const original = readFileSync(rulesFile, 'utf8');
    writeFileSync(
      rulesFile,
      original
        .replace('labels: [garbage, construction_waste], minConfidence: 0.5', 'labels: [garbage, construction_waste], minConfidence: 0.6')
        .replace(/^version: 1$/m, 'version: 2'),
    );
    const reloaded = await request(app.url).post('/api/v1/rules/reload').set('Authorization', `Bearer ${token}`).expect(200);
    expect(reloaded.body).toMatchObject({ version: 2, changed: true });

    // The worker picks the new version up within its check interval; then 0.55 no longer opens a case.
    await new Promise((r) => setTimeout(r, 3_500));
    expect(await garbageAt55()).toBe(1);

    const described = await request(app.url).get('/api/v1/rules').set('Authorization', `Bearer ${token}`).expect(200);
    expect((described.body as { active: { version: number }; history: { version: number }[] }).active.version).toBe(2);
    expect((described.body as { history: { version: number }[] }).history.map((h) => h.version)).toEqual([2, 1]);

    writeFileSync(rulesFile, original.replace('minConfidence: 0.5', 'minConfidence: high'));
    const refused = await request(app.url).post('/api/v1/rules/reload').set('Authorization', `Bearer ${token}`).expect(422);
    expect(JSON.stringify(refused.body)).toMatch(/rules\.yaml:\d+:\d+ rules\[0\]\.minConfidence/);
    const still = await request(app.url).get('/api/v1/rules').set('Authorization', `Bearer ${token}`).expect(200);
    expect((still.body as { active: { version: number } }).active.version).toBe(2);
  });
});
