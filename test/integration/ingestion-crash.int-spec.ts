import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import {
  eventIds,
  GENERIC_KAFKA_TOPIC,
  GENERIC_MQTT_TOPIC,
  genericEvent,
  produceKafkaStream,
  publishMqttStream,
  StreamProgress,
} from '../fixtures/generic-events';
import { deleteKafkaTopics } from '../fixtures/kafka-topics';
import { PrivateMosquitto, startPrivateMosquitto } from '../fixtures/private-mosquitto';
import { readServices } from '../support/services';
import { createTestDatabase, eventually } from '../support/test-app';
import { WorkerIdentity, WorkerProcess } from '../support/worker-process';

/**
 * Issue 3: the worker process dies without warning (SIGKILL: no shutdown hook, no MQTT DISCONNECT, no
 * Kafka offset commit) in the middle of a 20,000-event Kafka stream and a 20,000-event MQTT QoS 1 stream,
 * while both sources keep publishing. Restarted with the same identity it stores every event exactly
 * once: MQTT because PUBACKs go out only after the store and the broker queued the backlog for the
 * persistent session; Kafka because offsets are committed only after the store; both because a
 * redelivered event is recognised by (source, source_event_id) and never classified twice.
 */

const STREAM = 20_000;
const PUBLISH_PER_SECOND = 5_000;
/** Each stream publishes its first half, waits for the kill, then publishes the rest into the dead worker's backlog. */
const HALF = STREAM / 2;
/** The worker dies once ~30% of the 40,000 are stored, with each source at least 15% in. */
const KILL_AT_TOTAL = 0.3 * 2 * STREAM;
const KILL_AT_EACH = 0.15 * STREAM;

