import { makeDronePhoto, nonImageBytes } from '../fixtures/photo-fixtures';
import { connectAsync, IClientOptions, MqttClient } from 'mqtt';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { closes, EmbeddedStart, startEmbedded } from '../fixtures/embedded-start';
import { ShippedMosquitto, startShippedMosquitto } from '../fixtures/shipped-mosquitto';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 14, item 4: CloudPatrol's own format. A device publishes the picture of one of its events as a binary
 * QoS 1 message on `cloudpatrol/v1/devices/<id>/events/<eventId>/snapshot` (docs/schemas/cloudpatrol-device-snapshot.md),
 * before or after the event JSON that names that topic in `media`; whichever comes second links the two. A picture
 * the imagery pipeline refuses is acknowledged and recorded missing with the reason; only the device itself may
 * publish on its snapshot topics. On the embedded broker (PUBACK = stored) and on Mosquitto with the shipped ACL.
 */

const PASSWORD = 'cloudpatrol-demo';
const DEVICE = 'DEMO-CAM-01';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const snapshotTopic = (eventId: string, device = DEVICE) => `cloudpatrol/v1/devices/${device}/events/${eventId}/snapshot`;
const EVENTS_TOPIC = `cloudpatrol/v1/devices/${DEVICE}/events`;

/** A garbage event of DEMO-CAM-01 naming its own snapshot topic (the demo rules open an exposed-garbage case). */
const eventNamingItsPicture = (eventId: string, minute: number) =>
  JSON.stringify({
    eventId,
    deviceId: DEVICE,
    occurredAt: `2026-11-30T10:${String(minute).padStart(2, '0')}:00+08:00`,
    detections: [{ label: 'garbage', confidence: 0.91 }],
    media: [{ kind: 'snapshot', uri: snapshotTopic(eventId) }],
  });

/** A camera picture, different for every seed. */
const picture = (seed: number) => makeDronePhoto({ width: 800, height: 450, seed, make: 'Hikvision', model: 'DS-2CD', quality: 85 });

interface SlotRow {
  status: string;
  origin: string;
  sha256: string | null;
  match_key: string | null;
  detail: string | null;
}
const slotsOf = async (db: Client, eventId: string) =>
  (
    await db.query<SlotRow>(
      `SELECT ep.status, ep.origin, ep.sha256, ep.match_key, ep.detail FROM event_pictures ep JOIN events e ON e.id = ep.event_id
        WHERE e.device_id = $1 AND e.source_event_id = $2 ORDER BY ep.slot`,
      [DEVICE, eventId],
    )
  ).rows;
const arrivalsOf = async (db: Client, eventId: string, device = DEVICE) =>
  (
    await db.query<{ origin: string; device_id: string; sha256: string | null; detail: string | null }>(
      `SELECT origin, device_id, sha256, detail FROM picture_arrivals WHERE match_key = $1 ORDER BY id`,
      [`device-snapshot:${device}:${eventId}`],
    )
  ).rows;
