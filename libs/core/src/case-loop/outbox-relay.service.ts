import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { KafkaPublisher } from '@app/messaging';
import { OutboxRepository, type OutboxMessage } from '@app/persistence';
import { REFERRAL_REPLY_TOPICS } from '@app/domain/cases/referral-reply';
import { LOGGER, type Logger } from '../observability/logger';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { CASES_TOPIC } from './case-loop.service';

const BATCH = 500;
const IDLE_MS = 200;
const MAX_BACKOFF_MS = 5_000;
const KEEP_SENT_MS = 7 * 24 * 3_600_000;

/**
 * Publishes the outbox to Kafka (`${KAFKA_TOPIC_PREFIX}cloudpatrol.cases.v1`, key = case id) in worker
 * processes when KAFKA_BROKERS is set. One relay at a time across workers (advisory lock), oldest first,
 * marked sent only after Kafka acknowledged (acks=all, idempotent producer): a committed transition is on
 * the topic at least once, and a case's records are in its order (one key = one partition).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private publisher?: KafkaPublisher;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  private backoff = IDLE_MS;
  private lastPrune = 0;

  constructor(
    private readonly outbox: OutboxRepository,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get enabled(): boolean {
    return !!this.runtime.env.KAFKA_BROKERS;
  }

  onApplicationBootstrap(): void {
    if (this.enabled) this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops after the batch in flight (which is then either marked sent or left for the next relay). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.publisher?.stop();
    this.publisher = undefined;
  }

  /** Publishes what is waiting now; returns how many records went out. */
  async relayOnce(): Promise<number> {
    const publisher = await this.connect();
    let total = 0;
    for (;;) {
      const sent = await this.outbox.relay(BATCH, (messages) => this.publish(publisher, messages));
      if (sent === null) return total; // another worker's relay is at it
      total += sent;
      if (sent < BATCH) return total;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => (this.running = undefined));
    }, ms);
  }

  private async tick(): Promise<void> {
    try {
      await this.relayOnce();
      this.backoff = IDLE_MS;
      if (Date.now() - this.lastPrune > 3_600_000) {
        this.lastPrune = Date.now();
        await this.outbox.pruneSent(new Date(Date.now() - KEEP_SENT_MS));
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, retryInMs: this.backoff }, 'outbox relay: publishing failed; the records stay in the outbox');
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
      await this.publisher?.stop();
      this.publisher = undefined;
    }
    this.schedule(this.backoff);
  }

  private async connect(): Promise<KafkaPublisher> {
    if (this.publisher) return this.publisher;
    const env = this.runtime.env;
    if (!env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set');
    const publisher = new KafkaPublisher({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: `${env.KAFKA_CLIENT_ID}-outbox`,
      ssl: env.KAFKA_SSL,
      sasl:
        env.KAFKA_SASL_MECHANISM && env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
          ? { mechanism: env.KAFKA_SASL_MECHANISM, username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD }
          : undefined,
    });
    try {
      await publisher.start();
      // The referral replies (one topic per department) and the dead letters ride the same outbox, in the same order.
      await publisher.ensureTopics([CASES_TOPIC, ...REFERRAL_REPLY_TOPICS, env.KAFKA_DEAD_LETTER_TOPIC].map((t) => env.KAFKA_TOPIC_PREFIX + t));
    } catch (err) {
      await publisher.stop();
      throw err;
    }
    this.publisher = publisher;
    return publisher;
  }

  private async publish(publisher: KafkaPublisher, messages: OutboxMessage[]): Promise<void> {
    // In outbox order; consecutive records of one topic go in one request.
    let i = 0;
    while (i < messages.length) {
      const topic = messages[i].topic;
      let j = i;
      while (j < messages.length && messages[j].topic === topic) j++;
      await publisher.send(
        this.runtime.env.KAFKA_TOPIC_PREFIX + topic,
        messages.slice(i, j).map((m) => ({ key: m.key, value: JSON.stringify(m.payload) })),
      );
      i = j;
    }
  }
}
