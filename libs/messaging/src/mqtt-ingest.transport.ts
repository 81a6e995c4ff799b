import { BatchHandler, InboundMessage } from './inbound-message';
import { redactUrl } from '@app/domain';
import { Ack, MqttSubscriberConnection, ReceivedPublish } from './mqtt-subscriber.connection';

export interface MqttIngestOptions {
  url: string;
  username?: string;
  password?: string;
  /** Stable per worker: the broker keeps the session (and its backlog) under this id. */
  clientId: string;
  /** 5 where the broker speaks it (Mosquitto); 4 (3.1.1) for the embedded aedes broker. */
  protocolVersion: 4 | 5;
  /** MQTT 5 shared subscription group, so several workers split one topic (MQTT 5 only). */
  shareGroup?: string;
  topics: string[];
  /** How many unacknowledged messages the broker may send us (MQTT 5 Receive Maximum). */
  receiveMaximum: number;
  /** Payload bytes held unacknowledged at most (pictures are large): beyond it the connection stops reading. */
  maxUnackedBytes?: number;
  batchSize: number;
  batchWaitMs: number;
  /**
   * Batches stored at once. With 2, the next full batch is decoded and inserted while the previous one is
   * classified and committed, so the worker's CPU and the database's overlap instead of taking turns.
   * A second batch starts only when a full one is waiting; the handler keeps classification in order.
   */
  pipelineDepth: number;
  onError: (err: Error) => void;
  onLog: (line: string) => void;
  /**
   * Messages taken one at a time instead of in batches (pictures: binary, large, never for an event adapter):
   * each is acknowledged once `take` resolves (stored, or refused and recorded with the reason); when it
   * rejects (storage is down) it is not acknowledged and is taken again after a pause.
   */
  singles?: {
    matches: (topic: string) => boolean;
    /** `retained`: delivered because a subscription was made (a retained message replayed), not as published. */
    take: (message: InboundMessage, retained: boolean) => Promise<void>;
  };
}

interface PendingMessage {
  message: InboundMessage;
  /** Sends the PUBACK (QoS 1); a no-op once the connection that delivered the message is gone. */
  ack?: Ack;
}

/**
 * MQTT QoS 1 with a persistent session, acknowledging each message only after the batch holding it is
 * stored: a PUBACK means "stored", while thousands of messages are in flight at once.
 *
 * The connection is our own small subscriber (mqtt-subscriber.connection.ts) on the public API of
 * `mqtt-packet` (the parser/generator MQTT.js is built on). It hands each QoS 1 message out with an `ack`
 * that the transport calls after the commit, and keeps reading meanwhile; the broker's in-flight window
 * (Receive Maximum, Mosquitto's max_inflight_messages) bounds what we hold. An ack whose connection is gone
 * does nothing: the broker sends that message again on the next connection (storage is idempotent).
 *
 * Why not MQTT.js (read in mqtt 5.16: build/lib/client.js `work`/`nextTickWork`, lib/handlers/publish.js):
 * its client takes the next packet only when the current one calls `done`, and for QoS 1 `done` is the
 * write callback of the PUBACK, written when `handleMessage` calls back (and, MQTT 5 only, after
 * `customHandleAcks` did). Holding the ack in either documented hook until the commit stops reading too:
 * one message per batch commit. Its README documents no manual-ack option (asked for in mqttjs/MQTT.js
 * issues 691 and 1299 and PR 1317, never landed). The way used before was to patch the private
 * `_sendPacket` and hold the PUBACK packet there, which an upgrade could break silently (acks sent before
 * storing, or never); keeping it with a contract test was the fallback, not needed now.
 *
 * Measured on the 2-core machine (MQTT 5, Mosquitto with config/mosquitto, a handler committing each batch
 * after a 2 ms await): draining 20,000 queued QoS 1 messages, the ack held in `handleMessage` did 124 msg/s
 * (2,000 messages); the `_sendPacket` patch 39,000-74,000 msg/s; this connection 34,000-80,000 msg/s (the
 * same within the noise). Publishing 20,000 live (one publisher, 500 in flight): 7,800-9,800 msg/s with either,
 * bound by the publisher. test/integration/mqtt-puback-seam.int-spec.ts checks, on the wire to a real
 * Mosquitto, that no PUBACK leaves before the commit while hundreds of messages are handed over at once.
 */
