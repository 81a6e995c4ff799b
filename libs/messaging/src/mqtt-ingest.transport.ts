import { connect, IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { BatchHandler, InboundMessage } from './inbound-message';

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
  messageId?: number;
  /** Set once MQTT.js asks to send the PUBACK; called after the batch commits. */
  sendPuback?: () => void;
  connection: number;
}

type SendPacket = (packet: { cmd: string; messageId?: number }, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

/**
 * MQTT QoS 1 with a persistent session, acknowledging each message only after the batch holding it
 * is stored. MQTT.js sends a PUBACK as soon as `handleMessage` calls back and processes one packet
 * at a time, so acknowledging after store would serialise every message behind one database
 * round trip. Instead `handleMessage` returns at once and the PUBACK packet itself is held back until
 * the batch commits. The broker's in-flight window (Receive Maximum) bounds what we hold.
 */
export class MqttIngestTransport {
  private client?: MqttClient;
  private pending: PendingMessage[] = [];
  private held = new Map<number, PendingMessage>();
  private timer?: NodeJS.Timeout;
  private readonly storing = new Set<Promise<void>>();
  private storingMessages = 0;
  /** After a failed batch: no batch starts before this time (ms), so a database outage is not hammered. */
  private retryAt = 0;
  private backoff = 100;
  private connection = 0;
  private closed = false;
  private connected = false;
  /** Single messages (pictures) being taken. */
  private readonly taking = new Set<Promise<void>>();
  /** Pauses between attempts at a single message, cut short when stopping. */
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly options: MqttIngestOptions,
    private readonly handler: BatchHandler,
  ) {}

  get isConnected(): boolean {
    return this.connected;
  }

  /** Messages received and not yet stored (so not yet acknowledged): this worker's share of the lag. */
  get backlog(): number {
    return this.pending.length + this.storingMessages + this.taking.size;
  }

  async start(): Promise<void> {
    const o = this.options;
    const clientOptions: IClientOptions = {
      clientId: o.clientId,
      username: o.username,
      password: o.password,
      protocolVersion: o.protocolVersion,
      clean: false,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      properties: o.protocolVersion === 5 ? { sessionExpiryInterval: 7 * 24 * 3600, receiveMaximum: o.receiveMaximum } : undefined,
    };
    const client = connect(o.url, clientOptions);
    this.client = client;
    this.interceptPuback(client);
    client.handleMessage = (packet, callback) => {
      this.accept(packet);
      callback();
    };
    client.on('connect', () => {
      this.connection++;
      this.connected = true;
      // Acks held for the previous connection are void: the broker redelivers those messages.
      for (const p of this.held.values()) p.sendPuback = undefined;
      this.held.clear();
      // Subscribe on every connect, even with a kept session: Mosquitto 2.0 restores a persistent session after
      // a restart without its shared subscriptions, and MQTT.js skips topics it believes subscribed unless told
      // `resubscribe` (measured: without this a restarted broker delivers nothing to the worker).
      const filters = o.protocolVersion === 5 && o.shareGroup ? o.topics.map((t) => `$share/${o.shareGroup}/${t}`) : o.topics;
      const request = { ...Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])), resubscribe: true };
      client.subscribe(request as unknown as Parameters<MqttClient['subscribe']>[0], (err) => {
        if (err) o.onError(new Error(`MQTT subscribe failed: ${err.message}`));
      });
    });
    client.on('close', () => {
      this.connected = false;
    });
    client.on('error', (err) => o.onError(err));
    await new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        client.off('error', onError);
        resolve();
      };
      const onError = (err: Error) => {
        client.off('connect', onConnect);
        reject(new Error(`cannot connect to MQTT broker ${o.url}: ${err.message}`));
      };
      client.once('connect', onConnect);
      client.once('error', onError);
    });
  }

  private interceptPuback(client: MqttClient): void {
    const target = client as unknown as { _sendPacket: SendPacket };
    const send: SendPacket = target._sendPacket.bind(client);
    target._sendPacket = (packet, cb, ...rest) => {
      const held = packet.cmd === 'puback' && packet.messageId !== undefined ? this.held.get(packet.messageId) : undefined;
      if (held && !held.sendPuback) {
        held.sendPuback = () => send(packet, undefined, ...rest);
        cb?.(); // let MQTT.js read the next packet now
        return;
      }
      send(packet, cb, ...rest);
    };
  }

  private accept(packet: IPublishPacket): void {
    const entry: PendingMessage = {
      message: {
        transport: 'mqtt',
        topic: packet.topic,
        payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
        receivedAt: new Date(),
      },
      messageId: packet.qos > 0 ? packet.messageId : undefined,
      connection: this.connection,
    };
    if (entry.messageId !== undefined) this.held.set(entry.messageId, entry);
    if (this.options.singles?.matches(packet.topic)) return this.takeSingle(entry, packet.retain);
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
    if (p.messageId === undefined) return;
    if (p.connection === this.connection && this.held.get(p.messageId) === p) {
      this.held.delete(p.messageId);
      p.sendPuback?.();
    }
  }

  /**
   * Starts what may start now: a batch when none is being stored (after `batchWaitMs`, to let a batch fill),
   * and further batches up to `pipelineDepth` while full ones are waiting.
   */
  private pump(): void {
    const o = this.options;
    if (this.closed) return;
    const wait = this.retryAt - Date.now();
    if (wait > 0) return this.startTimer(wait);
    while (this.pending.length >= o.batchSize && this.storing.size < o.pipelineDepth) this.startBatch();
    if (this.pending.length > 0 && this.storing.size === 0) this.startTimer(o.batchWaitMs);
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
    if (!this.client) throw new Error('MQTT transport not started');
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const wake of [...this.wakers]) wake();
    // Batches being stored finish and are acked; anything not yet stored is redelivered by the broker.
    await Promise.allSettled([...this.storing, ...this.taking]);
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(false).catch(() => undefined);
  }
}
