import { connectAsync, type MqttClient } from 'mqtt';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import request from 'supertest';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hikAlert } from '../fixtures/payloads/hikvision-isapi.fixtures';
import { aerialScene } from '../fixtures/photo-fixtures';
import { launchBrowser, SCREENSHOT_DIR, signIn, waitForLive, type BrowserSession } from '../support/browser';
import { startFrigateApiStandIn, type FrigateApiStandIn } from '../support/frigate-api-stand-in';
import { frigateTrack } from '../support/frigate-stream';
import { readServices } from '../support/services';
import { eventually, startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(180_000);

const OPERATOR = { username: 'evidence-operator', password: 'operator-password-1', role: 'operator', displayName: '值班员 陈静' };

interface CaseView {
  id: string;
  caseNumber: string;
  deviceId: string;
}

interface EvidenceItem {
  key: string;
  kind: string;
  status: string;
  sha256: string | null;
  capturedAt: string | null;
  origin?: string;
  quality?: { verdict: string };
}
interface DwellEnd {
  eventId: string;
  at: string;
  image: EvidenceItem | null;
}
interface EvidenceView {
  completeness: { complete: boolean; pictures: { present: number; pending: number; missing: number }; problems: string[] };
  dwell: null | { seconds: number; first: DwellEnd; last: DwellEnd; sample: DwellEnd[] };
  items: EvidenceItem[];
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A camera frame (SYNTHETIC): a textured street scene with a car boxed and the camera's caption. */
async function cameraFrame(caption: string, seed: number, { dark = false } = {}): Promise<Buffer> {
  const width = 1280;
  const height = 720;
  const overlay = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect x="470" y="380" width="340" height="150" rx="30" fill="#c0392b"/><rect x="520" y="330" width="230" height="80" rx="20" fill="#a93226"/>
    <circle cx="540" cy="530" r="34" fill="#1c1c1c"/><circle cx="740" cy="530" r="34" fill="#1c1c1c"/>
    <rect x="450" y="310" width="380" height="270" fill="none" stroke="#ffe600" stroke-width="6"/>
    <text x="456" y="302" font-size="30" fill="#ffe600" font-family="DejaVu Sans">car 0.91</text>
    <rect x="0" y="0" width="${width}" height="60" fill="#000" fill-opacity="0.55"/>
    <text x="24" y="42" font-size="30" fill="#fff" font-family="DejaVu Sans">${caption}  SYNTHETIC</text></svg>`;
  const frame = await sharp(aerialScene(width, height, seed), { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(overlay) }])
    .jpeg({ quality: 88 })
    .toBuffer();
  // A night frame without light: the quality gate calls it too dark (it is still kept, with the warning).
  return dark ? sharp(frame).linear(0.08, 0).jpeg({ quality: 88 }).toBuffer() : frame;
}

/** Local wall-clock time of an instant in the district (UTC+8), to the second, as the page shows it. */
const clockAt = (iso: string) => new Date(new Date(iso).getTime() + 8 * 3_600_000).toISOString().slice(11, 19);

/**
 * A screenshot of one panel, whole: in a viewport tall enough that the page's sticky top bar covers none of it.
 * Answers its path, after checking the file is there and not empty.
 */
async function panelScreenshot(page: Page, panel: Locator, file: string): Promise<string> {
  const viewport = page.viewportSize() ?? { width: 1366, height: 768 };
  await page.setViewportSize({ width: viewport.width, height: 2000 });
  await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
  const path = join(SCREENSHOT_DIR, file);
  await panel.screenshot({ path });
  await page.setViewportSize(viewport);
  expect(existsSync(path) && statSync(path).size).toBeGreaterThan(0);
  return path;
}

/** The width of the picture an <img> shows once loaded (0 if it never loads within 15 s). */
async function naturalWidth(img: Locator): Promise<number> {
  const loaded = (el: unknown) => (el as { naturalWidth: number }).naturalWidth;
  await img
    .page()
    .waitForFunction((el) => (el as unknown as { naturalWidth: number }).naturalWidth > 0, await img.elementHandle(), { timeout: 15_000 })
    .catch(() => undefined);
  return img.evaluate(loaded);
}

/**
 * The pictures of camera cases in the browser, from the product's own paths: a Hikvision multipart alarm with its
 * JPEG parts, and a car parked 11 minutes seen by Frigate (MQTT `frigate/events`) whose snapshots CloudPatrol
 * fetches from the NVR's Frigate API. The operator sees each picture with its time, origin, quality and hash,
 * the completeness line, and for the dwell its first and last picture side by side with the time between.
 * Screenshots go to test-artifacts/screenshots/.
 */
describe('browser: the pictures of a camera case', () => {
  let app: TestApp;
  let mqtt: MqttClient;
  let browser: BrowserSession;
  let page: Page;
  let frigate: FrigateApiStandIn;
  let token: string;

  const api = (path: string) => request(app.url).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`);
  const caseOf = (deviceId: string) =>
    eventually(
      `a case of ${deviceId}`,
      async () => ((await api('/cases?limit=100').expect(200)).body as { items: CaseView[] }).items.find((c) => c.deviceId === deviceId),
      30_000,
    );
  const evidenceOf = async (caseId: string) => (await api(`/cases/${caseId}/evidence`).expect(200)).body as EvidenceView;

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await app.token();
    await request(app.url).post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send(OPERATOR).expect(201);
    token = (
      (await request(app.url).post('/api/v1/auth/login').send({ username: OPERATOR.username, password: OPERATOR.password }).expect(200)).body as {
        accessToken: string;
      }
    ).accessToken;
    frigate = await startFrigateApiStandIn({ width: 1280, height: 720 });
    // The NVR's Frigate API, where its cameras' snapshots are fetched from.
    await request(app.url).patch('/api/v1/devices/DEMO-NVR-01').set('Authorization', `Bearer ${admin}`).send({ apiUrl: frigate.url }).expect(200);
    mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    browser = await launchBrowser();
    page = await browser.newPage('operator');
    await signIn(page, app.url, OPERATOR.username, OPERATOR.password);
  });

  afterAll(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await frigate?.stop();
    await app?.stop();
  });

  it('shows the JPEG parts of a Hikvision alarm with their time, origin, quality warning, SHA-256 and seal, under the completeness line', async () => {
    // Now, on the camera's clock (UTC+8), to the second.
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const local = new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 19);
    const scene = await cameraFrame(`HIK-GATE-01  ${local}`, 7);
    const plate = await cameraFrame(`HIK-GATE-01  plate  ${local}`, 8, { dark: true });
    const boundary = 'MIME_boundary';
    const alarm = hikAlert(
      { macAddress: '44:19:b6:00:00:01', channelID: '1', dateTime: `${local}+08:00` },
      '  <AID><illegalTrafficEvent>illegalParking</illegalTrafficEvent><PlateInfo><plate>粤A7E2K9</plate><confidenceLevel>95</confidenceLevel></PlateInfo></AID>\n',
    );
    const part = (name: string, bytes: Buffer) =>
      Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
        bytes,
        Buffer.from('\r\n'),
      ]);
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="AID"\r\nContent-Type: application/xml\r\n\r\n${alarm}\r\n`),
      part('detectionPicture', scene),
      part('licensePlatePicture', plate),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const basic = `Basic ${Buffer.from('HIK-GATE-01:cloudpatrol-demo').toString('base64')}`;
    const pushed = await request(app.url)
      .post('/api/v1/ingest/hikvision')
      .set('Authorization', basic)
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(body)
      .expect(200);
    expect(pushed.body).toMatchObject({ status: 'stored' });

    const c = await caseOf('HIK-GATE-01');
    await page.goto(`${app.url}/#/cases/${c.id}`);
    await page.getByRole('heading', { name: new RegExp(`案卷 ${c.caseNumber}`) }).waitFor();
    const panel = page.locator('section.panel', { has: page.getByRole('heading', { name: '证据', exact: true }) });

    // Both pictures, loaded through the case's picture URLs, each named by the SHA-256 of the bytes the camera sent.
    for (const bytes of [scene, plate]) {
      const card = panel.locator('.evidence-pictures figure.picture', { has: page.locator(`code.sha[title="${sha256(bytes)}"]`) });
      await card.waitFor({ timeout: 30_000 });
      const img = card.locator('.thumb.loaded img[src^="blob:"]');
      await img.waitFor({ timeout: 30_000 });
      expect(await naturalWidth(img)).toBeGreaterThan(0);
      await expect(img.getAttribute('alt')).resolves.toContain('海康告警附图');
      await card.getByText('海康告警附图').waitFor();
      // Its capture time is the alarm's, to the second.
      await card.locator('.picture-time time').getByText(clockAt(at.toISOString())).waitFor();
      await card.locator('.sealed.ok', { hasText: '已封存' }).waitFor({ timeout: 30_000 });
    }
    // The dark plate picture carries a visible warning; the scene passes.
    const darkCard = panel.locator('figure.picture', { has: page.locator(`code.sha[title="${sha256(plate)}"]`) });
    await darkCard.locator('.quality-warn', { hasText: '⚠ 画面过暗' }).waitFor();
    await panel
      .locator('figure.picture', { has: page.locator(`code.sha[title="${sha256(scene)}"]`) })
      .locator('.quality', { hasText: '画质正常' })
      .waitFor();

    // The completeness line at the top: what the evidence view says, in the page's words.
    const view = await evidenceOf(c.id);
    expect(view.completeness.pictures).toEqual({ present: 2, pending: 0, missing: 0 });
    const summary = panel.locator('.evidence-summary');
    await summary.getByText('图片：2 张已取得 · 0 张获取中 · 0 张缺失').waitFor();
    await summary.getByText('画质：存疑').waitFor();
    expect(view.completeness.complete).toBe(false);
    await summary.getByText('⚠ 证据不完整').waitFor();
    await expect(summary.locator('.evidence-problems li').count()).resolves.toBe(view.completeness.problems.length);
    await summary.locator('.evidence-problems li', { hasText: '画质存疑' }).waitFor();
    expect(await panel.locator('.evidence-summary').evaluate((el) => el === el.parentElement?.firstElementChild)).toBe(true);

    await panelScreenshot(page, panel, 'case-evidence-hikvision-panel.png');
  });

  it("shows a parked car's first and last picture side by side with their times and the 11 minutes between, also in the console", async () => {
    // A car stationary 11 minutes in Yunxi Road's no-parking zone, one Frigate update a minute, ending now.
    const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 11 * 60_000);
    const trackId = `${Math.floor(start.getTime() / 1000)}.5-parked`;
    const stream = frigateTrack({
      id: trackId,
      camera: 'yunxi_rd_east',
      label: 'car',
      plate: '粤A3K7Q1',
      zones: ['no_parking'],
      start,
      minutes: 11,
      stepSeconds: 60,
    });
    for (const m of stream) await mqtt.publishAsync('frigate/events', m, { qos: 1 });

    const c = await caseOf('CAM-PARK-01');
    // The proof needs both ends' pictures: fetched from the stand-in Frigate API by CloudPatrol. Every other
    // update's picture settled too, so the count the page shows is the one read here.
    const view = await eventually(
      'the first and last pictures of the dwell, and no picture still being fetched',
      async () => {
        const v = await evidenceOf(c.id);
        const ends = v.dwell?.first.image?.status === 'present' && v.dwell.last.image?.status === 'present';
        return ends && v.completeness.pictures.pending === 0 ? v : undefined;
      },
      60_000,
    );
    const dwell = view.dwell!;
    // Both are pictures the NVR's Frigate API served for this car's track.
    expect(frigate.served.get(dwell.first.image!.sha256!)).toBe(trackId);
    expect(frigate.served.get(dwell.last.image!.sha256!)).toBe(trackId);
    expect(dwell.first.image!.sha256).not.toBe(dwell.last.image!.sha256);
    expect(dwell.seconds).toBe(11 * 60);
    expect(dwell.first.at).toBe(start.toISOString());

    await page.goto(`${app.url}/#/cases/${c.id}`);
    await page.getByRole('heading', { name: new RegExp(`案卷 ${c.caseNumber}`) }).waitFor();
    const panel = page.locator('section.panel', { has: page.getByRole('heading', { name: '证据', exact: true }) });
    const proof = panel.locator('.dwell-proof');
    await proof.getByRole('heading', { name: '停留证明' }).waitFor();
    const first = proof.locator('.dwell-first');
    const last = proof.locator('.dwell-last');
    for (const [end, at, name] of [
      [first, dwell.first.at, '首张'],
      [last, dwell.last.at, '末张'],
    ] as const) {
      const img = end.locator('.thumb.loaded img[src^="blob:"]');
      await img.waitFor({ timeout: 30_000 });
      expect(await naturalWidth(img)).toBeGreaterThan(0);
      await end.getByText(name, { exact: true }).waitFor();
      await end.getByText('Frigate 接口').waitFor();
      const image = (end === first ? dwell.first : dwell.last).image!;
      await end.locator(`code.sha[title="${image.sha256}"]`).waitFor();
      await end
        .locator('.picture-time time')
        .getByText(clockAt(image.capturedAt ?? at))
        .waitFor();
      // Sealed by the worker after the page opened: the panel asks again until it is.
      await end.locator('.sealed.ok', { hasText: '已封存' }).waitFor({ timeout: 30_000 });
    }
    await proof.locator('.dwell-duration', { hasText: '停留 11 分钟' }).waitFor();
    await proof
      .locator('.dwell-span')
      .getByText(`${clockAt(dwell.first.at)} – ${clockAt(dwell.last.at)}`)
      .waitFor();
    // Side by side: the last to the right of the first, on the same line, the duration between them.
    const [a, b, span] = await Promise.all([first.boundingBox(), last.boundingBox(), proof.locator('.dwell-span').boundingBox()]);
    expect(a && b && span).toBeTruthy();
    expect(a!.x + a!.width).toBeLessThanOrEqual(span!.x + 1);
    expect(span!.x + span!.width).toBeLessThanOrEqual(b!.x + 1);
    expect(Math.abs(a!.y - b!.y)).toBeLessThan(2);
    if (dwell.sample.length > 0) await expect(proof.locator('.dwell-strip li').count()).resolves.toBe(dwell.sample.length);
    await panel.locator('.evidence-summary').getByText(`图片：${view.completeness.pictures.present} 张已取得`, { exact: false }).first().waitFor();

    await panelScreenshot(page, panel, 'case-evidence-dwell-panel.png');
    await proof.scrollIntoViewIfNeeded();
    const pageShot = await browser.screenshot(page, 'case-evidence-dwell-1366x768.png');
    expect(existsSync(pageShot) && statSync(pageShot).size).toBeGreaterThan(0);

    // Keyboard: the first picture opens zoomed with Enter, zooms with +, closes with Escape.
    await first.locator('button.thumb').focus();
    await page.keyboard.press('Enter');
    const dialog = page.locator('dialog.zoom');
    const zoomed = dialog.locator('img[src^="blob:"]');
    await zoomed.waitFor();
    expect(await naturalWidth(zoomed)).toBeGreaterThan(0);
    await page.keyboard.press('+');
    await expect(zoomed.evaluate((el) => (el as unknown as { style: { width: string } }).style.width)).resolves.toBe('150%');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // In English too.
    await page.getByRole('button', { name: 'English' }).click();
    await page.locator('.dwell-duration', { hasText: 'stood 11 min' }).waitFor();
    await page.locator('.dwell-first').getByText('First', { exact: true }).waitFor();
    await page.locator('.dwell-last').getByText('Frigate API').waitFor();
    await page.getByRole('button', { name: '中文' }).click();
    await page.locator('.dwell-duration', { hasText: '停留 11 分钟' }).waitFor();

    // The console's review panel shows the same pair.
    await page.goto(`${app.url}/#/console`);
    await waitForLive(page);
    await page.locator('.alert-row', { hasText: c.caseNumber }).click();
    const review = page.locator('.review');
    for (const end of [review.locator('.dwell-first'), review.locator('.dwell-last')]) {
      const img = end.locator('.thumb.loaded img[src^="blob:"]');
      await img.waitFor({ timeout: 30_000 });
      expect(await naturalWidth(img)).toBeGreaterThan(0);
    }
    await review.locator('.dwell-duration', { hasText: '停留 11 分钟' }).waitFor();
    await review.locator('.evidence-summary').waitFor();
    await panelScreenshot(page, page.locator('.review-panel'), 'console-evidence-dwell-review.png');
  });

  it('raised no script error or content-security-policy violation', () => {
    expect(browser.problems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
  });
});
