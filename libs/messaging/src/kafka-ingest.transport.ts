import { Consumer, Kafka, KafkaConfig, logLevel, Producer, SASLOptions } from 'kafkajs';
import { BatchHandler, InboundMessage } from './inbound-message';
import { fromIngestRecord, IngestRecord } from './ingest-envelope';

/**
 * Every kafkajs import lives in this file: kafkajs is in maintenance mode, so
 * swapping the client means changing this file only.
 */
export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  ssl: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

export function createKafka(c: KafkaConnection): Kafka {
  const config: KafkaConfig = {
    clientId: c.clientId,
    brokers: c.brokers,
    ssl: c.ssl,
    sasl: c.sasl as SASLOptions | undefined,
    logLevel: logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 200 },
  };
  return new Kafka(config);
}

export interface KafkaIngestOptions {
  connection: KafkaConnection;
  groupId: string;
  topics: string[];
  batchSize: number;
  onError: (err: Error) => void;
  onLog: (line: string) => void;
  /** Records still to read behind the committed offset, per partition, after each batch. */
  onLag?: (topic: string, partition: number, lag: number) => void;
  /**
   * The ingest topic MQTT gateways produce to: its records are read back as the MQTT messages they carry
   * (ingest-envelope.ts), so adapters and the device gate see what a direct subscription would give.
   */
  envelopeTopic?: string;
  /** Partitions of a topic this consumer has to create (default 3). */
  partitionsFor?: (topic: string) => number;
  /** A member silent this long is dropped from the group and its partitions go to the others (default 30 s). */
  sessionTimeoutMs?: number;
  /**
   * Partitions whose batches are stored at once (default 1). With 2, one partition's next batch is decoded and
   * inserted while another's is classified and committed, as the MQTT transport's batches in flight.
   */
  partitionsConcurrently?: number;
  /** The partitions this member holds after each rebalance (topic → partitions). */
  onAssignment?: (assignment: Record<string, number[]>) => void;
}

/**
 * Consumes in batches; a chunk's offsets are committed only after the handler has committed it to the
 * database. While storage fails the partition is paused in place (heartbeats keep the membership), then
 * resumes: nothing is skipped and nothing is committed early.
 */
export class KafkaIngestTransport {
  private consumer?: Consumer;
  private connected = false;

  constructor(
    private readonly options: KafkaIngestOptions,
    private readonly handler: BatchHandler,
  ) {}

  get isConnected(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    const kafka = createKafka(this.options.connection);
    const consumer = kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      // Heartbeats well inside the session, so a live member is never mistaken for a dead one.
      heartbeatInterval: Math.min(3_000, Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 10)),
      maxBytesPerPartition: 4 * 1024 * 1024,
      allowAutoTopicCreation: true,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CONNECT, () => (this.connected = true));
    consumer.on(consumer.events.DISCONNECT, () => (this.connected = false));
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.options.onAssignment?.(e.payload.memberAssignment));
    consumer.on(consumer.events.CRASH, (e) => {
      this.connected = false;
      this.options.onError(new Error(`Kafka consumer crashed: ${String(e.payload.error)}`));
    });
    await consumer.connect();
    await createMissingTopics(kafka, this.options.topics, (topic) => this.options.partitionsFor?.(topic) ?? 3, this.options.onLog);
    await this.subscribe(consumer);
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Within a partition batches stay in order; across partitions (other devices) they may overlap.
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 1,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const heartbeat = () => payload.heartbeat();
        const isRunning = () => payload.isRunning();
        const isStale = () => payload.isStale();
        for (let i = 0; i < batch.messages.length && isRunning() && !isStale(); i += this.options.batchSize) {
          const chunk = batch.messages.slice(i, i + this.options.batchSize);
          const now = new Date();
          const inbound: InboundMessage[] =
            batch.topic === this.options.envelopeTopic
              ? chunk.map((m) => fromIngestRecord(batch.topic, m.value, m.key?.toString('utf8'), m.headers, now))
              : chunk.map((m) => ({
                  transport: 'kafka',
                  topic: batch.topic,
                  payload: m.value ?? Buffer.alloc(0),
                  key: m.key?.toString('utf8'),
                  receivedAt: now,
                }));
          let backoff = 200;
          for (;;) {
            try {
              await this.handler(inbound);
              break;
            } catch (err) {
              this.options.onError(err as Error);
              if (!isRunning() || isStale()) return; // rebalanced away: the next owner re-reads from the committed offset
              await heartbeat();
              await new Promise((r) => setTimeout(r, backoff));
              backoff = Math.min(backoff * 2, 5000);
            }
          }
          const last = chunk[chunk.length - 1].offset;
          payload.resolveOffset(last);
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          await heartbeat();
        }
        if (payload.isRunning() && !payload.isStale()) this.options.onLag?.(batch.topic, batch.partition, Number(batch.offsetLag()));
      },
    });
  }

  /**
   * A topic created a moment ago can still be unknown to the broker's metadata; kafkajs's subscribe
   * does not retry that, and the worker would fail its first start on a fresh cluster. Retry briefly.
   */
  private async subscribe(consumer: Consumer): Promise<void> {
    await untilMetadataSettles('subscription', this.options.onLog, async () => {
      await consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
      return true;
    });
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    if (c) await c.disconnect().catch(() => undefined);
    this.connected = false;
  }
}

