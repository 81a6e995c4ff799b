import { Client } from 'pg';
import request from 'supertest';
import { hikAlert } from '../fixtures/payloads/hikvision-isapi.fixtures';
import { startTestApp, TestApp } from '../support/test-app';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** HIK-GATE-01 is registered with alias 44:19:b6:00:00:01:ch1 (config/demo/devices.yaml). */
const gate = { macAddress: '44:19:b6:00:00:01', channelID: '1' };
const aid = (dateTime: string) =>
  hikAlert(
    { ...gate, dateTime },
    '  <AID><illegalTrafficEvent>illegalParking</illegalTrafficEvent><PlateInfo><plate>粤A5N8X1</plate><confidenceLevel>96</confidenceLevel></PlateInfo></AID>\n',
  );

/** Hikvision ISAPI alarm push over HTTP: stored with its fields mapped, raw kept, once per alarm. */
describe('Hikvision ISAPI alarm push', () => {
  let app: TestApp;
  let db: Client;

  beforeAll(async () => {
    app = await startTestApp();
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const push = (body: string | Buffer, contentType = 'application/xml') =>
    request(app.url)
      .post('/api/v1/ingest/hikvision')
      .set('Authorization', basic('HIK-GATE-01', 'cloudpatrol-demo'))
      .set('Content-Type', contentType)
      .send(body);

  it('stores an AID illegal-parking alarm as a canonical event of the registered camera, once, and opens a case', async () => {
    const xml = aid('2026-11-28T10:21:07+08:00');
    const first = await push(xml).expect(200);
    expect(first.body).toMatchObject({ status: 'stored' });
    // The camera retries the same alarm: stored once.
    expect((await push(xml).expect(200)).body).toMatchObject({ status: 'duplicate' });
    const events = await db.query(`SELECT device_id, source, occurred_at, detections, raw_payload FROM events WHERE source = 'hikvision'`);
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0]).toMatchObject({ device_id: 'HIK-GATE-01', raw_payload: xml });
    expect((events.rows[0].occurred_at as Date).toISOString()).toBe('2026-11-28T02:21:07.000Z');
    expect(events.rows[0].detections[0]).toMatchObject({ label: 'illegalParking', plate: '粤A5N8X1' });
    const cases = await db.query(`SELECT category_code, device_id FROM cases WHERE device_id = 'HIK-GATE-01'`);
    expect(cases.rows).toEqual([{ category_code: 'motor-parking', device_id: 'HIK-GATE-01' }]);
  });

  it('takes the alarm out of a multipart body with pictures, treats an inactive AID as a heartbeat, and refuses bad XML with the reason', async () => {
    const boundary = 'MIME_boundary';
    const multipart = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="AID"\r\nContent-Type: application/xml\r\n\r\n${aid('2026-11-28T11:00:00+08:00')}\r\n`,
      ),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="detectionPicture"; filename="detectionPicture.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    expect((await push(multipart, `multipart/form-data; boundary=${boundary}`).expect(200)).body).toMatchObject({ status: 'stored' });
    const heartbeat = hikAlert({ ...gate, eventState: 'inactive', activePostCount: '0' }, '  <AID><illegalTrafficEvent>unknown</illegalTrafficEvent></AID>\n');
    expect((await push(heartbeat).expect(200)).body).toMatchObject({ status: 'ignored' });
    const refused = await push('<EventNotificationAlert><dateTime>').expect(400);
    expect((refused.body as { message: string }).message).toMatch(/^not-xml|^invalid-schema/);
    const dead = await db.query(`SELECT reason FROM dead_letters WHERE source = 'hikvision'`);
    expect(dead.rows).toHaveLength(1);
    expect(Number((await db.query(`SELECT count(*) AS n FROM events WHERE source = 'hikvision'`)).rows[0].n)).toBe(2);
  });
});
