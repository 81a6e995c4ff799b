import { Kafka, logLevel, Producer } from 'kafkajs';
import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import {
  eventIds,
  GENERIC_DEVICE,
  GENERIC_KAFKA_TOPIC,
  GENERIC_MQTT_TOPIC,
  genericEvent,
  produceKafkaStream,
  publishMqttStream,
} from '../fixtures/generic-events';
import { deleteKafkaTopics } from '../fixtures/kafka-topics';
import { PrivateMosquitto, startPrivateMosquitto } from '../fixtures/private-mosquitto';
import { readServices } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 3: a source that sends the same events again (a device retrying, a broker redelivering, a
 * producer re-sending) leaves exactly one stored event per event id, counts each event once on its case,
 * and reports the repeats on the duplicates metric.
 */

const N = 1000;

describe('ingestion idempotency: the same 1,000 events delivered twice are stored once', () => {
  let app: TestApp;
  let broker: PrivateMosquitto;
  let mqtt: MqttClient;
  let producer: Producer;
  let db: Client;

  beforeAll(async () => {
    // 2,000 messages on the device topic stay out of other test files' apps.
    broker = await startPrivateMosquitto();
    app = await startTestApp({ kafka: true, env: { MQTT_URL: broker.url } });
    mqtt = await connectAsync(broker.url, { protocolVersion: 5 });
    producer = new Kafka({ clientId: 'ingestion-idempotency-test', brokers: readServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
    await broker?.stop();
    if (app) await deleteKafkaTopics(app.kafkaTopicPrefix);
  });

  /** A counter's value from /metrics (0 when it has no sample yet). */
  const counter = async (name: string, labels: string): Promise<number> => {
    const text = (await request(app.url).get('/metrics').expect(200)).text;
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  const storedTotal = () => counter('cloudpatrol_events_stored_total', `source="cloudpatrol",device="${GENERIC_DEVICE}"`);
  const duplicateTotal = () => counter('cloudpatrol_events_duplicate_total', `source="cloudpatrol",device="${GENERIC_DEVICE}"`);
  const receivedTotal = (transport: string) => counter('cloudpatrol_events_received_total', `transport="${transport}",source="cloudpatrol"`);

  /** What a user sees for one transport's id range: rows, distinct ids, case occurrences, dead letters. */
  const storedFor = async (prefix: string) => {
    const events = await db.query<{ n: number; ids: number; lo: string; hi: string }>(
      `SELECT count(*)::int AS n, count(DISTINCT source_event_id)::int AS ids, min(source_event_id) AS lo, max(source_event_id) AS hi
         FROM events WHERE source = 'cloudpatrol' AND source_event_id LIKE $1`,
      [`${prefix}%`],
    );
    const occurrences = await db.query<{ n: number; events: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT o.event_id)::int AS events
         FROM case_occurrences o JOIN events e ON e.id = o.event_id WHERE e.source_event_id LIKE $1`,
      [`${prefix}%`],
    );
    return { ...events.rows[0], occurrences: occurrences.rows[0].n, eventsOnCases: occurrences.rows[0].events };
  };

  /** The case's own counter agrees with its evidence trail (no occurrence counted twice). */
  const caseCounts = async () =>
    (
      await db.query<{ counted: number; trail: number; cases: number }>(
        `SELECT (SELECT coalesce(sum(occurrence_count), 0)::int FROM cases) AS counted,
                (SELECT count(*)::int FROM case_occurrences) AS trail,
                (SELECT count(*)::int FROM cases) AS cases`,
      )
    ).rows[0];

  /** Waits until the app has seen both copies of every event (stored + duplicates grew by 2N), then a little longer. */
  const bothCopiesSeen = async (before: { stored: number; duplicates: number }, timeoutMs: number) => {
    await eventually(
      'both copies processed',
      async () => ((await storedTotal()) - before.stored + (await duplicateTotal()) - before.duplicates >= 2 * N ? true : undefined),
      timeoutMs,
    );
    await new Promise((r) => setTimeout(r, 500)); // anything beyond 2N (an extra redelivery) would show now
    return { stored: (await storedTotal()) - before.stored, duplicates: (await duplicateTotal()) - before.duplicates };
  };

  it('over MQTT QoS 1: 1,000 events published twice (the second time in reverse order) are stored 1,000 times', async () => {
    const before = { stored: await storedTotal(), duplicates: await duplicateTotal() };
    const receivedBefore = await receivedTotal('mqtt');
    const payloads = eventIds('mqtt-', N).map((id) => genericEvent(id));
    const started = Date.now();
    await publishMqttStream(mqtt, GENERIC_MQTT_TOPIC, payloads).done;
    await publishMqttStream(mqtt, GENERIC_MQTT_TOPIC, [...payloads].reverse()).done;

    const seen = await bothCopiesSeen(before, 30_000);
    process.stdout.write(`ingestion-idempotency: MQTT ${2 * N} messages processed in ${Date.now() - started} ms\n`);
    expect(seen).toEqual({ stored: N, duplicates: N });
    // Every message counted once as received (counted per batch, once it has committed).
    expect((await receivedTotal('mqtt')) - receivedBefore).toBe(2 * N);
    expect(await storedFor('mqtt-')).toEqual({ n: N, ids: N, lo: 'mqtt-000', hi: 'mqtt-999', occurrences: N, eventsOnCases: N });
    const cases = await caseCounts();
    expect(cases.counted).toBe(cases.trail);
    expect(cases.cases).toBe(1); // one device, one category, one place: one case for all of them
    expect((await db.query(`SELECT count(*)::int AS n FROM dead_letters`)).rows[0].n).toBe(0);
  });

  it('over Kafka: 1,000 events produced twice are stored 1,000 times, and the case counts each once', async () => {
    const before = { stored: await storedTotal(), duplicates: await duplicateTotal() };
    const casesBefore = await caseCounts();
    const records = eventIds('kafka-', N).map((id) => ({ key: id, value: genericEvent(id) }));
    const started = Date.now();
    const topic = app.kafkaTopicPrefix + GENERIC_KAFKA_TOPIC;
    await produceKafkaStream(producer, topic, records).done;
    await produceKafkaStream(producer, topic, records).done;

    const seen = await bothCopiesSeen(before, 45_000);
    process.stdout.write(`ingestion-idempotency: Kafka ${2 * N} records processed in ${Date.now() - started} ms\n`);
    expect(seen).toEqual({ stored: N, duplicates: N });
    expect(await storedFor('kafka-')).toEqual({ n: N, ids: N, lo: 'kafka-000', hi: 'kafka-999', occurrences: N, eventsOnCases: N });
    const cases = await caseCounts();
    expect(cases.counted).toBe(cases.trail);
    expect(cases.counted - casesBefore.counted).toBe(N);
    // The MQTT range is untouched by the Kafka copies.
    expect((await storedFor('mqtt-')).n).toBe(N);
    expect((await db.query(`SELECT count(*)::int AS n FROM dead_letters`)).rows[0].n).toBe(0);
  });
});
