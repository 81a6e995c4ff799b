import { EventEmitter } from 'node:events';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import * as mqttPacket from 'mqtt-packet';
import { redactUrl } from '@app/domain';
import type { IConnackPacket, IPublishPacket, ISubackPacket, Packet } from 'mqtt-packet';

/**
 * The subscriber side of an MQTT 3.1.1 / 5 client connection, on the public API of `mqtt-packet` (the
 * parser and generator MQTT.js itself is built on): CONNECT with a persistent session, SUBSCRIBE, receive
 * PUBLISH, and a PUBACK sent exactly when the caller calls the `ack` handed out with the message — while
 * every following packet keeps flowing. Also QoS 1 publishes of our own (replies), keepalive, reconnect
 * with back-off, TLS (mqtts://) and WebSocket (ws://, wss://).
 *
 * Why not MQTT.js: its client reads one packet at a time and reads the next only after the PUBACK of a QoS 1
 * publish is written; both documented hooks (`handleMessage`, `customHandleAcks`) sit before that write, so
 * an ack held in them until a batch commits holds every later message behind it (see mqtt-ingest.transport.ts).
 *
 * Flow control is the broker's: it sends at most Receive Maximum (MQTT 5, set in CONNECT) or its own
 * in-flight limit (3.1.1; Mosquitto's max_inflight_messages) unacknowledged QoS 1 messages. With a Receive
 * Maximum the window is also kept on this side: Mosquitto before 2.0.13 (Debian 12 ships 2.0.11) stops at it
 * only until PUBACKs flow, then moves its whole queue in flight (eclipse/mosquitto#2306, fixed by 330bf6ef) —
 * measured: 42,000 of the bench's 50,500-event burst waiting in the worker at once, ~55 MB of heap. Publishes
 * beyond the window wait here (parsed, at most one socket read's worth) and the socket is not read until acks
 * open the window again, so the rest waits in the broker's queue, where a persistent session keeps it anyway.
 * The same holds past `maxUnackedBytes` of payload, which the broker knows nothing of: pictures of a megabyte each
 * would otherwise fill memory long before the count is reached.
 */
export interface MqttSubscriberOptions {
  /** mqtt://, tcp://, mqtts://, ssl://, tls://, ws:// or wss:// */
  url: string;
  username?: string;
  password?: string;
  clientId: string;
  protocolVersion: 4 | 5;
  /** Persistent session (clean = false). MQTT 5: kept this long after a disconnect (seconds). */
  sessionExpiryInterval?: number;
  /** MQTT 5: how many unacknowledged QoS 1/2 messages the broker may send us (and this side hands out at once). */
  receiveMaximum?: number;
  /**
   * Payload bytes handed out unacknowledged at most (any protocol version): beyond it publishes wait here and the
   * socket is not read, as beyond the Receive Maximum. A count alone bounds no memory when messages are large
   * (pictures of up to a megabyte). One message always goes when none is out, however large.
   */
  maxUnackedBytes?: number;
  /** Subscribed on every CONNACK (a restored session may lack them: Mosquitto 2.0 drops shared subscriptions). */
  subscriptions: { topic: string; qos: 0 | 1 }[];
  /** Seconds; 0 turns PINGREQ off. Default 60. */
  keepalive?: number;
  /** From opening the socket to CONNACK. Default 10 s. */
  connectTimeoutMs?: number;
  /** Reconnect back-off: first pause, doubled after each failed attempt up to the maximum. Default 1 s .. 10 s. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Extra options for TLS (CA, client certificate, rejectUnauthorized). */
  tls?: import('node:tls').ConnectionOptions;
}

export interface ReceivedPublish {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
  dup: boolean;
  messageId?: number;
}

/**
 * Sends the PUBACK of one QoS 1 message, once (later calls do nothing). After the connection that delivered
 * the message is gone it does nothing either: the broker sends the message again on the next connection.
 */
export type Ack = () => void;

export interface MqttSubscriberEvents {
  /** CONNACK accepted (every connection, first and after a reconnect). */
  connect: [info: { sessionPresent: boolean }];
  /** SUBACK: one granted QoS or failure code (>= 0x80) per subscription. */
  subscribed: [granted: number[]];
  /** A PUBLISH; `ack` is set for QoS 1. */
  message: [publish: ReceivedPublish, ack: Ack | undefined];
  /** The connection (after CONNACK or not) is gone; a reconnect follows unless stopped. */
  offline: [reason: string];
  error: [err: Error];
}

