import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, DistrictConfig, Env, loadDistrictConfig, secretsDir } from '@app/config';
import { AuthService, createLogger, DeviceRegisterService, Logger, MetricsService, PinoNestLogger, RuntimeOptions } from '@app/core';
import { configureHttpApp, serveMetrics } from '@app/http';
import { DeviceDigestAuth } from '@app/core/devices/device-digest-auth.service';
import { ingestMqttTopics, IngestService, IngestWorkerService, sourceTableProblems } from '@app/ingest';
import { BrokerAccount, frigateEventReporter, mayDeviceSubscribe, mayHoldSession, maySourcePublish, topicMatchesFilter } from '@app/domain';
import { DevicePublish, EmbeddedBroker, startEmbeddedBroker } from '@app/messaging';
import { EmbeddedDatabase, startEmbeddedPostgres } from '@app/persistence';
import { resolve } from 'node:path';
import { CloudPatrolModule, type RunMode } from './app-modules';

export interface RunningCloudPatrol {
  app: INestApplication;
  url: string;
  mqttUrl?: string;
  databaseUrl: string;
  /** The metrics listener's address when METRICS_PORT is set. */
  metricsUrl?: string;
  logger: Logger;
  stop(): Promise<void>;
}

/**
 * Assembles a CloudPatrol process. Embedded PostgreSQL and MQTT start only in standalone mode and only
 * when DATABASE_URL / MQTT_URL are not given.
 */
