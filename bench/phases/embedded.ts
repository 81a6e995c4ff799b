/**
 * The one-command start's own path (issue 13): CloudPatrol with its embedded MQTT broker, where a device's
 * PUBACK is sent only once its event is committed. The saturation stream is published by each camera over
 * its own connection (the embedded broker lets a device publish only its own topics, and binds the client id
 * to the device), QoS 1, as fast as the PUBACKs allow. Because a PUBACK means stored, the rate is simply
 * events acknowledged per second — checked against the rows in the database at the end.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { connect, MqttClient } from 'mqtt';
import { BenchChild, Cleanup, cloudPatrolChildEnv, createDatabase, freePort, isType, log, pgClient, sleep, startService } from '../lib/services';
import { benchDevices } from '../lib/workload';
import { backendPids, CpuMeter, per1000Events } from '../lib/cpu';
import { login } from '../lib/sse';
import { measureDeviceReconnectStall, measureSignInStall, type MainThreadStall } from '../lib/main-thread-stall';

export interface EmbeddedPhaseOptions {
  adminUrl: string;
  runId: string;
  payloads: { topic: string; payload: string }[];
  cleanup: Cleanup;
  deadline: number;
}

export interface EmbeddedResult {
  events: number;
  acknowledged: number;
  stored: number;
  seconds?: number;
  eventsPerSecond?: number;
  devices: number;
  /**
   * CPU seconds per 1,000 events from the first publish to the last PUBACK: the CloudPatrol process (its embedded broker
   * included) and its PostgreSQL backends. Unlike events/s it does not move with how busy the shared machine is.
   */
  cpuSecondsPer1000Events?: { cloudPatrol: number; postgresBackends: number };
  /** Before the burst: how long four operators signing in at once (the default account cost) hold the main thread. */
  signInStall?: MainThreadStall;
  /** Before the burst: the same while registered devices, each with its own password, connect at once. */
  deviceReconnectStall?: MainThreadStall;
  errors: string[];
}

const DEVICE_PASSWORD = 'cloudpatrol-demo';
/** Publishes awaiting their PUBACK per device connection. */
const WINDOW = 500;

export async function runEmbeddedPhase(o: EmbeddedPhaseOptions): Promise<EmbeddedResult> {
  const byDevice = new Map<string, { topic: string; payload: string }[]>();
  for (const p of o.payloads) {
    const device = /^cloudpatrol\/v1\/devices\/([^/]+)\/events$/.exec(p.topic)?.[1];
    if (!device) continue;
    byDevice.set(device, [...(byDevice.get(device) ?? []), p]);
  }
  const result: EmbeddedResult = {
    events: [...byDevice.values()].reduce((n, l) => n + l.length, 0),
    acknowledged: 0,
    stored: 0,
    devices: byDevice.size,
    errors: [],
  };
  const databaseUrl = await createDatabase(o.adminUrl, `cpbench_${o.runId}_embedded`, o.cleanup);
  const dataDir = join('/tmp', `cloudpatrol-bench-embedded-${o.runId}`);
  o.cleanup.add('bench embedded data dir', () => rmSync(dataDir, { recursive: true, force: true }));
  const mqttPort = await freePort();
  const adminPassword = randomBytes(12).toString('base64url');
  const child: BenchChild = startService(
    'standalone',
    {
      ...cloudPatrolChildEnv(databaseUrl, dataDir),
      // No MQTT_URL: the embedded broker, as `npm start` runs it.
      EMBEDDED_MQTT_PORT: String(mqttPort),
      EMBEDDED_MQTT_HOST: '127.0.0.1',
      DEMO_DEVICE_PASSWORD: DEVICE_PASSWORD,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: adminPassword,
    },
    benchDevices(0),
    o.cleanup,
  );
  const clients: MqttClient[] = [];
  const pg = pgClient(databaseUrl);
  try {
    const ready = await child.message(isType<{ type: 'ready'; url: string }>('ready'), 150_000, 'CloudPatrol (embedded broker) start');
    await pg.connect();
    const stallLine = (what: string, s: MainThreadStall) =>
      `embedded broker: ${s.count} ${what} at once took ${s.workMs} ms; a 401 probe's slowest answer ${s.probeDuring.maxMs} ms during them (p50 ${s.probeDuring.p50Ms}, ${s.probeDuring.samples} probes), ${s.probeIdle.maxMs} ms idle`;
    result.signInStall = await measureSignInStall(ready.url, 'admin', adminPassword);
    log(stallLine('sign-ins', result.signInStall));
    const token = await login(ready.url, 'admin', adminPassword);
    result.deviceReconnectStall = await measureDeviceReconnectStall(ready.url, token, mqttPort, 20, o.runId);
    log(stallLine('registered devices connecting', result.deviceReconnectStall));
    for (const device of byDevice.keys()) {
      clients.push(
        await new Promise<MqttClient>((resolve, reject) => {
          const c = connect(`mqtt://127.0.0.1:${mqttPort}`, {
            clientId: device,
            username: device,
            password: DEVICE_PASSWORD,
            protocolVersion: 4,
            clean: true,
            reconnectPeriod: 0,
          });
          c.once('connect', () => resolve(c));
          c.once('error', reject);
        }),
      );
    }
    const servicePid = child.child.pid as number;
    const cpu = new CpuMeter([servicePid, ...(await backendPids(pg))]);
    const started = Date.now();
    await Promise.all(
      [...byDevice.values()].map(async (messages, i) => {
        const client = clients[i];
        let inflight = 0;
        for (const m of messages) {
          while (inflight >= WINDOW) await sleep(1);
          if (Date.now() > o.deadline) throw new Error('out of time');
          inflight++;
          client.publish(m.topic, m.payload, { qos: 1 }, (err) => {
            inflight--;
            if (err) result.errors.push(err.message);
            else result.acknowledged++;
          });
        }
        while (inflight > 0 && Date.now() < o.deadline) await sleep(2);
      }),
    );
    result.seconds = (Date.now() - started) / 1000;
    result.eventsPerSecond = Math.round(result.acknowledged / result.seconds);
    result.cpuSecondsPer1000Events = {
      cloudPatrol: per1000Events(cpu.used([servicePid]), result.acknowledged),
      postgresBackends: per1000Events(cpu.used(await backendPids(pg)), result.acknowledged),
    };
    // Every PUBACK meant stored: the rows are there already.
    result.stored = Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0].n);
    log(
      `embedded broker: ${result.eventsPerSecond} events/s acknowledged-after-store (${result.acknowledged}/${result.events} acknowledged, ${result.stored} stored, ${result.devices} device connections; CPU s per 1,000 events ${JSON.stringify(result.cpuSecondsPer1000Events)})`,
    );
  } catch (err) {
    result.errors.push((err as Error).message);
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await pg.end().catch(() => undefined);
    await child.stop();
  }
  return result;
}