interface OutgoingPublish {
  packet: IPublishPacket;
  /** Written to some connection already: a resend carries DUP. */
  sent: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A MQTT 5 reason code / 3.1.1 return code of a refused CONNECT, in words. */
const CONNACK_REFUSALS: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8c: 'bad authentication method',
  0x95: 'packet too large',
  0x97: 'quota exceeded',
  0x9f: 'connection rate exceeded',
};

export class MqttSubscriberConnection extends EventEmitter<MqttSubscriberEvents> {
  private socket?: Duplex;
  /** Bumped for every socket: an ack of an earlier connection is void. */
  private generation = 0;
  private connected = false;
  private stopped = false;
  private reconnectDelay: number;
  private reconnectTimer?: NodeJS.Timeout;
  private connectTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private awaitingPingresp = false;
  /** QoS 1 messages of this connection handed out and not acknowledged yet. */
  private unacked = 0;
  /** Their payload bytes. */
  private unackedBytes = 0;
  /** Publishes past the window (Receive Maximum, or the byte bound), handed out as acks open it. */
  private held: IPublishPacket[] = [];
  private releaseScheduled = false;
  /** The socket is not being read (the window is full). */
  private readingPaused = false;
  /** Reading was paused at some point since the last PINGREQ (its PINGRESP may be unread, not missing). */
  private pausedSincePing = false;
  /** Our QoS 1 publishes not yet acknowledged, by packet id: sent again (DUP) after a reconnect. */
  private readonly outgoing = new Map<number, OutgoingPublish>();
  private subscribeId?: number;
  private lastId = 0;
  private corked = false;
  private readonly packetOptions: { protocolVersion: 4 | 5 };