export class MqttIngestTransport {
  private connection?: MqttSubscriberConnection;
  private pending: PendingMessage[] = [];
  private timer?: NodeJS.Timeout;
  private readonly storing = new Set<Promise<void>>();
  private storingMessages = 0;
  /** After a failed batch: no batch starts before this time (ms), so a database outage is not hammered. */
  private retryAt = 0;
  private backoff = 100;
  private closed = false;
  /** Single messages (pictures) being taken. */
  private readonly taking = new Set<Promise<void>>();
  /** Pauses between attempts at a single message, cut short when stopping. */
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly options: MqttIngestOptions,
    private readonly handler: BatchHandler,
  ) {}

  get isConnected(): boolean {
    return this.connection?.isConnected ?? false;
  }

  /** Messages received and not yet stored (so not yet acknowledged): this worker's share of the lag. */
  get backlog(): number {
    return this.pending.length + this.storingMessages + this.taking.size;
  }

  async start(): Promise<void> {
    const o = this.options;
    // Subscribed on every connect, even with a kept session: Mosquitto 2.0 restores a persistent session after
    // a restart without its shared subscriptions (measured: without this a restarted broker delivers nothing).
    const filters = o.protocolVersion === 5 && o.shareGroup ? o.topics.map((t) => `$share/${o.shareGroup}/${t}`) : o.topics;
    const connection = new MqttSubscriberConnection({
      url: o.url,
      username: o.username,
      password: o.password,
      clientId: o.clientId,
      protocolVersion: o.protocolVersion,
      sessionExpiryInterval: o.protocolVersion === 5 ? 7 * 24 * 3600 : undefined,
      receiveMaximum: o.protocolVersion === 5 ? o.receiveMaximum : undefined,
      maxUnackedBytes: o.maxUnackedBytes,
      subscriptions: filters.map((topic) => ({ topic, qos: 1 as const })),
      keepalive: 60,
      connectTimeoutMs: 10_000,
      reconnectMinMs: 1000,
      reconnectMaxMs: 10_000,
    });
    this.connection = connection;
    // Acks of an earlier connection are void (the connection drops them): the broker redelivers those messages.
    connection.on('message', (publish, ack) => this.accept(publish, ack));
    connection.on('subscribed', (granted) => {
      const refused = filters.filter((_, i) => (granted[i] ?? 0x80) >= 0x80);
      if (refused.length > 0) o.onError(new Error(`MQTT subscribe failed: refused ${refused.join(', ')}`));
    });
    connection.on('connect', ({ sessionPresent }) => o.onLog(`MQTT connected to ${redactUrl(o.url)} (session ${sessionPresent ? 'resumed' : 'new'})`));
    connection.on('offline', (reason) => {
      if (!this.closed) o.onLog(`MQTT offline: ${reason}`);
    });
    connection.on('error', (err) => o.onError(err));
    try {
      await connection.start();
    } catch (err) {
      this.connection = undefined;
      throw err;
    }
  }

  private accept(publish: ReceivedPublish, ack: Ack | undefined): void {
    const entry: PendingMessage = {
      message: { transport: 'mqtt', topic: publish.topic, payload: publish.payload, receivedAt: new Date() },
      ack,
    };
    if (this.options.singles?.matches(publish.topic)) return this.takeSingle(entry, publish.retain);
    this.pending.push(entry);
    this.pump();
  }

  /** A picture: taken on its own (not behind a batch of events), acknowledged once taken; retried in place. */
  private takeSingle(entry: PendingMessage, retained: boolean): void {
    const singles = this.options.singles as NonNullable<MqttIngestOptions['singles']>;
    const run = (async () => {
      for (let backoff = 100; !this.closed; backoff = Math.min(backoff * 2, 5000)) {
        try {
          await singles.take(entry.message, retained);
          this.acknowledge(entry);
          return;
        } catch (err) {
          this.options.onError(err as Error);
          await this.pause(backoff);
        }
      }
      // Stopping: not acknowledged, the broker delivers it again.
    })().finally(() => this.taking.delete(run));
    this.taking.add(run);
  }

  /** Waits `ms`, or less when the transport stops meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  /** PUBACK a stored message, on the connection that delivered it only (after a reconnect the broker resends it). */
  private acknowledge(p: PendingMessage): void {
    p.ack?.();
  }

  /**
   * Starts what may start now: a batch when none is being stored (once its oldest message waited `batchWaitMs`,
   * to let a batch fill), and further batches up to `pipelineDepth` while full ones are waiting.
   */
  private pump(): void {
    const o = this.options;
    if (this.closed) return;
    const wait = this.retryAt - Date.now();
    if (wait > 0) return this.startTimer(wait);
    while (this.pending.length >= o.batchSize && this.storing.size < o.pipelineDepth) this.startBatch();
    // The wait lets a batch fill, counted from its oldest message: what queued while the previous batch was
    // stored has waited long enough and goes at once (a wait after each batch added it to every message's way).
    if (this.pending.length > 0 && this.storing.size === 0)
      this.startTimer(Math.max(0, o.batchWaitMs - (Date.now() - this.pending[0].message.receivedAt.getTime())));
  }

  private startTimer(delay: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A batch that is not full yet goes only when nothing else is being stored.
      if (!this.closed && this.retryAt <= Date.now() && this.pending.length > 0 && this.storing.size === 0) this.startBatch();
      this.pump();
    }, delay);
  }

  private startBatch(): void {
    const batch = this.pending.splice(0, this.options.batchSize);
    this.storingMessages += batch.length;
    const run = this.store(batch).finally(() => {
      this.storing.delete(run);
      this.storingMessages -= batch.length;
      this.pump();
    });
    this.storing.add(run);
  }

  private async store(batch: PendingMessage[]): Promise<void> {
    try {
      await this.handler(batch.map((p) => p.message));
    } catch (err) {
      // Storage is down: keep the batch (back at the front, in order), ack nothing, try again after a pause.
      // The broker stops sending at Receive Maximum.
      this.options.onError(err as Error);
      this.pending.unshift(...batch);
      this.retryAt = Date.now() + this.backoff;
      this.backoff = Math.min(this.backoff * 2, 5000);
      return;
    }
    this.backoff = 100;
    for (const p of batch) this.acknowledge(p);
  }

  /** Publishes a reply a device waits for (QoS 1), on the same connection. */
  async publish(topic: string, payload: string): Promise<void> {
    if (!this.connection) throw new Error('MQTT transport not started');
    await this.connection.publish(topic, payload);
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const wake of [...this.wakers]) wake();
    // Batches being stored finish and are acked; anything not yet stored is redelivered by the broker.
    await Promise.allSettled([...this.storing, ...this.taking]);
    const c = this.connection;
    this.connection = undefined;
    if (c) await c.stop().catch(() => undefined);
  }
}
