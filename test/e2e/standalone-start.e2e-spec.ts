import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import request from 'supertest';
import { freePort, ROOT } from '../support/services';
import { eventually } from '../support/test-app';

/**
 * The README's first command, for real: `npm start` (scripts/start.js) with no DATABASE_URL, MQTT_URL or
 * Kafka: embedded PostgreSQL and MQTT broker. An event published as the demo camera becomes exactly one
 * case; a stop and a start keep it.
 */
describe('npm start on embedded defaults', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloudpatrol-e2e-'));
  // As root the embedded server runs as `postgres`, which must be able to enter the data folder.
  chmodSync(dataDir, 0o755);
  let ports: { http: number; mqtt: number; pg: number };
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: dataDir,
      PORT: String(ports.http),
      EMBEDDED_MQTT_PORT: String(ports.mqtt),
      EMBEDDED_PG_PORT: String(ports.pg),
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: 'e2e-admin-password',
      LOG_LEVEL: 'warn',
    };
    child = spawn(process.execPath, [join(ROOT, 'scripts/start.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const outcome = await eventually(
      'the service to answer /health',
      async () => {
        if (child?.exitCode !== null) return 'exited';
        const res = await request(`http://127.0.0.1:${ports.http}`).get('/health');
        return res.status === 200 ? 'up' : undefined;
      },
      180_000,
    );
    if (outcome === 'exited') throw new Error(`npm start exited: ${output.slice(-2000)}`);
  };

  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };

  beforeAll(async () => {
    ports = { http: await freePort(), mqtt: await freePort(), pg: await freePort() };
  });

  afterAll(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const casesNow = async () => {
    const api = request(`http://127.0.0.1:${ports.http}`);
    const login = await api.post('/api/v1/auth/login').send({ username: 'admin', password: 'e2e-admin-password' }).expect(200);
    const res = await api
      .get('/api/v1/cases')
      .set('Authorization', `Bearer ${(login.body as { accessToken: string }).accessToken}`)
      .expect(200);
    return res.body as { total: number; items: { category: { code: string }; occurrenceCount: number }[] };
  };

  it('turns a published event into one case, and keeps it across a restart', async () => {
    await start();
    const mqtt = await connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { clientId: 'DEMO-CAM-01', username: 'DEMO-CAM-01', password: 'cloudpatrol-demo' });
    await mqtt.publishAsync(
      'cloudpatrol/v1/devices/DEMO-CAM-01/events',
      JSON.stringify({
        eventId: 'e-1',
        deviceId: 'DEMO-CAM-01',
        occurredAt: '2026-11-28T10:00:00+08:00',
        detections: [{ label: 'garbage', confidence: 0.93 }],
      }),
      { qos: 1 },
    );
    await mqtt.endAsync();
    const first = await eventually('one case', async () => {
      const c = await casesNow();
      return c.total === 1 ? c : undefined;
    });
    expect(first.items[0].category.code).toBe('exposed-garbage');
    // The embedded broker authenticates devices.
    await expect(connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { username: 'DEMO-CAM-01', password: 'wrong', reconnectPeriod: 0 })).rejects.toThrow();

    await stop();
    await start();
    const again = await casesNow();
    expect(again.total).toBe(1);
    expect(again.items[0].occurrenceCount).toBe(1);
  }, 420_000);
});