describe('ingestion across a worker crash: every event stored exactly once', () => {
  const tag = randomBytes(3).toString('hex');
  const mqttPrefix = `crash-${tag}-m-`;
  const kafkaPrefix = `crash-${tag}-k-`;
  let broker: PrivateMosquitto;
  let identity: WorkerIdentity;
  let worker: WorkerProcess | undefined;
  let db: Client;
  let mqtt: MqttClient;
  let producer: Producer;

  beforeAll(async () => {
    // 20,000 messages on the device topic (and a backlog for a dead session) stay out of other files' apps.
    broker = await startPrivateMosquitto();
    identity = {
      databaseUrl: await createTestDatabase(),
      mqttUrl: broker.url,
      mqttClientId: `cp-crash-worker-${tag}`,
      mqttShareGroup: `crash${tag}`,
      kafkaGroupId: `cp-crash-${tag}`,
      kafkaTopicPrefix: `crash${tag}.`,
      // 20,000 events from one device in one source second is a flood by the rate limit's measure; this file
      // is about delivery across a crash, so the limit is off here (rate-limit.int-spec.ts covers it).
      env: { DEVICE_EVENTS_PER_SECOND: '0' },
    };
    worker = await WorkerProcess.start(identity);
    db = new Client({ connectionString: identity.databaseUrl });
    await db.connect();
    mqtt = await connectAsync(broker.url, { protocolVersion: 5, clientId: `cp-crash-publisher-${tag}` });
    producer = new Kafka({ clientId: 'ingestion-crash-test', brokers: readServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  }, 90_000);

  afterAll(async () => {
    await worker?.kill();
    await producer?.disconnect();
    await mqtt?.endAsync();
    await db?.end();
    await broker?.stop();
    if (identity) await deleteKafkaTopics(identity.kafkaTopicPrefix);
  });

  const countStored = async (): Promise<{ mqtt: number; kafka: number }> => {
    const r = await db.query<{ m: number; k: number }>(
      `SELECT count(*) FILTER (WHERE source_event_id LIKE $1)::int AS m, count(*) FILTER (WHERE source_event_id LIKE $2)::int AS k
         FROM events WHERE source = 'cloudpatrol'`,
      [`${mqttPrefix}%`, `${kafkaPrefix}%`],
    );
    return { mqtt: r.rows[0].m, kafka: r.rows[0].k };
  };
  const stored = (id: string) =>
    eventually(`event ${id}`, async () => ((await db.query(`SELECT 1 FROM events WHERE source_event_id = $1`, [id])).rowCount ? true : undefined), 30_000);

  it('SIGKILLed at ~30% and restarted with the same MQTT client id and Kafka group, it stores all 20,000 + 20,000 events once and counts each once on its case', async () => {
    // The first start created the persistent session with its shared subscription, and joined the group.
    await mqtt.publishAsync(GENERIC_MQTT_TOPIC, genericEvent(`${mqttPrefix}probe`), { qos: 1 });
    await producer.send({
      topic: identity.kafkaTopicPrefix + GENERIC_KAFKA_TOPIC,
      messages: [{ key: 'probe', value: genericEvent(`${kafkaPrefix}probe`) }],
      acks: -1,
    });
    await stored(`${mqttPrefix}probe`);
    await stored(`${kafkaPrefix}probe`);

    // Every fourth event detects nothing: stored, but no case occurrence.
    const payloadFor = (id: string, i: number) => genericEvent(id, { garbage: i % 4 !== 0 });
    const mqttPayloads = eventIds(mqttPrefix, STREAM).map(payloadFor);
    const kafkaRecords = eventIds(kafkaPrefix, STREAM).map((id, i) => ({ key: id, value: payloadFor(id, i) }));
    let killed!: () => void;
    const afterKill = new Promise<void>((r) => (killed = r));
    const gate = { pauseAfter: HALF, resume: afterKill, perSecond: PUBLISH_PER_SECOND };
    const t0 = Date.now();
    const mqttStream: StreamProgress = publishMqttStream(mqtt, GENERIC_MQTT_TOPIC, mqttPayloads, { window: 250, ...gate });
    const kafkaStream: StreamProgress = produceKafkaStream(producer, identity.kafkaTopicPrefix + GENERIC_KAFKA_TOPIC, kafkaRecords, { chunk: 250, ...gate });
    const streams = Promise.all([mqttStream.done, kafkaStream.done]);
    streams.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile

    // Both sources part stored, part in flight, part still queued; the probes (1 each) do not count.
    const atKill = await eventually(
      'about 30% of the events stored',
      async () => {
        const n = await countStored();
        const [m, k] = [n.mqtt - 1, n.kafka - 1];
        return m >= KILL_AT_EACH && k >= KILL_AT_EACH && m + k >= KILL_AT_TOTAL ? { mqtt: m, kafka: k } : undefined;
      },
      60_000,
    );
    await worker?.kill();
    const tKill = Date.now();
    const publishedAtKill = { mqtt: mqttStream.acknowledged, kafka: kafkaStream.acknowledged };
    killed(); // the second halves go to a worker that is not there: the broker and Kafka must keep them

    worker = await WorkerProcess.start(identity);
    const tRestarted = Date.now();
    await streams;
    const final = await eventually(
      'all 40,002 events stored',
      async () => {
        const n = await countStored();
        return n.mqtt === STREAM + 1 && n.kafka === STREAM + 1 ? n : undefined;
      },
      90_000,
    ).catch(async (err: Error) => {
      // Say how many are missing (or extra) per source, not just that the wait ran out.
      throw new Error(`${err.message}; stored: ${JSON.stringify(await countStored())} of ${STREAM + 1} per source`);
    });
    const tDone = Date.now();
    // Redeliveries still on their way would show up now.
    await new Promise((r) => setTimeout(r, 1500));

    expect(await countStored()).toEqual(final);
    const perId = await db.query<{ ids: number; rows: number }>(
      `SELECT count(DISTINCT source_event_id)::int AS ids, count(*)::int AS rows FROM events WHERE source_event_id LIKE $1 OR source_event_id LIKE $2`,
      [`${mqttPrefix}%`, `${kafkaPrefix}%`],
    );
    expect(perId.rows[0]).toEqual({ ids: 2 * (STREAM + 1), rows: 2 * (STREAM + 1) });

    // Case occurrences: exactly the stored events that detect garbage, each once.
    const expectedOccurrences = 2 * (STREAM - STREAM / 4) + 2; // + the two probes
    const occurrences = await db.query<{ n: number; events: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT o.event_id)::int AS events
         FROM case_occurrences o JOIN events e ON e.id = o.event_id WHERE e.source_event_id LIKE $1 OR e.source_event_id LIKE $2`,
      [`${mqttPrefix}%`, `${kafkaPrefix}%`],
    );
    expect(occurrences.rows[0]).toEqual({ n: expectedOccurrences, events: expectedOccurrences });
    const cases = await db.query<{ counted: number; trail: number }>(
      `SELECT (SELECT coalesce(sum(occurrence_count), 0)::int FROM cases) AS counted, (SELECT count(*)::int FROM case_occurrences) AS trail`,
    );
    expect(cases.rows[0].counted).toBe(cases.rows[0].trail);
    expect((await db.query(`SELECT count(*)::int AS n FROM dead_letters`)).rows[0].n).toBe(0);

    const metrics = await worker.metrics();
    const duplicates = [...metrics.matchAll(/^cloudpatrol_events_duplicate_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    process.stdout.write(
      `ingestion-crash: stored at kill mqtt=${atKill.mqtt} kafka=${atKill.kafka} after ${tKill - t0} ms; published at kill mqtt=${publishedAtKill.mqtt} kafka=${publishedAtKill.kafka}; ` +
        `restart healthy after ${tRestarted - tKill} ms; all stored ${tDone - tKill} ms after the kill; redelivered duplicates after restart: ${duplicates}\n`,
    );
  }, 180_000);
});