/** Metadata answers a broker gives for a moment after creating a topic. */
const SETTLING_METADATA = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/** Retries `attempt` until it returns true, for up to 30 s, while it fails only with settling-metadata errors. */
async function untilMetadataSettles(what: string, onLog: (line: string) => void, attempt: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 30_000;
  for (let n = 1; ; n++) {
    let done = false;
    try {
      done = await attempt();
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (type === undefined || !SETTLING_METADATA.has(type) || Date.now() > until) throw err;
      onLog(`waiting for Kafka metadata (${what}): ${type}, attempt ${n}`);
    }
    if (done) return;
    if (Date.now() > until) throw new Error(`timed out waiting for Kafka metadata: ${what}`);
    await new Promise((r) => setTimeout(r, Math.min(100 * n, 1000)));
  }
}

/**
 * Creates the topics that do not exist yet and waits until every partition has a leader. kafkajs's own
 * waitForLeaders gives up at once when the broker still calls a topic it has just created unknown
 * (UNKNOWN_TOPIC_OR_PARTITION; frequent on a busy broker), and the process that asked failed its start on it
 * (seen: an MQTT gateway). A topic another process created meanwhile counts as there.
 */
async function createMissingTopics(kafka: Kafka, topics: string[], partitionsFor: (topic: string) => number, onLog: (line: string) => void): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: partitionsFor(topic) })), waitForLeaders: false });
    await untilMetadataSettles(`leaders for ${missing.join(', ')}`, onLog, async () => {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: missing });
      return found.length === missing.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
    });
  } finally {
    await admin.disconnect();
  }
}

/** Publishes records (outbox relay, simulator). */
export class KafkaPublisher {
  private producer?: Producer;
  private connected = false;

  constructor(private readonly connection: KafkaConnection) {}

  get isConnected(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    const producer = createKafka(this.connection).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
    producer.on(producer.events.CONNECT, () => (this.connected = true));
    producer.on(producer.events.DISCONNECT, () => (this.connected = false));
    this.producer = producer;
    await producer.connect();
  }

  /**
   * Creates the topics that do not exist yet (several partitions; records with one key stay in one, in order) and
   * waits until each has its leaders. `onLog` hears each wait for the broker's metadata.
   */
  async ensureTopics(topics: string[], numPartitions = 3, onLog: (line: string) => void = () => undefined): Promise<void> {
    await createMissingTopics(createKafka(this.connection), topics, () => numPartitions, onLog);
  }

  /** Resolves once every in-sync replica has the records (acks=all); the idempotent producer writes a retried send once. */
  async send(topic: string, records: { key: string; value: string }[] | IngestRecord[]): Promise<void> {
    if (!this.producer) throw new Error('Kafka publisher not started');
    await this.producer.send({ topic, messages: records, acks: -1 });
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
    this.connected = false;
  }
}
