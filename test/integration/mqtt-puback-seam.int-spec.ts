import { connectAsync } from 'mqtt';
import type { IPublishPacket } from 'mqtt-packet';
import { InboundMessage, MqttIngestTransport } from '@app/messaging';
import { PrivateMosquitto, startPrivateMosquitto } from '../fixtures/private-mosquitto';
import { MqttWireTap, startMqttWireTap, TappedPacket } from '../support/mqtt-wire-tap';

/**
 * Issue 15, item 4: a PUBACK means "stored". The worker's MQTT transport sends the PUBACK of a QoS 1
 * message only after the batch holding it is committed, while hundreds of messages are in flight at once.
 * Checked on the wire, between the transport and a real Mosquitto (the project's delivery settings): a
 * relay decodes every packet, so a client library acknowledging early (or never) shows up here.
 */

const N = 200;

interface Gate {
  promise: Promise<void>;
  open(): void;
}

/** Every gate made, so a failed test still lets its transport stop (stop waits for batches being stored). */
const gates: Gate[] = [];

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  const g = { promise, open };
  gates.push(g);
  return g;
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('MQTT ingest: the PUBACK leaves only after the batch commits', () => {
  let broker: PrivateMosquitto;
  let tap: MqttWireTap;
  const transports: MqttIngestTransport[] = [];

  beforeAll(async () => {
    broker = await startPrivateMosquitto();
    tap = await startMqttWireTap(broker.url);
  });

  afterAll(async () => {
    for (const g of gates) g.open();
    await Promise.all(transports.map((t) => t.stop()));
    await tap?.close();
    await broker?.stop();
  });

  /** One batch of exactly N: the first batch starts only when N are waiting (the fill timer is far off). */
  function worker(clientId: string, protocolVersion: 4 | 5, handler: (batch: InboundMessage[]) => Promise<void>, errors: Error[]): MqttIngestTransport {
    const t = new MqttIngestTransport(
      {
        url: tap.url,
        clientId,
        protocolVersion,
        topics: [`seam/${clientId}/events`],
        receiveMaximum: 6000,
        batchSize: N,
        batchWaitMs: 60_000,
        pipelineDepth: 1,
        onError: (err) => errors.push(err),
        onLog: () => undefined,
      },
      handler,
    );
    transports.push(t);
    return t;
  }

  async function publishAll(topic: string, payloads: string[]): Promise<void> {
    const publisher = await connectAsync(broker.url, { protocolVersion: 5, clientId: `seam-publisher-${Date.now()}`, reconnectPeriod: 0 });
    await Promise.all(payloads.map((p) => publisher.publishAsync(topic, p, { qos: 1 })));
    await publisher.endAsync();
  }

  const connectOf = (clientId: string) => (p: TappedPacket) => p.direction === 'up' && p.packet.cmd === 'connect' && p.packet.clientId === clientId;
  const deliveredOn = (connection: number, topic: string) => (p: TappedPacket) =>
    p.connection === connection && p.direction === 'down' && p.packet.cmd === 'publish' && p.packet.topic === topic;
  const pubacksOn = (connection: number) => (p: TappedPacket) => p.connection === connection && p.direction === 'up' && p.packet.cmd === 'puback';
  const ids = (packets: TappedPacket[]) => packets.map((p) => p.packet.messageId as number).sort((a, b) => a - b);

  it.each([5, 4] as const)(
    'MQTT %s: all messages handed over before any commit, no PUBACK on the wire until the gate opens, then all',
    async (protocolVersion) => {
      const clientId = `seam-worker-v${protocolVersion}`;
      const topic = `seam/${clientId}/events`;
      const errors: Error[] = [];
      const commit = gate();
      const handed = deferred<InboundMessage[]>();
      let committed = false;
      const t = worker(
        clientId,
        protocolVersion,
        async (batch) => {
          handed.resolve(batch);
          await commit.promise;
          committed = true;
        },
        errors,
      );
      await t.start();
      const connection = (await tap.next(connectOf(clientId))).connection;
      await tap.next((p) => p.connection === connection && p.direction === 'down' && p.packet.cmd === 'suback');

      const payloads = Array.from({ length: N }, (_, i) => `v${protocolVersion}-${i}`);
      await publishAll(topic, payloads);

      // Not serialised: the transport read all N from the socket and handed them over in one batch, none committed.
      const batch = await handed.promise;
      expect(batch.map((m) => m.payload.toString()).sort()).toEqual([...payloads].sort());
      expect(t.backlog).toBe(N);
      // TCP keeps order: once the transport's own publish, written after anything it wrote before, got through,
      // every PUBACK it had written would have got through too.
      await t.publish(`seam/${clientId}/sync`, 'sync');
      const delivered = tap.packets.filter(deliveredOn(connection, topic));
      expect(delivered).toHaveLength(N);
      expect(tap.packets.filter(pubacksOn(connection))).toEqual([]);

      commit.open();
      const acks = await tap.until(pubacksOn(connection), N);
      expect(committed).toBe(true);
      expect(ids(acks)).toEqual(ids(delivered));
      expect(acks.every((a) => protocolVersion === 4 || (a.packet as { reasonCode?: number }).reasonCode === 0)).toBe(true);
      expect(errors).toEqual([]);
      expect(t.isConnected).toBe(true);
    },
  );

  it('a connection lost before the commit: not a single PUBACK for it, the broker delivers all again, and those are acknowledged on the new connection', async () => {
    const clientId = 'seam-worker-cut';
    const topic = `seam/${clientId}/events`;
    const errors: Error[] = [];
    const commit = gate();
    const batches: InboundMessage[][] = [];
    const firstHanded = deferred<void>();
    const t = worker(
      clientId,
      5,
      async (batch) => {
        batches.push(batch);
        firstHanded.resolve();
        await commit.promise;
      },
      errors,
    );
    await t.start();
    const first = (await tap.next(connectOf(clientId))).connection;
    await tap.next((p) => p.connection === first && p.direction === 'down' && p.packet.cmd === 'suback');
    const payloads = Array.from({ length: N }, (_, i) => `cut-${i}`);
    await publishAll(topic, payloads);
    await firstHanded.promise;
    await t.publish(`seam/${clientId}/sync`, 'sync');
    expect(tap.packets.filter(pubacksOn(first))).toEqual([]);

    tap.cut();
    // The transport reconnects by itself; the broker (persistent session) sends the N unacknowledged messages again.
    const second = (await tap.next((p) => connectOf(clientId)(p) && p.connection !== first)).connection;
    const again = await tap.until(deliveredOn(second, topic), N);
    expect(again.every((p) => (p.packet as IPublishPacket).dup)).toBe(true);

    commit.open();
    const acks = await tap.until(pubacksOn(second), N);
    expect(ids(acks)).toEqual(ids(again));
    expect(tap.packets.filter(pubacksOn(first))).toEqual([]);
    // Stored twice (the first commit's acks went nowhere); storage is idempotent on the event id.
    expect(batches).toHaveLength(2);
    for (const b of batches) expect(b.map((m) => m.payload.toString()).sort()).toEqual([...payloads].sort());
  });
});
