import { EventEmitter } from 'node:events';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import * as mqttPacket from 'mqtt-packet';
import type { IConnectPacket, IPublishPacket, ISubscribePacket, Packet } from 'mqtt-packet';
import { Ack, MqttSubscriberConnection, MqttSubscriberOptions, ReceivedPublish } from './mqtt-subscriber.connection';

/** A scripted broker on a loopback port: records what the client sends, sends what a test says. */
class FakeSession {
  readonly packets: Packet[] = [];
  private readonly events = new EventEmitter();
  private version: 4 | 5 = 4;
  constructor(readonly socket: Socket) {
    const parser = mqttPacket.parser();
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'connect') this.version = p.protocolVersion === 5 ? 5 : 4;
      this.packets.push(p);
      this.events.emit('packet', p);
    });
    socket.on('data', (b: Buffer) => parser.parse(b));
    socket.on('error', () => undefined);
  }
  /** The `n`th packet (1-based) of this kind from the client, already received or the next ones. */
  next<T extends Packet>(cmd: Packet['cmd'], n = 1): Promise<T> {
    return new Promise((resolve) => {
      const check = (): void => {
        const seen = this.packets.filter((p) => p.cmd === cmd);
        if (seen.length < n) return;
        this.events.off('packet', check);
        resolve(seen[n - 1] as T);
      };
      this.events.on('packet', check);
      check();
    });
  }
  count(cmd: Packet['cmd']): number {
    return this.packets.filter((p) => p.cmd === cmd).length;
  }
  send(p: Packet): void {
    this.socket.write(mqttPacket.generate(p, { protocolVersion: this.version }));
  }
  accept(sessionPresent = false): void {
    this.send(this.version === 5 ? { cmd: 'connack', sessionPresent, reasonCode: 0 } : { cmd: 'connack', sessionPresent, returnCode: 0 });
  }
}

