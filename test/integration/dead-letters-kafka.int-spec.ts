import { Consumer, Kafka, logLevel } from 'kafkajs';
import { connectAsync, MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { deleteKafkaTopics } from '../fixtures/kafka-topics';
import { PrivateMosquitto, startPrivateMosquitto } from '../fixtures/private-mosquitto';
import { readServices } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 17 item 1: with Kafka configured, every dead letter is also a record on `${KAFKA_TOPIC_PREFIX}${KAFKA_DEAD_LETTER_TOPIC}`,
 * written to the outbox in the dead letter's own transaction and published by the outbox relay: read here by an outside
 * consumer (kafkajs, its own group) — one record per dead letter, naming it, with its reason and payload.
 */

interface DeadLetterRecord {
  deadLetterId: string;
  reason: string;
  detail: string;
  source: string;
  transport: string;
  topic: string;
  deviceId: string | null;
  receivedAt: string;
  payloadBytes: number;
  payloadEncoding: 'utf8' | 'base64';
  payload: string;
  truncated: boolean;
}

const UNKNOWN = 'KAFKA-DL-CAM-01';

describe('dead letters on Kafka (outbox)', () => {
  let broker: PrivateMosquitto;
  let app: TestApp;
  let mqtt: MqttClient;
  let db: Client;
  let consumer: Consumer;
  const received: { key: string; record: DeadLetterRecord }[] = [];
  let topic: string;

  beforeAll(async () => {
    broker = await startPrivateMosquitto();
    app = await startTestApp({ kafka: true, env: { MQTT_URL: broker.url } });
    topic = `${app.kafkaTopicPrefix}cloudpatrol.dead-letter.v1`;
    mqtt = await connectAsync(broker.url, { protocolVersion: 5 });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    const kafka = new Kafka({ clientId: 'dead-letter-test-consumer', brokers: readServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    // The relay creates the topic when it connects.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually('the dead-letter topic', async () => ((await admin.listTopics()).includes(topic) ? true : undefined), 30_000);
    } finally {
      await admin.disconnect();
    }
    consumer = kafka.consumer({ groupId: `dead-letter-test-${randomBytes(4).toString('hex')}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: message.key?.toString('utf8') ?? '', record: JSON.parse(message.value?.toString('utf8') ?? '{}') as DeadLetterRecord });
      },
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
    await broker?.stop();
    if (app) await deleteKafkaTopics(app.kafkaTopicPrefix);
  });

  it('publishes one record per dead letter: reason, source, topic, device, arrival, payload as text or base64', async () => {
    const unknownPayload = JSON.stringify({ eventId: 'kdl-1', deviceId: UNKNOWN, occurredAt: '2019-05-01T10:00:00+08:00', detections: [] });
    const binary = Buffer.from([0xff, 0x00, 0xfe, 0x10]);
    await mqtt.publishAsync(`cloudpatrol/v1/devices/${UNKNOWN}/events`, unknownPayload, { qos: 1 });
    await mqtt.publishAsync('cloudpatrol/v1/devices/DEMO-CAM-01/events', binary, { qos: 1 });
    // Long text (21,000 bytes, not JSON): the record carries its first 16 KiB, cut between characters, as text.
    const long = '汉'.repeat(7000);
    await mqtt.publishAsync('cloudpatrol/v1/devices/DEMO-CAM-01/events', long, { qos: 1 });
    // A good event is no dead letter: nothing on the topic for it.
    await mqtt.publishAsync(
      'cloudpatrol/v1/devices/DEMO-CAM-01/events',
      JSON.stringify({ eventId: 'kdl-good', deviceId: 'DEMO-CAM-01', occurredAt: '2019-05-01T10:00:00+08:00', detections: [] }),
      { qos: 1 },
    );
    await eventually('3 dead letters and 1 event kept', async () => {
      const dl = Number((await db.query(`SELECT count(*) AS n FROM dead_letters`)).rows[0].n);
      const ev = Number((await db.query(`SELECT count(*) AS n FROM events`)).rows[0].n);
      return dl === 3 && ev === 1 ? true : undefined;
    });
    await eventually('the 3 records on Kafka', async () => (new Set(received.map((r) => r.record.deadLetterId)).size === 3 ? true : undefined), 30_000);
    const rows = (await db.query<{ id: string; reason: string; received_at: Date }>(`SELECT id::text AS id, reason, received_at FROM dead_letters ORDER BY id`))
      .rows;
    const byId = new Map(received.map((r) => [r.record.deadLetterId, r]));
    const unknown = byId.get(rows.find((r) => r.reason === 'unknown-device')!.id);
    expect(unknown?.key).toBe(UNKNOWN);
    expect(unknown?.record).toEqual({
      deadLetterId: rows.find((r) => r.reason === 'unknown-device')!.id,
      reason: 'unknown-device',
      detail: `device "${UNKNOWN}" is not registered`,
      source: 'cloudpatrol',
      transport: 'mqtt',
      topic: `cloudpatrol/v1/devices/${UNKNOWN}/events`,
      deviceId: UNKNOWN,
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
      payloadBytes: Buffer.byteLength(unknownPayload),
      payloadEncoding: 'utf8',
      payload: unknownPayload,
      truncated: false,
    });
    // The arrival the table keeps (to the millisecond).
    expect(
      Math.abs(new Date(unknown!.record.receivedAt).getTime() - rows.find((r) => r.reason === 'unknown-device')!.received_at.getTime()),
    ).toBeLessThanOrEqual(1);
    const notUtf8 = byId.get(rows.find((r) => r.reason === 'not-utf8')!.id);
    // No device named: keyed by source.
    expect(notUtf8?.key).toBe('cloudpatrol');
    expect(notUtf8?.record).toMatchObject({ reason: 'not-utf8', deviceId: null, payloadEncoding: 'base64', payloadBytes: binary.length, truncated: false });
    expect(Buffer.from(notUtf8!.record.payload, 'base64')).toEqual(binary);
    const longRecord = byId.get(rows.find((r) => r.reason === 'not-json')!.id)?.record;
    expect(longRecord).toMatchObject({ reason: 'not-json', payloadEncoding: 'utf8', payloadBytes: 21_000, truncated: true });
    // 16,384 bytes hold 5,461 whole characters of 3 bytes: the split one is left out.
    expect(longRecord?.payload).toBe('汉'.repeat(5461));
    // Published once each (the relay marks them sent); at-least-once may repeat a record, never invent one.
    expect(new Set(received.map((r) => r.record.deadLetterId))).toEqual(new Set(rows.map((r) => r.id)));
    await eventually('the outbox drained', async () =>
      Number((await db.query(`SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL`)).rows[0].n) === 0 ? true : undefined,
    );
  });
});
