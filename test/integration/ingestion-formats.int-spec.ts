import { DEPARTMENT_FEED_EXAMPLES, EMERGENCY_RECORD_V1_EXAMPLE, FIRE_RECORD_V1_EXAMPLE, POLICE_RECORD_V1_EXAMPLE } from '@app/domain';
import { aircraftOsd, fileUploadCallback, HMS_EVENT } from '../fixtures/payloads/dji-cloud.fixtures';
import { frigateCar, frigateMessage } from '../fixtures/payloads/frigate-event.fixtures';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { connect, connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { GENERIC_MQTT_TOPIC, genericEvent } from '../fixtures/generic-events';
import { deleteKafkaTopics } from '../fixtures/kafka-topics';
import { PrivateMosquitto, startPrivateMosquitto } from '../fixtures/private-mosquitto';
import { readServices } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 3: every inbound format, published for real (the tests' Mosquitto, Kafka), becomes the canonical
 * events a user finds in the `events` table, with the raw payload kept; what cannot become an event is a
 * dead letter with its reason, and the consumer carries on.
 */

const MAX_PAYLOAD_BYTES = 256 * 1024;
const HUGE = 300_000; // over MAX_PAYLOAD_BYTES, under Mosquitto's max_packet_size and Kafka's message.max.bytes
const DEAD_LETTER_MAX_BYTES = 64 * 1024;

interface EventRow {
  id: string;
  source: string;
  source_event_id: string;
  source_kind: string;
  device_id: string;
  occurred_at: Date;
  lat: number | null;
  lng: number | null;
  zones: string[];
  detections: Record<string, unknown>[];
  media: Record<string, unknown>[];
  attributes: Record<string, unknown>;
  phase: string | null;
  raw_payload: string;
}

interface DeadLetterRow {
  transport: string;
  source: string;
  topic: string;
  reason: string;
  detail: string;
  device_id: string | null;
  payload: Buffer;
}

const epochSeconds = (s: number) => new Date(Math.round(s * 1000));

describe('ingestion formats: real payloads over MQTT and Kafka become canonical events', () => {
  let app: TestApp;
  let mqtt: MqttClient;
  let db: Client;
  let producer: Producer;
  let broker: PrivateMosquitto;

  beforeAll(async () => {
    // Malformed payloads on the fixed device topics stay out of other test files' apps.
    broker = await startPrivateMosquitto();
    app = await startTestApp({ kafka: true, env: { MQTT_URL: broker.url, MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD_BYTES) } });
    mqtt = await connectAsync(broker.url, { protocolVersion: 5 });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    producer = new Kafka({ clientId: 'ingestion-formats-test', brokers: readServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
    await broker?.stop();
    if (app) await deleteKafkaTopics(app.kafkaTopicPrefix);
  });

  const publish = (topic: string, payload: string | Buffer) => mqtt.publishAsync(topic, payload, { qos: 1 });
  const produce = (topic: string, records: { key: string; value: string | Buffer | null }[]) =>
    producer.send({ topic: app.kafkaTopicPrefix + topic, messages: records, acks: -1 });

  const storedEvent = (source: string, sourceEventId: string, timeoutMs = 15_000) =>
    eventually(
      `${source} event ${sourceEventId}`,
      async () => (await db.query<EventRow>(`SELECT * FROM events WHERE source = $1 AND source_event_id = $2`, [source, sourceEventId])).rows[0],
      timeoutMs,
    );
  /** The dead letter holding exactly these bytes: proves the payload is kept as received. */
  const deadLetterOf = async (payload: string | Buffer): Promise<DeadLetterRow | undefined> =>
    (await db.query<DeadLetterRow>(`SELECT * FROM dead_letters WHERE payload = $1`, [Buffer.from(payload)])).rows[0];
  const metrics = async () => (await request(app.url).get('/metrics').expect(200)).text;

  describe('Frigate frigate/events', () => {
    const id = '1764295322.417655-fmt001';
    const car = (overrides: Record<string, unknown> = {}) =>
      frigateCar({ id, camera: 'yunxi_rd_east', current_zones: ['no_parking'], entered_zones: ['no_parking'], ...overrides });
    const messages = {
      new: frigateMessage('new', car({ frame_time: 1764295322.9, stationary: false, active: true, motionless_count: 0, has_snapshot: false })),
      update: frigateMessage('update', car()),
      end: frigateMessage('end', car({ frame_time: 1764295999.5, end_time: 1764295999.5, current_zones: [], active: false })),
    };

    it('stores new, update and end for camera yunxi_rd_east as three events of device CAM-PARK-01, fields mapped and raw kept', async () => {
      for (const type of ['new', 'update', 'end'] as const) await publish('frigate/events', messages[type]);

      const started = await storedEvent('frigate', `${id}:new`);
      const updated = await storedEvent('frigate', `${id}:update:1764295391.839211`);
      const ended = await storedEvent('frigate', `${id}:end`);

      for (const [row, type] of [
        [started, 'new'],
        [updated, 'update'],
        [ended, 'end'],
      ] as const) {
        expect(row).toMatchObject({ device_id: 'CAM-PARK-01', source_kind: 'camera', raw_payload: messages[type] });
        // The camera has no position of its own in Frigate: the register's location is used.
        expect([row.lat, row.lng]).toEqual([23.1206, 113.245]);
        expect(row.attributes).toMatchObject({ camera: 'yunxi_rd_east', frigateType: type, recognizedPlate: '粤A3K7Q2', startTime: 1764295322.417655 });
        expect(row.detections).toHaveLength(1);
        expect(row.detections[0]).toMatchObject({ label: 'car', trackId: id, plate: '粤A3K7Q2' });
      }
      expect([started.phase, updated.phase, ended.phase]).toEqual(['start', 'update', 'end']);
      expect(started.occurred_at).toEqual(epochSeconds(1764295322.417655));
      expect(updated.occurred_at).toEqual(epochSeconds(1764295391.839211));
      expect(ended.occurred_at).toEqual(epochSeconds(1764295999.5));
      expect(updated.detections[0]).toEqual({
        label: 'car',
        confidence: 0.83984375,
        trackId: id,
        box: [815, 404, 1104, 609],
        stationary: true,
        plate: '粤A3K7Q2',
      });
      expect(started.detections[0].stationary).toBe(false);
      expect(updated.zones).toEqual(['no_parking']);
      // An end has left every zone; it is placed in the zones the object entered.
      expect(ended.zones).toEqual(['no_parking']);
      expect(ended.attributes.endTime).toBe(1764295999.5);
      expect(started.media).toEqual([{ kind: 'snapshot', uri: 'frigate/yunxi_rd_east/car/snapshot' }]);
      expect(updated.media).toEqual([{ kind: 'snapshot', uri: 'frigate/yunxi_rd_east/car/snapshot' }]);
    });

    it('keeps malformed Frigate messages as dead letters with their reason and goes on to store the next one', async () => {
      const truncated = messages.update.slice(0, 150);
      const wrongTypes = frigateMessage('update', car({ frame_time: 1764295400.1, score: 'high', box: 'everywhere' }));
      const unknownCamera = frigateMessage('new', car({ id: 'unknown-cam-object', camera: 'nobody_cam' }));
      const missingCamera = frigateMessage('new', car({ id: 'no-camera-object', camera: undefined }));
      const notAnEventType = frigateMessage('snapshot', car({ id: 'odd-type-object' }));
      const huge = frigateMessage('update', car({ frame_time: 1764295401.2, path_data: [['x'.repeat(HUGE), 1]] }));
      const valid = frigateMessage('update', car({ frame_time: 1764295402.3 }));
      for (const m of [truncated, wrongTypes, unknownCamera, missingCamera, notAnEventType, huge, valid]) await publish('frigate/events', m);

      await storedEvent('frigate', `${id}:update:1764295402.3`);
      const expectations: [string, string, string, string | null][] = [
        [truncated, 'not-json', 'payload is not JSON', null],
        [wrongTypes, 'invalid-schema', 'after.score', null],
        [unknownCamera, 'unknown-device', 'device "nobody_cam" is not registered', 'nobody_cam'],
        [missingCamera, 'missing-device-id', 'after.camera', null],
        [notAnEventType, 'unsupported-message', '"snapshot"', null],
      ];
      for (const [payload, reason, detail, deviceId] of expectations) {
        const dead = await deadLetterOf(payload);
        expect({ reason: dead?.reason, topic: dead?.topic, transport: dead?.transport, deviceId: dead?.device_id }).toEqual({
          reason,
          topic: 'frigate/events',
          transport: 'mqtt',
          deviceId,
        });
        expect(dead?.source).toBe('frigate');
        expect(dead?.detail).toContain(detail);
      }
      // Too large: refused before parsing, only the head of the payload is kept.
      const tooLarge = await deadLetterOf(Buffer.from(huge).subarray(0, DEAD_LETTER_MAX_BYTES));
      expect(tooLarge).toMatchObject({ reason: 'payload-too-large', source: 'frigate', topic: 'frigate/events' });
      expect(tooLarge?.detail).toContain(`${Buffer.byteLength(huge)} bytes`);
      const none = await db.query(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE ANY ($1)`, [
        ['unknown-cam-object%', 'no-camera-object%', 'odd-type-object%', `${id}:update:1764295400.1`, `${id}:update:1764295401.2`],
      ]);
      expect(none.rows[0].n).toBe(0);
      expect(await metrics()).toMatch(/cloudpatrol_events_rejected_total\{transport="mqtt",source="frigate",reason="unknown-device"\} 1\b/);
    });
  });

  describe('DJI Cloud API thing/product/{sn}/...', () => {
    const replies: { topic: string; body: Record<string, unknown>; storedWhenAnswered: Promise<number> }[] = [];
    let replyClient: MqttClient;

    beforeAll(async () => {
      replyClient = connect(broker.url, { protocolVersion: 5 });
      replyClient.on('message', (topic, payload) => {
        const body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
        // At the moment the dock hears back, is the event already stored? (stored first, then answered)
        const storedWhenAnswered = db
          .query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE source = 'dji' AND attributes->>'tid' = $1`, [body.tid])
          .then((r) => r.rows[0].n);
        replies.push({ topic, body, storedWhenAnswered });
      });
      await new Promise((r) => replyClient.once('connect', r));
      await replyClient.subscribeAsync('thing/product/+/events_reply', { qos: 1 });
    });

    afterAll(async () => {
      await replyClient?.endAsync();
    });

    const replyFor = (tid: string) => eventually(`events_reply for ${tid}`, async () => replies.find((r) => r.body.tid === tid));

    it('keeps one telemetry row per device from OSD frames, updated to the newest, never moved back by a late frame, and stores no events', async () => {
      const base = 1764296530123;
      const positions = [
        [23.1, 113.25],
        [23.101, 113.251],
        [23.102, 113.252],
        [23.103, 113.253],
        [23.104, 113.254],
      ];
      const frames = positions.map(([latitude, longitude], i) => aircraftOsd({ latitude, longitude }, { timestamp: base + i * 500, tid: `osd-tid-${i}` }));
      for (const f of frames) await publish('thing/product/DRONE-01/osd', f);

      const row = await eventually('DRONE-01 telemetry at the newest frame', async () => {
        const r = (await db.query(`SELECT * FROM device_telemetry WHERE device_id = 'DRONE-01'`)).rows[0] as
          { at: Date; lat: number; lng: number; telemetry: Record<string, unknown> } | undefined;
        return r?.at.getTime() === base + 2000 ? r : undefined;
      });
      expect([row.lat, row.lng]).toEqual([23.104, 113.254]);
      expect(row.telemetry).toMatchObject({
        deviceSn: 'DRONE-01',
        height: 132.4,
        attitudeHead: -37.5,
        target: { lat: 23.1041871, lng: 113.2559402, distance: 118.7, payloadIndex: '53-0-0' },
      });
      const rows = await db.query(`SELECT count(*)::int AS n FROM device_telemetry WHERE device_id = 'DRONE-01'`);
      expect(rows.rows[0].n).toBe(1);

      // A frame from the past arrives late; a frame for an unregistered aircraft follows it on the same connection.
      const late = aircraftOsd({ latitude: 22.5, longitude: 113.1 }, { timestamp: base - 60_000, tid: 'osd-tid-late' });
      const stranger = aircraftOsd({}, { tid: 'osd-tid-stranger' });
      await publish('thing/product/DRONE-01/osd', late);
      await publish('thing/product/NOT-REGISTERED-SN/osd', stranger);
      const dead = await eventually('the stranger dead letter', () => deadLetterOf(stranger));
      expect(dead).toMatchObject({ reason: 'unknown-device', device_id: 'NOT-REGISTERED-SN', source: 'dji' });
      const after = (await db.query(`SELECT at, lat FROM device_telemetry WHERE device_id = 'DRONE-01'`)).rows[0] as { at: Date; lat: number };
      expect([after.at.getTime(), after.lat]).toEqual([base + 2000, 23.104]);
      expect((await db.query(`SELECT count(*)::int AS n FROM events WHERE raw_payload LIKE '%osd-tid-%'`)).rows[0].n).toBe(0);
    });

    it('stores a file_upload_callback as an event, then answers the dock on events_reply', async () => {
      const objectKey = 'wayline/fmt-flight-01/DJI_202611281014_0042_W.jpeg';
      const payload = fileUploadCallback(
        { object_key: objectKey, name: 'DJI_202611281014_0042_W.jpeg' },
        { tid: 'tid-upload-1', bid: 'bid-upload-1', gateway: 'DRONE-01' },
      );
      await publish('thing/product/DRONE-01/events', payload);

      const event = await storedEvent('dji', `file:${objectKey}`);
      expect(event).toMatchObject({
        device_id: 'DRONE-01',
        source_kind: 'drone',
        lat: 23.1049102,
        lng: 113.2551241,
        detections: [],
        media: [{ kind: 'photo', uri: objectKey }],
        raw_payload: payload,
      });
      expect(event.occurred_at).toEqual(new Date('2026-11-28T10:14:51+08:00'));
      expect(event.attributes).toMatchObject({
        method: 'file_upload_callback',
        gatewaySn: 'DRONE-01',
        tid: 'tid-upload-1',
        flightId: '8c1f2e3d-4b5a-4697-8a1b-2c3d4e5f6syn',
        aircraftSn: '1581F5BKD223D00SYN',
        gimbalYawDegree: -36.9,
        relativeAltitude: 80.12,
      });

      const reply = await replyFor('tid-upload-1');
      expect(reply.topic).toBe('thing/product/DRONE-01/events_reply');
      expect(reply.body).toMatchObject({ tid: 'tid-upload-1', bid: 'bid-upload-1', gateway: 'DRONE-01', method: 'file_upload_callback', data: { result: 0 } });
      expect(await reply.storedWhenAnswered).toBe(1);
    });

    it('answers an hms event without storing it, and answers a malformed callback it keeps as a dead letter', async () => {
      const hms = HMS_EVENT.replace(/"tid":"[^"]+"/, '"tid":"tid-hms-1"');
      const broken = fileUploadCallback({ object_key: undefined }, { tid: 'tid-broken-1' });
      await publish('thing/product/DRONE-01/events', hms);
      await publish('thing/product/DRONE-01/events', broken);

      expect((await replyFor('tid-hms-1')).body).toMatchObject({ method: 'hms', data: { result: 0 } });
      expect((await replyFor('tid-broken-1')).body).toMatchObject({ method: 'file_upload_callback', data: { result: 0 } });
      const dead = await deadLetterOf(broken);
      expect(dead).toMatchObject({ reason: 'invalid-schema', source: 'dji', topic: 'thing/product/DRONE-01/events' });
      expect(dead?.detail).toContain('data.file.object_key');
      expect((await db.query(`SELECT count(*)::int AS n FROM events WHERE attributes->>'tid' IN ('tid-hms-1', 'tid-broken-1')`)).rows[0].n).toBe(0);
    });

    it('keeps malformed DJI messages as dead letters with their reason and goes on to store the next one', async () => {
      const truncated = aircraftOsd({}, { tid: 'osd-bad-1' }).slice(0, 90);
      const wrongTypes = aircraftOsd({}, { tid: 'osd-bad-2', timestamp: 'yesterday' });
      const missingTid = JSON.stringify({ ...(JSON.parse(aircraftOsd()) as Record<string, unknown>), tid: undefined });
      const huge = aircraftOsd({ blob: 'x'.repeat(HUGE) }, { tid: 'osd-bad-3' });
      const unknownGateway = fileUploadCallback({ object_key: 'wayline/x/unknown-gateway.jpeg' }, { tid: 'tid-unknown-gw', need_reply: 0 });
      const valid = fileUploadCallback({ object_key: 'wayline/fmt-flight-01/after-bad.jpeg' }, { tid: 'tid-after-bad', need_reply: 0 });
      for (const m of [truncated, wrongTypes, missingTid, huge]) await publish('thing/product/DRONE-01/osd', m);
      await publish('thing/product/NOT-REGISTERED-SN/events', unknownGateway);
      await publish('thing/product/DRONE-01/events', valid);

      await storedEvent('dji', 'file:wayline/fmt-flight-01/after-bad.jpeg');
      expect(await deadLetterOf(truncated)).toMatchObject({ reason: 'not-json', source: 'dji', topic: 'thing/product/DRONE-01/osd' });
      const wrong = await deadLetterOf(wrongTypes);
      expect(wrong).toMatchObject({ reason: 'invalid-schema', source: 'dji' });
      expect(wrong?.detail).toContain('timestamp');
      const noTid = await deadLetterOf(missingTid);
      expect(noTid).toMatchObject({ reason: 'invalid-schema', source: 'dji' });
      expect(noTid?.detail).toContain('tid');
      expect(await deadLetterOf(Buffer.from(huge).subarray(0, DEAD_LETTER_MAX_BYTES))).toMatchObject({ reason: 'payload-too-large', source: 'dji' });
      expect(await deadLetterOf(unknownGateway)).toMatchObject({
        reason: 'unknown-device',
        device_id: 'NOT-REGISTERED-SN',
        topic: 'thing/product/NOT-REGISTERED-SN/events',
      });
    });
  });

  describe('generic canonical JSON', () => {
    const full = (eventId: string, plate: string) =>
      JSON.stringify({
        eventId,
        deviceId: 'DEMO-CAM-01',
        occurredAt: '2026-11-28T09:30:15.250+08:00',
        sourceKind: 'camera',
        location: { lat: 23.1052, lng: 113.2553 },
        zones: ['pavement'],
        detections: [{ label: 'garbage', confidence: 0.77, box: [10, 20, 110, 220], trackId: 'trk-9', plate, stationary: true }],
        media: [{ kind: 'snapshot', uri: 's3://evidence/demo/1.jpg', sha256: 'a'.repeat(64) }],
      });

    it('stores the same schema from the MQTT device topic and from the Kafka topic, every field mapped', async () => {
      const overMqtt = full('generic-full-mqtt', 'MQTT01');
      const overKafka = full('generic-full-kafka', 'KAFKA01');
      await publish(GENERIC_MQTT_TOPIC, overMqtt);
      await produce('cloudpatrol.events.v1', [{ key: 'DEMO-CAM-01', value: overKafka }]);

      for (const [sourceEventId, raw, plate] of [
        ['generic-full-mqtt', overMqtt, 'MQTT01'],
        ['generic-full-kafka', overKafka, 'KAFKA01'],
      ]) {
        const row = await storedEvent('cloudpatrol', sourceEventId, 30_000);
        expect(row).toMatchObject({
          device_id: 'DEMO-CAM-01',
          source_kind: 'camera',
          lat: 23.1052,
          lng: 113.2553,
          zones: ['pavement'],
          detections: [{ label: 'garbage', confidence: 0.77, box: [10, 20, 110, 220], trackId: 'trk-9', plate, stationary: true }],
          media: [{ kind: 'snapshot', uri: 's3://evidence/demo/1.jpg', sha256: 'a'.repeat(64) }],
          phase: null,
          raw_payload: raw,
        });
        expect(row.occurred_at).toEqual(new Date('2026-11-28T01:30:15.250Z'));
      }
    });
  });

  describe('department feeds on Kafka', () => {
    const topics = ['monitoring.fire.v1', 'monitoring.police.v1', 'monitoring.emergency.v1'] as const;

    it('stores the documented example record of each of the three topics, fields mapped and the original record kept', async () => {
      for (const topic of topics) await produce(topic, [{ key: 'example', value: DEPARTMENT_FEED_EXAMPLES[topic] }]);

      const fire = await storedEvent('fire', 'FIRE-PLATFORM:FA-20261128-000731', 30_000);
      const police = await storedEvent('police', 'POLICE-PLATFORM:JQ-20261128-004417', 30_000);
      const emergency = await storedEvent('emergency', 'EMERGENCY-PLATFORM:EM-2026-11-28-0057', 30_000);

      expect(fire).toMatchObject({
        device_id: 'FIRE-PLATFORM',
        source_kind: 'feed',
        lat: FIRE_RECORD_V1_EXAMPLE.location.lat,
        lng: FIRE_RECORD_V1_EXAMPLE.location.lng,
        detections: [{ label: 'smoke_alarm', confidence: 0.9 }],
        media: [{ kind: 'photo', uri: FIRE_RECORD_V1_EXAMPLE.attachments[0].url }],
        raw_payload: DEPARTMENT_FEED_EXAMPLES['monitoring.fire.v1'],
      });
      expect(fire.occurred_at).toEqual(new Date(FIRE_RECORD_V1_EXAMPLE.occurredAt));
      expect(fire.attributes).toMatchObject({
        recordId: 'FA-20261128-000731',
        severity: 'high',
        premises: 'Synthetic Noodle House',
        stationId: 'FS-XIHU-02',
        sourceDeviceId: 'SD-0571-33A0-0192',
      });

      expect(police).toMatchObject({
        device_id: 'POLICE-PLATFORM',
        detections: [{ label: 'illegal_vending', confidence: 1 }],
        raw_payload: DEPARTMENT_FEED_EXAMPLES['monitoring.police.v1'],
      });
      expect(police.occurred_at).toEqual(new Date(POLICE_RECORD_V1_EXAMPLE.occurredAt));
      expect(police.attributes).toMatchObject({ referralNo: 'YJ-2026-11-0391', referringUnit: 'Township 01 police station' });

      expect(emergency).toMatchObject({
        device_id: 'EMERGENCY-PLATFORM',
        detections: [{ label: 'flooding', confidence: 1 }],
        raw_payload: DEPARTMENT_FEED_EXAMPLES['monitoring.emergency.v1'],
      });
      // No occurredAt in the record: the time it was reported is the event's time.
      expect(emergency.occurred_at).toEqual(new Date(EMERGENCY_RECORD_V1_EXAMPLE.reportedAt));
      expect(emergency.attributes).toMatchObject({ warningLevel: 'orange', 'ext.waterLevelCm': 38, severity: 'critical' });
    });

    it('keeps malformed records of each topic as dead letters with their reason and goes on to store the next one', async () => {
      const fireRecord = (fields: Record<string, unknown>) => JSON.stringify({ ...FIRE_RECORD_V1_EXAMPLE, ...fields });
      const cases: { name: string; topic: (typeof topics)[number]; value: string | Buffer | null; reason: string; detail: string; deviceId?: string }[] = [
        {
          name: 'truncated',
          topic: 'monitoring.fire.v1',
          value: DEPARTMENT_FEED_EXAMPLES['monitoring.fire.v1'].slice(0, 120),
          reason: 'not-json',
          detail: 'not JSON',
        },
        {
          name: 'wrong types',
          topic: 'monitoring.fire.v1',
          value: fireRecord({ recordId: 'FA-BAD-TYPES', severity: 5, location: { lat: 'north', lng: 113.2 } }),
          reason: 'invalid-schema',
          detail: 'severity',
        },
        {
          name: 'unknown device',
          topic: 'monitoring.fire.v1',
          value: fireRecord({ recordId: 'FA-UNKNOWN', platform: 'FIRE-NOBODY' }),
          reason: 'unknown-device',
          detail: 'FIRE-NOBODY',
          deviceId: 'FIRE-NOBODY',
        },
        {
          name: 'missing platform',
          topic: 'monitoring.fire.v1',
          value: fireRecord({ recordId: 'FA-NO-PLATFORM', platform: undefined }),
          reason: 'missing-device-id',
          detail: 'platform',
        },
        { name: 'missing recordId', topic: 'monitoring.fire.v1', value: fireRecord({ recordId: undefined }), reason: 'invalid-schema', detail: 'recordId' },
        {
          name: 'huge',
          topic: 'monitoring.fire.v1',
          value: fireRecord({ recordId: 'FA-HUGE', description: 'x'.repeat(HUGE) }),
          reason: 'payload-too-large',
          detail: 'bytes exceeds',
        },
        { name: 'tombstone (no value)', topic: 'monitoring.fire.v1', value: null, reason: 'not-json', detail: 'not JSON' },
        { name: 'not UTF-8', topic: 'monitoring.fire.v1', value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), reason: 'not-utf8', detail: 'UTF-8' },
        {
          name: 'police record on the fire topic',
          topic: 'monitoring.fire.v1',
          value: DEPARTMENT_FEED_EXAMPLES['monitoring.police.v1'],
          reason: 'topic-mismatch',
          detail: 'POLICE-PLATFORM',
        },
        {
          name: 'v2 record on a v1 topic',
          topic: 'monitoring.police.v1',
          value: JSON.stringify({ ...POLICE_RECORD_V1_EXAMPLE, schemaVersion: 2 }),
          reason: 'unsupported-message',
          detail: 'schemaVersion 2',
        },
        {
          name: 'police: missing referral',
          topic: 'monitoring.police.v1',
          value: JSON.stringify({ ...POLICE_RECORD_V1_EXAMPLE, recordId: 'JQ-NO-REF', referral: undefined }),
          reason: 'invalid-schema',
          detail: 'referral',
        },
        {
          name: 'emergency: unknown field',
          topic: 'monitoring.emergency.v1',
          value: JSON.stringify({ ...EMERGENCY_RECORD_V1_EXAMPLE, recordId: 'EM-TYPO', waterlevel: 38 }),
          reason: 'invalid-schema',
          detail: 'waterlevel',
        },
        {
          name: 'emergency: truncated',
          topic: 'monitoring.emergency.v1',
          value: DEPARTMENT_FEED_EXAMPLES['monitoring.emergency.v1'].slice(0, 200),
          reason: 'not-json',
          detail: 'not JSON',
        },
      ];
      // One key per topic: one partition, so the valid record is read after the bad ones.
      for (const topic of topics) {
        const bad = cases.filter((c) => c.topic === topic).map((c) => ({ key: 'bad-then-good', value: c.value }));
        const recordId = `AFTER-BAD-${topic.split('.')[1].toUpperCase()}`;
        const example = JSON.parse(DEPARTMENT_FEED_EXAMPLES[topic]) as Record<string, unknown>;
        await produce(topic, [...bad, { key: 'bad-then-good', value: JSON.stringify({ ...example, recordId }) }]);
      }
      await storedEvent('fire', 'FIRE-PLATFORM:AFTER-BAD-FIRE', 30_000);
      await storedEvent('police', 'POLICE-PLATFORM:AFTER-BAD-POLICE', 30_000);
      await storedEvent('emergency', 'EMERGENCY-PLATFORM:AFTER-BAD-EMERGENCY', 30_000);

      const dead = (await db.query<DeadLetterRow>(`SELECT * FROM dead_letters WHERE transport = 'kafka' ORDER BY id`)).rows;
      for (const c of cases) {
        const bytes = c.value === null ? Buffer.alloc(0) : Buffer.from(c.value).subarray(0, DEAD_LETTER_MAX_BYTES);
        const row = dead.find((d) => d.topic === app.kafkaTopicPrefix + c.topic && d.payload.equals(bytes));
        expect({ case: c.name, reason: row?.reason, source: row?.source }).toEqual({ case: c.name, reason: c.reason, source: c.topic.split('.')[1] });
        expect(row?.detail).toContain(c.detail);
        if (c.deviceId) expect(row?.device_id).toBe(c.deviceId);
      }
      expect(dead).toHaveLength(cases.length);
      const none = await db.query(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE ANY ($1)`, [
        ['%FA-BAD-TYPES', '%FA-UNKNOWN', '%FA-HUGE', '%JQ-NO-REF', '%EM-TYPO'],
      ]);
      expect(none.rows[0].n).toBe(0);
    });
  });

  describe('values the database cannot hold', () => {
    it('keeps an event with a NUL character or an unstorable date as a dead letter instead of retrying it forever, and the consumers carry on', async () => {
      const nulLabel = JSON.stringify({
        eventId: 'nul-label',
        deviceId: 'DEMO-CAM-01',
        occurredAt: '2026-11-28T10:00:00+08:00',
        detections: [{ label: 'garb\u0000age', confidence: 0.9 }],
      });
      const yearZero = genericEvent('year-zero', { occurredAt: '0000-01-01T00:00:00Z' });
      const nulDevice = JSON.stringify({ eventId: 'nul-device', deviceId: 'DEMO\u0000CAM', occurredAt: '2026-11-28T10:00:00+08:00', detections: [] });
      const nulDescription = JSON.stringify({ ...FIRE_RECORD_V1_EXAMPLE, recordId: 'FA-NUL', description: 'smoke\u0000alarm' });
      for (const m of [nulLabel, yearZero, genericEvent('after-unstorable-mqtt')]) await publish(GENERIC_MQTT_TOPIC, m);
      await produce('cloudpatrol.events.v1', [
        { key: 'k', value: nulDevice },
        { key: 'k', value: genericEvent('after-unstorable-kafka') },
      ]);
      await produce('monitoring.fire.v1', [
        { key: 'k', value: nulDescription },
        { key: 'k', value: JSON.stringify({ ...FIRE_RECORD_V1_EXAMPLE, recordId: 'FA-AFTER-NUL' }) },
      ]);

      await storedEvent('cloudpatrol', 'after-unstorable-mqtt');
      await storedEvent('cloudpatrol', 'after-unstorable-kafka', 30_000);
      await storedEvent('fire', 'FIRE-PLATFORM:FA-AFTER-NUL', 30_000);
      for (const [payload, reason] of [
        [nulLabel, 'unstorable'],
        [yearZero, 'unstorable'],
        [nulDescription, 'unstorable'],
        // Unknown device: the dead letter itself names the device, with the NUL made visible.
        [nulDevice, 'unknown-device'],
      ]) {
        const dead = await deadLetterOf(payload);
        expect({ payload, reason: dead?.reason }).toEqual({ payload, reason });
      }
      expect((await deadLetterOf(nulDevice))?.device_id).toBe('DEMO\\u0000CAM');
      expect((await deadLetterOf(yearZero))?.detail).toContain('out of range');
      const stored = await db.query(
        `SELECT count(*)::int AS n FROM events WHERE source_event_id IN ('nul-label', 'year-zero', 'nul-device', 'FIRE-PLATFORM:FA-NUL')`,
      );
      expect(stored.rows[0].n).toBe(0);
    });
  });
});
