/**
 * Where simulated messages go: MQTT (one connection per sender, as each device has its own credentials),
 * Kafka (batched producer) and HTTP (Hikvision alarm push with device Basic auth). Every sink counts what
 * was sent, acknowledged, refused and failed, and can be drained before it is closed.
 */
import { Kafka, logLevel, Producer } from 'kafkajs';
import { connect, IClientOptions, MqttClient } from 'mqtt';
import type { SimMessage } from './payloads';

export interface SinkStats {
  sent: number;
  /** Acknowledged by the broker / answered 2xx. */
  acked: number;
  /** Answered with a refusal the sender expects for bad input (HTTP 400). */
  refused: number;
  failed: number;
  errors: Record<string, number>;
}

const newStats = (): SinkStats => ({ sent: 0, acked: 0, refused: 0, failed: 0, errors: {} });
const noteError = (s: SinkStats, err: unknown) => {
  const key = (err instanceof Error ? err.message : String(err)).slice(0, 120);
  s.errors[key] = (s.errors[key] ?? 0) + 1;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface MqttSinkOptions {
  url: string;
  /** Password for a sender (device id, or "frigate"); undefined connects without credentials. */
  passwordFor: (sender: string) => string | undefined;
  /** 5 (Mosquitto; refusals come back in the PUBACK) or 4 (aedes); default: try 5, fall back to 4. */
  protocolVersion?: 4 | 5;
  /** Publishes awaiting their PUBACK, over all connections, before `send` waits; default 2000. */
  maxInflight?: number;
  clientIdPrefix?: string;
}

export class MqttSink {
  readonly stats = newStats();
  private readonly clients = new Map<string, Promise<MqttClient>>();
  private inflight = 0;
  private version: 4 | 5 | undefined;

  constructor(private readonly o: MqttSinkOptions) {
    this.version = o.protocolVersion;
  }

  get pending(): number {
    return this.inflight;
  }

  /** Publishes at QoS 1; resolves once it is handed to the connection (waits while the in-flight window is full). */
  async send(m: SimMessage): Promise<void> {
    while (this.inflight >= (this.o.maxInflight ?? 2000)) await sleep(1);
    const client = await this.client(m.sender);
    this.inflight++;
    this.stats.sent++;
    client.publish(m.topic, m.payload, { qos: 1 }, (err) => {
      this.inflight--;
      if (err) {
        this.stats.failed++;
        noteError(this.stats, err);
      } else this.stats.acked++;
    });
  }

  async drain(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.inflight > 0 && Date.now() < until) await sleep(5);
  }

  async close(): Promise<void> {
    const clients = await Promise.allSettled([...this.clients.values()]);
    this.clients.clear();
    await Promise.all(clients.map(async (c) => (c.status === 'fulfilled' ? c.value.endAsync(true).catch(() => undefined) : undefined)));
  }

  private client(sender: string): Promise<MqttClient> {
    let c = this.clients.get(sender);
    if (!c) {
      c = this.connect(sender);
      this.clients.set(sender, c);
      c.catch(() => this.clients.delete(sender));
    }
    return c;
  }

  private async connect(sender: string): Promise<MqttClient> {
    const attempt = (protocolVersion: 4 | 5) =>
      new Promise<MqttClient>((resolve, reject) => {
        const options: IClientOptions = {
          // A client id belongs to its device: `<device id>:…` (brokers refuse a session another device owns).
          clientId: `${sender}:${this.o.clientIdPrefix ?? 'sim'}-${Math.random().toString(36).slice(2, 8)}`,
          username: sender,
          password: this.o.passwordFor(sender),
          protocolVersion,
          clean: true,
          reconnectPeriod: 1000,
          connectTimeout: 10_000,
        };
        const client = connect(this.o.url, options);
        const onError = (err: Error) => {
          client.end(true);
          reject(err);
        };
        client.once('error', onError);
        client.once('connect', () => {
          client.off('error', onError);
          client.on('error', (err) => noteError(this.stats, err));
          resolve(client);
        });
      });
    if (this.version) return attempt(this.version);
    try {
      const c = await attempt(5);
      this.version = 5;
      return c;
    } catch (err) {
      // aedes (the embedded broker of `npm start`) speaks MQTT 3.1.1 only.
      if (!/protocol/i.test((err as Error).message)) throw err;
      this.version = 4;
      return attempt(4);
    }
  }
}

export interface KafkaSinkOptions {
  brokers: string[];
  /** Tenancy prefix CloudPatrol was started with (KAFKA_TOPIC_PREFIX). */
  topicPrefix?: string;
  clientId?: string;
}

/** Batches what `send` is given and ships it with `sendBatch` on `flush` (call it once per tick). */
export class KafkaSink {
  readonly stats = newStats();
  private producer?: Producer;
  private buffer: SimMessage[] = [];
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly o: KafkaSinkOptions) {}

  async start(): Promise<void> {
    const kafka = new Kafka({ clientId: this.o.clientId ?? 'cloudpatrol-simulator', brokers: this.o.brokers, logLevel: logLevel.NOTHING });
    this.producer = kafka.producer({ allowAutoTopicCreation: true });
    await this.producer.connect();
  }

  send(m: SimMessage): void {
    this.buffer.push(m);
    this.stats.sent++;
    if (this.buffer.length >= 500) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0 || !this.producer) return;
    const batch = this.buffer;
    this.buffer = [];
    const producer = this.producer;
    const byTopic = new Map<string, { key?: string; value: string }[]>();
    for (const m of batch) {
      const topic = (this.o.topicPrefix ?? '') + m.topic;
      const list = byTopic.get(topic) ?? [];
      list.push({ key: m.key, value: m.payload });
      byTopic.set(topic, list);
    }
    this.flushing = this.flushing.then(() =>
      producer
        .sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) })
        .then(() => void (this.stats.acked += batch.length))
        .catch((err: unknown) => {
          this.stats.failed += batch.length;
          noteError(this.stats, err);
        }),
    );
  }

  async drain(): Promise<void> {
    this.flush();
    await this.flushing;
  }

  async close(): Promise<void> {
    await this.drain();
    await this.producer?.disconnect();
  }
}

export interface HttpSinkOptions {
  baseUrl: string;
  passwordFor: (sender: string) => string;
  /** Requests in flight before `send` waits; default 16. */
  concurrency?: number;
}

/** Hikvision ISAPI alarm push: POST the XML with the device's Basic credentials. */
export class HttpSink {
  readonly stats = newStats();
  private inflight = 0;

  constructor(private readonly o: HttpSinkOptions) {}

  async send(m: SimMessage): Promise<void> {
    while (this.inflight >= (this.o.concurrency ?? 16)) await sleep(1);
    this.inflight++;
    this.stats.sent++;
    const auth = Buffer.from(`${m.sender}:${this.o.passwordFor(m.sender)}`).toString('base64');
    void fetch(new URL(m.topic, this.o.baseUrl), {
      method: 'POST',
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/xml' },
      body: m.payload,
    })
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.ok) this.stats.acked++;
        else if (res.status === 400) this.stats.refused++;
        else {
          this.stats.failed++;
          noteError(this.stats, new Error(`HTTP ${res.status}`));
        }
      })
      .catch((err: unknown) => {
        this.stats.failed++;
        noteError(this.stats, err);
      })
      .finally(() => this.inflight--);
  }

  async drain(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.inflight > 0 && Date.now() < until) await sleep(5);
  }
}
