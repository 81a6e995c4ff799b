/**
 * Phase 1, the physical reference of the brokers, with no processing:
 * - MQTT: MQTT.js QoS 1 publish (4 connections) → Mosquitto (project delivery.conf) → one QoS 1 subscriber
 *   in its own process that acknowledges at once; rate = messages / (first publish → last received).
 * - Kafka: kafkajs produce (batches of 1000, acks all) → consume (eachBatch) on a fresh 3-partition topic.
 */
import { Kafka, logLevel } from 'kafkajs';
import { MqttPublisher } from '../lib/publisher';
import { BenchChild, Cleanup, isType, log, sleep, startChild, withTimeout } from '../lib/services';
import { round } from '../lib/stats';

export interface RateResult {
  messages: number;
  received: number;
  seconds?: number;
  messagesPerSecond?: number;
  /** Rate at which publishes were acknowledged by the broker (the publishing side alone). */
  publishPerSecond?: number;
  partial?: string;
}

export async function measureMqttLimit(o: {
  url: string;
  payloads: { topic: string; payload: string }[];
  cleanup: Cleanup;
  timeoutMs: number;
}): Promise<RateResult> {
  const n = o.payloads.length;
  const topic = 'bench/limit/+/events';
  const sink: BenchChild = startChild('bench/children/mqtt-sink.ts', [o.url, topic, String(n)], {}, o.cleanup);
  type Done = { type: 'done'; count: number; firstAt: number; lastAt: number };
  try {
    await sink.message(isType<{ type: 'ready' }>('ready'), 60_000, 'mqtt sink start');
    const pub = await MqttPublisher.open(o.url, 4, 1000, 'bench-limit');
    const done = sink.message(isType<Done>('done'), o.timeoutMs, 'mqtt sink');
    done.catch(() => undefined);
    const t0 = Date.now();
    let i = 0;
    for (const p of o.payloads) {
      await pub.send(p.topic.replace('cloudpatrol/v1/devices', 'bench/limit'), p.payload);
      i++;
    }
    await pub.drain(30_000);
    const published = Date.now();
    let result: Done;
    try {
      result = await done;
    } catch {
      sink.child.send({ type: 'report' });
      result = await sink.message(isType<Done>('done'), 5_000, 'mqtt sink report');
    }
    await pub.close();
    const seconds = (result.lastAt - t0) / 1000;
    return {
      messages: i,
      received: result.count,
      seconds: round(seconds, 3),
      messagesPerSecond: round(result.count / seconds),
      publishPerSecond: round(pub.acked / ((published - t0) / 1000)),
      ...(result.count < n && { partial: `received ${result.count} of ${n} within ${Math.round(o.timeoutMs / 1000)} s` }),
    };
  } finally {
    await sink.stop(5_000);
  }
}

export async function measureKafkaLimit(o: { brokers: string; runId: string; n: number; payload: string; timeoutMs: number }): Promise<RateResult> {
  const kafka = new Kafka({ clientId: `bench-${o.runId}`, brokers: o.brokers.split(','), logLevel: logLevel.NOTHING });
  const topic = `bench-${o.runId}.limit`;
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `bench-${o.runId}-limit`, maxBytesPerPartition: 4 * 1024 * 1024, maxWaitTimeInMs: 100 });
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await Promise.all([producer.connect(), consumer.connect()]);
    let received = 0;
    let lastAt = 0;
    const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        received += batch.messages.length;
        lastAt = Date.now();
      },
    });
    await withTimeout(joined, 60_000, 'kafka consumer group join');
    await sleep(500);
    const batchSize = 1000;
    const batches = Math.ceil(o.n / batchSize);
    const t0 = Date.now();
    let inflight: Promise<unknown>[] = [];
    for (let b = 0; b < batches; b++) {
      const count = Math.min(batchSize, o.n - b * batchSize);
      inflight.push(
        producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: String((b * batchSize + i) % 200), value: o.payload })) }),
      );
      if (inflight.length >= 4) {
        await inflight[0];
        inflight = inflight.slice(1);
      }
    }
    await Promise.all(inflight);
    const produced = Date.now();
    const until = Date.now() + o.timeoutMs;
    while (received < o.n && Date.now() < until) await sleep(5);
    const seconds = ((received >= o.n ? lastAt : Date.now()) - t0) / 1000;
    return {
      messages: o.n,
      received,
      seconds: round(seconds, 3),
      messagesPerSecond: round(received / seconds),
      publishPerSecond: round(o.n / ((produced - t0) / 1000)),
      ...(received < o.n && { partial: `consumed ${received} of ${o.n}` }),
    };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch((err: Error) => log(`could not delete ${topic}: ${err.message}`));
    await admin.deleteGroups([`bench-${o.runId}-limit`]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
