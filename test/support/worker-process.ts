import { ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { freePort, readServices, ROOT } from './services';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SERVICE_NODE_FLAGS = require('../../scripts/service-node-flags.js') as string[];

/**
 * A CloudPatrol worker in its own OS process (the built dist/apps/<app>/src/main.js, as `npm run start:worker` runs
 * it; jest's global setup builds it), so a test can
 * SIGKILL it mid-stream and start it again with the same identity: the same MQTT client id (the broker
 * keeps the persistent session and its backlog), the same Kafka group (committed offsets) and the same
 * database.
 */
export interface WorkerIdentity {
  /** A database made with createTestDatabase(); the worker runs the migrations at start. */
  databaseUrl: string;
  /** Stable across restarts: the broker keeps this session (and queues for it) while the worker is dead. */
  mqttClientId: string;
  mqttShareGroup: string;
  kafkaGroupId: string;
  kafkaTopicPrefix: string;
  /** The broker to use; the run's shared test Mosquitto unless given. */
  mqttUrl?: string;
  /** Extra environment (e.g. INGEST_BATCH_SIZE). */
  env?: Record<string, string>;
  /** Which app to run: the worker (default) or the MQTT → Kafka gateway (same /health contract). */
  app?: 'worker' | 'gateway';
}

export interface HealthReport {
  status: string;
  checks: Record<string, { status: string }>;
}

export class WorkerProcess {
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    const keep = (chunk: Buffer) => {
      // Keep the tail only: enough to explain a failed start.
      this.output = (this.output + chunk.toString('utf8')).slice(-16_384);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** What the worker wrote to stdout/stderr lately (LOG_LEVEL=warn: warnings and errors). */
  get log(): string {
    return this.output;
  }

  /** Spawns the worker and resolves once its /health answers 200 (database, MQTT and Kafka up). */
  static async start(identity: WorkerIdentity, readyTimeoutMs = 60_000): Promise<WorkerProcess> {
    const s = readServices();
    const port = await freePort();
    // The built entry, not ts-node: transpiling the app at each start cost several seconds of CPU per process,
    // and a fault test starts up to four of them.
    const child = spawn(process.execPath, ['--enable-source-maps', ...SERVICE_NODE_FLAGS, join(ROOT, `dist/apps/${identity.app ?? 'worker'}/src/main.js`)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'test',
        PASSWORD_HASH_COST: '4',
        DATABASE_URL: identity.databaseUrl,
        MQTT_URL: identity.mqttUrl ?? s.mqttUrl,
        MQTT_CLIENT_ID: identity.mqttClientId,
        MQTT_SHARE_GROUP: identity.mqttShareGroup,
        KAFKA_BROKERS: s.kafkaBrokers,
        KAFKA_TOPIC_PREFIX: identity.kafkaTopicPrefix,
        KAFKA_GROUP_ID: identity.kafkaGroupId,
        PORT: String(port),
        HOST: '127.0.0.1',
        CONFIG_DIR: join(ROOT, 'config/demo'),
        LOG_LEVEL: 'warn',
        ...identity.env,
      },
    });
    const worker = new WorkerProcess(child, `http://127.0.0.1:${port}`);
    const until = Date.now() + readyTimeoutMs;
    for (;;) {
      if (!worker.running) throw new Error(`worker exited during start (${JSON.stringify(worker.exitInfo)}):\n${worker.log}`);
      const health = await worker.health().catch(() => undefined);
      if (health?.status === 'ok') return worker;
      if (Date.now() > until) {
        await worker.kill();
        throw new Error(`worker not healthy after ${readyTimeoutMs} ms (last: ${JSON.stringify(health)}):\n${worker.log}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  health(): Promise<HealthReport> {
    return getJson<HealthReport>(`${this.url}/health`);
  }

  metrics(): Promise<string> {
    return getText(`${this.url}/metrics`);
  }

  /** SIGKILL (no shutdown hooks, no DISCONNECT, no offset commit) and wait until the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the worker finishes the batch in flight, acknowledges it and exits; SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function getJson<T>(url: string): Promise<T> {
  return JSON.parse(await getText(url)) as T;
}
