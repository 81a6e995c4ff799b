/**
 * The services the benchmark starts and stops itself: its own Mosquitto with the project's delivery
 * settings, Kafka (started with scripts/kafka/kafka.sh only when nothing listens), fresh databases on
 * the machine's PostgreSQL, and child processes. Everything started is registered with a `Cleanup`,
 * which undoes it in reverse order, also on error and on SIGINT/SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import type { DeviceConfig } from '@app/config';
import { Client } from 'pg';

export const ROOT = resolve(__dirname, '../..');
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function log(line: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Undo stack: each start pushes its stop; `run` pops them all (errors are logged, not thrown). */
export class Cleanup {
  private readonly steps: { what: string; run: () => Promise<void> | void }[] = [];
  /** Pids to SIGKILL synchronously if the process exits without running the async steps. */
  private readonly pids = new Set<number>();

  constructor() {
    process.on('exit', () => {
      for (const pid of this.pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    });
  }

  add(what: string, run: () => Promise<void> | void): void {
    this.steps.push({ what, run });
  }

  trackPid(pid: number | undefined): void {
    if (pid) this.pids.add(pid);
  }

  untrackPid(pid: number | undefined): void {
    if (pid) this.pids.delete(pid);
  }

  async run(): Promise<void> {
    while (this.steps.length) {
      const step = this.steps.pop();
      if (!step) break;
      try {
        await withTimeout(Promise.resolve(step.run()), 45_000, `cleanup: ${step.what}`);
      } catch (err) {
        log(`cleanup of ${step.what} failed: ${(err as Error).message}`);
      }
    }
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]);
}

// One implementation of these for tests and the bench.
import { freePort, portOpen } from '../../test/support/services';
export { freePort, portOpen };

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until && alive()) await sleep(50);
  if (alive()) process.kill(pid, 'SIGKILL');
}

/**
 * A Mosquitto of our own on a free loopback port with config/mosquitto/conf.d/delivery.conf (unlimited
 * queue for persistent sessions, 1000 in flight, persistence on), anonymous access on loopback only.
 */
export async function startMosquitto(runId: string, cleanup: Cleanup): Promise<{ url: string; pid: number; port: number }> {
  const port = await freePort();
  const dir = join('/tmp', `cloudpatrol-bench-mosquitto-${runId}`);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777); // mosquitto drops root privileges to its own user
  const delivery = readFileSync(join(ROOT, 'config/mosquitto/conf.d/delivery.conf'), 'utf8');
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `persistence_location ${dir}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      delivery,
    ].join('\n'),
  );
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const pid = child.pid as number;
  cleanup.trackPid(pid);
  cleanup.add('mosquitto', async () => {
    await stopPid(pid);
    cleanup.untrackPid(pid);
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor(`mosquitto on ${port}`, () => portOpen(port), 10_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${stderr}`);
  });
  return { url: `mqtt://127.0.0.1:${port}`, pid, port };
}

/** Kafka on `brokers` (first one); started with scripts/kafka/kafka.sh when nothing listens there, stopped after. */
export async function ensureKafka(brokers: string, cleanup: Cleanup, timeoutMs = 180_000): Promise<{ startedByUs: boolean }> {
  const [host, port] = brokers.split(',')[0].split(':');
  if (await portOpen(Number(port), host)) return { startedByUs: false };
  log(`no Kafka on ${brokers}: starting one with scripts/kafka/kafka.sh`);
  const script = join(ROOT, 'scripts/kafka/kafka.sh');
  const env = { ...process.env, KAFKA_PORT: port, KAFKA_HOST: host };
  cleanup.add('kafka (started by the bench)', () => runQuiet('bash', [script, 'stop'], env, 60_000));
  await runQuiet('bash', [script, 'start'], env, timeoutMs);
  return { startedByUs: true };
}

