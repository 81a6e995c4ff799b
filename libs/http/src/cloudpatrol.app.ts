import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, DistrictConfig, Env, loadDistrictConfig } from '@app/config';
import { AuthService, CoreModule, createLogger, Logger, PinoNestLogger, RuntimeOptions } from '@app/core';
import { startEmbeddedBroker, EmbeddedBroker } from '@app/messaging';
import { EmbeddedDatabase, startEmbeddedPostgres } from '@app/persistence';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { configureHttpApp, HttpApiModule, OpsHttpModule } from './http-api.module';

/** api: HTTP only; worker: broker consumers (+ /health); standalone: both, on embedded defaults. */
export type RunMode = 'api' | 'worker' | 'standalone';

export interface RunningCloudPatrol {
  app: INestApplication;
  url: string;
  mqttUrl?: string;
  databaseUrl: string;
  logger: Logger;
  stop(): Promise<void>;
}

@Module({})
class CloudPatrolModule {
  static register(runtime: RuntimeOptions, logger: Logger): DynamicModule {
    return {
      module: CloudPatrolModule,
      imports: [CoreModule.forRoot(runtime, logger), runtime.runApi ? HttpApiModule : OpsHttpModule],
    };
  }
}

const WORKER_USERNAME = 'cloudpatrol-worker';

/**
 * Assembles a CloudPatrol process. Embedded PostgreSQL and MQTT start only in standalone mode and only
 * when DATABASE_URL / MQTT_URL are not given.
 */
export async function startCloudPatrol(mode: RunMode, env: Env, district?: DistrictConfig): Promise<RunningCloudPatrol> {
  const logger = createLogger(env.LOG_LEVEL);
  const config = district ?? loadDistrictConfig(resolve(env.CONFIG_DIR));
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
        port: env.EMBEDDED_PG_PORT,
        log: (line) => logger.debug({ source: 'embedded-postgres' }, line),
      });
      cleanups.push(() => db.stop());
      databaseUrl = db.url;
      logger.info({ port: env.EMBEDDED_PG_PORT, dataDir: resolve(env.DATA_DIR) }, 'embedded PostgreSQL started');
    }

    let verifyDevice: (id: string, password: string) => Promise<boolean> = () => Promise.resolve(false);
    let mqtt: RuntimeOptions['mqtt'];
    if (mode !== 'api') {
      if (env.MQTT_URL) {
        mqtt = { url: env.MQTT_URL, username: env.MQTT_USERNAME, password: env.MQTT_PASSWORD, protocolVersion: 5 };
      } else if (mode === 'standalone') {
        const workerPassword = randomBytes(24).toString('base64url');
        const broker: EmbeddedBroker = await startEmbeddedBroker({
          host: env.EMBEDDED_MQTT_HOST,
          port: env.EMBEDDED_MQTT_PORT,
          // Devices are checked against the register once the app is up (until then only the worker connects).
          authenticate: async (username, password) =>
            (username === WORKER_USERNAME && password === workerPassword) ||
            (username !== undefined && password !== undefined && (await verifyDevice(username, password))),
          // A device publishes only on its own topic.
          authorizePublish: (username, topic) => username === WORKER_USERNAME || topic === `cloudpatrol/v1/devices/${username}/events`,
        });
        cleanups.push(() => broker.stop());
        mqtt = { url: broker.url, username: WORKER_USERNAME, password: workerPassword, protocolVersion: 4 };
        logger.info({ url: broker.url }, 'embedded MQTT broker started');
        if (env.DEMO_DEVICE_PASSWORD === 'cloudpatrol-demo') {
          logger.warn('demo devices use the documented default password; set DEMO_DEVICE_PASSWORD before exposing the broker');
        }
      } else {
        throw new ConfigError(['MQTT_URL=(unset): required for the worker app (e.g. mqtt://127.0.0.1:1883)']);
      }
    }

    const runtime: RuntimeOptions = { env, databaseUrl, mqtt, district: config, runApi: mode !== 'worker', runWorker: mode !== 'api' };
    const app = await NestFactory.create<NestExpressApplication>(CloudPatrolModule.register(runtime, logger), { logger: new PinoNestLogger(logger), bodyParser: true });
    app.useBodyParser('json', { limit: '1mb' });
    const auth = app.get(AuthService);
    verifyDevice = (id, password) => auth.verifyDeviceCredentials(id, password);
    configureHttpApp(app, { corsOrigins: env.CORS_ORIGINS });
    cleanups.push(() => app.close());
    await app.listen(env.PORT, env.HOST);
    const address = app.getHttpServer().address() as { port: number };
    const url = `http://127.0.0.1:${address.port}`;
    logger.info({ url, mode, mqtt: mqtt?.url, kafka: env.KAFKA_BROKERS ?? 'off' }, 'CloudPatrol started');
    return { app, url, mqttUrl: mqtt?.url, databaseUrl, logger, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
