import { createServer, Server } from 'node:net';
import type { Aedes as AedesType } from 'aedes' with { 'resolution-mode': 'import' };

/**
 * An embedded MQTT broker (aedes) for single-machine starts. Production uses Mosquitto with the
 * project's config (config/mosquitto/). Devices authenticate with username = device id.
 */
export interface EmbeddedBroker {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /** Returns true when the credentials are valid for this client. */
  authenticate: (username: string | undefined, password: string | undefined) => boolean | Promise<boolean>;
  /** Returns true when `username` may publish on `topic`. */
  authorizePublish: (username: string | undefined, topic: string) => boolean;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  // aedes is ESM-only; a dynamic import keeps the rest of the project CommonJS (jest).
  const { Aedes } = (await import('aedes')) as { Aedes: typeof AedesType };
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      void Promise.resolve()
        .then(() => options.authenticate(username, password?.toString('utf8')))
        .catch(() => false)
        .then((ok) => {
          (client as unknown as { cpUser?: string }).cpUser = username;
          if (ok === true) done(null, true);
          else done(Object.assign(new Error('bad username or password'), { returnCode: 4 }), false);
        });
    },
    authorizePublish: (client, packet, done) => {
      const user = (client as unknown as { cpUser?: string } | null)?.cpUser;
      done(options.authorizePublish(user, packet.topic) ? null : new Error(`not allowed to publish on ${packet.topic}`));
    },
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
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
  });
  return {
    url: `mqtt://${options.host}:${options.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