function runQuiet(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<void> {
  return new Promise((ok, fail) => {
    execFile(cmd, args, { env, timeout: Math.max(1, Math.floor(timeoutMs)), maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout.slice(-2000)}${stderr.slice(-2000)}`));
      else ok();
    });
  });
}

/** A pg client whose connection errors (e.g. its database dropped at cleanup) are logged, never thrown. */
export function pgClient(url: string): Client {
  const c = new Client({ connectionString: url });
  c.on('error', (err) => log(`database connection: ${err.message}`));
  return c;
}

/** A fresh database on the machine's PostgreSQL; dropped at cleanup unless BENCH_KEEP_DATABASES=1. */
export async function createDatabase(adminUrl: string, name: string, cleanup: Cleanup): Promise<string> {
  const admin = pgClient(adminUrl);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  if (process.env.BENCH_KEEP_DATABASES !== '1') {
    cleanup.add(`database ${name}`, async () => {
      const c = pgClient(adminUrl);
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Each phase starts on a settled PostgreSQL: a CHECKPOINT writes out what the previous phase left dirty (the
 * PostgreSQL phase alone writes 300,000 rows), so the next phase is not charged for it. Needs a superuser or
 * pg_checkpoint; without one the phase runs anyway.
 */
export async function settlePostgres(adminUrl: string): Promise<void> {
  const c = pgClient(adminUrl);
  try {
    await c.connect();
    await c.query('CHECKPOINT');
  } catch {
    // Not allowed or not reachable: the phase reports its own connection errors.
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A bench child process (a .ts file run through ts-node) with an IPC channel. */
export interface BenchChild {
  child: ChildProcess;
  /** The last lines it wrote (stdout and stderr), for error messages. */
  tail(): string;
  /** Resolves with the first IPC message that satisfies `match`. */
  message<T>(match: (m: unknown) => m is T, timeoutMs: number, what: string): Promise<T>;
  exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
  /** Peak resident set (VmHWM) from /proc, MB; undefined when it is gone. */
  peakRssMb(): number | undefined;
}

/** The Node flags every CloudPatrol process runs with (scripts/service-node-flags.js), given to every child alike: CloudPatrol, the naive baseline and the photo measurements. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const SERVICE_NODE_FLAGS: readonly string[] = require('../../scripts/service-node-flags.js') as string[];

/** Builds dist/ when the sources are newer than it (what `npm start` does first): CloudPatrol runs from the build. */
export function buildService(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts/start.js'), '--build-only'], { cwd: ROOT, stdio: 'inherit' });
}

/**
 * A CloudPatrol process (`standalone`, `worker` or `gateway`) from the build, as `npm start` runs it (bench/children/
 * service.js), with `devices` (bench cameras) added to the demo district.
 */
export function startService(
  role: 'standalone' | 'worker' | 'gateway',
  env: Record<string, string | undefined>,
  devices: readonly DeviceConfig[],
  cleanup: Cleanup,
): BenchChild {
  const file = join(tmpdir(), `cloudpatrol-bench-devices-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(file, JSON.stringify(devices));
  cleanup.add('bench devices file', () => rmSync(file, { force: true }));
  return startChild('bench/children/service.js', [role], { ...env, BENCH_DEVICES_FILE: file }, cleanup);
}

export function startChild(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
  cleanup: Cleanup,
  options: { echo?: boolean } = {},
): BenchChild {
  // BENCH_CPU_PROF=<dir>: each child writes a V8 CPU profile there when it exits (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // A .js child is CloudPatrol's build, run as scripts/start.js runs it; a .ts child goes through ts-node.
  const loader = script.endsWith('.js') ? ['--enable-source-maps'] : ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];
  // BENCH_NODE_FLAGS="--trace-gc …": more flags for the children; BENCH_CHILD_LOG=<prefix>: all they print, to <prefix>.<pid>.
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const childLog = process.env.BENCH_CHILD_LOG;
  const child = spawn(process.execPath, [...profile, ...extra, ...SERVICE_NODE_FLAGS, ...loader, join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env },
  });
  let output = '';
  const keep = (c: Buffer) => {
    output = (output + c.toString('utf8')).slice(-16_384);
    if (childLog) appendFileSync(`${childLog}.${child.pid}`, c);
    if (options.echo) process.stdout.write(c);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  cleanup.trackPid(child.pid);
  let stopped = false;
  const stop = async (graceMs = 15_000) => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null && child.pid) await stopPid(child.pid, graceMs);
    cleanup.untrackPid(child.pid);
  };
  cleanup.add(`child ${script}`, () => stop(5_000));
  return {
    child,
    tail: () => output,
    exited,
    stop,
    peakRssMb: () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Math.round(Number(m[1]) / 1024) : undefined;
      } catch {
        return undefined;
      }
    },
    message: <T>(match: (m: unknown) => m is T, timeoutMs: number, what: string) =>
      new Promise<T>((ok, fail) => {
        const onMessage = (m: unknown) => {
          if (!match(m)) return;
          done();
          ok(m);
        };
        const onExit = (code: number | null) => {
          done();
          fail(new Error(`${what}: child exited (${code}) before answering:\n${output.slice(-4000)}`));
        };
        const timer = setTimeout(() => {
          done();
          fail(new Error(`${what}: no answer after ${Math.round(timeoutMs / 1000)} s:\n${output.slice(-4000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
      }),
  };
}

/** Typed IPC messages from the children. */
export const isType =
  <T extends { type: string }>(type: T['type']) =>
  (m: unknown): m is T =>
    typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;

/** What every CloudPatrol child of the bench runs with: production mode, its own database and data folder, the demo district. */
export function cloudPatrolChildEnv(databaseUrl: string, dataDir: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    CONFIG_DIR: join(ROOT, 'config/demo'),
    JWT_SECRET: randomBytes(32).toString('hex'),
  };
}
