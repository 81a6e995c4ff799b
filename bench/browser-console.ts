/**
 * `npm run bench:console`: the operator console in Debian's Chromium under a real shift's load. Seeds N open
 * cases (default 5,000, across the demo district's 13 townships and 52 grids, each with its running review
 * clock, many of them late), opens the console as the duty operator and streams alerts at R per second
 * (default 20: one in five a new case, the rest a case seen again) through the real path (pg_notify → the
 * API's alert listener → SSE). Meanwhile it records every animation frame of the page and opens cases from
 * the list, and prints: frames per second, p50 / p95 / max frame time, long tasks, and the time from a
 * click on a row to the case shown in the review panel.
 *
 * Environment (optional): TEST_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test), CHROMIUM_PATH
 * (/usr/bin/chromium), BENCH_CONSOLE_CASES (5000), BENCH_CONSOLE_RATE (20), BENCH_CONSOLE_SECONDS (20),
 * BENCH_CONSOLE_OPENS (20), BENCH_CONSOLE_VIEWPORT (1440x900), BENCH_CONSOLE_PROFILE (a .cpuprofile file to write).
 */
import { loadDistrictConfig, parseEnv } from '@app/config';
import { startCloudPatrol } from '@app/runtime';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { chromium } from 'playwright-core';
import { seedOpenCases as seed, seedEvent } from '../test/support/console-seed';

