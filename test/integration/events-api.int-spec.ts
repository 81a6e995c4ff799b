import type { GeoPoint } from '@app/domain';
import { loadDistrictConfig } from '@app/config';
import { connectAsync, MqttClient } from 'mqtt';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { PrivateMosquitto, startPrivateMosquitto } from '../fixtures/private-mosquitto';
import { EmbeddedStart, startEmbedded } from '../fixtures/embedded-start';
import { frigateCar, frigateMessage } from '../fixtures/payloads/frigate-event.fixtures';
import { ROOT } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 17 item 1: an integrator asks "what did device X send, and what became of it" — each stored event with its
 * raw payload and outcome (case opened or joined, suppression with its reason, nothing), the messages kept aside as
 * dead letters with their reason and payload, and a replay once the register is fixed. On a broker of this file's
 * own, so every count is exact.
 */

const DRONE = 'DRONE-01';
const NEW_CAMERA = 'EVT-NEW-CAM-09';
const FRONTAGE = 't01-fengwei-restaurant-frontage';
const district = loadDistrictConfig(join(ROOT, 'config/demo'));
const frontage: GeoPoint = (() => {
  const place = district.jurisdiction.place(FRONTAGE);
  if (!place) throw new Error(`${FRONTAGE} is not in the demo places`);
  const ring = (place.geometry.type === 'Polygon' ? place.geometry.coordinates[0] : place.geometry.coordinates[0][0]) as number[][];
  const corners = ring.slice(0, -1);
  return { lng: corners.reduce((a, p) => a + p[0], 0) / corners.length, lat: corners.reduce((a, p) => a + p[1], 0) / corners.length };
})();

const at = (hhmm: string) => new Date(`2019-05-01T${hhmm}:00+08:00`).toISOString();
const ownEvent = (deviceId: string, eventId: string, occurredAt: string, labels: string[]) =>
  JSON.stringify({ eventId, deviceId, occurredAt, location: frontage, detections: labels.map((label) => ({ label, confidence: 0.9 })) });

interface EventItem {
  id: string;
  sourceEventId: string;
  deviceId: string;
  rawPayload: string;
  rawPayloadChars: number;
  outcome: 'case' | 'suppressed' | 'none';
  cases: { id: string; caseNumber: string; status: string; categoryCode: string; opened: boolean }[];
  suppressions: { reason: string; detail: string; count: number; matchedBy: 'latest' | 'span' }[];
}
interface EventAnswer {
  items: EventItem[];
  total: number;
  deadLetters: { total: number; byReason: { reason: string; count: number }[] };
}
interface DeadLetterItem {
  id: string;
  source: string;
  topic: string;
  reason: string;
  detail: string;
  deviceId: string | null;
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  payloadBytes: number;
  truncated: boolean;
  replay: { state: string; by: string | null; outcome: { status: string; eventIds?: string[] } | null };
}
interface DeadLetterAnswer {
  items: DeadLetterItem[];
  total: number;
  byReason: { reason: string; count: number }[];
}