  constructor(private readonly options: MqttSubscriberOptions) {
    super();
    this.reconnectDelay = options.reconnectMinMs ?? 1000;
    this.packetOptions = { protocolVersion: options.protocolVersion };
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * Connects; resolves at the first accepted CONNACK, rejects when that first attempt fails (refused, unreachable,
   * timed out) and then tries no more. Once connected it reconnects by itself until `stop`.
   */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onConnect = (): void => {
        this.off('offline', onOffline);
        resolve();
      };
      const onOffline = (reason: string): void => {
        this.off('connect', onConnect);
        this.stopped = true;
        if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
        reject(new Error(reason));
      };
      this.once('connect', onConnect);
      this.once('offline', onOffline);
      this.open();
    });
  }

  /** Publishes with QoS 1; resolves on the broker's PUBACK (sent again after a reconnect until then). */
  publish(topic: string, payload: string | Buffer): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('MQTT connection stopped'));
    return new Promise<void>((resolve, reject) => {
      const messageId = this.nextId();
      const packet: IPublishPacket = {
        cmd: 'publish',
        topic,
        payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
        qos: 1,
        retain: false,
        dup: false,
        messageId,
      };
      const out: OutgoingPublish = { packet, sent: false, resolve, reject };
      this.outgoing.set(messageId, out);
      if (this.connected) this.sendPublish(out);
    });
  }

  /** Sends DISCONNECT after whatever was written (acks included), closes, and reconnects no more. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const p of this.outgoing.values()) p.reject(new Error('MQTT connection stopped'));
    this.outgoing.clear();
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.destroy(), 5000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.connected) this.send(this.options.protocolVersion === 5 ? { cmd: 'disconnect', reasonCode: 0 } : { cmd: 'disconnect' });
      socket.end();
    });
  }

  private open(): void {
    const generation = ++this.generation;
    const o = this.options;
    let socket: Duplex;
    try {
      socket = this.dial();
    } catch (err) {
      this.emit('error', err as Error);
      this.lost(generation, (err as Error).message);
      return;
    }
    this.socket = socket;
    this.unacked = 0;
    this.unackedBytes = 0;
    this.held = [];
    this.readingPaused = false;
    const parser = mqttPacket.parser(this.packetOptions);
    parser.on('packet', (packet: Packet) => {
      if (generation === this.generation) this.onPacket(packet, generation);
    });
    parser.on('error', (err: Error) => this.fail(generation, `malformed packet from the broker: ${err.message}`));
    socket.on('data', (chunk: Buffer) => {
      if (generation === this.generation) parser.parse(chunk);
    });
    let socketError: string | undefined;
    socket.on('error', (err: Error) => {
      socketError = err.message;
      if (generation === this.generation) this.emit('error', err);
    });
    socket.on('close', () => this.lost(generation, socketError ?? 'connection closed'));
    this.connectTimer = setTimeout(() => this.fail(generation, `no CONNACK within ${o.connectTimeoutMs ?? 10_000} ms`), o.connectTimeoutMs ?? 10_000);
    this.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: o.protocolVersion,
      clientId: o.clientId,
      clean: false,
      keepalive: o.keepalive ?? 60,
      username: o.username,
      password: o.password === undefined ? undefined : Buffer.from(o.password),
      properties:
        o.protocolVersion === 5
          ? {
              ...(o.sessionExpiryInterval !== undefined ? { sessionExpiryInterval: o.sessionExpiryInterval } : {}),
              ...(o.receiveMaximum !== undefined ? { receiveMaximum: o.receiveMaximum } : {}),
            }
          : undefined,
    });
  }

  /** A socket to the broker (writes before it is connected are buffered by Node). */
  private dial(): Duplex {
    const url = new URL(this.options.url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    switch (url.protocol) {
      case 'mqtt:':
      case 'tcp:': {
        const socket = netConnect({ host, port: Number(url.port || 1883) });
        socket.setNoDelay(true);
        return socket;
      }
      case 'mqtts:':
      case 'ssl:':
      case 'tls:': {
        const socket = tlsConnect({ host, port: Number(url.port || 8883), servername: isIp(host) ? undefined : host, ...this.options.tls });
        socket.setNoDelay(true);
        return socket;
      }
      case 'ws:':
      case 'wss:': {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for WebSocket URLs
        const ws = require('ws') as typeof import('ws');
        const socket = new ws.WebSocket(url, ['mqtt'], { ...this.options.tls });
        return ws.createWebSocketStream(socket);
      }
      default:
        throw new Error(`unsupported MQTT URL scheme ${url.protocol}`);
    }
  }

  private onPacket(packet: Packet, generation: number): void {
    switch (packet.cmd) {
      case 'connack':
        return this.onConnack(packet, generation);
      case 'publish':
        return this.onPublish(packet, generation);
      case 'puback': {
        const out = packet.messageId === undefined ? undefined : this.outgoing.get(packet.messageId);
        if (!out) return;
        this.outgoing.delete(packet.messageId as number);
        if ((packet.reasonCode ?? 0) >= 0x80) out.reject(new Error(`publish to ${out.packet.topic} refused by the broker (reason ${packet.reasonCode})`));
        else out.resolve();
        return;
      }
      case 'suback':
        return this.onSuback(packet);
      case 'pingresp':
        this.awaitingPingresp = false;
        return;
      case 'disconnect':
        return this.fail(
          generation,
          `broker disconnected (reason ${packet.reasonCode ?? 0}${packet.properties?.reasonString ? `: ${packet.properties.reasonString}` : ''})`,
        );
      case 'connect':
      case 'subscribe':
      case 'unsubscribe':
      case 'unsuback':
      case 'pingreq':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
      case 'auth':
        // Client packets, QoS 2 flows, enhanced authentication: nothing a broker sends us unasked.
        return this.fail(generation, `unexpected ${packet.cmd} packet from the broker`);
    }
  }

  private onConnack(packet: IConnackPacket, generation: number): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    const code = this.options.protocolVersion === 5 ? (packet.reasonCode ?? 0) : (packet.returnCode ?? 0);
    if (code !== 0) return this.fail(generation, `connection refused: ${CONNACK_REFUSALS[code] ?? `code ${code}`}`);
    this.connected = true;
    this.reconnectDelay = this.options.reconnectMinMs ?? 1000;
    const keepalive = packet.properties?.serverKeepAlive ?? this.options.keepalive ?? 60;
    if (keepalive > 0) {
      this.awaitingPingresp = false;
      this.pausedSincePing = false;
      this.pingTimer = setInterval(() => {
        if (this.awaitingPingresp && !this.pausedSincePing) return this.fail(generation, `no PINGRESP within ${keepalive} s`);
        this.pausedSincePing = this.readingPaused;
        this.awaitingPingresp = true;
        this.send({ cmd: 'pingreq' });
      }, keepalive * 1000);
    }
    const subscriptions = this.options.subscriptions;
    if (subscriptions.length > 0) {
      this.subscribeId = this.nextId();
      this.send({ cmd: 'subscribe', messageId: this.subscribeId, subscriptions: subscriptions.map((s) => ({ topic: s.topic, qos: s.qos })) });
    }
    // Our publishes the broker has not acknowledged: again, with the same packet ids.
    for (const out of this.outgoing.values()) this.sendPublish(out);
    this.emit('connect', { sessionPresent: packet.sessionPresent });
  }

  private onSuback(packet: ISubackPacket): void {
    if (packet.messageId !== this.subscribeId) return;
    this.subscribeId = undefined;
    const granted = (packet.granted as (number | { qos: number })[]).map((g) => (typeof g === 'number' ? g : g.qos));
    this.emit('subscribed', granted);
  }

  private onPublish(packet: IPublishPacket, generation: number): void {
    if (this.held.length > 0 || this.windowFull()) {
      this.held.push(packet);
      this.pauseReading();
      return;
    }
    this.handOut(packet, generation);
  }

  /** No room for another publish: Receive Maximum messages, or the byte bound, are out unacknowledged. */
  private windowFull(): boolean {
    const { receiveMaximum, maxUnackedBytes } = this.options;
    if (receiveMaximum !== undefined && this.unacked >= receiveMaximum) return true;
    return maxUnackedBytes !== undefined && this.unackedBytes >= maxUnackedBytes;
  }

  private handOut(packet: IPublishPacket, generation: number): void {
    if (packet.qos === 2 || (packet.qos === 1 && packet.messageId === undefined)) return this.fail(generation, `unexpected QoS ${packet.qos} publish`);
    if (!packet.topic) return this.fail(generation, 'publish without a topic (topic aliases are not enabled)');
    const publish: ReceivedPublish = {
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
      messageId: packet.messageId,
    };
    let ack: Ack | undefined;
    if (packet.qos === 1) {
      const messageId = packet.messageId as number;
      const bytes = publish.payload.length;
      let sent = false;
      this.unacked++;
      this.unackedBytes += bytes;
      ack = () => {
        if (sent || generation !== this.generation || !this.connected) return;
        sent = true;
        this.unacked--;
        this.unackedBytes -= bytes;
        this.send(this.options.protocolVersion === 5 ? { cmd: 'puback', messageId, reasonCode: 0 } : { cmd: 'puback', messageId });
        this.scheduleRelease(generation);
      };
    }
    this.emit('message', publish, ack);
  }

  private pauseReading(): void {
    if (this.readingPaused) return;
    this.readingPaused = true;
    this.pausedSincePing = true;
    this.socket?.pause();
  }

  /** After acks (a batch's come together): hands out held publishes the window has room for, on the next turn. */
  private scheduleRelease(generation: number): void {
    if (!this.readingPaused || this.releaseScheduled) return;
    this.releaseScheduled = true;
    setImmediate(() => {
      this.releaseScheduled = false;
      if (generation !== this.generation) return;
      while (this.held.length > 0 && !this.windowFull()) this.handOut(this.held.shift() as IPublishPacket, generation);
      if (generation !== this.generation) return; // a held publish was malformed: that connection is gone
      if (this.held.length === 0 && !this.windowFull()) {
        this.readingPaused = false;
        this.socket?.resume();
      }
    });
  }

  private sendPublish(out: OutgoingPublish): void {
    out.packet.dup = out.sent;
    out.sent = true;
    this.send(out.packet);
  }

  /** Writes a packet; packets written in one tick go out together (a batch's PUBACKs in a few segments). */
  private send(packet: Packet): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    let bytes: Buffer;
    try {
      bytes = mqttPacket.generate(packet, this.packetOptions);
    } catch (err) {
      this.emit('error', new Error(`cannot encode ${packet.cmd}: ${(err as Error).message}`));
      return;
    }
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    socket.write(bytes);
  }

  /** Ends this connection because of `reason`; the close that follows schedules the reconnect. */
  private fail(generation: number, reason: string): void {
    if (generation !== this.generation) return;
    this.emit('error', new Error(`MQTT ${reason}`));
    this.lost(generation, reason);
  }

  private lost(generation: number, reason: string): void {
    if (generation !== this.generation) return;
    this.generation++; // every ack of this connection is void from here on
    const wasConnected = this.connected;
    this.connected = false;
    this.corked = false;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.subscribeId = undefined;
    // Held publishes were never acknowledged: the broker sends them again on the next connection.
    this.held = [];
    this.readingPaused = false;
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    this.emit('offline', wasConnected ? reason : `cannot connect to MQTT broker ${redactUrl(this.options.url)}: ${reason}`);
    if (this.stopped) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(delay * 2, this.options.reconnectMaxMs ?? 10_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) this.open();
    }, delay);
  }

  /** A packet id not used by one of our publishes or subscribes in flight. */
  private nextId(): number {
    for (;;) {
      this.lastId = (this.lastId % 0xffff) + 1;
      if (!this.outgoing.has(this.lastId) && this.lastId !== this.subscribeId) return this.lastId;
    }
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
