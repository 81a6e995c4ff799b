import type { Page } from 'playwright-core';
import request from 'supertest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDronePhoto } from '../fixtures/photo-fixtures';
import { launchBrowser, PHONE, signIn, type BrowserSession } from '../support/browser';
import { startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(180_000);

const PILOT = { username: 'pilot-chen', password: 'pilot-password-1', role: 'pilot', displayName: '飞手 陈飞' };
const FLIGHT = 'FLIGHT-E2E-001';
const PHOTOS = 50;
const ALREADY_STORED = 5;

/**
 * A TCP proxy in front of the app that cuts the connection half-way through the body of the `cutAt`-th
 * photo upload request (a dropped mobile connection mid-batch). Chromium silently resends a request
 * whose reused connection broke; that resend (arriving at once) is cut too, so the page sees the failure.
 * Records each upload request's body size, and which were cut.
 */
async function flakyProxy(target: number, cutAt: number): Promise<{ url: string; uploads: number[]; cut: number[]; close(): Promise<void> }> {
  const marker = `POST /api/v1/flights/${FLIGHT}/photos HTTP/1.1`;
  const uploads: number[] = [];
  const cut: number[] = [];
  let lastCut = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ port: target, host: '127.0.0.1' });
    sockets.add(client).add(upstream);
    let text = '';
    let cutting: { length: number; seen: number } | null = null;
    client.on('data', (chunk: Buffer) => {
      if (cutting) return forwardCut(chunk);
      text = text.slice(-1024) + chunk.toString('latin1');
      const at = text.lastIndexOf(marker);
      const headerEnd = at >= 0 ? text.indexOf('\r\n\r\n', at) : -1;
      if (at >= 0 && headerEnd >= 0) {
        const length = Number(/content-length: *(\d+)/i.exec(text.slice(at, headerEnd))?.[1] ?? 0);
        uploads.push(length);
        const bodyInChunk = text.length - (headerEnd + 4);
        text = '';
        const resend = lastCut > 0 && Date.now() - lastCut < 500;
        if ((uploads.length === cutAt || resend) && bodyInChunk <= chunk.length) {
          cut.push(uploads.length - 1);
          // Forward the headers and half of the body, then drop both sides.
          cutting = { length, seen: 0 };
          const head = chunk.subarray(0, chunk.length - bodyInChunk);
          upstream.write(head);
          return forwardCut(chunk.subarray(chunk.length - bodyInChunk));
        }
      }
      upstream.write(chunk);
    });
    const forwardCut = (chunk: Buffer) => {
      const c = cutting!;
      const room = Math.floor(c.length / 2) - c.seen;
      if (room > 0) upstream.write(chunk.subarray(0, room));
      c.seen += Math.min(room, chunk.length);
      if (c.seen >= Math.floor(c.length / 2)) {
        lastCut = Date.now();
        upstream.destroy();
        client.destroy();
      }
    };
    upstream.on('data', (d) => client.write(d));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    uploads,
    cut,
    close: () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  };
}

/**
 * The pilot upload page in real Chromium: a folder of 50 photos (5 already on the server, one non-photo
 * file), fingerprinted in the browser, checked first, uploaded in batches of 20 with a progress bar each;
 * the second batch's connection drops after the server stored it, and the page carries on by itself
 * without sending those photos again.
 */
