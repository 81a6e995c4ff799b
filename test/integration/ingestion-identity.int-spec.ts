import { FIRE_RECORD_V1_EXAMPLE } from '@app/domain';
import { hikAlert } from '../fixtures/payloads/hikvision-isapi.fixtures';
import { fileUploadCallback } from '../fixtures/payloads/dji-cloud.fixtures';
import { frigateCar, frigateMessage } from '../fixtures/payloads/frigate-event.fixtures';
import { makeDronePhoto } from '../fixtures/photo-fixtures';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { connectAsync, MqttClient } from 'mqtt';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { deleteKafkaTopics } from '../fixtures/kafka-topics';
import { PrivateMosquitto, startPrivateMosquitto } from '../fixtures/private-mosquitto';
import { readServices } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 23 (items 3 and 6): an event's identity is who sent it, its id and when it happened. Two distinct
 * real-world events with the same source id fields are both stored — two cameras counting evt-0…evt-9, a
 * counter restarted by a reboot, two Hikvision alarms on different lanes in the same second, one Frigate id on
 * two cameras, one object key from two docks, one record id from two platforms — while a true re-send is stored
 * once. Re-marking a drone photo with the same label (a note added or changed) adds no occurrence.
 */

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('ingestion identity: distinct events with the same ids are all kept, re-sends once', () => {
  let app: TestApp;
  let broker: PrivateMosquitto;
  let mqtt: MqttClient;
  let producer: Producer;
  let db: Client;
  let admin: string;

  beforeAll(async () => {
    // Publishes on the product's fixed device topics stay out of other test files' apps.
    broker = await startPrivateMosquitto();
    app = await startTestApp({ kafka: true, env: { MQTT_URL: broker.url } });
    mqtt = await connectAsync(broker.url, { protocolVersion: 5 });
    producer = new Kafka({ clientId: 'ingestion-identity-test', brokers: readServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    admin = await app.token();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
    await broker?.stop();
    if (app) await deleteKafkaTopics(app.kafkaTopicPrefix);
  });

  const publish = (topic: string, payload: string) => mqtt.publishAsync(topic, payload, { qos: 1 });
  const count = async (sql: string, params: unknown[] = []) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) q`, params)).rows[0].n;
  /** Waits until `sql` counts `expected` rows; fails with the last count otherwise. */
  const countReaches = (what: string, sql: string, params: unknown[], expected: number, timeoutMs = 20_000) =>
    eventually(what, async () => ((await count(sql, params)) === expected ? true : undefined), timeoutMs);
  /** A counter's value from /metrics (0 when it has no sample yet). */
  const counter = async (name: string, labels: string): Promise<number> => {
    const text = (await request(app.url).get('/metrics').expect(200)).text;
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  const duplicates = (source: string, device: string) => counter('cloudpatrol_events_duplicate_total', `source="${source}",device="${device}"`);
  /** Waits until the app has counted `n` more duplicates for these devices: the re-sends were processed, not lost in transit. */
  const duplicatesSeen = async (source: string, devices: string[], before: number, n: number, timeoutMs = 20_000) => {
    const total = async () => (await Promise.all(devices.map((d) => duplicates(source, d)))).reduce((a, b) => a + b, 0);
    await eventually(`${n} re-sends counted as duplicates`, async () => ((await total()) - before >= n ? true : undefined), timeoutMs);
    return (await total()) - before;
  };
  const duplicatesOf = async (source: string, devices: string[]) => (await Promise.all(devices.map((d) => duplicates(source, d)))).reduce((a, b) => a + b, 0);
  const register = (body: Record<string, unknown>) => request(app.url).post('/api/v1/devices').set('Authorization', `Bearer ${admin}`).send(body).expect(201);

  it('own format: two cameras each sending evt-0…evt-9 store 20 events, a re-send of all 20 stores none, a rebooted camera reusing evt-0 stores one more', async () => {
    const cameras = ['DEMO-CAM-01', 'CAM-MARKET-01'];
    const event = (deviceId: string, i: number, occurredAt = `2026-11-28T09:00:0${i}+08:00`) =>
      JSON.stringify({ eventId: `evt-${i}`, deviceId, occurredAt, detections: [{ label: 'garbage', confidence: 0.91 }] });
    const sent = cameras.flatMap((d) => Array.from({ length: 10 }, (_, i) => ({ topic: `cloudpatrol/v1/devices/${d}/events`, payload: event(d, i) })));
    for (const m of sent) await publish(m.topic, m.payload);
    const ownEvents = `SELECT 1 FROM events WHERE source = 'cloudpatrol' AND source_event_id LIKE 'evt-%'`;
    await countReaches('20 own-format events', ownEvents, [], 20);
    expect(await count(`${ownEvents} AND device_id = 'DEMO-CAM-01'`)).toBe(10);
    expect(await count(`${ownEvents} AND device_id = 'CAM-MARKET-01'`)).toBe(10);

    // The same 20 again (a device retrying, a broker redelivering): all recognised, nothing new.
    const before = await duplicatesOf('cloudpatrol', cameras);
    for (const m of sent) await publish(m.topic, m.payload);
    expect(await duplicatesSeen('cloudpatrol', cameras, before, 20)).toBe(20);
    expect(await count(ownEvents)).toBe(20);

    // DEMO-CAM-01 reboots and counts from evt-0 again: a new event an hour later is kept; its own re-send is not.
    const rebooted = event('DEMO-CAM-01', 0, '2026-11-28T10:00:00+08:00');
    await publish('cloudpatrol/v1/devices/DEMO-CAM-01/events', rebooted);
    await countReaches('the rebooted camera’s evt-0', ownEvents, [], 21);
    const beforeRebootResend = await duplicatesOf('cloudpatrol', ['DEMO-CAM-01']);
    await publish('cloudpatrol/v1/devices/DEMO-CAM-01/events', rebooted);
    await duplicatesSeen('cloudpatrol', ['DEMO-CAM-01'], beforeRebootResend, 1);
    expect(await count(`${ownEvents} AND device_id = 'DEMO-CAM-01' AND source_event_id = 'evt-0'`)).toBe(2);

    // Every stored event is one occurrence on the garbage point's case, none counted twice.
    const occurrences = await db.query<{ n: number; events: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT o.event_id)::int AS events FROM case_occurrences o JOIN events e ON e.id = o.event_id
        WHERE e.source = 'cloudpatrol' AND e.device_id = 'DEMO-CAM-01' AND e.source_event_id LIKE 'evt-%'`,
    );
    expect(occurrences.rows[0]).toEqual({ n: 11, events: 11 });
  });

  describe('Hikvision ISAPI', () => {
    /** HIK-GATE-01 is registered with alias 44:19:b6:00:00:01:ch1 (config/demo/devices.yaml). */
    const gate = { macAddress: '44:19:b6:00:00:01', channelID: '1' };
    const push = (xml: string) =>
      request(app.url)
        .post('/api/v1/ingest/hikvision')
        .set('Authorization', basic('HIK-GATE-01', 'cloudpatrol-demo'))
        .set('Content-Type', 'application/xml')
        .send(xml)
        .expect(200);
    const abandoned = (second: number, lane: number, retransmission = false) =>
      hikAlert(
        { ...gate, dateTime: `2026-11-28T15:00:${String(second).padStart(2, '0')}+08:00` },
        `  <AID><illegalTrafficEvent>abandonedObject</illegalTrafficEvent><laneNo>${lane}</laneNo></AID>\n  <isDataRetransmission>${retransmission}</isDataRetransmission>\n`,
      );
    const hikEvents = (from: string, to: string) =>
      [`SELECT 1 FROM events WHERE source = 'hikvision' AND occurred_at >= $1 AND occurred_at < $2`, [from, to]] as const;

    it('stores abandoned objects on lanes 1 and 3 in the same second as two events; a retried POST and a retransmission answer duplicate', async () => {
      expect((await push(abandoned(2, 1))).body).toMatchObject({ status: 'stored' });
      expect((await push(abandoned(2, 3))).body).toMatchObject({ status: 'stored' });
      expect((await push(abandoned(2, 3))).body).toMatchObject({ status: 'duplicate' });
      expect((await push(abandoned(2, 1, true))).body).toMatchObject({ status: 'duplicate' });
      const lanes = await db.query<{ lane: number }>(
        `SELECT (attributes->>'laneNo')::int AS lane FROM events WHERE source = 'hikvision' AND occurred_at = '2026-11-28T07:00:02Z' ORDER BY 1`,
      );
      expect(lanes.rows.map((r) => r.lane)).toEqual([1, 3]);
    });

    it('stores intrusions in regions 1 and 2 of one camera in the same second as two events, each once', async () => {
      const intrusion = (region: number) =>
        hikAlert(
          { ...gate, eventType: 'fielddetection', dateTime: '2026-11-28T15:01:00+08:00' },
          `  <DetectionRegionList><DetectionRegionEntry><regionID>${region}</regionID><detectionTarget>vehicle</detectionTarget></DetectionRegionEntry></DetectionRegionList>\n`,
        );
      expect((await push(intrusion(1))).body).toMatchObject({ status: 'stored' });
      expect((await push(intrusion(2))).body).toMatchObject({ status: 'stored' });
      expect((await push(intrusion(2))).body).toMatchObject({ status: 'duplicate' });
      const [sql, params] = hikEvents('2026-11-28T07:01:00Z', '2026-11-28T07:01:01Z');
      expect(await count(sql, [...params])).toBe(2);
    });

    it('a mixed burst of 40 alarms (10 seconds × lanes 1–4, 10 in parallel) stores 40; sending all 40 again stores none', async () => {
      const alarms = Array.from({ length: 40 }, (_, i) => abandoned(10 + Math.floor(i / 4), 1 + (i % 4)));
      const sendAll = async () => {
        const statuses: string[] = [];
        for (let i = 0; i < alarms.length; i += 10) {
          const answers = await Promise.all(alarms.slice(i, i + 10).map((xml) => push(xml)));
          statuses.push(...answers.map((a) => (a.body as { status: string }).status));
        }
        return statuses;
      };
      expect(await sendAll()).toEqual(Array(40).fill('stored'));
      expect(await sendAll()).toEqual(Array(40).fill('duplicate'));
      const [sql, params] = hikEvents('2026-11-28T07:00:10Z', '2026-11-28T07:00:20Z');
      expect(await count(sql, [...params])).toBe(40);
    });
  });

  it('Frigate: the same object id from two cameras (two Frigate instances) is two events; a redelivery of either is none', async () => {
    const id = '1764295322.417655-idnt01';
    const message = (camera: string) => frigateMessage('new', frigateCar({ id, camera, frame_time: 1764295322.9 }));
    const both = [message('yunxi_rd_east'), message('lanting_market')];
    for (const m of both) await publish('frigate/events', m);
    const sql = `SELECT 1 FROM events WHERE source = 'frigate' AND source_event_id = $1`;
    await countReaches('the new event of both cameras', sql, [`${id}:new`], 2);
    const devices = ['CAM-PARK-01', 'CAM-MARKET-01'];
    const before = await duplicatesOf('frigate', devices);
    for (const m of both) await publish('frigate/events', m);
    expect(await duplicatesSeen('frigate', devices, before, 2)).toBe(2);
    expect((await db.query(`SELECT device_id FROM events WHERE source = 'frigate' AND source_event_id = $1 ORDER BY 1`, [`${id}:new`])).rows).toEqual([
      { device_id: 'CAM-MARKET-01' },
      { device_id: 'CAM-PARK-01' },
    ]);
  });

  it('DJI: the same object key uploaded through two docks is two events; a re-sent callback (new tid and send time) is none', async () => {
    await register({ id: 'DOCK-IDNT-02', kind: 'dock', name: 'Second dock', ownerDepartment: 'city-management', location: { lat: 23.085, lng: 113.31 } });
    const objectKey = 'wayline/idnt-flight/DJI_0001.jpeg';
    const callback = (gateway: string, tid: string, timestamp: number) =>
      fileUploadCallback({ object_key: objectKey, name: 'DJI_0001.jpeg' }, { tid, bid: tid, gateway, timestamp });
    await publish('thing/product/DRONE-01/events', callback('DRONE-01', 'idnt-1', 1764296702456));
    await publish('thing/product/DOCK-IDNT-02/events', callback('DOCK-IDNT-02', 'idnt-2', 1764296702456));
    const sql = `SELECT 1 FROM events WHERE source = 'dji' AND source_event_id = $1`;
    await countReaches('the photo of both docks', sql, [`file:${objectKey}`], 2);
    const devices = ['DRONE-01', 'DOCK-IDNT-02'];
    const before = await duplicatesOf('dji', devices);
    await publish('thing/product/DRONE-01/events', callback('DRONE-01', 'idnt-3', 1764296760000));
    await publish('thing/product/DOCK-IDNT-02/events', callback('DOCK-IDNT-02', 'idnt-4', 1764296760000));
    expect(await duplicatesSeen('dji', devices, before, 2)).toBe(2);
    expect(await count(sql, [`file:${objectKey}`])).toBe(2);
  });

  it('department feeds: one record id from two fire platforms is two events, a re-sent record none, a revision one more', async () => {
    await register({ id: 'FIRE-PLATFORM-B', kind: 'feed', name: 'Second fire platform', ownerDepartment: 'fire-brigade' });
    // Another day than the other tests' events: a fire alarm may inhibit other issues near it in time and place.
    const record = (platform: string, revision = 1) =>
      JSON.stringify({
        ...FIRE_RECORD_V1_EXAMPLE,
        recordId: 'FA-IDNT-0001',
        platform,
        revision,
        reportedAt: '2026-11-20T10:02:41+08:00',
        occurredAt: '2026-11-20T10:02:37+08:00',
      });
    const topic = app.kafkaTopicPrefix + 'monitoring.fire.v1';
    const produce = (values: string[]) => producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'FA-IDNT-0001', value })) });
    await produce([record('FIRE-PLATFORM'), record('FIRE-PLATFORM-B')]);
    const sql = `SELECT 1 FROM events WHERE source = 'fire' AND attributes->>'recordId' = 'FA-IDNT-0001'`;
    await countReaches('the record of both platforms', sql, [], 2, 45_000);
    const devices = ['FIRE-PLATFORM', 'FIRE-PLATFORM-B'];
    const before = await duplicatesOf('fire', devices);
    await produce([record('FIRE-PLATFORM'), record('FIRE-PLATFORM-B')]);
    expect(await duplicatesSeen('fire', devices, before, 2, 45_000)).toBe(2);
    await produce([record('FIRE-PLATFORM', 2)]);
    await countReaches('the revision', sql, [], 3, 45_000);
    expect(
      (await db.query(`SELECT device_id, source_event_id FROM events WHERE source = 'fire' AND attributes->>'recordId' = 'FA-IDNT-0001' ORDER BY 1, 2`)).rows,
    ).toEqual([
      { device_id: 'FIRE-PLATFORM', source_event_id: 'FIRE-PLATFORM:FA-IDNT-0001' },
      { device_id: 'FIRE-PLATFORM', source_event_id: 'FIRE-PLATFORM:FA-IDNT-0001:r2' },
      { device_id: 'FIRE-PLATFORM-B', source_event_id: 'FIRE-PLATFORM-B:FA-IDNT-0001' },
    ]);
  });

  it('drone photos: re-marking each photo with the same label (note added, changed or dropped) adds no occurrence; another label is another event', async () => {
    await request(app.url)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${admin}`)
      .send({ username: 'pilot-idnt', password: 'long-test-password', role: 'pilot', displayName: 'Pilot' })
      .expect(201);
    const pilot = (
      (await request(app.url).post('/api/v1/auth/login').send({ username: 'pilot-idnt', password: 'long-test-password' }).expect(200)).body as {
        accessToken: string;
      }
    ).accessToken;
    const at = { latitude: 23.0857, longitude: 113.3105 };
    const photos = await Promise.all(
      [1, 2, 3].map((i) => makeDronePhoto({ width: 640, height: 480, seed: 300 + i, dji: at, takenAt: `2026:11:28 12:0${i}:00` })),
    );
    const upload = request(app.url).post('/api/v1/flights/F-IDNT/photos').set('Authorization', `Bearer ${pilot}`).field('deviceId', 'DRONE-01');
    for (const [i, p] of photos.entries()) upload.attach('photo', p, { filename: `I${i}.jpg`, contentType: 'image/jpeg' });
    expect(((await upload.expect(200)).body as { results: { status: string }[] }).results.map((r) => r.status)).toEqual(['stored', 'stored', 'stored']);
    const mark = async (photo: Buffer, marks: Record<string, unknown>[]) =>
      (
        (
          await request(app.url)
            .post(`/api/v1/photos/${sha(photo)}/detections`)
            .set('Authorization', `Bearer ${pilot}`)
            .send({ marks })
            .expect(200)
        ).body as { status: string }
      ).status;

    for (const p of photos) {
      expect(await mark(p, [{ label: 'illegal-construction' }])).toBe('stored');
      expect(await mark(p, [{ label: 'illegal-construction', note: 'new shed on a roof' }])).toBe('duplicate');
      expect(await mark(p, [{ label: 'illegal-construction', note: 'shed now has a second storey' }])).toBe('duplicate');
      expect(await mark(p, [{ label: 'illegal-construction' }])).toBe('duplicate');
    }
    // One re-mark that also names a second issue: the known label adds nothing, the new one is stored.
    expect(await mark(photos[0], [{ label: 'illegal-construction', note: 'still there' }, { label: 'exposed-garbage' }])).toBe('stored');

    const occurrencesOf = async (category: string) =>
      (
        await db.query<{ photos: number; occurrences: number }>(
          `SELECT count(DISTINCT e.media->0->>'sha256')::int AS photos, count(*)::int AS occurrences
             FROM case_occurrences o JOIN cases c ON c.id = o.case_id JOIN events e ON e.id = o.event_id
            WHERE c.category_code = $1 AND e.source = 'drone-upload' AND e.attributes->>'flightId' = 'F-IDNT'`,
          [category],
        )
      ).rows[0];
    expect(await occurrencesOf('illegal-construction')).toEqual({ photos: 3, occurrences: 3 });
    expect(await occurrencesOf('exposed-garbage')).toEqual({ photos: 1, occurrences: 1 });
    expect(await count(`SELECT 1 FROM events WHERE source = 'drone-upload' AND attributes->>'flightId' = 'F-IDNT'`)).toBe(4);
  });
});
