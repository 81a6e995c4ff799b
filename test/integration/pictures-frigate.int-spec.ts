import { Clock } from '@app/core';
import { frigateCar, frigateMessage } from '../fixtures/payloads/frigate-event.fixtures';
import { connectAsync, MqttClient } from 'mqtt';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { EmbeddedStart, startEmbedded } from '../fixtures/embedded-start';
import { ShippedMosquitto, startShippedMosquitto } from '../fixtures/shipped-mosquitto';
import { FrigateApiStandIn, mqttSnapshotJpeg, startFrigateApiStandIn } from '../support/frigate-api-stand-in';
import { frigateTrack } from '../support/frigate-stream';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 14, item 1: Frigate pictures. Every Frigate event's snapshot is fetched from the Frigate HTTP API of its
 * NVR (a stand-in here, `apiUrl` registered with PATCH /api/v1/devices/{id}), with back-off while the API fails;
 * Frigate's MQTT snapshot is the fallback when the API cannot give it; with neither, the picture is recorded
 * missing with what was tried. A stationary car opens a parking case whose evidence holds the first and the last
 * picture of the dwell, and each picture's bytes, fetched from the API, hash to its sha256. On the embedded broker
 * of the one-command start (a picture's PUBACK means stored) and on Mosquitto with the shipped configuration.
 */

const PASSWORD = 'cloudpatrol-demo';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const SNAPSHOT_KEY = (label: string) => `frigate-snapshot:CAM-PARK-01:yunxi_rd_east:${label}`;

interface EvidenceItem {
  key: string;
  kind: string;
  status: 'present' | 'pending' | 'missing';
  sha256: string | null;
  capturedAt: string | null;
  eventId: string | null;
  origin?: string;
  role?: string;
  detail?: string;
  url?: string;
}
interface Evidence {
  caseId: string;
  completeness: { pictures: { present: number; pending: number; missing: number } };
  dwell: null | { seconds: number; first: { at: string; image: EvidenceItem | null }; last: { at: string; image: EvidenceItem | null } };
  items: EvidenceItem[];
}

interface SlotRow {
  source_event_id: string;
  status: string;
  origin: string;
  sha256: string | null;
  attempts: number;
  detail: string | null;
  captured_at: Date;
}

const slotsOf = async (db: Client, trackId: string) =>
  (
    await db.query<SlotRow>(
      `SELECT e.source_event_id, ep.status, ep.origin, ep.sha256, ep.attempts, ep.detail, ep.captured_at
         FROM event_pictures ep JOIN events e ON e.id = ep.event_id
        WHERE e.source = 'frigate' AND e.source_event_id LIKE $1 ORDER BY ep.captured_at, e.id, ep.slot`,
      [`${trackId}:%`],
    )
  ).rows;

const arrivalsOf = async (db: Client, matchKey: string) =>
  (
    await db.query<{ origin: string; device_id: string; sha256: string | null; detail: string | null }>(
      `SELECT origin, device_id, sha256, detail FROM picture_arrivals WHERE match_key = $1 ORDER BY id`,
      [matchKey],
    )
  ).rows;

const caseOfTrack = async (db: Client, trackId: string) =>
  (
    await db.query<{ case_id: string; category_code: string }>(
      `SELECT DISTINCT o.case_id, c.category_code FROM case_occurrences o JOIN events e ON e.id = o.event_id JOIN cases c ON c.id = o.case_id
        WHERE e.source = 'frigate' AND e.source_event_id LIKE $1`,
      [`${trackId}:%`],
    )
  ).rows;

async function evidenceOf(app: TestApp, caseId: string): Promise<Evidence> {
  const res = await request(app.url)
    .get(`/api/v1/cases/${caseId}/evidence`)
    .set('Authorization', `Bearer ${await app.token()}`);
  if (res.status !== 200) throw new Error(`GET /api/v1/cases/${caseId}/evidence answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as Evidence;
}

/** The bytes the evidence `url` serves (the original, under the API, scoped like the case). */
async function bytesOf(app: TestApp, url: string): Promise<Buffer> {
  const res = await fetch(new URL(url, app.url), { headers: { authorization: `Bearer ${await app.token()}` } });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

async function registerApi(app: TestApp, url: string): Promise<void> {
  const res = await request(app.url)
    .patch('/api/v1/devices/DEMO-NVR-01')
    .set('Authorization', `Bearer ${await app.token()}`)
    .send({ apiUrl: url });
  expect(res.status).toBe(200);
  expect((res.body as { apiUrl: string }).apiUrl).toBe(url);
}

/** A new tracked object seen now (its picture is looked for around now). */
const seenNow = (id: string, label: string) => {
  const now = Date.now() / 1000;
  return frigateMessage(
    'new',
    frigateCar({
      id,
      camera: 'yunxi_rd_east',
      label,
      start_time: now,
      frame_time: now,
      current_zones: [],
      entered_zones: [],
      stationary: false,
      active: true,
      has_snapshot: false,
    }),
  );
};

/**
 * A car parked 11 minutes in the no-parking zone of CAM-PARK-01 (Frigate camera yunxi_rd_east under DEMO-NVR-01):
 * `new`, then an update every minute (12 events). Its case, and the evidence with both ends of the dwell.
 */
async function parkedCarCase(options: { app: TestApp; db: Client; nvr: MqttClient; api: FrigateApiStandIn; trackId: string; start: Date; failFirst: number }) {
  const { app, db, nvr, api, trackId, start, failFirst } = options;
  const stream = frigateTrack({
    id: trackId,
    camera: 'yunxi_rd_east',
    label: 'car',
    plate: '粤A14014',
    zones: ['no_parking'],
    start,
    minutes: 11,
    stepSeconds: 60,
  });
  expect(stream).toHaveLength(12);
  // As Frigate sends it: the `new` message has no snapshot yet. Its picture proves when the dwell began all the same.
  stream[0] = stream[0].replaceAll('"has_snapshot":true', '"has_snapshot":false');
  expect(stream[0]).toContain('"type":"new"');
  expect(stream[0]).not.toContain('"has_snapshot":true');
  // The API is restarting: its first answers are 503, the fetcher asks again with back-off.
  api.failNext(failFirst);
  for (const m of stream) await nvr.publishAsync('frigate/events', m, { qos: 1 });
  await eventually('the 12 events stored', async () =>
    (await db.query(`SELECT 1 FROM events WHERE source_event_id LIKE $1`, [`${trackId}:%`])).rowCount === 12 ? true : undefined,
  );
  // Every event has its picture slot, and each is fetched from the API.
  const slots = await eventually(
    'every picture fetched',
    async () => {
      const rows = await slotsOf(db, trackId);
      return rows.length === 12 && rows.every((r) => r.status === 'present') ? rows : undefined;
    },
    30_000,
  );
  expect(slots.map((s) => s.origin)).toEqual(Array(12).fill('frigate-api'));
  // Each fetch gave another picture (the stand-in makes one per request), each served by the API.
  expect(new Set(slots.map((s) => s.sha256)).size).toBe(12);
  for (const s of slots) expect(api.served.get(s.sha256 as string)).toBe(trackId);
  // Exactly one request per attempt: 12 pictures + the failed answers asked again.
  expect(api.requestsFor(trackId)).toBe(12 + failFirst);
  expect(slots.reduce((n, s) => n + s.attempts, 0)).toBe(12 + failFirst);
  expect(api.requests.filter((r) => r.eventId === trackId && r.status === 503)).toHaveLength(failFirst);
  expect(api.requests.filter((r) => r.eventId === trackId && r.status === 200)).toHaveLength(12);

  const cases = await caseOfTrack(db, trackId);
  expect(cases).toEqual([{ case_id: expect.any(String), category_code: 'motor-parking' }]);
  const caseId = cases[0].case_id;
  const evidence = await eventually(
    'the dwell proof with its first and last picture',
    async () => {
      const e = await evidenceOf(app, caseId);
      const images = e.items.filter((i) => i.kind === 'image' && i.status === 'present');
      return images.some((i) => i.role === 'first') && images.some((i) => i.role === 'last') ? e : undefined;
    },
    30_000,
  );
  const images = evidence.items.filter((i) => i.kind === 'image');
  expect(images.length).toBeGreaterThanOrEqual(2);
  const first = images.filter((i) => i.role === 'first');
  const last = images.filter((i) => i.role === 'last');
  expect(first).toHaveLength(1);
  expect(last).toHaveLength(1);
  expect(new Date(first[0].capturedAt as string).getTime()).toBe(start.getTime());
  expect(new Date(last[0].capturedAt as string).getTime()).toBe(start.getTime() + 11 * 60_000);
  expect(first[0].sha256).toBe(slots[0].sha256);
  expect(last[0].sha256).toBe(slots[11].sha256);
  expect(first[0].sha256).not.toBe(last[0].sha256);
  expect(evidence.dwell).toMatchObject({ seconds: 660 });
  expect(new Date(evidence.dwell?.first.at as string).getTime()).toBe(start.getTime());
  expect(new Date(evidence.dwell?.last.at as string).getTime()).toBe(start.getTime() + 11 * 60_000);
  // Every picture's bytes, as the API serves them, hash to its sha256; none is pending or missing.
  for (const image of images) {
    expect(image).toMatchObject({
      status: 'present',
      origin: 'frigate-api',
      url: expect.stringMatching(new RegExp(`^/api/v1/cases/${caseId}/pictures/${image.sha256}/original$`)),
    });
    expect(sha256(await bytesOf(app, image.url as string))).toBe(image.sha256);
  }
  expect(evidence.completeness.pictures).toMatchObject({ pending: 0, missing: 0, present: images.length });
}

describe('Frigate pictures', () => {
  describe('the embedded broker (one-command start)', () => {
    let embedded: EmbeddedStart;
    let app: TestApp;
    let db: Client;
    let api: FrigateApiStandIn;
    let nvr: MqttClient;

    beforeAll(async () => {
      api = await startFrigateApiStandIn();
      embedded = await startEmbedded();
      ({ app, db } = embedded);
      nvr = await embedded.device('DEMO-NVR-01');
    });

    afterAll(async () => {
      await nvr?.endAsync();
      await embedded?.stop();
      await api?.stop();
    });

    it('takes Frigate’s MQTT snapshot before its PUBACK, and uses it at once for a camera whose NVR has no API address', async () => {
      const snapshot = await mqttSnapshotJpeg(1);
      await nvr.publishAsync('frigate/yunxi_rd_east/car/snapshot', snapshot, { qos: 1, retain: true });
      // PUBACK means stored: no waiting.
      expect(await arrivalsOf(db, SNAPSHOT_KEY('car'))).toEqual([{ origin: 'frigate-mqtt', device_id: 'CAM-PARK-01', sha256: sha256(snapshot), detail: null }]);
      expect((await db.query(`SELECT 1 FROM pictures WHERE sha256 = $1`, [sha256(snapshot)])).rowCount).toBe(1);
      // Never an event, never a dead letter.
      expect((await db.query(`SELECT 1 FROM dead_letters WHERE topic LIKE '%/snapshot'`)).rowCount).toBe(0);

      await nvr.publishAsync('frigate/events', seenNow('emb-no-api', 'car'), { qos: 1 });
      const [slot] = await eventually('the picture settled', async () => {
        const rows = await slotsOf(db, 'emb-no-api');
        return rows.length === 1 && rows[0].status !== 'pending' ? rows : undefined;
      });
      expect(slot).toMatchObject({ status: 'present', origin: 'frigate-mqtt', sha256: sha256(snapshot), attempts: 1 });
      expect(slot.detail).toContain('no Frigate API address is registered for CAM-PARK-01 or its NVR');
      expect(slot.detail).toContain("Frigate's MQTT snapshot of yunxi_rd_east/car");
      expect(api.requests).toHaveLength(0);
    });

    it('acknowledges a snapshot the imagery pipeline refuses, recorded with the reason; takes none of a camera not under the NVR', async () => {
      const notAJpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);
      await nvr.publishAsync('frigate/yunxi_rd_east/person/snapshot', notAJpeg, { qos: 1, retain: true });
      const refused = await arrivalsOf(db, SNAPSHOT_KEY('person'));
      expect(refused).toEqual([
        { origin: 'frigate-mqtt', device_id: 'CAM-PARK-01', sha256: null, detail: expect.stringMatching(/^(truncated|corrupt|not-an-image): /) },
      ]);
      // A camera no device is registered for: acknowledged, nothing kept.
      await nvr.publishAsync('frigate/not_registered_cam/car/snapshot', await mqttSnapshotJpeg(2), { qos: 1 });
      expect((await db.query(`SELECT 1 FROM picture_arrivals WHERE match_key LIKE '%not_registered_cam%'`)).rowCount).toBe(0);
      expect(nvr.connected).toBe(true);
      expect((await db.query(`SELECT count(*)::int AS n FROM picture_arrivals`)).rows[0].n).toBe(2);
    });

    it('a parked car’s case holds the first and the last picture of the dwell, fetched from the Frigate API, their bytes hashing to their sha256', async () => {
      await registerApi(app, api.url);
      await parkedCarCase({ app, db, nvr, api, trackId: 'emb-parked-car', start: new Date('2026-11-29T01:00:00Z'), failFirst: 2 });
    });
  });

  describe('Mosquitto with the shipped configuration', () => {
    let mosquitto: ShippedMosquitto;
    let app: TestApp;
    let db: Client;
    let api: FrigateApiStandIn;
    let nvr: MqttClient;

    beforeAll(async () => {
      api = await startFrigateApiStandIn();
      mosquitto = await startShippedMosquitto({ 'cloudpatrol-worker-1': 'worker-secret', 'DEMO-NVR-01': PASSWORD });
      app = await startTestApp({
        env: { MQTT_URL: mosquitto.url, MQTT_USERNAME: 'cloudpatrol-worker-1', MQTT_PASSWORD: 'worker-secret', MQTT_CLIENT_ID: 'cloudpatrol-worker-1' },
      });
      db = new Client({ connectionString: app.databaseUrl });
      await db.connect();
      nvr = await connectAsync(mosquitto.url, { protocolVersion: 4, username: 'DEMO-NVR-01', password: PASSWORD, reconnectPeriod: 0 });
      await registerApi(app, api.url);
    });

    afterAll(async () => {
      jest.restoreAllMocks();
      await nvr?.endAsync();
      await db?.end();
      await app?.stop();
      await mosquitto?.stop();
      await api?.stop();
    });

    it('a parked car’s case holds the first and the last picture of the dwell, fetched from the Frigate API, their bytes hashing to their sha256', async () => {
      await parkedCarCase({ app, db, nvr, api, trackId: 'mq-parked-car', start: new Date('2026-11-29T03:00:00Z'), failFirst: 3 });
      // Nothing of it went to the event adapters' dead letters.
      expect((await db.query(`SELECT 1 FROM dead_letters`)).rowCount).toBe(0);
    });

    it('with the API down, the MQTT snapshot is the picture once the retries run out; with neither, the picture is recorded missing with what was tried', async () => {
      api.down(503);
      const snapshot = await mqttSnapshotJpeg(5);
      await nvr.publishAsync('frigate/yunxi_rd_east/car/snapshot', snapshot, { qos: 1, retain: true });
      await eventually('the MQTT snapshot kept', async () => ((await arrivalsOf(db, SNAPSHOT_KEY('car'))).length === 1 ? true : undefined));
      expect(await arrivalsOf(db, SNAPSHOT_KEY('car'))).toEqual([{ origin: 'frigate-mqtt', device_id: 'CAM-PARK-01', sha256: sha256(snapshot), detail: null }]);

      // A car (its MQTT snapshot is there) and a truck (none was published) seen now; the API answers 503.
      await nvr.publishAsync('frigate/events', seenNow('mq-down-car', 'car'), { qos: 1 });
      await nvr.publishAsync('frigate/events', seenNow('mq-down-truck', 'truck'), { qos: 1 });
      // The fetcher keeps asking the API (with back-off) and does not settle before the give-up time.
      await eventually('the API asked again', async () => {
        const rows = [...(await slotsOf(db, 'mq-down-car')), ...(await slotsOf(db, 'mq-down-truck'))];
        return rows.length === 2 && rows.every((r) => r.attempts >= 2) ? rows : undefined;
      });
      for (const id of ['mq-down-car', 'mq-down-truck']) {
        const [slot] = await slotsOf(db, id);
        expect(slot).toMatchObject({ status: 'pending', origin: 'frigate-api', sha256: null });
        expect(slot.detail).toContain('answered HTTP 503');
      }

      // Ten minutes on: the give-up time of both has passed.
      const clock = app.app.get(Clock);
      const real = clock.now.bind(clock);
      jest.spyOn(clock, 'now').mockImplementation(() => new Date(real().getTime() + 11 * 60_000));
      const settled = await eventually('both settled', async () => {
        const car = await slotsOf(db, 'mq-down-car');
        const truck = await slotsOf(db, 'mq-down-truck');
        return car[0]?.status !== 'pending' && truck[0]?.status !== 'pending' ? { car: car[0], truck: truck[0] } : undefined;
      });
      expect(settled.car).toMatchObject({ status: 'present', origin: 'frigate-mqtt', sha256: sha256(snapshot) });
      expect(settled.car.detail).toMatch(
        new RegExp(
          `^Frigate's API gave no picture in ${settled.car.attempts} attempts \\(last: GET ${api.url}/api/events/mq-down-car/snapshot.jpg answered HTTP 503`,
        ),
      );
      expect(settled.car.detail).toContain("Frigate's MQTT snapshot of yunxi_rd_east/car");
      expect(settled.truck).toMatchObject({ status: 'missing', origin: 'frigate-api', sha256: null });
      expect(settled.truck.detail).toMatch(
        new RegExp(
          `^Frigate's API gave no picture in ${settled.truck.attempts} attempts \\(last: GET .* answered HTTP 503.*\\); no MQTT snapshot of yunxi_rd_east/truck arrived between `,
        ),
      );
      // Each attempt asked the API once, and nothing more was asked after settling.
      expect(api.requestsFor('mq-down-car')).toBe(settled.car.attempts);
      expect(api.requestsFor('mq-down-truck')).toBe(settled.truck.attempts);
      expect((await db.query(`SELECT 1 FROM picture_arrivals WHERE match_key = $1`, [SNAPSHOT_KEY('truck')])).rowCount).toBe(0);
    });
  });
});
