import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, MqttClient } from 'mqtt';
import { Client } from 'pg';
import { freePort, ROOT } from '../support/services';
import { eventually } from '../support/test-app';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SERVICE_NODE_FLAGS = require('../../scripts/service-node-flags.js') as string[];

/**
 * Issue 13: on the one-command start (embedded PostgreSQL and MQTT broker, the code `npm start` runs), a
 * device's PUBACK means "stored". A QoS 1 device with a persistent session publishes distinct events; the
 * service is `kill -9`ed (a) mid-burst and (b) after its database was frozen for 8 s; the start is run again
 * with nothing cleaned by hand (the embedded PostgreSQL it left behind, frozen or not, is recovered); the
 * device re-sends what was not acknowledged. Every event the device got a PUBACK for is stored exactly once.
 */

const DEVICE = 'DEMO-CAM-01';
const TOPIC = `cloudpatrol/v1/devices/${DEVICE}/events`;
const ENTRY = join(ROOT, 'dist/apps/standalone/src/main.js');

interface Ports {
  http: number;
  mqtt: number;
  pg: number;
}

class DefaultStart {
  private child?: ChildProcess;
  output = '';

  constructor(
    private readonly dataDir: string,
    private readonly ports: Ports,
  ) {}

  /** As `npm start` runs it once built (scripts/start.js), with the embedded defaults. */
  async start(): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: this.dataDir,
      PORT: String(this.ports.http),
      EMBEDDED_MQTT_PORT: String(this.ports.mqtt),
      EMBEDDED_PG_PORT: String(this.ports.pg),
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: 'fault-admin-password',
      LOG_LEVEL: 'warn',
    };
    const child = spawn(process.execPath, ['--enable-source-maps', ...SERVICE_NODE_FLAGS, ENTRY], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    const outcome = await eventually(
      'the default start to answer /health',
      async () => {
        if (child.exitCode !== null) return 'exited';
        const res = await fetch(`http://127.0.0.1:${this.ports.http}/health`, { signal: AbortSignal.timeout(2000) });
        return res.status === 200 ? 'up' : undefined;
      },
      120_000,
    );
    if (outcome === 'exited') throw new Error(`the start exited: ${this.output.slice(-3000)}`);
  }

  async kill9(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  }

  /** The embedded PostgreSQL's postmaster and its backends. */
  /**
   * SIGSTOPs the embedded PostgreSQL: the postmaster first (a stopped postmaster starts no new backend), then each
   * of its children. A child that exited between the listing and the signal is gone and cannot answer anyway.
   */
  freezePostgres(): number[] {
    const postmaster = Number(readFileSync(join(this.dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGSTOP');
    const stopped = [postmaster];
    for (const pid of childPids(postmaster)) {
      try {
        process.kill(pid, 'SIGSTOP');
        stopped.push(pid);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    return stopped;
  }
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)])
      .toString()
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/** A camera with a persistent session that keeps un-acknowledged publishes and re-sends them after a reconnect. */
class Device {
  readonly acknowledged = new Set<string>();
  readonly sent: string[] = [];
  readonly errors: string[] = [];
  private client: MqttClient;

  constructor(port: number) {
    this.client = connect(`mqtt://127.0.0.1:${port}`, {
      clientId: DEVICE,
      username: DEVICE,
      password: 'cloudpatrol-demo',
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 250,
      connectTimeout: 5000,
    });
    // Refused while the service is down or starting: it keeps trying. What it hears is kept: a start must
    // never answer "bad username or password" (clients take that as final and stop reconnecting).
    this.client.on('error', (err) => this.errors.push(err.message));
  }

  /** Publishes ids [from, to) at about `perSecond`; each PUBACK is counted as it comes. */
  async publish(prefix: string, from: number, to: number, perSecond: number, stopWhen?: () => boolean): Promise<void> {
    const started = Date.now();
    for (let i = from; i < to; i++) {
      if (stopWhen?.()) return;
      const id = `${prefix}-${i}`;
      this.sent.push(id);
      const payload = JSON.stringify({
        eventId: id,
        deviceId: DEVICE,
        occurredAt: new Date(Date.parse('2026-11-28T10:00:00+08:00') + i * 10).toISOString(),
        detections: [{ label: 'garbage', confidence: 0.9 }],
      });
      this.client.publish(TOPIC, payload, { qos: 1 }, (err) => {
        if (!err) this.acknowledged.add(id);
      });
      const due = started + ((i - from + 1) / perSecond) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
  }

  /** Resolves once every publish has been acknowledged (after reconnects and re-sends). */
  async allAcknowledged(timeoutMs: number): Promise<void> {
    await eventually(
      `every publish acknowledged (${this.acknowledged.size} of ${this.sent.length})`,
      async () => (this.acknowledged.size === this.sent.length ? true : undefined),
      timeoutMs,
    );
  }

  async end(): Promise<void> {
    await this.client.endAsync(true);
  }
}

async function storedIds(port: number, dataDir: string, prefix: string): Promise<Map<string, number>> {
  // The embedded database's password is this install's own (issue 16), in a 0600 file under DATA_DIR.
  const password = readFileSync(join(dataDir, 'secrets', 'postgres-password'), 'utf8').trim();
  const db = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'cloudpatrol' });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string; n: number }>(
      `SELECT source_event_id AS id, count(*)::int AS n FROM events WHERE device_id = $1 AND source_event_id LIKE $2 GROUP BY 1`,
      [DEVICE, `${prefix}-%`],
    );
    return new Map(rows.map((r) => [r.id, r.n]));
  } finally {
    await db.end();
  }
}

