import { connectAsync } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { freePort } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

/** Accounts and device credentials as an attacker would try them. */
describe('accounts, sessions and device credentials', () => {
  let app: TestApp;
  let db: Client;
  let mqttPort: number;

  beforeAll(async () => {
    mqttPort = await freePort();
    // No MQTT_URL: the embedded broker, which authenticates devices against the register.
    app = await startTestApp({ env: { MQTT_URL: '', EMBEDDED_MQTT_PORT: String(mqttPort) } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    await request(app.url)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${await app.token()}`)
      .send({ username: 'operator-a', password: 'operator-a-password', role: 'operator', displayName: 'Operator A' })
      .expect(201);
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const login = (username: string, password: string, ip = '10.0.0.1') =>
    request(app.url).post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ username, password });

  it('rotates refresh tokens, revokes the whole login when one is replayed, and logs out', async () => {
    const first = (await login('operator-a', 'operator-a-password').expect(200)).body as Tokens;
    const second = (await request(app.url).post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200)).body as Tokens;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    await request(app.url).get('/api/v1/cases').set('Authorization', `Bearer ${second.accessToken}`).expect(200);

    // The first token again: someone copied it. Both it and its successor stop working.
    await request(app.url).post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(401);
    await request(app.url).post('/api/v1/auth/refresh').send({ refreshToken: second.refreshToken }).expect(401);

    const other = (await login('operator-a', 'operator-a-password').expect(200)).body as Tokens;
    await request(app.url).post('/api/v1/auth/logout').send({ refreshToken: other.refreshToken }).expect(204);
    await request(app.url).post('/api/v1/auth/refresh').send({ refreshToken: other.refreshToken }).expect(401);
  });

  it('locks (username, address) after five failed logins with the same answer as a wrong password (issue 16)', async () => {
    await request(app.url)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${await app.token()}`)
      .send({ username: 'victim', password: 'victim-password-1', role: 'operator', displayName: 'Victim' })
      .expect(201);
    const wrong: string[] = [];
    for (let i = 0; i < 5; i++) wrong.push((await login('victim', `guess-${i}`, '10.0.0.2').expect(401)).text);
    const locked = await login('victim', 'victim-password-1', '10.0.0.2').expect(401);
    expect(locked.text).toBe(wrong[0]);
  });

  it('device credentials: its own password works, the demo one does not, and a device publishes only on its own topic', async () => {
    const admin = await app.token();
    const created = await request(app.url)
      .post('/api/v1/devices')
      .set('Authorization', `Bearer ${admin}`)
      .send({ id: 'CAM-NEW-01', kind: 'camera', name: 'New camera', ownerDepartment: 'city-management', location: { lat: 23.105, lng: 113.256 } })
      .expect(201);
    const { password } = (created.body as { credentials: { password: string } }).credentials;
    expect(password.length).toBeGreaterThan(16);
    expect(JSON.stringify((await request(app.url).get('/api/v1/devices/CAM-NEW-01').set('Authorization', `Bearer ${admin}`).expect(200)).body)).not.toContain(
      password,
    );

    const url = `mqtt://127.0.0.1:${mqttPort}`;
    await expect(connectAsync(url, { clientId: 'CAM-NEW-01', username: 'CAM-NEW-01', password: 'cloudpatrol-demo', reconnectPeriod: 0 })).rejects.toThrow(
      /Bad username or password/,
    );
    await expect(connectAsync(url, { clientId: 'CAM-NEW-01', username: 'CAM-NEW-01', reconnectPeriod: 0 })).rejects.toThrow(/Bad username or password/);
    await expect(connectAsync(url, { clientId: 'CAM-NEW-01', reconnectPeriod: 0 })).rejects.toThrow();

    const device = await connectAsync(url, { clientId: 'CAM-NEW-01', username: 'CAM-NEW-01', password, reconnectPeriod: 0 });
    const event = (id: string, deviceId: string) =>
      JSON.stringify({ eventId: id, deviceId, occurredAt: '2026-11-28T10:00:00+08:00', detections: [{ label: 'garbage', confidence: 0.9 }] });
    // Another device's topic: the broker refuses it and nothing is stored.
    // (The broker drops the connection instead of acknowledging, so the publish is not awaited.)
    device.publish('cloudpatrol/v1/devices/DEMO-CAM-01/events', event('spoof-1', 'DEMO-CAM-01'), { qos: 1 }, () => undefined);
    await new Promise((r) => setTimeout(r, 500));
    device.end(true);
    const honest = await connectAsync(url, { clientId: 'CAM-NEW-01', username: 'CAM-NEW-01', password, reconnectPeriod: 0 });
    await honest.publishAsync('cloudpatrol/v1/devices/CAM-NEW-01/events', event('own-1', 'CAM-NEW-01'), { qos: 1 });
    await honest.endAsync();
    await eventually('its own event stored', async () =>
      (await db.query(`SELECT 1 FROM events WHERE source_event_id = 'own-1'`)).rowCount === 1 ? true : undefined,
    );
    expect((await db.query(`SELECT 1 FROM events WHERE source_event_id = 'spoof-1'`)).rowCount).toBe(0);

    // A new password replaces the old one.
    const rotated = (await request(app.url).post('/api/v1/devices/CAM-NEW-01/credentials').set('Authorization', `Bearer ${admin}`).expect(201)).body as {
      password: string;
    };
    await expect(connectAsync(url, { clientId: 'CAM-NEW-01', username: 'CAM-NEW-01', password, reconnectPeriod: 0 })).rejects.toThrow(
      /Bad username or password/,
    );
    const again = await connectAsync(url, { clientId: 'CAM-NEW-01', username: 'CAM-NEW-01', password: rotated.password, reconnectPeriod: 0 });
    await again.endAsync();

    // The Hikvision push endpoint takes the same device credentials.
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    await request(app.url)
      .post('/api/v1/ingest/hikvision')
      .set('Authorization', basic('CAM-NEW-01', 'wrong'))
      .set('Content-Type', 'application/xml')
      .send('<x/>')
      .expect(401);
    await request(app.url)
      .post('/api/v1/ingest/hikvision')
      .set('Authorization', basic('CAM-NEW-01', rotated.password))
      .set('Content-Type', 'application/xml')
      .send('<x/>')
      .expect(400);
  });
});