const count = async (db: Client, sql: string, params: unknown[] = []) =>
  Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM (${sql}) q`, params)).rows[0].n);

interface EvidenceItem {
  kind: string;
  status: string;
  sha256: string | null;
  eventId: string | null;
  deviceId: string | null;
  origin?: string;
  detail?: string;
  url?: string;
}

/** The three orders and outcomes every path must handle; `deliver` publishes and waits as that path allows. */
function deviceSnapshotCases(ctx: {
  name: string;
  get: () => { app: TestApp; db: Client; device: (id: string, options?: IClientOptions) => Promise<MqttClient> };
  /** Waits for what the path does after a publish: nothing on the embedded broker (PUBACK = stored), polling on Mosquitto. */
  settled: (what: string, probe: () => Promise<boolean>) => Promise<void>;
  /** How the broker answers a publish on another device's snapshot topic. */
  refusesForeign: (camera: MqttClient, topic: string, bytes: Buffer) => Promise<void>;
  /** Pictures `refusesForeign` itself published (a marker on Mosquitto). */
  arrivalsBesides: number;
}) {
  const ids = { pictureFirst: `${ctx.name}-pic-first`, eventFirst: `${ctx.name}-event-first`, refused: `${ctx.name}-refused` };
  const pictures: Record<string, Buffer> = {};

  it('picture first, then its event: the event’s picture is there as soon as the event is stored', async () => {
    const { db, device } = ctx.get();
    const camera = await device(DEVICE);
    pictures.first = await picture(11);
    await camera.publishAsync(snapshotTopic(ids.pictureFirst), pictures.first, { qos: 1 });
    await ctx.settled('the picture kept', async () => (await arrivalsOf(db, ids.pictureFirst)).length === 1);
    expect(await arrivalsOf(db, ids.pictureFirst)).toEqual([{ origin: 'device-publish', device_id: DEVICE, sha256: sha256(pictures.first), detail: null }]);
    // Kept, waiting for its event: no event, no dead letter.
    expect(await count(db, `SELECT 1 FROM events WHERE source_event_id = $1`, [ids.pictureFirst])).toBe(0);

    await camera.publishAsync(EVENTS_TOPIC, eventNamingItsPicture(ids.pictureFirst, 1), { qos: 1 });
    await ctx.settled('the event stored', async () => (await slotsOf(db, ids.pictureFirst)).length === 1);
    expect(await slotsOf(db, ids.pictureFirst)).toEqual([
      { status: 'present', origin: 'device-publish', sha256: sha256(pictures.first), match_key: `device-snapshot:${DEVICE}:${ids.pictureFirst}`, detail: null },
    ]);
    await camera.endAsync();
  });

  it('event first, then its picture: the waiting slot is completed when the picture comes', async () => {
    const { db, device } = ctx.get();
    const camera = await device(DEVICE);
    await camera.publishAsync(EVENTS_TOPIC, eventNamingItsPicture(ids.eventFirst, 2), { qos: 1 });
    await ctx.settled('the event stored', async () => (await slotsOf(db, ids.eventFirst)).length === 1);
    expect(await slotsOf(db, ids.eventFirst)).toEqual([
      { status: 'pending', origin: 'device-publish', sha256: null, match_key: `device-snapshot:${DEVICE}:${ids.eventFirst}`, detail: null },
    ]);

    pictures.second = await picture(12);
    await camera.publishAsync(snapshotTopic(ids.eventFirst), pictures.second, { qos: 1 });
    await ctx.settled('the picture linked', async () => (await slotsOf(db, ids.eventFirst))[0]?.status === 'present');
    expect(await slotsOf(db, ids.eventFirst)).toEqual([
      { status: 'present', origin: 'device-publish', sha256: sha256(pictures.second), match_key: `device-snapshot:${DEVICE}:${ids.eventFirst}`, detail: null },
    ]);
    expect(await arrivalsOf(db, ids.eventFirst)).toEqual([{ origin: 'device-publish', device_id: DEVICE, sha256: sha256(pictures.second), detail: null }]);
    await camera.endAsync();
  });

  it('a picture the pipeline refuses is acknowledged and recorded missing with the reason', async () => {
    const { db, device } = ctx.get();
    const camera = await device(DEVICE);
    await camera.publishAsync(EVENTS_TOPIC, eventNamingItsPicture(ids.refused, 3), { qos: 1 });
    await camera.publishAsync(snapshotTopic(ids.refused), nonImageBytes(), { qos: 1 });
    await ctx.settled('the refusal recorded', async () => (await slotsOf(db, ids.refused))[0]?.status === 'missing');
    expect(await slotsOf(db, ids.refused)).toEqual([
      {
        status: 'missing',
        origin: 'device-publish',
        sha256: null,
        match_key: `device-snapshot:${DEVICE}:${ids.refused}`,
        detail: 'not-an-image: the file is not an image (unknown signature)',
      },
    ]);
    expect(camera.connected).toBe(true);
    await camera.endAsync();
  });

  it('only the device itself may publish its snapshots', async () => {
    const { db, device } = ctx.get();
    const camera = await device(DEVICE);
    await ctx.refusesForeign(camera, snapshotTopic(`${ctx.name}-foreign`, 'CAM-MARKET-01'), await picture(13));
    expect(await arrivalsOf(db, `${ctx.name}-foreign`, 'CAM-MARKET-01')).toEqual([]);
  });

  it('the case holds each picture as an image item whose bytes hash to its sha256; nothing went to the event adapters', async () => {
    const { app, db } = ctx.get();
    const cases = (
      await db.query<{ case_id: string }>(
        `SELECT DISTINCT o.case_id FROM case_occurrences o JOIN events e ON e.id = o.event_id WHERE e.device_id = $1 AND e.source_event_id = ANY($2::text[])`,
        [DEVICE, Object.values(ids)],
      )
    ).rows;
    expect(cases).toHaveLength(1);
    const caseId = cases[0].case_id;
    const token = await app.token();
    const evidence = await eventually('the evidence with its pictures', async () => {
      const res = await request(app.url).get(`/api/v1/cases/${caseId}/evidence`).set('Authorization', `Bearer ${token}`);
      if (res.status !== 200) throw new Error(`evidence answered ${res.status}`);
      const body = res.body as { items: EvidenceItem[]; completeness: { pictures: { present: number; pending: number; missing: number } } };
      return body.items.filter((i) => i.kind === 'image').length === 3 ? body : undefined;
    });
    const images = evidence.items.filter((i) => i.kind === 'image');
    expect(
      images
        .filter((i) => i.status === 'present')
        .map((i) => i.sha256)
        .sort(),
    ).toEqual([sha256(pictures.first), sha256(pictures.second)].sort());
    expect(images.filter((i) => i.status === 'missing')).toEqual([
      expect.objectContaining({
        sha256: null,
        deviceId: DEVICE,
        origin: 'device-publish',
        detail: expect.stringContaining('not-an-image: the file is not an image (unknown signature)'),
      }),
    ]);
    expect(evidence.completeness.pictures).toEqual({ present: 2, pending: 0, missing: 1 });
    for (const image of images.filter((i) => i.status === 'present')) {
      expect(image).toMatchObject({ origin: 'device-publish', deviceId: DEVICE });
      const res = await fetch(new URL(image.url as string, app.url), { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(image.sha256);
    }
    // Exactly the three events; pictures are never events, never dead letters.
    expect(await count(db, `SELECT 1 FROM events WHERE device_id = $1`, [DEVICE])).toBe(3);
    expect(await count(db, `SELECT 1 FROM dead_letters`)).toBe(0);
    expect(await count(db, `SELECT 1 FROM picture_arrivals`)).toBe(3 + ctx.arrivalsBesides);
    expect(await count(db, `SELECT 1 FROM event_pictures`)).toBe(3);
  });
}

describe('device snapshots (CloudPatrol’s own format)', () => {
  describe('the embedded broker (one-command start)', () => {
    let embedded: EmbeddedStart;
    beforeAll(async () => {
      embedded = await startEmbedded();
    });
    afterAll(async () => {
      await embedded?.stop();
    });

    deviceSnapshotCases({
      name: 'emb',
      get: () => ({ app: embedded.app, db: embedded.db, device: (id, options) => embedded.device(id, options) }),
      // PUBACK means stored: what the publish did is there when it resolves.
      settled: async (what, probe) => {
        if (!(await probe())) throw new Error(`not done when the PUBACK came: ${what}`);
      },
      refusesForeign: async (camera, topic, bytes) => {
        const closed = closes(camera);
        camera.publish(topic, bytes, { qos: 1 });
        expect(await closed).toBe(true);
      },
      arrivalsBesides: 0,
    });
  });

  describe('Mosquitto with the shipped configuration', () => {
    let mosquitto: ShippedMosquitto;
    let app: TestApp;
    let db: Client;
    beforeAll(async () => {
      mosquitto = await startShippedMosquitto({ 'cloudpatrol-worker-1': 'worker-secret', [DEVICE]: PASSWORD, 'CAM-MARKET-01': PASSWORD });
      app = await startTestApp({
        env: { MQTT_URL: mosquitto.url, MQTT_USERNAME: 'cloudpatrol-worker-1', MQTT_PASSWORD: 'worker-secret', MQTT_CLIENT_ID: 'cloudpatrol-worker-1' },
      });
      db = new Client({ connectionString: app.databaseUrl });
      await db.connect();
    });
    afterAll(async () => {
      await db?.end();
      await app?.stop();
      await mosquitto?.stop();
    });

    deviceSnapshotCases({
      name: 'mq',
      get: () => ({
        app,
        db,
        device: (id, options = {}) => connectAsync(mosquitto.url, { protocolVersion: 4, username: id, password: PASSWORD, reconnectPeriod: 0, ...options }),
      }),
      settled: async (what, probe) => {
        await eventually(what, async () => ((await probe()) ? true : undefined));
      },
      // Mosquitto drops a publish the ACL refuses (MQTT 3.1.1 cannot say so), then takes no more publishes on
      // that connection (max_queued_messages 0): the marker that proves the worker took everything before it
      // goes on a new connection, as the device's own snapshot of another event.
      refusesForeign: async (camera, topic, bytes) => {
        await camera.publishAsync(topic, bytes, { qos: 1 });
        camera.end(true);
        const again = await connectAsync(mosquitto.url, { protocolVersion: 4, username: DEVICE, password: PASSWORD, reconnectPeriod: 0 });
        const marker = await picture(14);
        await again.publishAsync(snapshotTopic('mq-marker'), marker, { qos: 1 });
        await eventually('the marker kept', async () => ((await arrivalsOf(db, 'mq-marker')).length === 1 ? true : undefined));
        await again.endAsync();
      },
      arrivalsBesides: 1,
    });
  });
});