describe('the default start after kill -9: every acknowledged event is stored exactly once', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloudpatrol-crash-'));
  chmodSync(dataDir, 0o755); // as root, the embedded server runs as `postgres`
  let ports: Ports;
  let service: DefaultStart;
  let device: Device | undefined;

  beforeAll(async () => {
    ports = { http: await freePort(), mqtt: await freePort(), pg: await freePort() };
    service = new DefaultStart(dataDir, ports);
  });

  afterAll(async () => {
    await device?.end();
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const account = async (label: string, prefix: string) => {
    const stored = await storedIds(ports.pg, dataDir, prefix);
    const acked = [...(device as Device).acknowledged].filter((id) => id.startsWith(`${prefix}-`));
    const lost = acked.filter((id) => !stored.has(id));
    const twice = [...stored.values()].filter((n) => n > 1).length;
    const sent = (device as Device).sent.filter((id) => id.startsWith(`${prefix}-`)).length;
    process.stdout.write(
      `[issue 13] ${label}: sent ${sent}, acknowledged ${acked.length}, stored ${stored.size}, acknowledged but lost ${lost.length}, stored twice ${twice}\n`,
    );
    return { sent, acked: acked.length, stored: stored.size, lost, twice };
  };

  it('(a) killed mid-burst, started again: the device re-sends, nothing acknowledged is lost', async () => {
    await service.start();
    device = new Device(ports.mqtt);
    const d = device;
    // 4,000 events at 1,000/s; the service dies after ~1,500 acknowledgements, while publishes are in flight.
    const burst = d.publish('a', 0, 4000, 1000);
    await eventually('1,500 acknowledged', async () => (d.acknowledged.size >= 1500 ? true : undefined), 60_000);
    await service.kill9();
    const ackedAtKill = d.acknowledged.size;
    await service.start();
    await burst;
    await d.allAcknowledged(120_000);
    const r = await account('(a) kill -9 mid-burst', 'a');
    expect(ackedAtKill).toBeLessThan(4000);
    expect(r.lost).toEqual([]);
    expect(r.twice).toBe(0);
    expect(r).toMatchObject({ sent: 4000, acked: 4000, stored: 4000 });
  }, 300_000);

  it('(b) database frozen 8 s, then killed, started again: nothing acknowledged is lost', async () => {
    const d = device as Device;
    const burst = d.publish('b', 0, 3000, 500);
    await eventually('500 of them acknowledged', async () => (d.acknowledged.size >= 4500 ? true : undefined), 60_000);
    expect(service.freezePostgres().length).toBeGreaterThan(1); // the postmaster and its backends
    // The freeze itself is the fault: 8 s of a database that does not answer. Acknowledgements of batches
    // committed just before it may still be on their way during the first second; none may come after.
    await new Promise((r) => setTimeout(r, 1000));
    const ackedAtFreeze = [...d.acknowledged].filter((id) => id.startsWith('b-')).length;
    await new Promise((r) => setTimeout(r, 7000));
    const ackedDuringFreeze = [...d.acknowledged].filter((id) => id.startsWith('b-')).length - ackedAtFreeze;
    await service.kill9();
    // The frozen PostgreSQL is left as it is: the next start must deal with it.
    await service.start();
    await burst;
    await d.allAcknowledged(120_000);
    const r = await account('(b) database frozen 8 s, then kill -9', 'b');
    process.stdout.write(`[issue 13] (b) acknowledged from 1 s into the freeze until the kill: ${ackedDuringFreeze}\n`);
    expect(ackedDuringFreeze).toBe(0);
    expect(r.lost).toEqual([]);
    expect(r.twice).toBe(0);
    expect(r).toMatchObject({ sent: 3000, acked: 3000, stored: 3000 });
    // Through two crashes and three starts the device only ever heard "connection refused".
    process.stdout.write(`[issue 13] the device's connection errors over both restarts: ${JSON.stringify([...new Set(d.errors)])}\n`);
    expect(d.errors.filter((e) => /bad user|not authori[sz]ed|identifier rejected/i.test(e))).toEqual([]);
  }, 300_000);
});
