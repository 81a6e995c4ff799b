import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

/** What global setup started, for the tests (via env) and for teardown. */
export interface TestServices {
  runId: string;
  pgAdminUrl: string;
  /** This jest worker's Mosquitto (`mqttBrokers` by JEST_WORKER_ID). */
  mqttUrl: string;
  /**
   * One Mosquitto per jest worker: every test app subscribes to the product's fixed device topics, so test
   * files running at once on one broker would each store the other's events (seen: a two-worker test found
   * 362 events of its 300, and a rules test 23 cases of its 1). Files of one worker run one after another.
   */
  mqttBrokers: { url: string; pid: number; dir: string }[];
  kafkaBrokers: string;
  kafkaStartedByUs: boolean;
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const s = createConnection({ port, host });
    const t = setTimeout(() => {
      s.destroy();
      done(false);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      done(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      done(false);
    });
  });
}

/**
 * A port nothing listens on, for a server a test starts later. Taken outside the kernel's ephemeral range: a port the
 * kernel hands out for `listen(0)` may meanwhile become the local port of any outgoing connection (another test's client
 * to PostgreSQL or Kafka), and the server then fails with EADDRINUSE (seen: the embedded broker, seconds after the
 * embedded PostgreSQL's start). Never the same port twice in one process.
 */
export async function freePort(): Promise<number> {
  const [ephemeralFrom, ephemeralTo] = ephemeralRange();
  const below = Math.max(0, ephemeralFrom - 10_240);
  const above = Math.max(0, 65_535 - ephemeralTo);
  for (let attempt = 0; attempt < 200; attempt++) {
    const k = Math.floor(Math.random() * (below + above));
    const port = k < below ? ephemeralFrom - below + k : ephemeralTo + 1 + (k - below);
    if (port < 10_240 || handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port outside the ephemeral range ${ephemeralFrom}-${ephemeralTo}`);
}

const handedOut = new Set<number>();

function ephemeralRange(): [number, number] {
  try {
    const [from, to] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(from) && Number.isInteger(to)) return [from, to];
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49_152, 65_535];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once('error', () => done(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => done(true)));
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The tests' own Mosquitto, with the project's delivery settings (config/mosquitto/conf.d), not the
 * system broker's lossy defaults. Anonymous access on a loopback test port only.
 */
export async function startMosquitto(runId: string, port?: number, dir?: string): Promise<{ url: string; pid: number; dir: string; port: number }> {
  const p = port ?? (await freePort());
  const d = dir ?? join('/tmp', `cloudpatrol-mosquitto-${runId}`);
  mkdirSync(d, { recursive: true });
  execFileSync('chmod', ['777', d]); // mosquitto drops root privileges to its own user
  const delivery = readFileSync(join(ROOT, 'config/mosquitto/conf.d/delivery.conf'), 'utf8');
  const conf = join(d, 'mosquitto.conf');
  writeFileSync(
    conf,
    [`listener ${p} 127.0.0.1`, 'allow_anonymous true', `persistence_location ${d}/`, 'log_dest stderr', 'log_type error', 'log_type warning', delivery].join(
      '\n',
    ),
  );
  const child = spawn('mosquitto', ['-c', conf], { detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
  child.unref();
  await waitFor(`mosquitto on ${p}`, () => portOpen(p), 10_000);
  return { url: `mqtt://127.0.0.1:${p}`, pid: child.pid as number, dir: d, port: p };
}

export function stopProcess(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/** The services global setup started (passed to test workers through the environment). */
export function readServices(): TestServices {
  const raw = process.env.CP_TEST_SERVICES;
  if (!raw) throw new Error('test services not started: run integration tests through jest (npm test)');
  const services = JSON.parse(raw) as TestServices;
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  const broker = services.mqttBrokers[(worker - 1) % services.mqttBrokers.length];
  return { ...services, mqttUrl: broker.url };
}

/** SIGTERM, then wait (up to 10 s) until the process is gone. */
export async function stopProcessAndWait(pid: number): Promise<void> {
  stopProcess(pid);
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  stopProcess(pid, 'SIGKILL');
}
