/**
 * What operators signing in cost everyone else in the one-process default start: a password check is a bcrypt
 * comparison at the account cost (~0.35 s of CPU at cost 12). A probe asks the HTTP server a question it answers
 * without the database or a file (a protected route without a token: 401 from the access guard), one request after
 * another, first with nothing else going on and then while a few sign-ins run at once. The probe's slowest answer is
 * how long the main thread (ingest, PUBACKs, alerts) was held.
 */
import { summarise, type LatencySummary } from './stats';

export interface SignInStall {
  signIns: number;
  /** The slowest sign-in, request to answer. */
  signInMs: number;
  /** Probe answers with nothing else going on (1 s). */
  probeIdle: LatencySummary;
  /** Probe answers while the sign-ins ran. */
  probeDuringSignIns: LatencySummary;
}

export async function measureSignInStall(baseUrl: string, username: string, password: string, signIns = 4): Promise<SignInStall> {
  const probeUrl = new URL('/api/v1/cases', baseUrl);
  const probe = async (): Promise<number> => {
    const t = performance.now();
    const res = await fetch(probeUrl);
    await res.arrayBuffer();
    if (res.status !== 401) throw new Error(`sign-in stall probe: expected 401 without a token, got ${res.status}`);
    return performance.now() - t;
  };
  const probeWhile = async (running: () => boolean): Promise<number[]> => {
    const times: number[] = [];
    while (running()) times.push(await probe());
    return times;
  };
  // Warm the route and the connection pool of fetch.
  for (let i = 0; i < 20; i++) await probe();
  const idleUntil = performance.now() + 1000;
  const idle = await probeWhile(() => performance.now() < idleUntil);

  let pending = signIns;
  let slowest = 0;
  const signInAll = Promise.all(
    Array.from({ length: signIns }, async () => {
      const t = performance.now();
      try {
        const res = await fetch(new URL('/api/v1/auth/login', baseUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password }),
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`sign-in stall: login answered ${res.status}`);
        slowest = Math.max(slowest, performance.now() - t);
      } finally {
        pending--;
      }
    }),
  );
  const [during] = await Promise.all([probeWhile(() => pending > 0), signInAll]);
  return { signIns, signInMs: Math.round(slowest), probeIdle: summarise(idle), probeDuringSignIns: summarise(during) };
}