describe('browser: pilot upload page', () => {
  let app: TestApp;
  let browser: BrowserSession;
  let page: Page;
  let folder: string;
  let closeProxy: (() => Promise<void>) | undefined;
  const shas: string[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await app.token();
    await request(app.url).post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send(PILOT).expect(201);
    folder = mkdtempSync(join(tmpdir(), 'cloudpatrol-flight-'));
    const dir = join(folder, FLIGHT);
    mkdirSync(dir);
    for (let i = 0; i < PHOTOS; i++) {
      const photo = await makeDronePhoto({
        width: 320,
        height: 240,
        seed: 1000 + i,
        dji: { latitude: 23.11 + i * 0.0004, longitude: 113.245 + i * 0.0003, absoluteAltitude: 80, relativeAltitude: 60, gimbalYaw: 10, gimbalPitch: -90 },
        takenAt: `2026:11:28 10:${String(i).padStart(2, '0')}:00`,
      });
      writeFileSync(join(dir, `DJI_${String(i + 1).padStart(4, '0')}.JPG`), photo);
      shas.push(createHash('sha256').update(photo).digest('hex'));
    }
    writeFileSync(join(dir, 'flight-notes.txt'), 'SYNTHETIC flight notes');
    // A few were uploaded before (an earlier, interrupted session).
    const login = await request(app.url).post('/api/v1/auth/login').send({ username: PILOT.username, password: PILOT.password }).expect(200);
    const token = (login.body as { accessToken: string }).accessToken;
    const earlier = request(app.url).post(`/api/v1/flights/${FLIGHT}/photos`).set('Authorization', `Bearer ${token}`).field('deviceId', 'DRONE-01');
    for (let i = 0; i < ALREADY_STORED; i++) earlier.attach('photo', join(dir, `DJI_${String(i + 1).padStart(4, '0')}.JPG`));
    await earlier.expect(200);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await closeProxy?.();
    await app?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('uploads only the missing photos in batches and resumes by itself after a dropped connection', async () => {
    page = await browser.newPage('pilot');
    // The browser talks to the app through a proxy that drops the second upload half-way through.
    const proxy = await flakyProxy(Number(new URL(app.url).port), 2);
    closeProxy = proxy.close;
    const checks: number[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/photos/check')) checks.push(Date.now());
    });

    await signIn(page, proxy.url, PILOT.username, PILOT.password);
    await page.getByRole('heading', { name: '航拍照片上传' }).waitFor();
    await page.getByLabel('飞行编号').fill(FLIGHT);
    await page.getByLabel('无人机编号').fill('DRONE-01');
    await page.getByLabel('照片文件夹').setInputFiles(join(folder, FLIGHT));
    await page.getByRole('row', { name: /flight-notes\.txt .* 不是照片，已跳过/ }).waitFor();
    // What the status line said, as it said it (the retry notice shows for a second or so).
    await page.evaluate(
      `(() => { window.statusLog = []; const el = document.querySelector('.upload-status'); new MutationObserver(() => window.statusLog.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true }); })()`,
    );
    const started = Date.now();
    await page.getByRole('button', { name: '开始上传' }).click();
    await page.getByText(/完成：新存储 \d+，重复 \d+，已在服务器 \d+，被拒绝 0/).waitFor({ timeout: 90_000 });
    const elapsed = Date.now() - started;
    const said = await page.evaluate<string[]>('window.statusLog');
    expect(said).toContainEqual(expect.stringMatching(/^连接中断，\d+ 秒后自动重试/));

    // 45 missing after the check: batches of 20, 20 and 5. The second is cut half-way; the page waits,
    // asks the server again and sends only the photos that had not arrived.
    expect(await page.locator('.batch').count()).toBe(3);
    expect(await page.locator('.batch-done').count()).toBe(3);
    const sent = proxy.uploads.filter((_, i) => !proxy.cut.includes(i) || i === proxy.cut[0]);
    expect(sent).toHaveLength(4);
    expect(sent[2]).toBeLessThan(sent[1]);
    expect(checks.length).toBeGreaterThanOrEqual(2);
    // The server may still be storing the cut request's photos when the page asks again: one that lands
    // in between is sent once more and answered "duplicate" (stored once, never lost).
    const stored = await page.locator('tr.st-stored').count();
    const skipped = await page.locator('tr.st-skipped').count();
    const duplicate = await page.locator('tr.st-duplicate').count();
    expect(stored + skipped + duplicate).toBe(PHOTOS);
    expect(skipped).toBeGreaterThan(ALREADY_STORED);
    await page.getByText(`完成：新存储 ${stored}，重复 ${duplicate}，已在服务器 ${skipped}，被拒绝 0`).waitFor();
    expect(await page.locator('tr.st-notImage').count()).toBe(1);
    console.log(
      `upload requests (body bytes): ${proxy.uploads.join(', ')}, cut: #${proxy.cut.map((i) => i + 1).join(', #')}; stored ${stored}, duplicates ${duplicate}, already on the server ${skipped}; ${elapsed} ms`,
    );

    const token = (
      (await request(app.url).post('/api/v1/auth/login').send({ username: PILOT.username, password: PILOT.password }).expect(200)).body as {
        accessToken: string;
      }
    ).accessToken;
    const catalogued = (await request(app.url).get(`/api/v1/flights/${FLIGHT}/photos`).set('Authorization', `Bearer ${token}`).expect(200)).body as {
      sha256: string;
    }[];
    expect(new Set(catalogued.map((p) => p.sha256))).toEqual(new Set(shas));

    await page.locator('h2', { hasText: '总进度' }).scrollIntoViewIfNeeded();
    await browser.screenshot(page, 'upload-1366x768.png');
    await page.setViewportSize(PHONE);
    await browser.screenshot(page, 'upload-390x844.png');
    expect(browser.problems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
  });
});