const ROOT = resolve(__dirname, '..');
const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
};
const CASES = num('BENCH_CONSOLE_CASES', 5000);
const RATE = num('BENCH_CONSOLE_RATE', 20);
const SECONDS = num('BENCH_CONSOLE_SECONDS', 20);
const OPENS = num('BENCH_CONSOLE_OPENS', 20);
const [VW, VH] = (process.env.BENCH_CONSOLE_VIEWPORT ?? '1440x900').split('x').map(Number);
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ADMIN = { username: 'admin', password: 'bench-admin-password-1' };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function main(): Promise<number> {
  const name = `cpb_console_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const env = parseEnv({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    CONFIG_DIR: join(ROOT, 'config/demo'),
  });
  const app = await startCloudPatrol('api', env, loadDistrictConfig(env.CONFIG_DIR, env.CALENDAR_DIR));
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
    headless: true,
  });
  try {
    // One event for the seeded cases to point at (the console never opens it).
    await seedEvent(db);
    const t0 = Date.now();
    const ids = await seed(db, CASES, 0, new Date(), false);
    log(`seeded ${ids.length} open cases in ${Date.now() - t0} ms`);

    const context = await browser.newContext({ viewport: { width: VW, height: VH }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${app.url}/#/login`);
    await page.getByLabel('用户名').fill(ADMIN.username);
    await page.getByLabel('密码').fill(ADMIN.password);
    const loadStart = Date.now();
    await page.getByRole('button', { name: '登录' }).click();
    await page.locator('.alert-row').first().waitFor({ timeout: 30_000 });
    await page.locator('#live-status.live-live').waitFor({ state: 'visible', timeout: 15_000 });
    log(`console shown ${Date.now() - loadStart} ms after sign-in; it says "${await page.locator('[data-count="total"]').textContent()}"`);

    // Record every frame and every long task from now on.
    await page.evaluate(() => {
      const w = globalThis as unknown as { __frames: number[]; __long: number[]; requestAnimationFrame: (cb: (t: number) => void) => number };
      w.__frames = [];
      w.__long = [];
      const tick = (t: number) => {
        w.__frames.push(t);
        w.requestAnimationFrame(tick);
      };
      w.requestAnimationFrame(tick);
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__long.push(e.duration);
      }).observe({ entryTypes: ['longtask' as never] });
    });

    // BENCH_CONSOLE_PROFILE=<file.cpuprofile>: a V8 CPU profile of the page while it streams (for DevTools).
    const profileTo = process.env.BENCH_CONSOLE_PROFILE;
    const cdp = profileTo ? await context.newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }

    // The stream: R alerts a second, one in five a new case.
    let sent = 0;
    let created = 0;
    let stop = false;
    const streaming = (async () => {
      const interval = 1000 / RATE;
      const start = Date.now();
      while (!stop) {
        const due = start + sent * interval;
        if (Date.now() < due) await sleep(due - Date.now());
        if (sent % 5 === 4) {
          const [id] = await seed(db, 1, CASES + created++, new Date(), true);
          await db.query(`SELECT pg_notify('cloudpatrol_alerts', $1)`, [JSON.stringify({ caseId: id, opened: true })]);
        } else {
          const id = ids[Math.floor(Math.random() * ids.length)];
          await db.query(`UPDATE cases SET occurrence_count = occurrence_count + 1, last_seen_at = now() WHERE id = $1`, [id]);
          await db.query(`SELECT pg_notify('cloudpatrol_alerts', $1)`, [JSON.stringify({ caseId: id, opened: false })]);
        }
        sent++;
      }
    })();

    // While it streams: scroll like a reader, and open cases from the list (click → the case in the review panel).
    const opens: number[] = [];
    const completes: number[] = [];
    const streamStart = Date.now();
    await sleep(1500);
    for (let i = 0; i < OPENS && Date.now() - streamStart < SECONDS * 1000 - 1500; i++) {
      await page.locator('.alert-scroll').evaluate((el, top) => ((el as unknown as { scrollTop: number }).scrollTop = top), (i % 5) * 700);
      await sleep(300);
      const [ms, complete] = await page.evaluate(
        () =>
          new Promise<[number, number]>((resolveOpen, reject) => {
            const d = (
              globalThis as unknown as {
                document: { querySelectorAll(s: string): ArrayLike<{ dataset: { id: string }; click(): void }>; querySelector(s: string): unknown };
              }
            ).document;
            const rows = d.querySelectorAll('.alert-scroll .alert-row');
            const row = rows[Math.floor(rows.length / 2)];
            const id = row.dataset.id;
            const start = performance.now();
            row.click();
            let shownAt = 0;
            const check = () => {
              if (!shownAt && d.querySelector(`.review-head[data-id="${id}"]`)) shownAt = performance.now() - start;
              if (d.querySelector(`.review-head[data-id="${id}"][data-complete="true"]`)) resolveOpen([shownAt, performance.now() - start]);
              else if (performance.now() - start > 15_000) reject(new Error('the case did not open in 15 s'));
              else setTimeout(check, 2);
            };
            check();
          }),
      );
      opens.push(ms);
      completes.push(complete);
      await sleep(Math.max(0, (SECONDS * 1000 - (Date.now() - streamStart)) / Math.max(1, OPENS - i)) - 300);
    }
    const rest = SECONDS * 1000 - (Date.now() - streamStart);
    if (rest > 0) await sleep(rest);
    stop = true;
    await streaming;
    const elapsed = (Date.now() - streamStart) / 1000;
    const { frames, long } = await page.evaluate(() => {
      const w = globalThis as unknown as { __frames: number[]; __long: number[] };
      return { frames: w.__frames, long: w.__long };
    });
    const gaps = frames.slice(1).map((t, i) => t - frames[i]);
    if (cdp && profileTo) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(profileTo, JSON.stringify(profile));
      log(`CPU profile of the page written to ${profileTo}`);
    }
    // The counts are fetched again 2 s after the last alert: read them once that has happened.
    await sleep(2500);
    const shown = await page.locator('[data-count="total"]').textContent();
    const expected = (
      await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE status IN ('detected','registered','dispatched','in_progress','reported')`)
    ).rows[0].n;
    const result = {
      cases: CASES,
      viewport: `${VW}x${VH}`,
      alertsSent: sent,
      alertsPerSecond: +(sent / elapsed).toFixed(1),
      seconds: +elapsed.toFixed(1),
      framesPerSecond: +(frames.length / elapsed).toFixed(1),
      frameMs: { p50: +pct(gaps, 50).toFixed(1), p95: +pct(gaps, 95).toFixed(1), max: +Math.max(...gaps).toFixed(1) },
      longTasks: { count: long.length, totalMs: Math.round(long.reduce((a, b) => a + b, 0)), maxMs: Math.round(Math.max(0, ...long)) },
      openCaseMs: { n: opens.length, p50: Math.round(pct(opens, 50)), p95: Math.round(pct(opens, 95)), max: Math.round(Math.max(...opens)) },
      openCaseWithEvidenceMs: { p50: Math.round(pct(completes, 50)), p95: Math.round(pct(completes, 95)), max: Math.round(Math.max(...completes)) },
      countShown: shown,
      openCasesInDatabase: expected,
      pageErrors: problems,
    };
    log(`result ${JSON.stringify(result, null, 2)}`);
    process.stdout.write(
      `\nConsole with ${CASES} open cases, ${result.alertsPerSecond} alerts/s for ${result.seconds} s, ${result.viewport}, Debian Chromium (headless):\n` +
        `  frames: ${result.framesPerSecond}/s, p50 ${result.frameMs.p50} ms, p95 ${result.frameMs.p95} ms, max ${result.frameMs.max} ms\n` +
        `  long tasks: ${result.longTasks.count} (${result.longTasks.totalMs} ms in all, longest ${result.longTasks.maxMs} ms)\n` +
        `  opening a case (click → the case and its actions in the review panel): p50 ${result.openCaseMs.p50} ms, p95 ${result.openCaseMs.p95} ms, max ${result.openCaseMs.max} ms (${result.openCaseMs.n} opens)\n` +
        `  … with its fresh state and evidence from the server: p50 ${result.openCaseWithEvidenceMs.p50} ms, p95 ${result.openCaseWithEvidenceMs.p95} ms, max ${result.openCaseWithEvidenceMs.max} ms\n` +
        `  count shown: "${shown}" (open cases in the database: ${expected})\n` +
        `  machine: ${cpus().length} cores, load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' / ')} at the end (other work on the machine slows the page too)\n`,
    );
    return problems.length ? 1 : 0;
  } finally {
    await browser.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    await app.stop().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
