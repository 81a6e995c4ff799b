import { connectAsync } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { readServices } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/** A device flooding the service has its excess kept aside and counted; other devices are not slowed. */
describe('events per device per second', () => {
  let app: TestApp;
  let db: Client;

  beforeAll(async () => {
    app = await startTestApp({ env: { DEVICE_EVENTS_PER_SECOND: '5', DEVICE_EVENTS_BURST: '10' } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  it('keeps the excess aside as rate-limited dead letters, loses nothing, and counts it', async () => {
    const mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    const event = (id: string, deviceId: string) =>
      JSON.stringify({ eventId: id, deviceId, occurredAt: '2026-11-28T10:00:00+08:00', detections: [{ label: 'garbage', confidence: 0.9 }] });
    await Promise.all(Array.from({ length: 60 }, (_, i) => mqtt.publishAsync('cloudpatrol/v1/devices/DEMO-CAM-01/events', event(`flood-${i}`, 'DEMO-CAM-01'), { qos: 1 })));
    await mqtt.publishAsync('cloudpatrol/v1/devices/CAM-PARK-01/events', event('calm-1', 'CAM-PARK-01'), { qos: 1 });
    await mqtt.endAsync();

    const counts = async () => {
      const stored = Number((await db.query(`SELECT count(*) AS n FROM events WHERE source_event_id LIKE 'flood-%'`)).rows[0].n);
      const limited = Number((await db.query(`SELECT count(*) AS n FROM dead_letters WHERE reason = 'rate-limited' AND device_id = 'DEMO-CAM-01'`)).rows[0].n);
      return { stored, limited };
    };
    const done = await eventually('all 60 accounted for', async () => {
      const c = await counts();
      return c.stored + c.limited === 60 ? c : undefined;
    });
    expect(done.stored).toBeGreaterThanOrEqual(10);
    expect(done.stored).toBeLessThan(40);
    expect((await db.query(`SELECT 1 FROM events WHERE source_event_id = 'calm-1'`)).rowCount).toBe(1);
    const metrics = await request(app.url).get('/metrics').expect(200);
    expect(metrics.text).toMatch(new RegExp(`cloudpatrol_events_rejected_total\\{transport="mqtt",source="cloudpatrol",reason="rate-limited"\\} ${done.limited}`));
  });
});
