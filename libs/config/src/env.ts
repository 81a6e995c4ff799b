import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The one place process.env is read. Everything else receives a validated `Env`.
 * A wrong value stops the start with one line per bad setting, naming it and what is expected.
 */
const port = z.coerce.number().int().min(1).max(65535);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Express's named ranges for `trust proxy`. */
const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An address, a CIDR (address/prefix) or one of Express's names. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Which proxies' X-Forwarded-For is believed, as Express's `trust proxy`: off (false), a hop count, or a list of
 * the proxies' addresses / CIDRs. `true` (believe any client) is refused: a client could name any address.
 */
const trustProxy = z
  .string()
  .optional()
  .transform((v, ctx): false | number | string[] => {
    const text = (v ?? '').trim();
    if (text === '' || text === 'false' || text === '0') return false;
    if (/^\d+$/.test(text)) return Number(text);
    if (text === 'true') {
      ctx.addIssue({ code: 'custom', message: 'trusting every hop lets any client choose its address; give a hop count (e.g. 1) or the proxies\' addresses' });
      return z.NEVER;
    }
    const entries = text
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    const bad = entries.filter((e) => !isProxyAddress(e));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `not an address, CIDR, loopback, linklocal or uniquelocal: ${bad.join(', ')}` });
      return z.NEVER;
    }
    return entries;
  });

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Browser origins allowed to call the API from elsewhere (comma-separated); empty = CORS closed. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.url())),
  /**
   * Behind a reverse proxy: which hops' X-Forwarded-For to believe (a hop count such as 1, or the proxies'
   * addresses/CIDRs, comma-separated). Off by default: the socket's address is the client, X-Forwarded-For is ignored.
   */
  TRUST_PROXY: trustProxy,
  /** When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>` (at least 16 characters). */
  METRICS_TOKEN: optionalText.pipe(z.string().min(16, 'at least 16 characters').optional()),
  /** When set, /metrics is served on this port (bound to METRICS_HOST) and no longer on PORT. */
  METRICS_PORT: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), port.optional()),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Per-install secrets (embedded database password, JWT signing key, first admin password), each a 0600 file; default `<DATA_DIR>/secrets`. */
  SECRETS_DIR: optionalText,
  CONFIG_DIR: z.string().min(1).default('./config/demo'),
  /**
   * The working calendar and deadline policy (cn-2026.yaml, deadlines.yaml). Unset: `<CONFIG_DIR>/calendar` when it
   * exists, else `<CONFIG_DIR>/../calendar` (the older layout), else the shipped `config/calendar`.
   */
  CALENDAR_DIR: optionalText,
  /**
   * Open311 clients allowed to POST service requests (id, name, SHA-256 of the API key, requests per minute), YAML.
   * Default `<CONFIG_DIR>/open311-clients.yaml`; no file = nobody may POST (the read endpoints stay open).
   */
  OPEN311_CLIENTS_FILE: optionalText,
  DATABASE_URL: optionalText.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATABASE_SCHEMA: optionalText,
  EMBEDDED_PG_PORT: port.default(54329),
  MQTT_URL: optionalText.pipe(z.url({ protocol: /^(mqtt|mqtts|tcp|ws|wss)$/ }).optional()),
  MQTT_USERNAME: optionalText,
  MQTT_PASSWORD: optionalText,
  MQTT_CLIENT_ID: optionalText,
  /**
   * MQTT 5 shared-subscription group, to split topics across workers. Unset: every worker subscribes to
   * everything (idempotent storage makes that correct, at N× the work) — the safe default, because
   * Mosquitto 2.0 does not restore shared subscriptions after a broker restart.
   */
  MQTT_SHARE_GROUP: optionalText,
  MQTT_RECEIVE_MAXIMUM: z.coerce.number().int().min(1).max(65535).default(10_000),
  /**
   * Payload bytes a worker or gateway holds unacknowledged at most, beside the message count above: 10,000 pictures
   * of a megabyte would be 10 GB. Beyond it the connection stops reading until acks make room.
   */
  MQTT_RECEIVE_MAXIMUM_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .max(4 * 1024 * 1024 * 1024)
    .default(128 * 1024 * 1024),
  FRIGATE_TOPIC_PREFIX: z.string().min(1).default('frigate'),
  EMBEDDED_MQTT_PORT: port.default(1883),
  EMBEDDED_MQTT_HOST: z.string().default('127.0.0.1'),
  KAFKA_BROKERS: optionalText.pipe(
    z
      .string()
      .regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'a comma-separated list of host:port')
      .optional(),
  ),
  KAFKA_CLIENT_ID: z.string().min(1).default('cloudpatrol'),
  KAFKA_GROUP_ID: z.string().min(1).default('cloudpatrol-ingest'),
  KAFKA_TOPICS: z.string().default('monitoring.fire.v1,monitoring.police.v1,monitoring.emergency.v1,cloudpatrol.events.v1'),
  /** Prepended to every Kafka topic name (tenancy on a shared cluster; each test run uses its own). */
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dot, dash or underscore').default(''),
  KAFKA_SSL: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  KAFKA_SASL_MECHANISM: optionalText.pipe(z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional()),
  KAFKA_SASL_USERNAME: optionalText,
  KAFKA_SASL_PASSWORD: optionalText,
  KAFKA_DEAD_LETTER_TOPIC: z.string().min(1).default('cloudpatrol.dead-letter.v1'),
  /**
   * Scale-out over Kafka: MQTT gateways (`npm run start:gateway`) put every device message on KAFKA_INGEST_TOPIC
   * before its PUBACK, and the workers read that topic as one consumer group instead of the MQTT event topics (they
   * keep MQTT for pictures and device replies). Needs KAFKA_BROKERS. Off: workers subscribe to MQTT themselves.
   */
  INGEST_VIA_KAFKA: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** The topic gateways produce to and workers consume (KAFKA_TOPIC_PREFIX is prepended). */
  KAFKA_INGEST_TOPIC: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash or underscore').default('cloudpatrol.ingest.v1'),
  /** Partitions of the ingest topic when CloudPatrol creates it: the most workers that can share the stream. */
  KAFKA_INGEST_PARTITIONS: z.coerce.number().int().min(1).max(10_000).default(12),
  /** A worker that stops heartbeating loses its partitions to the others after this long (the takeover time). */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  ADMIN_USERNAME: optionalText,
  ADMIN_PASSWORD: optionalText,
  JWT_SECRET: optionalText.pipe(z.string().min(32, 'at least 32 characters').optional()),
  /**
   * Client addresses (and case numbers) each public throttle keeps at most: party lookup, case-file verification,
   * login. Beyond it the least recently seen key below its limit is forgotten, never one being refused.
   */
  THROTTLE_TRACKED_KEYS: z.coerce.number().int().min(100).max(10_000_000).default(10_000),
  /**
   * bcrypt cost of account passwords hashed from now on (each step doubles the work; a stored hash keeps its own).
   * At least 10 outside NODE_ENV=test, where 4 keeps the test suite's logins from costing minutes of CPU.
   */
  PASSWORD_HASH_COST: z.coerce.number().int().min(4).max(15).default(12),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86400).default(900),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Messages per ingest transaction at most. 3,000 rather than 2,000 (issue 20): per-batch statements and round trips
   * are a smaller share of a burst, 7.8 % more events/s in four alternating pairs; three in flight still fit the
   * 10,000-message window.
   */
  INGEST_BATCH_SIZE: z.coerce.number().int().min(1).max(10000).default(3000),
  INGEST_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(5000).default(5),
  INGEST_PIPELINE_DEPTH: z.coerce.number().int().min(1).max(8).default(3),
  /** Ingest is reported stalled (health degraded, metric, live alert) when nothing committed this long while work waits. */
  INGEST_STALL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** HTTP pushes (Hikvision, photo marks) waiting to be stored at once; beyond this they are answered 503 to send again. */
  INGEST_HTTP_MAX_WAITING: z.coerce.number().int().min(1).max(100_000).default(5000),
  /** PostgreSQL connections per process: ingest holds at most INGEST_PIPELINE_DEPTH + 1, the rest serve the API. */
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  /** How long a request waits for a free connection before it fails with 503 (never a hang). */
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
  /** Events one device may report per second of its own (source) time, per worker, and the burst; 0 = no limit. */
  DEVICE_EVENTS_PER_SECOND: z.coerce.number().min(0).max(1_000_000).default(1000),
  DEVICE_EVENTS_BURST: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  /** An event dated further ahead of its arrival than this is flagged and limited by arrival time, apart from the device's normal events. */
  DEVICE_EVENT_FUTURE_TOLERANCE_SECONDS: z.coerce.number().min(0).max(366 * 24 * 3600).default(300),
  MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(256 * 1024),
  /** Drone photos and other media; default `<DATA_DIR>/media`. */
  MEDIA_DIR: optionalText,
  PHOTO_MAX_BYTES: z.coerce.number().int().min(1024).max(512 * 1024 * 1024).default(40 * 1024 * 1024),
  PHOTO_MAX_PIXELS: z.coerce.number().int().min(1).max(1_000_000_000).default(100_000_000),
  PHOTO_PREVIEW_SIZE: z.coerce.number().int().min(320).max(4096).default(1600),
  PHOTO_PREVIEW_MIN_SIZE: z.coerce.number().int().min(320).max(4096).default(800),
  DEMO_DEVICE_PASSWORD: z.string().min(1).default('cloudpatrol-demo'),
  WORKER_ID: optionalText,
  /**
   * The address parties and verifiers reach this service at (printed on notices and case files, and in their QR
   * codes), e.g. https://cg.example.gov.cn. Default: http://localhost:<PORT> — set it before printing for real.
   */
  PUBLIC_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** Outbound notifier: notices are POSTed (JSON: text + link) to this endpoint, e.g. an SMS gateway. Off when empty. */
  NOTIFY_HTTP_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** Sent as `Authorization: Bearer <NOTIFY_HTTP_TOKEN>` to the notifier endpoint when set. */
  NOTIFY_HTTP_TOKEN: optionalText,
  /** First retry after this many ms; doubles per attempt (at most 1 hour between tries). */
  NOTIFY_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
}).superRefine((env, ctx) => {
  if (env.PHOTO_PREVIEW_MIN_SIZE > env.PHOTO_PREVIEW_SIZE) {
    ctx.addIssue({ code: 'custom', path: ['PHOTO_PREVIEW_MIN_SIZE'], message: `must not exceed PHOTO_PREVIEW_SIZE (${env.PHOTO_PREVIEW_SIZE})` });
  }
  if (env.INGEST_VIA_KAFKA && !env.KAFKA_BROKERS) {
    ctx.addIssue({ code: 'custom', path: ['INGEST_VIA_KAFKA'], message: 'needs KAFKA_BROKERS (the gateways and workers meet on Kafka)' });
  }
  if (env.PASSWORD_HASH_COST < 10 && env.NODE_ENV !== 'test') {
    ctx.addIssue({ code: 'custom', path: ['PASSWORD_HASH_COST'], message: 'must be at least 10 (below that only with NODE_ENV=test)' });
  }
  // Ingest transactions and the cache refresh must leave connections for the API (health, login, the console).
  if (env.DB_POOL_SIZE < env.INGEST_PIPELINE_DEPTH + 2) {
    ctx.addIssue({ code: 'custom', path: ['DB_POOL_SIZE'], message: `must be at least INGEST_PIPELINE_DEPTH + 2 (${env.INGEST_PIPELINE_DEPTH + 2})` });
  }
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = envSchema.safeParse(source);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((i) => {
      const key = i.path.join('.');
      const value = source[key];
      return `${key}=${value === undefined ? '(unset)' : JSON.stringify(value)}: ${i.message}`;
    }),
  );
}

/** Reads the process environment once. Tests build their own `Env` with `parseEnv`. */
export function loadEnv(): Env {
  return parseEnv(process.env);
}
