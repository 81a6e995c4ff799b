import { EventEmitter } from 'node:events';
import { createServer, connect, Server, Socket } from 'node:net';
import * as mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';

/**
 * A TCP relay between an MQTT client and the broker that decodes both directions with `mqtt-packet` and
 * reports every packet in wire order: what a PUBACK test must see is what reached the broker, not what a
 * client library says it sent. Clients connect to `url`; each connection is numbered from 1.
 */
export interface TappedPacket {
  connection: number;
  direction: 'up' | 'down'; // up: client to broker
  packet: Packet;
}

export interface MqttWireTap {
  url: string;
  /** Every packet seen, in order per direction. */
  readonly packets: TappedPacket[];
  /** Emits 'packet' (TappedPacket) as each one passes. */
  readonly events: EventEmitter;
  /** Resolves with the first packet (already seen, or the next to pass) that `match` accepts. */
  next(match: (p: TappedPacket) => boolean): Promise<TappedPacket>;
  /** Resolves once `count` packets that `match` accepts have passed (counting those already seen), with them all. */
  until(match: (p: TappedPacket) => boolean, count: number): Promise<TappedPacket[]>;
  /** Drops every open connection (both sides), as a network cut would; new connections are still relayed. */
  cut(): void;
  close(): Promise<void>;
}

export async function startMqttWireTap(brokerUrl: string): Promise<MqttWireTap> {
  const broker = new URL(brokerUrl);
  const packets: TappedPacket[] = [];
  const events = new EventEmitter();
  const open = new Set<Socket>();
  let connections = 0;
  const record = (p: TappedPacket): void => {
    packets.push(p);
    events.emit('packet', p);
  };
  const server: Server = createServer((client) => {
    const connection = ++connections;
    const upstream = connect({ host: broker.hostname, port: Number(broker.port) });
    open.add(client);
    open.add(upstream);
    const up = mqttPacket.parser();
    let down: ReturnType<typeof mqttPacket.parser> | undefined;
    up.on('packet', (packet: Packet) => {
      // The broker's direction is decoded with the protocol version the client's CONNECT asked for.
      if (packet.cmd === 'connect') {
        down = mqttPacket.parser({ protocolVersion: packet.protocolVersion });
        down.on('packet', (q: Packet) => record({ connection, direction: 'down', packet: q }));
      }
      record({ connection, direction: 'up', packet });
    });
    client.on('data', (chunk: Buffer) => {
      up.parse(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      down?.parse(chunk);
      client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const until = (match: (p: TappedPacket) => boolean, count: number): Promise<TappedPacket[]> =>
    new Promise((resolve) => {
      const check = (): void => {
        const seen = packets.filter(match);
        if (seen.length < count) return;
        events.off('packet', check);
        resolve(seen);
      };
      events.on('packet', check);
      check();
    });
  const cut = (): void => {
    for (const s of open) s.destroy();
    open.clear();
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    packets,
    events,
    next: async (match) => (await until(match, 1))[0],
    until,
    cut,
    close: () => {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