export async function startCloudPatrol(mode: RunMode, env: Env, district?: DistrictConfig): Promise<RunningCloudPatrol> {
  const logger = createLogger(env.LOG_LEVEL);
  const config = district ?? loadDistrictConfig(resolve(env.CONFIG_DIR), env.CALENDAR_DIR);
  logger.info({ configDir: config.dir, calendarDir: config.calendarDir, calendarFrom: config.calendarSource }, 'district configuration loaded');
  // The source table with this deployment's Frigate prefix: every source's topics must reach its own adapter.
  const routing = sourceTableProblems({ frigateTopicPrefix: env.FRIGATE_TOPIC_PREFIX });
  if (routing.length > 0) throw new ConfigError(routing.map((p) => `FRIGATE_TOPIC_PREFIX=${env.FRIGATE_TOPIC_PREFIX}: ${p}`));
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await c().catch((err: Error) => logger.warn({ err: err.message }, 'error while stopping'));
  };
  try {
    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) {
      if (mode !== 'standalone') throw new ConfigError([`DATABASE_URL=(unset): required for the ${mode} app (only the standalone start embeds PostgreSQL)`]);
      const db: EmbeddedDatabase = await startEmbeddedPostgres({
        dataDir: env.DATA_DIR,
        secretsDir: secretsDir(env),
        port: env.EMBEDDED_PG_PORT,
        log: (line) => logger.debug({ source: 'embedded-postgres' }, line),
        notice: (line) => logger.info({ source: 'embedded-postgres' }, line),
      });
      cleanups.push(() => db.stop());
      databaseUrl = db.url;
      logger.info({ port: env.EMBEDDED_PG_PORT, dataDir: resolve(env.DATA_DIR) }, 'embedded PostgreSQL started');
    }

    let verifyDevice: (id: string, password: string, address?: string) => Promise<boolean> = () => Promise.resolve(false);
    // A device that proves its password over MQTT gets its HTTP Digest secret stored (api and standalone apps).
    let learnDigest: (id: string, password: string) => Promise<void> = () => Promise.resolve();
    let isDevice: (id: string) => boolean = () => false;
    let brokerAccount: (id: string) => BrokerAccount | undefined = () => undefined;
    let isFrigateCamera: (camera: string) => boolean = () => false;
    let storeDevicePublish: (publish: DevicePublish) => Promise<void> = () => Promise.reject(new Error('CloudPatrol is not started yet'));
    let mqtt: RuntimeOptions['mqtt'];
    let embeddedBroker: EmbeddedBroker | undefined;
    if (mode !== 'api') {
      if (env.MQTT_URL) {
        mqtt = { url: env.MQTT_URL, username: env.MQTT_USERNAME, password: env.MQTT_PASSWORD, protocolVersion: 5 };
      } else if (mode === 'standalone') {
        // The in-process broker hands every device publish straight to ingest and acknowledges it once stored:
        // no worker client, no second hop. It opens its port only once the app can authenticate and store.
        const broker = await startEmbeddedBroker({
          host: env.EMBEDDED_MQTT_HOST,
          port: env.EMBEDDED_MQTT_PORT,
          authenticate: async (username, password, address) => {
            const ok = username !== undefined && password !== undefined && (await verifyDevice(username, password, address));
            if (ok) await learnDigest(username, password).catch((err: Error) => logger.warn({ err: err.message }, 'could not store the device Digest secret'));
            return ok;
          },
          // The username has just proved to be a device; other devices' ids decide who owns a longer client id.
          authorizeSession: (username, clientId) => mayHoldSession(username, clientId, (id) => id === username || isDevice(id)),
          authorizeSubscribe: (username, filter) => username !== undefined && mayDeviceSubscribe(username, filter),
          // A device publishes only on its own topics; an NVR or a dock also for the devices registered under it.
          authorizePublish: (username, topic) => {
            const account = username === undefined ? undefined : brokerAccount(username);
            return (
              account !== undefined &&
              maySourcePublish(account, topic, { frigateTopicPrefix: env.FRIGATE_TOPIC_PREFIX, isFrigateCamera: (camera) => isFrigateCamera(camera) })
            );
          },
          store: (publish) => storeDevicePublish(publish),
        });
        embeddedBroker = broker;
        cleanups.push(() => broker.stop());
        if (env.DEMO_DEVICE_PASSWORD === 'cloudpatrol-demo') {
          logger.warn('demo devices use the documented default password; set DEMO_DEVICE_PASSWORD before exposing the broker');
        }
      } else {
        throw new ConfigError(['MQTT_URL=(unset): required for the worker app (e.g. mqtt://127.0.0.1:1883)']);
      }
    }

    const runtime: RuntimeOptions = { env, databaseUrl, mqtt, district: config };
    const app = await NestFactory.create<NestExpressApplication>(CloudPatrolModule.register(mode, runtime, logger), {
      logger: new PinoNestLogger(logger),
      bodyParser: true,
    });
    app.useBodyParser('json', { limit: '1mb' });
    const auth = app.get(AuthService);
    verifyDevice = (id, password, address) => auth.verifyDeviceCredentials(id, password, address);
    const digest = mode === 'worker' ? undefined : app.get(DeviceDigestAuth, { strict: false });
    if (digest) learnDigest = (id, password) => digest.learn(id, password);
    const register = app.get(DeviceRegisterService);
    isDevice = (id) => register.isKnown(id);
    brokerAccount = (id) => register.brokerAccount(id);
    isFrigateCamera = (camera) => register.deviceForFrigateCamera(camera) !== undefined;
    const metricsAccess = { token: env.METRICS_TOKEN, separatePort: env.METRICS_PORT };
    configureHttpApp(app, { corsOrigins: env.CORS_ORIGINS, trustProxy: env.TRUST_PROXY, metrics: metricsAccess, logger });
    cleanups.push(() => app.close());
    await app.listen(env.PORT, env.HOST);
    let metricsUrl: string | undefined;
    if (env.METRICS_PORT !== undefined) {
      const metrics = app.get(MetricsService);
      const server = await serveMetrics({ host: env.METRICS_HOST, port: env.METRICS_PORT, token: env.METRICS_TOKEN }, () => metrics.registry.metrics());
      cleanups.push(() => server.close());
      metricsUrl = server.url;
      logger.info({ url: metricsUrl, token: env.METRICS_TOKEN !== undefined }, 'metrics served on their own port');
    }
    if (embeddedBroker) {
      const broker = embeddedBroker;
      const ingest = app.get(IngestService);
      ingest.onReplies((reply) => broker.publish(reply.topic, JSON.stringify(reply.payload)));
      // What a worker subscribes to on Mosquitto is what ingest reads; pictures (Frigate's snapshots, a device's
      // snapshot of an event) go to the picture intake; the rest a source publishes (availability and stats, DJI
      // state and status) is taken and not kept, as on Mosquitto.
      const ingested = ingestMqttTopics(env.FRIGATE_TOPIC_PREFIX);
      const worker = app.get(IngestWorkerService);
      storeDevicePublish = async (publish) => {
        // Pictures (Frigate's snapshots, a device's snapshot of an event): stored and recorded before the PUBACK.
        if (await worker.receivePicturePublish(publish)) return;
        if (!ingested.some((filter) => topicMatchesFilter(filter, publish.topic))) return;
        // An NVR's Frigate event may only name one of its own cameras (ingest holds it to authenticatedDeviceId).
        const account = publish.username === undefined ? undefined : register.brokerAccount(publish.username);
        const authenticatedDeviceId = account && frigateEventReporter(account, publish.topic, publish.payload, env.FRIGATE_TOPIC_PREFIX);
        await ingest.ingestDevicePublish({ transport: 'mqtt', topic: publish.topic, payload: publish.payload, receivedAt: new Date(), authenticatedDeviceId });
      };
      await broker.openToDevices();
      // Stopping: the broker stops taking publishes before the app (and its database) goes.
      cleanups.push(() => broker.stop());
      logger.info({ url: broker.url }, 'embedded MQTT broker open to devices (MQTT 3.1.1; a PUBACK means stored)');
    }
    const address = app.getHttpServer().address() as { port: number };
    const url = `http://127.0.0.1:${address.port}`;
    logger.info({ url, mode, mqtt: mqtt?.url, kafka: env.KAFKA_BROKERS ?? 'off' }, 'CloudPatrol started');
    return { app, url, mqttUrl: embeddedBroker?.url ?? mqtt?.url, databaseUrl, metricsUrl, logger, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
