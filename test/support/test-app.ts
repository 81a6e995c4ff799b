import { parseEnv, loadDistrictConfig } from '@app/config';
import { dataSourceOptions, runMigrations } from '@app/persistence';
import { RunningCloudPatrol, startCloudPatrol, RunMode } from '@app/runtime';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import request from 'supertest';
import { readServices, ROOT } from './services';

export const ADMIN = { username: 'admin', password: 'test-admin-password' };

/**
 * A fresh database for one test file, on the machine's PostgreSQL; dropped by global teardown.
 *
 * Migrated: a copy of this run's template, which the first caller builds by running the migrations as the
 * service does. PostgreSQL copies it in a fraction of the 1–2 s the migrations take on a busy machine, and the
 * suite makes a database for nearly every file. `empty`: no tables at all, for the tests of the migrations.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<string> {
  const s = readServices();
  const name = `cpt_${s.runId}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: s.pgAdminUrl });
  await admin.connect();
  try {
    if (options.empty) await admin.query(`CREATE DATABASE "${name}"`);
    else await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${await migratedTemplate(admin, s.pgAdminUrl, s.runId)}"`);
  } finally {
    await admin.end();
  }
  return databaseUrl(s.pgAdminUrl, name);
}

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** This run's migrated template, built once across the jest workers (an advisory lock orders them). */
async function migratedTemplate(admin: Client, adminUrl: string, runId: string): Promise<string> {
  const template = `cpt_${runId}_template`;
  await admin.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (exists.rowCount === 0) {
      // Built under another name and renamed when complete: a worker that dies midway leaves no half template.
      const building = `cpt_${runId}_building`;
      await admin.query(`DROP DATABASE IF EXISTS "${building}"`);
      await admin.query(`CREATE DATABASE "${building}"`);
      const ds = await new DataSource(dataSourceOptions(databaseUrl(adminUrl, building))).initialize();
      try {
        await runMigrations(ds);
      } finally {
        await ds.destroy();
      }
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [template]);
  }
  return template;
}

export interface TestAppOptions {
  mode?: RunMode;
  databaseUrl?: string;
  kafka?: boolean;
  /** Kafka topic prefix; a fresh one per app unless shared on purpose. */
  kafkaTopicPrefix?: string;
  env?: Record<string, string>;
}

export interface TestApp extends RunningCloudPatrol {
  databaseUrl: string;
  kafkaTopicPrefix: string;
  token(): Promise<string>;
}

/** A real CloudPatrol process in this test: real PostgreSQL, the tests' Mosquitto, and Kafka when asked. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const s = readServices();
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  // Named after the run, so global teardown can delete this run's topics.
  const kafkaTopicPrefix = options.kafkaTopicPrefix ?? `t${s.runId}${randomBytes(3).toString('hex')}.`;
  const env = parseEnv({
    NODE_ENV: 'test',
    // bcrypt's lowest cost: a cost-12 hash or comparison takes ~0.35 s of CPU, and every app start and login makes one.
    PASSWORD_HASH_COST: '4',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    MQTT_URL: s.mqttUrl,
    MQTT_CLIENT_ID: `cp-test-${randomBytes(4).toString('hex')}`,
    MQTT_SHARE_GROUP: `g${randomBytes(4).toString('hex')}`,
    KAFKA_BROKERS: options.kafka ? s.kafkaBrokers : undefined,
    KAFKA_TOPIC_PREFIX: kafkaTopicPrefix,
    KAFKA_GROUP_ID: `cp-test-${randomBytes(4).toString('hex')}`,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    CONFIG_DIR: join(ROOT, 'config/demo'),
    ...options.env,
  });
  const running = await startCloudPatrol(options.mode ?? 'standalone', env, loadDistrictConfig(env.CONFIG_DIR, env.CALENDAR_DIR));
  let cached: string | undefined;
  return {
    ...running,
    databaseUrl,
    kafkaTopicPrefix,
    token: async () => {
      if (cached) return cached;
      const res = await request(running.url).post('/api/v1/auth/login').send(ADMIN).expect(200);
      cached = (res.body as { accessToken: string }).accessToken;
      return cached;
    },
  };
}

export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}