class FakeBroker {
  readonly sessions: FakeSession[] = [];
  private readonly events = new EventEmitter();
  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => {
      const s = new FakeSession(socket);
      this.sessions.push(s);
      this.events.emit('session', s);
    });
  }
  static async start(): Promise<FakeBroker> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new FakeBroker(server);
  }
  get url(): string {
    return `mqtt://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  /** The `n`th connection (1-based). */
  session(n: number): Promise<FakeSession> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.sessions.length < n) return;
        this.events.off('session', check);
        resolve(this.sessions[n - 1]);
      };
      this.events.on('session', check);
      check();
    });
  }
  async stop(): Promise<void> {
    for (const s of this.sessions) s.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('MqttSubscriberConnection', () => {
  let broker: FakeBroker;
  let connection: MqttSubscriberConnection | undefined;
  const errors: Error[] = [];

  beforeEach(async () => {
    broker = await FakeBroker.start();
    errors.length = 0;
  });

  afterEach(async () => {
    await connection?.stop();
    connection = undefined;
    await broker.stop();
  });

  function connect(options: Partial<MqttSubscriberOptions> = {}): MqttSubscriberConnection {
    connection = new MqttSubscriberConnection({
      url: broker.url,
      clientId: 'worker-1',
      protocolVersion: 5,
      subscriptions: [{ topic: 'a/#', qos: 1 }],
      reconnectMinMs: 5,
      reconnectMaxMs: 20,
      ...options,
    });
    connection.on('error', (err) => errors.push(err));
    return connection;
  }

  function received(c: MqttSubscriberConnection): {
    messages: { publish: ReceivedPublish; ack?: Ack }[];
    until(n: number): Promise<void>;
    /** `n` messages handed out, and still `n` after `quietMs`: the window holds the rest back. */
    settlesAt(n: number, quietMs: number): Promise<void>;
  } {
    const messages: { publish: ReceivedPublish; ack?: Ack }[] = [];
    const events = new EventEmitter();
    c.on('message', (publish, ack) => {
      messages.push({ publish, ack });
      events.emit('message');
    });
    const until = (n: number): Promise<void> =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (messages.length < n) return;
          events.off('message', check);
          resolve();
        };
        events.on('message', check);
        check();
      });
    const settlesAt = async (n: number, quietMs: number): Promise<void> => {
      await until(n);
      await new Promise((r) => setTimeout(r, quietMs));
      expect(messages).toHaveLength(n);
    };
    return { messages, until, settlesAt };
  }

  /** Starts `c` and accepts its CONNECT: the broker's side of the connection. */
  async function accepted(c: MqttSubscriberConnection): Promise<FakeSession> {
    const started = c.start();
    const session = await broker.session(1);
    await session.next('connect');
    session.accept();
    await started;
    return session;
  }

  const publish = (messageId: number, payload: string, qos: 0 | 1 = 1): IPublishPacket => ({
    cmd: 'publish',
    topic: 'a/b',
    payload: Buffer.from(payload),
    qos,
    dup: false,
    retain: false,
    messageId: qos ? messageId : undefined,
  });

  it('MQTT 5: a persistent session, the subscription on CONNACK, and a PUBACK only when the ack is called, while later messages keep coming', async () => {
    const c = connect({ username: 'u', password: 'p', sessionExpiryInterval: 3600, receiveMaximum: 100, keepalive: 30 });
    const inbox = received(c);
    const started = c.start();
    const s = await broker.session(1);
    const hello = await s.next<IConnectPacket>('connect');
    expect(hello).toMatchObject({
      clientId: 'worker-1',
      clean: false,
      protocolVersion: 5,
      keepalive: 30,
      username: 'u',
      properties: { sessionExpiryInterval: 3600, receiveMaximum: 100 },
    });
    expect(hello.password?.toString()).toBe('p');
    s.accept();
    await started;
    expect(c.isConnected).toBe(true);
    const sub = await s.next<ISubscribePacket>('subscribe');
    expect(sub.subscriptions).toMatchObject([{ topic: 'a/#', qos: 1 }]);
    s.send({ cmd: 'suback', messageId: sub.messageId, granted: [1] });

    for (let i = 1; i <= 50; i++) s.send(publish(i, `m${i}`));
    s.send(publish(0, 'q0', 0));
    await inbox.until(51);
    expect(inbox.messages.map((m) => m.publish.payload.toString())).toEqual([...Array.from({ length: 50 }, (_, i) => `m${i + 1}`), 'q0']);
    expect(inbox.messages[50].ack).toBeUndefined();
    // A round trip through the same socket: anything written before it has arrived.
    const sent = c.publish('r/1', 'reply');
    const out = await s.next<IPublishPacket>('publish');
    expect(s.count('puback')).toBe(0);

    inbox.messages[9].ack?.();
    inbox.messages[9].ack?.(); // once only
    inbox.messages[2].ack?.();
    const second = await s.next('puback', 2);
    expect(s.packets.filter((p) => p.cmd === 'puback').map((p) => p.messageId)).toEqual([10, 3]);
    expect(second).toMatchObject({ messageId: 3, reasonCode: 0 });

    s.send({ cmd: 'puback', messageId: out.messageId, reasonCode: 0 });
    await sent;
    expect(out).toMatchObject({ topic: 'r/1', qos: 1, dup: false });
    expect(errors).toEqual([]);
  });

  it('MQTT 5: never more than Receive Maximum messages handed out unacknowledged, also when the broker sends more (Mosquitto < 2.0.13)', async () => {
    const c = connect({ receiveMaximum: 10 });
    const inbox = received(c);
    const s = await accepted(c);
    for (let i = 1; i <= 25; i++) s.send(publish(i, `m${i}`));
    await inbox.settlesAt(10, 100);

    for (const m of inbox.messages.slice(0, 3)) m.ack?.();
    await inbox.settlesAt(13, 50);
    for (const m of inbox.messages.slice(3)) m.ack?.();
    await inbox.until(23);
    for (const m of inbox.messages.slice(13)) m.ack?.();
    await inbox.until(25);
    expect(inbox.messages.map((m) => m.publish.payload.toString())).toEqual(Array.from({ length: 25 }, (_, i) => `m${i + 1}`));
    // Reading goes on once the window has room: a later publish comes straight through.
    for (const m of inbox.messages.slice(23)) m.ack?.();
    s.send(publish(26, 'm26'));
    await inbox.until(26);
    await s.next('puback', 25);
    expect(errors).toEqual([]);
  });

  it('large messages: never more payload bytes out unacknowledged than the bound, and one goes however large', async () => {
    // MQTT 3.1.1: no Receive Maximum at all, the byte bound alone.
    const c = connect({ protocolVersion: 4, maxUnackedBytes: 10_000 });
    const inbox = received(c);
    const s = await accepted(c);
    const picture = (i: number, bytes: number) => ({ ...publish(i, `p${i}:`), payload: Buffer.alloc(bytes, i) });
    // 3,000 bytes each: four are out (12,000 bytes) before the bound stops the fifth.
    for (let i = 1; i <= 8; i++) s.send(picture(i, 3_000));
    await inbox.settlesAt(4, 100);

    // Two acked: 6,000 bytes out, room for two more.
    for (const m of inbox.messages.slice(0, 2)) m.ack?.();
    await inbox.settlesAt(6, 50);
    for (const m of inbox.messages.slice(2)) m.ack?.();
    await inbox.until(8);
    for (const m of inbox.messages.slice(6)) m.ack?.();

    // Nothing out: one message larger than the whole bound still goes, then the next waits for its ack.
    s.send(picture(9, 25_000));
    s.send(picture(10, 10));
    await inbox.settlesAt(9, 50);
    inbox.messages[8].ack?.();
    await inbox.until(10);
    expect(inbox.messages.map((m) => m.publish.payload.length)).toEqual([3_000, 3_000, 3_000, 3_000, 3_000, 3_000, 3_000, 3_000, 25_000, 10]);
    await s.next('puback', 9);
    expect(errors).toEqual([]);
  });

  it('keepalive while the window is full: a PINGRESP not read yet is not a dead broker', async () => {
    const c = connect({ receiveMaximum: 2, keepalive: 1 });
    const inbox = received(c);
    const s = await accepted(c);
    for (let i = 1; i <= 3; i++) s.send(publish(i, `m${i}`));
    await inbox.until(2);
    await s.next('pingreq');
    s.send({ cmd: 'pingresp' });
    await s.next('pingreq', 3);
    expect(broker.sessions).toHaveLength(1);
    inbox.messages[0].ack?.();
    await inbox.until(3);
    expect(errors).toEqual([]);
    expect(c.isConnected).toBe(true);
  });

  it('MQTT 3.1.1: a refused CONNECT rejects start and is not tried again', async () => {
    const c = connect({ protocolVersion: 4 });
    const started = c.start();
    const s = await broker.session(1);
    await s.next('connect');
    s.send({ cmd: 'connack', sessionPresent: false, returnCode: 5 });
    await expect(started).rejects.toThrow(/not authorized/);
    expect(c.isConnected).toBe(false);
    // Stopped: a later connection attempt would show up as a second session.
    await c.stop();
    expect(broker.sessions).toHaveLength(1);
  });

  it('after a lost connection: acks of the old one are dropped, it reconnects, subscribes again and resends an unacknowledged publish with DUP', async () => {
    const c = connect({ protocolVersion: 4 });
    const inbox = received(c);
    const first = await accepted(c);
    first.send(publish(7, 'held'));
    await inbox.until(1);
    const sent = c.publish('r/1', 'reply');
    const out = await first.next<IPublishPacket>('publish');

    first.socket.destroy();
    const second = await broker.session(2);
    await second.next('connect');
    inbox.messages[0].ack?.(); // its connection is gone: nothing is sent anywhere
    second.accept(true);
    await second.next('subscribe');
    const again = await second.next<IPublishPacket>('publish');
    expect(again).toMatchObject({ messageId: out.messageId, dup: true, topic: 'r/1' });
    second.send(publish(7, 'held'));
    await inbox.until(2);
    inbox.messages[1].ack?.();
    expect(await second.next('puback')).toMatchObject({ messageId: 7 });
    expect(first.count('puback')).toBe(0);
    second.send({ cmd: 'puback', messageId: out.messageId });
    await sent;
  });

  it('keepalive: PINGREQ every period; without a PINGRESP the connection is dropped and made again', async () => {
    const c = connect({ protocolVersion: 4, keepalive: 1 });
    const first = await accepted(c);
    await first.next('pingreq');
    first.send({ cmd: 'pingresp' });
    await first.next('pingreq', 2);
    // No answer this time.
    const second = await broker.session(2);
    expect(await second.next<IConnectPacket>('connect')).toMatchObject({ clientId: 'worker-1', clean: false });
    expect(errors.map((e) => e.message)).toContain('MQTT no PINGRESP within 1 s');
  });
});