describe('events and dead letters: what a device sent and what became of it', () => {
  let broker: PrivateMosquitto;
  let app: TestApp;
  let mqtt: MqttClient;
  let db: Client;
  let admin: string;
  let operator: string;
  const binary = Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x9c, 0x80]);

  const get = async <T>(path: string, token = operator): Promise<T> =>
    (await request(app.url).get(path).set('Authorization', `Bearer ${token}`).expect(200)).body as T;

  beforeAll(async () => {
    broker = await startPrivateMosquitto();
    app = await startTestApp({ env: { MQTT_URL: broker.url } });
    mqtt = await connectAsync(broker.url, { protocolVersion: 5 });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    admin = await app.token();
    await request(app.url)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${admin}`)
      .send({ username: 'events-operator', password: 'events-operator-pw-1', role: 'operator', displayName: 'Events operator' })
      .expect(201);
    operator = (
      (await request(app.url).post('/api/v1/auth/login').send({ username: 'events-operator', password: 'events-operator-pw-1' }).expect(200)).body as {
        accessToken: string;
      }
    ).accessToken;

    const topic = `cloudpatrol/v1/devices/${DRONE}/events`;
    // The restaurant's first minor issue is suppressed (do-not-disturb), the repeat opens a case, the next joins it.
    await mqtt.publishAsync(topic, ownEvent(DRONE, 'evt-first', at('10:00'), ['garbage']), { qos: 1 });
    await eventually('the first issue stored', async () =>
      Number((await db.query(`SELECT count(*) AS n FROM events WHERE source_event_id = 'evt-first'`)).rows[0].n) === 1 ? true : undefined,
    );
    await mqtt.publishAsync(topic, ownEvent(DRONE, 'evt-repeat-1', at('10:05'), ['garbage']), { qos: 1 });
    await mqtt.publishAsync(topic, ownEvent(DRONE, 'evt-repeat-2', at('10:06'), ['garbage']), { qos: 1 });
    await mqtt.publishAsync(topic, ownEvent(DRONE, 'evt-nothing', at('10:07'), []), { qos: 1 });
    // Kept aside: a device nobody registered, and bytes no adapter can read.
    await mqtt.publishAsync(`cloudpatrol/v1/devices/${NEW_CAMERA}/events`, ownEvent(NEW_CAMERA, 'evt-new-1', at('10:08'), []), { qos: 1 });
    await mqtt.publishAsync(topic, binary, { qos: 1 });
    await eventually('4 events and 2 dead letters', async () => {
      const events = Number((await db.query(`SELECT count(*) AS n FROM events`)).rows[0].n);
      const deadLetters = Number((await db.query(`SELECT count(*) AS n FROM dead_letters`)).rows[0].n);
      return events === 4 && deadLetters === 2 ? true : undefined;
    });
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
    await broker?.stop();
  });

  it('lists a device’s events newest first, each with its raw payload and outcome, and its dead letters beside', async () => {
    const answer = await get<EventAnswer>(`/api/v1/events?device=${DRONE}`);
    expect(answer.total).toBe(4);
    expect(answer.items.map((e) => [e.sourceEventId, e.outcome])).toEqual([
      ['evt-nothing', 'none'],
      ['evt-repeat-2', 'case'],
      ['evt-repeat-1', 'case'],
      ['evt-first', 'suppressed'],
    ]);
    const [nothing, joined, opened, first] = answer.items;
    expect(nothing).toMatchObject({ deviceId: DRONE, cases: [], suppressions: [] });
    expect(JSON.parse(nothing.rawPayload)).toMatchObject({ eventId: 'evt-nothing', deviceId: DRONE, detections: [] });
    expect(nothing.rawPayloadChars).toBe(nothing.rawPayload.length);
    // One case, opened by the repeat and joined by the next event; named by its number, as people know it.
    expect(opened.cases).toEqual([
      {
        id: expect.any(String) as unknown,
        caseNumber: expect.stringMatching(/^CP-\d{8}-\d{6}$/) as unknown,
        status: 'detected',
        categoryCode: 'exposed-garbage',
        opened: true,
      },
    ]);
    expect(joined.cases).toEqual([{ ...opened.cases[0], opened: false }]);
    expect(first.suppressions).toEqual([
      expect.objectContaining({ reason: 'do-not-disturb', count: 1, matchedBy: 'latest', detail: expect.stringContaining('first issue') as unknown }),
    ]);
    // The bytes no adapter could read named no device: they are listed by source, not here.
    expect(answer.deadLetters).toEqual({ total: 0, byReason: [] });
  });

  it('filters by text and time window and pages with the exact total', async () => {
    const byText = await get<EventAnswer>(`/api/v1/events?device=${DRONE}&q=EVT-REPEAT`);
    expect(byText.total).toBe(2);
    expect(byText.items.map((e) => e.sourceEventId)).toEqual(['evt-repeat-2', 'evt-repeat-1']);
    const window = await get<EventAnswer>(`/api/v1/events?device=${DRONE}&from=${encodeURIComponent(at('10:05'))}&to=${encodeURIComponent(at('10:07'))}`);
    expect(window.items.map((e) => e.sourceEventId)).toEqual(['evt-repeat-2', 'evt-repeat-1']);
    expect(window.total).toBe(2);
    const page = await get<EventAnswer>(`/api/v1/events?device=${DRONE}&limit=1&offset=1`);
    expect(page.total).toBe(4);
    expect(page.items.map((e) => e.sourceEventId)).toEqual(['evt-repeat-2']);
    // A LIKE wildcard is a character like any other.
    expect((await get<EventAnswer>(`/api/v1/events?device=${DRONE}&q=${encodeURIComponent('evt_repeat')}`)).total).toBe(0);
    await request(app.url).get('/api/v1/events?limit=201').set('Authorization', `Bearer ${operator}`).expect(400);
  });

  it('lists dead letters with reason, source, payload (text or base64) and replay state, filtered, with exact totals', async () => {
    const all = await get<DeadLetterAnswer>('/api/v1/dead-letters');
    expect(all.total).toBe(2);
    expect(all.byReason).toEqual(
      expect.arrayContaining([
        { reason: 'unknown-device', count: 1 },
        { reason: 'not-utf8', count: 1 },
      ]),
    );
    const unknown = await get<DeadLetterAnswer>('/api/v1/dead-letters?reason=unknown-device');
    expect(unknown.total).toBe(1);
    expect(unknown.items).toEqual([
      expect.objectContaining({
        source: 'cloudpatrol',
        topic: `cloudpatrol/v1/devices/${NEW_CAMERA}/events`,
        deviceId: NEW_CAMERA,
        payloadEncoding: 'utf8',
        truncated: false,
        replay: { state: 'not-replayed', startedAt: null, replayedAt: null, by: null, outcome: null },
      }),
    ]);
    expect(JSON.parse(unknown.items[0].payload)).toMatchObject({ eventId: 'evt-new-1', deviceId: NEW_CAMERA });
    const invalid = await get<DeadLetterAnswer>(`/api/v1/dead-letters?reason=not-utf8&source=cloudpatrol`);
    expect(invalid.total).toBe(1);
    expect(invalid.items[0]).toMatchObject({ payloadEncoding: 'base64', payloadBytes: binary.length, truncated: false });
    expect(Buffer.from(invalid.items[0].payload, 'base64')).toEqual(binary);
    expect((await get<DeadLetterAnswer>('/api/v1/dead-letters?source=frigate')).total).toBe(0);
    // The device's events answer counts its dead letters (same window, by arrival).
    const newCamera = await get<EventAnswer>(`/api/v1/events?device=${NEW_CAMERA}`);
    expect(newCamera).toEqual({ items: [], total: 0, deadLetters: { total: 1, byReason: [{ reason: 'unknown-device', count: 1 }] } });
  });

  it('counts dead letters per reason and source on /metrics', async () => {
    const text = (await request(app.url).get('/metrics').expect(200)).text;
    expect(text).toMatch(/^cloudpatrol_dead_letters_total\{reason="unknown-device",source="cloudpatrol"\} 1$/m);
    expect(text).toMatch(/^cloudpatrol_dead_letters_total\{reason="not-utf8",source="cloudpatrol"\} 1$/m);
  });

  it('replays an unknown device’s messages once it is registered, each once, with its outcome kept', async () => {
    const replay = (body: object, token = admin) => request(app.url).post('/api/v1/dead-letters/replay').set('Authorization', `Bearer ${token}`).send(body);
    // Named device required; refused while the register still does not know it; nothing replayed.
    await replay({ reason: 'unknown-device' }).expect(400);
    const early = await replay({ reason: 'unknown-device', deviceId: NEW_CAMERA }).expect(409);
    expect((early.body as { message: string }).message).toContain('still not registered');
    // The operator reads, the supervision replays.
    await replay({ reason: 'unknown-device', deviceId: NEW_CAMERA }, operator).expect(403);

    await request(app.url)
      .post('/api/v1/devices')
      .set('Authorization', `Bearer ${admin}`)
      .send({ id: NEW_CAMERA, kind: 'camera', name: 'New camera (events test)', ownerDepartment: 'city-management' })
      .expect(201);
    const done = await replay({ reason: 'unknown-device', deviceId: NEW_CAMERA }).expect(200);
    expect(done.body).toMatchObject({ replayed: 1, stored: 1, duplicate: 0, rejected: 0, remaining: 0 });
    const again = await replay({ reason: 'unknown-device', deviceId: NEW_CAMERA }).expect(200);
    expect(again.body).toMatchObject({ replayed: 0, remaining: 0 });

    const events = await get<EventAnswer>(`/api/v1/events?device=${NEW_CAMERA}`);
    expect(events.total).toBe(1);
    expect(events.items[0]).toMatchObject({ sourceEventId: 'evt-new-1', outcome: 'none' });
    const kept = await get<DeadLetterAnswer>(`/api/v1/dead-letters?device=${NEW_CAMERA}`);
    expect(kept.total).toBe(1);
    expect(kept.items[0].replay).toMatchObject({ state: 'replayed', by: 'admin', outcome: { status: 'stored', eventIds: [events.items[0].id] } });
    // The other dead letter is untouched.
    expect((await get<DeadLetterAnswer>('/api/v1/dead-letters?reason=not-utf8')).items[0].replay.state).toBe('not-replayed');
  });
});

/**
 * A replay holds a message to the device that published it, as on arrival: the demo NVR's event for a camera not
 * registered yet is replayed once the camera is registered under that NVR (by its Frigate camera name, as the dead
 * letter names it), and refused again when the camera is registered under another NVR.
 */
describe('replay of an NVR’s event for a camera registered after it came', () => {
  let embedded: EmbeddedStart;

  beforeAll(async () => {
    embedded = await startEmbedded();
  });

  afterAll(async () => {
    await embedded?.stop();
  });

  const frigateEvent = (id: string, camera: string) =>
    frigateMessage('new', frigateCar({ id, camera, current_zones: [], entered_zones: [], frame_time: 1764295322.9, stationary: false, active: true }));

  it('stores it under the camera now registered under the NVR, and refuses it for another NVR’s camera', async () => {
    const { app, db } = embedded;
    const admin = await app.token();
    const nvr = await embedded.device('DEMO-NVR-01', { clientId: 'DEMO-NVR-01:frigate' });
    await nvr.publishAsync('frigate/events', frigateEvent('evt-nvr-own', 'evt_new_cam'), { qos: 1 });
    await nvr.publishAsync('frigate/events', frigateEvent('evt-nvr-foreign', 'evt_foreign_cam'), { qos: 1 });
    await nvr.endAsync();
    // PUBACK means kept: both aside, naming the camera as Frigate does, held to the NVR that sent them.
    const kept = await db.query<{ device_id: string; authenticated_device_id: string; reason: string }>(
      `SELECT device_id, authenticated_device_id, reason FROM dead_letters WHERE topic = 'frigate/events' ORDER BY id`,
    );
    expect(kept.rows).toEqual([
      { device_id: 'evt_new_cam', authenticated_device_id: 'DEMO-NVR-01', reason: 'unknown-device' },
      { device_id: 'evt_foreign_cam', authenticated_device_id: 'DEMO-NVR-01', reason: 'unknown-device' },
    ]);

    const post = (path: string, body: object) => request(app.url).post(path).set('Authorization', `Bearer ${admin}`).send(body);
    await post('/api/v1/devices', { id: 'EVT-OTHER-NVR', kind: 'nvr', name: 'Another NVR', ownerDepartment: 'city-management' }).expect(201);
    const camera = (id: string, frigateCamera: string, parentId: string) =>
      post('/api/v1/devices', {
        id,
        kind: 'camera',
        name: id,
        ownerDepartment: 'city-management',
        frigateCamera,
        parentId,
        location: { lat: 23.12, lng: 113.25 },
      }).expect(201);
    await camera('EVT-CAM-NEW', 'evt_new_cam', 'DEMO-NVR-01');
    await camera('EVT-CAM-FOREIGN', 'evt_foreign_cam', 'EVT-OTHER-NVR');

    const own = await post('/api/v1/dead-letters/replay', { reason: 'unknown-device', deviceId: 'evt_new_cam' }).expect(200);
    expect(own.body).toMatchObject({ replayed: 1, stored: 1, rejected: 0, remaining: 0 });
    expect((await db.query(`SELECT device_id FROM events WHERE source_event_id = 'evt-nvr-own:new'`)).rows).toEqual([{ device_id: 'EVT-CAM-NEW' }]);

    const foreign = await post('/api/v1/dead-letters/replay', { reason: 'unknown-device', deviceId: 'evt_foreign_cam' }).expect(200);
    expect(foreign.body).toMatchObject({ replayed: 1, stored: 0, rejected: 1, remaining: 0 });
    expect((foreign.body as { results: { outcome: { reason?: string } }[] }).results[0].outcome.reason).toBe('topic-mismatch');
    expect((await db.query(`SELECT 1 FROM events WHERE source_event_id = 'evt-nvr-foreign:new'`)).rowCount).toBe(0);
  });
});
