import { connectAsync, type MqttClient } from 'mqtt';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import request from 'supertest';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dmsRationals, makeDronePhoto } from '../fixtures/photo-fixtures';
import { launchBrowser, PHONE, SCREENSHOT_DIR, signIn, waitForLive, type BrowserSession } from '../support/browser';
import { readServices } from '../support/services';
import { eventually, startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(120_000);

const YUNXI = '449901001'; // DEMO-CAM-01's township: the garbage case goes to township-team:449901001
const FENGLIN = '449901002';
const USERS = {
  operator: { username: 'duty-operator', password: 'operator-password-1', role: 'operator', displayName: '值班员 王敏' },
  yunxi: { username: 'yunxi-officer', password: 'officer-password-1', role: 'township_officer', displayName: '云溪执法队 李强', townshipCode: YUNXI },
  fenglin: { username: 'fenglin-officer', password: 'officer-password-2', role: 'township_officer', displayName: '枫林执法队 赵磊', townshipCode: FENGLIN },
};

interface CaseView {
  id: string;
  caseNumber: string;
  status: string;
  handlingUnit: string | null;
  occurrenceCount: number;
  loop: { afterPhotos: string[]; resultNote: string | null; closedAt: string | null };
}

/** A camera snapshot (SYNTHETIC) with a GPS tag in Yunxi, so the township's officers may view it too. */
async function snapshot(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="720">
    <rect width="1280" height="720" fill="#8fa9bd"/><rect y="420" width="1280" height="300" fill="#6e6e6e"/>
    <rect x="80" y="180" width="360" height="240" fill="#b9a58a"/><rect x="840" y="160" width="340" height="260" fill="#a9b7a0"/>
    <ellipse cx="640" cy="540" rx="250" ry="80" fill="#4a3b2a"/><rect x="540" y="470" width="80" height="60" fill="#2f4f2f"/>
    <rect x="660" y="480" width="120" height="50" fill="#c9b458"/><rect x="380" y="445" width="520" height="180" fill="none" stroke="#ff3030" stroke-width="6"/>
    <text x="386" y="438" font-size="30" fill="#ff3030" font-family="DejaVu Sans">garbage 0.93</text>
    <text x="30" y="50" font-size="30" fill="#fff" font-family="DejaVu Sans">DEMO-CAM-01  SYNTHETIC</text></svg>`;
  // Rendered at twice the drawing's size (2560 × 1440): the preview is a third of it (853 px, from the ½ decode), zooming in shows the original.
  return sharp(Buffer.from(svg), { density: 144 })
    .jpeg({ quality: 85 })
    .withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: dmsRationals(23.105), GPSLongitudeRef: 'E', GPSLongitude: dmsRationals(113.255) } })
    .toBuffer();
}

/** The width of the picture an <img> shows, once it is `expected` or after 10 s. */
async function naturalWidthOf(img: Locator, expected: number): Promise<number> {
  const until = Date.now() + 10_000;
  for (;;) {
    const width = await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth);
    if (width === expected || Date.now() > until) return width;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The acceptance walk of the browser app in real Chromium: an event published on MQTT appears on the
 * operator's open console within 2 seconds, the operator registers and dispatches it, the Yunxi team
 * accepts it and reports back with a photo, the operator verifies and closes it, and Fenglin's officer
 * never sees it. Screenshots go to test-artifacts/screenshots/.
 */
describe('browser: operator console and township workspace', () => {
  let app: TestApp;
  let mqtt: MqttClient;
  let browser: BrowserSession;
  let operator: Page;
  let yunxi: Page;
  let fenglin: Page;
  let caseId: string;
  let caseNumber: string;
  const timings: Record<string, number> = {};

  const tokens = new Map<string, string>();
  /** The API as `user` (to check what the pages show against what is stored). */
  const api = (path: string, user: { username: string } = USERS.operator) =>
    request(app.url)
      .get(`/api/v1${path}`)
      .set('Authorization', `Bearer ${tokens.get(user.username)}`);

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await app.token();
    for (const u of Object.values(USERS)) {
      await request(app.url).post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send(u).expect(201);
      const login = await request(app.url).post('/api/v1/auth/login').send({ username: u.username, password: u.password }).expect(200);
      tokens.set(u.username, (login.body as { accessToken: string }).accessToken);
    }
    mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    writeFileSync(join(SCREENSHOT_DIR, 'timings.json'), JSON.stringify(timings, null, 2));
    await browser?.close();
    await mqtt?.endAsync();
    await app?.stop();
  });

  it('serves the app at / with a strict content security policy', async () => {
    const res = await request(app.url).get('/').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(res.text).not.toMatch(/<script>(?!<\/script>)/);
    await request(app.url)
      .get('/app.js')
      .expect(200)
      .expect('content-type', /javascript/);
  });

  it('shows an MQTT event on the open operator console within 2 seconds, without a reload, as one case however often it is seen', async () => {
    // The officer of another township watches from the start: the case must never reach that page.
    fenglin = await browser.newPage('fenglin');
    await signIn(fenglin, app.url, USERS.fenglin.username, USERS.fenglin.password);
    await fenglin.getByRole('heading', { name: '枫林镇 执法队工作台' }).waitFor();
    await waitForLive(fenglin);

    operator = await browser.newPage('operator');
    await signIn(operator, app.url, USERS.operator.username, USERS.operator.password);
    await operator.getByRole('heading', { name: '告警列表' }).waitFor();
    await waitForLive(operator);
    await operator.evaluate('window.notReloaded = true');

    // The camera publishes the picture of its event on the event's own snapshot topic (CloudPatrol's format).
    const photo = await snapshot();
    const pictureTopic = 'cloudpatrol/v1/devices/DEMO-CAM-01/events/browser-e-1/snapshot';
    await mqtt.publishAsync(pictureTopic, photo, { qos: 1 });

    const published = Date.now();
    await mqtt.publishAsync(
      'cloudpatrol/v1/devices/DEMO-CAM-01/events',
      JSON.stringify({
        eventId: 'browser-e-1',
        deviceId: 'DEMO-CAM-01',
        occurredAt: new Date().toISOString(),
        detections: [{ label: 'garbage', confidence: 0.93 }],
        media: [{ kind: 'snapshot', uri: pictureTopic }],
      }),
      { qos: 1 },
    );
    const row = operator.locator('.alert-row', { hasText: '暴露垃圾' });
    await row.waitFor({ timeout: 10_000 });
    timings.mqttToScreenMs = Date.now() - published;
    expect(timings.mqttToScreenMs).toBeLessThan(2000);
    await expect(row.textContent()).resolves.toContain('云溪街道');
    expect(await operator.evaluate('window.notReloaded')).toBe(true);

    const list = (await api('/cases').expect(200)).body as { items: CaseView[] };
    expect(list.items).toHaveLength(1);
    ({ id: caseId, caseNumber } = list.items[0]);
    await expect(row.textContent()).resolves.toContain(caseNumber);

    // The same camera sees it again: still one row, now with a count (no alert storm).
    await mqtt.publishAsync(
      'cloudpatrol/v1/devices/DEMO-CAM-01/events',
      JSON.stringify({
        eventId: 'browser-e-2',
        deviceId: 'DEMO-CAM-01',
        occurredAt: new Date().toISOString(),
        detections: [{ label: 'garbage', confidence: 0.9 }],
      }),
      { qos: 1 },
    );
    await row.locator('.count', { hasText: '×2' }).waitFor({ timeout: 5000 });
    expect(await operator.locator('.alert-row', { hasText: '暴露垃圾' }).count()).toBe(1);

    // A high-severity detection (smoke, critical) raises the banner cue.
    await mqtt.publishAsync(
      'cloudpatrol/v1/devices/CAM-MARKET-01/events',
      JSON.stringify({
        eventId: 'browser-smoke-1',
        deviceId: 'CAM-MARKET-01',
        occurredAt: new Date().toISOString(),
        detections: [{ label: 'smoke', confidence: 0.88 }],
      }),
      { qos: 1 },
    );
    await operator.getByRole('alert').filter({ hasText: '高危告警：火情烟雾' }).waitFor({ timeout: 5000 });
    await operator.getByRole('button', { name: '关闭' }).click();
  });

  it('lets the operator review the evidence and register and dispatch the case in one click', async () => {
    await operator.locator('.alert-row', { hasText: caseNumber }).click();
    const panel = operator.locator('.review');
    await panel.getByRole('heading', { name: /暴露垃圾/ }).waitFor();
    // Evidence image (fetched with the token, shown as blob:), the rule explanation, the device's review status.
    await panel.locator('.thumb.loaded img[src^="blob:"]').first().waitFor();
    await panel.getByText('garbage-exposed v1').waitFor();
    await panel.getByText('93% (阈值 50%)').waitFor();
    await panel.getByText('可作处罚证据（行政处罚法第四十一条）').waitFor();
    await browser.screenshot(operator, 'console-review-1366x768.png');

    // Dispatch stays in the case's township (issue 17): its own team is offered, no other township's team.
    const offered: string[] = [];
    for (const option of await panel.locator('select[name="unit"] option').all()) offered.push((await option.getAttribute('value')) ?? '');
    expect(offered).toContain(`township-team:${YUNXI}`);
    expect(offered.filter((code) => code.startsWith('township-team:') && code !== `township-team:${YUNXI}`)).toEqual([]);

    const started = Date.now();
    await panel.getByRole('button', { name: '登记并派遣' }).click();
    await panel.locator('.badge.status', { hasText: '已派遣' }).waitFor();
    timings.registerAndDispatchMs = Date.now() - started;
    const c = (await api(`/cases/${caseId}`).expect(200)).body as CaseView;
    expect(c.status).toBe('dispatched');
    expect(c.handlingUnit).toBe(`township-team:${YUNXI}`);

    // The smoke detection was a false positive: reject it with a reason in two clicks.
    await operator.locator('.alert-row', { hasText: '火情烟雾' }).click();
    await panel.getByRole('heading', { name: /火情烟雾/ }).waitFor();
    await panel.getByText('驳回…').click();
    await panel.getByRole('button', { name: '误报：画面中没有该问题' }).click();
    await panel.locator('.badge.status', { hasText: '已驳回' }).waitFor();
    // Rejected, it is no longer open: it leaves the list (filtered to open cases), and the open case stays listed.
    // (It once stayed, and the next count, one lower, cut the garbage case off the end of the list instead.)
    await operator.locator('.alert-row', { hasText: '火情烟雾' }).waitFor({ state: 'detached' });
    await operator.locator('[data-count="total"]', { hasText: '共 1 件' }).waitFor();
    await operator.locator('.alert-row', { hasText: caseNumber }).click();
    await panel.getByRole('heading', { name: /暴露垃圾/ }).waitFor();

    // The zoom dialog opens on the evidence image.
    await panel.locator('.thumb.loaded').first().click();
    const dialog = operator.locator('dialog.zoom');
    await dialog.locator('img[src^="blob:"]').waitFor();
    const zoomed = dialog.locator('img');
    expect(await naturalWidthOf(zoomed, 853)).toBe(853); // the preview
    await dialog.getByRole('button', { name: /放大/ }).click();
    // Zooming in swaps in the original for the detail.
    expect(await naturalWidthOf(zoomed, 2560)).toBe(2560);
    await operator.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('shows the Yunxi team only its cases, sorted by deadline; the officer accepts and reports back with a photo', async () => {
    yunxi = await browser.newPage('yunxi');
    await signIn(yunxi, app.url, USERS.yunxi.username, USERS.yunxi.password);
    await yunxi.getByRole('heading', { name: '云溪街道 执法队工作台' }).waitFor();
    const card = yunxi.locator('.work-card', { hasText: caseNumber });
    await card.waitFor();
    await card.locator('.badge.status', { hasText: '已派遣' }).waitFor();
    await card.getByText(/剩余 .* · 截止/).waitFor();
    // Held by this team and due soonest: first.
    await expect(yunxi.locator('.work-card').first().getAttribute('data-number')).resolves.toBe(caseNumber);

    await card.getByRole('button', { name: '接收' }).click();
    await card.locator('.badge.status', { hasText: '处理中' }).waitFor();

    const after = await makeDronePhoto({
      width: 1024,
      height: 768,
      seed: 42,
      exifGps: { latitude: 23.105, longitude: 113.255 },
      takenAt: '2026:11:28 11:20:00',
    });
    const form = yunxi.locator('.work-card', { hasText: caseNumber }).locator('form.action-report-back');
    await form.getByLabel('处理结果').fill('已清理垃圾，现场恢复整洁。');
    await form.getByLabel('现场照片').setInputFiles({ name: 'after-cleanup.jpg', mimeType: 'image/jpeg', buffer: after });
    await browser.screenshot(yunxi, 'workspace-report-back-1366x768.png');
    await form.getByRole('button', { name: '处理反馈' }).click();
    const reported = yunxi.locator('.work-card', { hasText: caseNumber });
    await reported.locator('.badge.status', { hasText: '已反馈' }).waitFor();
    // The officer who reported cannot verify it: no such button for them.
    expect(await reported.getByRole('button', { name: '核查结案' }).count()).toBe(0);

    const c = (await api(`/cases/${caseId}`, USERS.yunxi).expect(200)).body as CaseView;
    expect(c.status).toBe('reported');
    expect(c.loop.resultNote).toBe('已清理垃圾，现场恢复整洁。');
    expect(c.loop.afterPhotos).toEqual([expect.stringMatching(/^photos\/originals\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\.jpg$/)]);
    expect(c.loop.afterPhotos[0]).toContain(createHash('sha256').update(after).digest('hex'));

    await browser.screenshot(yunxi, 'workspace-1366x768.png');
    await yunxi.setViewportSize(PHONE);
    await reported.scrollIntoViewIfNeeded();
    await browser.screenshot(yunxi, 'workspace-390x844.png');
  });

  it('makes overdue cases stand out in the workspace', async () => {
    // The same workspace two weeks later: the verification deadline (working days) has passed whatever the
    // weekday or holiday today (three calendar days from a Friday night are still before Monday's deadline).
    // The clock belongs to the whole browser profile, so this runs in a second Chromium of its own.
    const elsewhere = await launchBrowser();
    const later = await elsewhere.newPage('yunxi-later');
    await later.clock.setFixedTime(new Date(Date.now() + 14 * 86_400_000));
    await signIn(later, app.url, USERS.yunxi.username, USERS.yunxi.password);
    const card = later.locator('.work-card.overdue', { hasText: caseNumber });
    await card.getByText('已超期', { exact: true }).waitFor();
    await card.getByText(/^⚠ 已超期 /).waitFor();
    await later.locator('.stat-overdue.alarm').getByText('1', { exact: true }).waitFor();
    await expect(later.locator('.work-card').first().getAttribute('data-number')).resolves.toBe(caseNumber);
    await elsewhere.screenshot(later, 'workspace-overdue-1366x768.png');
    await elsewhere.close();
    expect(elsewhere.problems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
  });

  it('lets the operator verify and close it on the case page (timeline, evidence, map, deadline, audit trail)', async () => {
    await operator.goto(`${app.url}/#/cases/${caseId}`);
    await operator.getByRole('heading', { name: new RegExp(`案卷 ${caseNumber}`) }).waitFor();
    const timeline = operator.locator('ol.timeline');
    for (const step of ['立案', '审核登记', '派遣', '接收', '处理反馈']) await timeline.getByText(step, { exact: true }).waitFor();
    await timeline.getByText('处理结果: 已清理垃圾，现场恢复整洁。').waitFor();
    await operator.getByRole('heading', { name: '审计记录' }).waitFor();
    await operator.locator('.map svg .marker').waitFor();
    await operator.locator('.evidence .thumb.loaded img[src^="blob:"]').nth(1).waitFor(); // snapshot + after-photo
    await operator.locator('.case-head .deadline', { hasText: '截止' }).waitFor();

    await operator.getByRole('button', { name: '核查结案' }).click();
    await operator.locator('.case-head .badge.status', { hasText: '已结案' }).waitFor();
    await timeline.getByText('核查结案', { exact: true }).waitFor();
    const c = (await api(`/cases/${caseId}`).expect(200)).body as CaseView;
    expect(c.status).toBe('closed');
    expect(c.loop.closedAt).not.toBeNull();
    await browser.screenshot(operator, 'case-page-1366x768.png');
    await operator.setViewportSize(PHONE);
    await browser.screenshot(operator, 'case-page-390x844.png');
    await operator.setViewportSize({ width: 1366, height: 768 });

    // The console, the case now closed.
    await operator.goto(`${app.url}/#/console`);
    await operator.getByLabel('状态').selectOption('');
    await operator.locator('.alert-row', { hasText: caseNumber }).locator('.badge.status', { hasText: '已结案' }).waitFor();
    await browser.screenshot(operator, 'console-1366x768.png');
  });

  it('never shows the case to an officer of another township', async () => {
    // Fenglin's page was open, with its live stream, the whole time.
    await fenglin.getByText('本镇街暂无案件').waitFor();
    expect(await fenglin.content()).not.toContain(caseNumber);
    await fenglin.goto(`${app.url}/#/cases/${caseId}`);
    await fenglin.getByRole('heading', { name: '案件不存在或您无权查看' }).waitFor();
    await api(`/cases/${caseId}`, USERS.fenglin).expect(404);
    const list = (await api('/cases', USERS.fenglin).expect(200)).body as { total: number };
    expect(list.total).toBe(0);
  });

  it('draws the figures as charts and switches to English', async () => {
    await operator.goto(`${app.url}/#/figures`);
    await operator.getByRole('heading', { name: '案件数量与按期结案率（全区）' }).waitFor();
    await operator.locator('svg.chart').first().waitFor();
    await operator
      .getByRole('cell', { name: '云溪街道' })
      .or(operator.getByRole('rowheader', { name: '云溪街道' }))
      .first()
      .waitFor();
    await browser.screenshot(operator, 'figures-1366x768.png');
    await operator.getByRole('button', { name: 'English' }).click();
    await operator.getByRole('heading', { name: 'Cases and on-time closure rate (whole district)' }).waitFor();
    await operator.getByRole('button', { name: '中文' }).click();
    // The page's title; the summary's heading ("统计图表 · 截至 …") also contains the words once the figures are in.
    await operator.getByRole('heading', { name: '统计图表', level: 1 }).waitFor();
    await operator.getByRole('heading', { name: '案件数量与按期结案率（全区）' }).waitFor();
  });

  it('raised no script error or content-security-policy violation on any page', async () => {
    await eventually('pages to settle', async () => true);
    expect(browser.problems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
  });
});
