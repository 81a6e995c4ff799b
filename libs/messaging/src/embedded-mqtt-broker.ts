import { createServer, Server } from 'node:net';
import type { Aedes as AedesType } from 'aedes' with { 'resolution-mode': 'import' };

/**
 * An embedded MQTT broker (aedes, MQTT 3.1.1) for single-machine starts. Production uses Mosquitto with the
 * project's config (config/mosquitto/). Devices authenticate with username = device id.
 *
 * Store before PUBACK: a device's publish is handed to `store` from aedes's `authorizePublish` hook, and the
 * hook calls back only once `store` resolves, i.e. once the event is committed in PostgreSQL. aedes sends
 * a QoS 1 PUBACK only after that callback (its documented publish flow: authorize, then acknowledge), so a
 * PUBACK from the embedded broker means "stored": a `kill -9` loses nothing a device was told was taken, and
 * the device's own client re-sends the rest. The stored message is not forwarded to any subscriber (nothing
 * in the process needs it again). QoS 0 is stored the same way but, as MQTT says, never acknowledged.
 *
 * Pictures published beside events (Frigate's `<prefix>/<camera>/<label>/snapshot`, a device's
 * `cloudpatrol/v1/devices/<id>/events/<eventId>/snapshot`) go the same way: `store` takes them
 * (IngestWorkerService.receivePicturePublish: stored through the imagery pipeline and recorded before it
 * resolves), so their PUBACK also means stored. A picture refused by the pipeline is recorded with its reason and
 * acknowledged; a picture that could not be stored rejects `store`, and the device hears no PUBACK.
 */
export interface EmbeddedBroker {
  /** Where devices connect; open only after `openToDevices` (before that, connections are refused). */
  url: string;
  /** Starts accepting device connections: call once authentication and storage are ready. */
  openToDevices(): Promise<void>;
  /** Publishes as the broker (replies devices wait for, e.g. DJI `events_reply`). */
  publish(topic: string, payload: string): Promise<void>;
  stop(): Promise<void>;
}

export interface DevicePublish {
  topic: string;
  payload: Buffer;
  /** The authenticated account that published it. */
  username: string | undefined;
  qos: 0 | 1 | 2;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /** Returns true when the credentials are valid. */
  /** `address`: the client's network address (device guesses are throttled per address too). */
  authenticate: (username: string | undefined, password: string | undefined, address: string | undefined) => boolean | Promise<boolean>;
  /** Returns true when `username` may hold the session `clientId` (an impostor is refused, the owner keeps it). */
  authorizeSession: (username: string, clientId: string) => boolean;
  /** Returns true when `username` may subscribe to `filter`; otherwise the SUBACK says 0x80 (refused). */
  authorizeSubscribe: (username: string | undefined, filter: string) => boolean;
  /** Returns true when `username` may publish on `topic`. */
  authorizePublish: (username: string | undefined, topic: string) => boolean;
  /** Stores a device's publish durably (an event, or a picture); resolves once committed (the PUBACK waits for it). */
  store: (publish: DevicePublish) => Promise<void>;
}

/** Marks packets already stored, so they are not forwarded (the payload buffer travels with the packet). */
const stored = new WeakSet<Buffer>();

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  // aedes is ESM-only; a dynamic import keeps the rest of the project CommonJS (jest).
  const { Aedes } = (await import('aedes')) as { Aedes: typeof AedesType };
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      void Promise.resolve()
        // aedes documents client.conn as the client's stream: a socket's remote address, when it has one.
        .then(() => options.authenticate(username, password?.toString('utf8'), (client.conn as { remoteAddress?: string }).remoteAddress))
        .catch(() => false)
        .then((ok) => {
          (client as unknown as { cpUser?: string }).cpUser = username;
          if (ok !== true || username === undefined) return done(Object.assign(new Error('bad username or password'), { returnCode: 4 }), false);
          // Checked before aedes takes the id over from an existing connection: the real owner keeps its session.
          if (!options.authorizeSession(username, client.id))
            return done(Object.assign(new Error(`client id "${client.id}" is not ${username}'s`), { returnCode: 2 }), false);
          done(null, true);
        });
    },
    authorizeSubscribe: (client, subscription, done) => {
      const user = (client as unknown as { cpUser?: string } | null)?.cpUser;
      done(null, options.authorizeSubscribe(user, subscription.topic) ? subscription : null);
    },
    authorizePublish: (client, packet, done) => {
      const user = (client as unknown as { cpUser?: string } | null)?.cpUser;
      if (!options.authorizePublish(user, packet.topic)) return done(new Error(`not allowed to publish on ${packet.topic}`));
      // A publish of the broker itself (client null: a will) is not a device's event.
      if (client === null) return done(null);
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      packet.payload = payload;
      options
        .store({ topic: packet.topic, payload, username: user, qos: packet.qos })
        .then(() => {
          stored.add(payload);
          done(null);
        })
        // Only when the broker is stopping: the device hears no PUBACK and sends it again to the next start.
        .catch((err: Error) => done(err));
    },
    // Stored already: forwarding it would only make something store it again.
    authorizeForward: (_client, packet) => (Buffer.isBuffer(packet.payload) && stored.has(packet.payload) ? null : packet),
  });
  const server: Server = createServer(broker.handle);
  const url = `mqtt://${options.host}:${options.port}`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    openToDevices: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'EADDRINUSE') {
            reject(
              new Error(
                `EMBEDDED_MQTT_PORT ${options.port} is already in use on ${options.host} (another MQTT broker?). ` +
                  `Point CloudPatrol at it with MQTT_URL=mqtt://${options.host}:${options.port}, or choose another port with EMBEDDED_MQTT_PORT.`,
              ),
            );
          } else reject(err);
        });
        server.listen(options.port, options.host, () => resolve());
      }),
    publish: (topic, payload) =>
      new Promise<void>((resolve, reject) =>
        broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, (err?: Error | null) =>
          err ? reject(err) : resolve(),
        ),
      ),
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        broker.close(() => (server.listening ? server.close(() => resolve()) : resolve()));
      })),
  };
}
