/**
 * What work that needs a password check costs everyone else in the one-process default start. A password check is
 * a bcrypt comparison: ~0.35 s of CPU at an account's cost (12), ~0.09 s at a device's (10). A probe asks the HTTP
 * server, one request after another, a question it answers without the database or a file (a protected route
 * without a token: 401 from the access guard), first with nothing else going on and then while the work runs. The
 * probe's slowest answer is how long the main thread (ingest, PUBACKs, alerts) was held.
 */
import { connect, type MqttClient } from 'mqtt';
import { summarise, type LatencySummary } from './stats';

export interface MainThreadStall {
  /** How many sign-ins or device connections ran at once. */
  count: number;
  /** From the first started to the last done. */
  workMs: number;
  /** Probe answers with nothing else going on (1 s). */
  probeIdle: LatencySummary;
  /** Probe answers while the work ran. */
  probeDuring: LatencySummary;
}

async function measureStall(baseUrl: string, count: number, work: () => Promise<void>): Promise<MainThreadStall> {
  const probeUrl = new URL('/api/v1/cases', baseUrl);
  const probe = async (): Promise<number> => {
    const t = performance.now();
    const res = await fetch(probeUrl);
    await res.arrayBuffer();
    if (res.status !== 401) throw new Error(`main-thread stall probe: expected 401 without a token, got ${res.status}`);
    return performance.now() - t;
  };
  const probeWhile = async (running: () => boolean): Promise<number[]> => {
    const times: number[] = [];
    while (running()) times.push(await probe());
    return times;
  };
  // Warm the route and fetch's connection pool.
  for (let i = 0; i < 20; i++) await probe();
  const idleUntil = performance.now() + 1000;
  const idle = await probeWhile(() => performance.now() < idleUntil);
  let running = true;
  const t = performance.now();
  const done = work().finally(() => (running = false));
  const [during] = await Promise.all([probeWhile(() => running), done]);
  return { count, workMs: Math.round(performance.now() - t), probeIdle: summarise(idle), probeDuring: summarise(during) };
}

/** Operators signing in at once, at the default account cost. */
export function measureSignInStall(baseUrl: string, username: string, password: string, signIns = 4): Promise<MainThreadStall> {
  return measureStall(baseUrl, signIns, async () => {
    await Promise.all(
      Array.from({ length: signIns }, async () => {
        const res = await fetch(new URL('/api/v1/auth/login', baseUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password }),
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`sign-in stall: login answered ${res.status}`);
      }),
    );
  });
}

/**
 * Registered devices (each with its own password, as `POST /api/v1/devices` issues them) connecting to the embedded
 * broker at once, as they do when the service restarts. They are registered first, outside the measurement.
 */
export async function measureDeviceReconnectStall(baseUrl: string, token: string, mqttPort: number, devices: number, runId: string): Promise<MainThreadStall> {
  const credentials: { username: string; password: string }[] = [];
  for (let i = 0; i < devices; i++) {
    const res = await fetch(new URL('/api/v1/devices', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id: `STORM-${runId}-${i}`.toUpperCase(), kind: 'camera', name: `reconnect storm ${i}`, ownerDepartment: 'city-management' }),
    });
    const body = (await res.json()) as { credentials?: { username: string; password: string } };
    if (!res.ok || !body.credentials) throw new Error(`device reconnect stall: registering a device answered ${res.status}`);
    credentials.push(body.credentials);
  }
  const clients: MqttClient[] = [];
  try {
    return await measureStall(baseUrl, devices, async () => {
      await Promise.all(
        credentials.map(
          (c) =>
            new Promise<void>((resolve, reject) => {
              const client = connect(`mqtt://127.0.0.1:${mqttPort}`, { clientId: c.username, ...c, protocolVersion: 4, clean: true, reconnectPeriod: 0 });
              clients.push(client);
              client.once('connect', () => resolve());
              client.once('error', reject);
            }),
        ),
      );
    });
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }
}
