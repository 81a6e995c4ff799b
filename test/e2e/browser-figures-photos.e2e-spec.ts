import type { Page } from 'playwright-core';
import { Client } from 'pg';
import request from 'supertest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDronePhoto } from '../fixtures/photo-fixtures';
import { createUser, insertCase, OTHER_TOWNSHIP, step, TOWNSHIP, type TestUser } from '../integration/case-loop-helpers';
import { launchBrowser, PHONE, signIn, type BrowserSession } from '../support/browser';
import { startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(240_000);

const PASSWORD = 'test-password-123';
const FLIGHT = 'FLIGHT-E2E-MARK-01';

/**
 * Issue 18, items 6 and 7 in real Chromium:
 * - a supervisor lands on the figures; closure and on-time rates over deadlines met or missed only (a deadline
 *   still ahead is "not yet due"), per township with rates on a 0–100 % bar so a big township does not flatten
 *   a small one, per handling unit, and the dispatch meeting's files (XLSX with the overdue list, CSV with BOM);
 * - a pilot picks a drone from their own list, sees per-file progress and the server's verdict and flags, then
 *   opens the flight's photos (map, thumbnails, quality, position) and marks one with a category and a box:
 *   the mark becomes an event.
 */
describe('browser: figures for the dispatch meeting, and the pilot with the flight photos', () => {
  let app: TestApp;
  let db: Client;
  let browser: BrowserSession;
  let supervisor: { username: string };
  let pilot: { username: string };
  let folder: string;
  let overdueCase = '';

  const makeLogin = async (role: 'supervisor' | 'pilot') => {
    const username = `${role}-e2e-${Date.now().toString(36)}`;
    await request(app.url)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${await app.token()}`)
      .send({ username, password: PASSWORD, role, displayName: role === 'pilot' ? '飞手 李' : '主管 王' })
      .expect(201);
    return { username };
  };

  beforeAll(async () => {
    app = await startTestApp();
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    const operator: TestUser = await createUser(app, 'operator');
    // Yunxi: 12 dispatched cases (10 closed on time, 1 overdue, 1 due in two days); Fenglin: 2 closed on time.
    const now = Date.now();
    const hoursAgo = (h: number) => new Date(now - h * 3_600_000);
    const cases: { township: string; fate: 'on-time' | 'overdue' | 'pending' }[] = [
      ...Array.from({ length: 10 }, () => ({ township: TOWNSHIP, fate: 'on-time' as const })),
      { township: TOWNSHIP, fate: 'overdue' },
      { township: TOWNSHIP, fate: 'pending' },
      { township: OTHER_TOWNSHIP, fate: 'on-time' },
      { township: OTHER_TOWNSHIP, fate: 'on-time' },
    ];
    for (const c of cases) {
      const made = await insertCase(db, { township: c.township, createdAt: hoursAgo(72) });
      await step(app, operator, made.id, { action: 'review-register' });
      await step(app, operator, made.id, { action: 'dispatch' });
      if (c.fate === 'on-time') {
        await db.query(`UPDATE case_workflow SET due_at = $2, closed_at = $3 WHERE case_id = $1`, [made.id, hoursAgo(2), hoursAgo(20)]);
        await db.query(`UPDATE cases SET status = 'closed' WHERE id = $1`, [made.id]);
      } else if (c.fate === 'overdue') {
        await db.query(`UPDATE case_workflow SET due_at = $2 WHERE case_id = $1`, [made.id, hoursAgo(30)]);
        overdueCase = made.caseNumber;
      } else {
        // Still ahead, but inside the page's period (which ends with today, +08:00).
        const endOfToday = Date.parse(`${new Date(now + 8 * 3_600_000).toISOString().slice(0, 10)}T24:00:00+08:00`);
        await db.query(`UPDATE case_workflow SET due_at = $2 WHERE case_id = $1`, [made.id, new Date(Math.min(now + 30 * 60_000, endOfToday - 60_000))]);
      }
    }
    supervisor = await makeLogin('supervisor');
    pilot = await makeLogin('pilot');

    folder = mkdtempSync(join(tmpdir(), 'cloudpatrol-mark-'));
    const placed = { latitude: 23.105, longitude: 113.255, absoluteAltitude: 80, relativeAltitude: 60, gimbalYaw: 10, gimbalPitch: -90 };
    writeFileSync(join(folder, 'DJI_0001.JPG'), await makeDronePhoto({ width: 640, height: 480, seed: 71, dji: placed, takenAt: '2026:12:01 10:00:00' }));
    writeFileSync(
      join(folder, 'DJI_0002.JPG'),
      await makeDronePhoto({ width: 640, height: 480, seed: 72, dji: { ...placed, latitude: 23.108 }, exposure: 'dark', takenAt: '2026:12:01 10:01:00' }),
    );
    writeFileSync(join(folder, 'DJI_0003.JPG'), await makeDronePhoto({ width: 640, height: 480, seed: 73, takenAt: '2026:12:01 10:02:00' }));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await db?.end();
    await app?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('lands a supervisor on the figures: rates over passed deadlines, per township and unit, and the meeting files', async () => {
    const page: Page = await browser.newPage('supervisor');
    await signIn(page, app.url, supervisor.username, PASSWORD);
    await page.getByRole('heading', { name: '统计图表', level: 1 }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/figures');

    // 13 deadlines met or missed (12 on time, 1 overdue), 1 still ahead: 92.3 %, not 12/14.
    const tile = (name: string) =>
      page.locator('.figures-summary .stat', { has: page.locator('.stat-label', { hasText: new RegExp(`^${name}$`) }) }).locator('.stat-n');
    await tile('按期结案率').waitFor();
    expect(await tile('按期结案率').textContent()).toBe('92.3%');
    expect(await tile('结案率').textContent()).toBe('92.3%');
    expect(await tile('尚未到期').textContent()).toBe('1');
    expect(await tile('超期未结').textContent()).toBe('1');

    // Per township: each row's rate on its own 0–100 % bar, the small township's as visible as the big one's.
    const row = (key: string) => page.locator(`.rate-table tr[data-key="${key}"]`);
    expect(await row(TOWNSHIP).locator('th').textContent()).toBe('云溪街道');
    expect((await row(TOWNSHIP).locator('td').allTextContents()).slice(0, 3)).toEqual(['12', '11', '10']);
    expect(await row(OTHER_TOWNSHIP).locator('td.rate-cell .rate-value').nth(1).textContent()).toBe('100%');
    expect(await row(OTHER_TOWNSHIP).locator('td.rate-cell').nth(1).locator('rect.fill').getAttribute('width')).toBe('100');
    expect(Number(await row(TOWNSHIP).locator('td.rate-cell').nth(1).locator('rect.fill').getAttribute('width'))).toBeCloseTo(90.9, 1);
    await page.locator('.rate-table').scrollIntoViewIfNeeded();
    await browser.screenshot(page, 'figures-rates-1366x768.png');

    // The workbook for the meeting: the figures and the overdue list.
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出 Excel（指标与超期清单）' }).click()]);
    expect(xlsx.suggestedFilename()).toMatch(/^figures-township-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const { default: readXlsxFile } = await import('read-excel-file/node');
    const sheets = await readXlsxFile(readFileSync(await xlsx.path()));
    expect(sheets.map((x) => x.sheet)).toEqual(['考核指标', '超期案件']);
    expect(sheets[0].data.find((r) => r[1] === TOWNSHIP)?.slice(2, 10)).toEqual([12, 11, 10, 10, 1, 1, 10 / 11, 10 / 11]);
    expect(sheets[1].data.slice(1).map((r) => r[0])).toEqual([overdueCase]);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出 CSV（超期清单）' }).click()]);
    const csvText = readFileSync(await csv.path(), 'utf8');
    expect(csvText.charCodeAt(0)).toBe(0xfeff);
    expect(csvText).toContain(`${overdueCase},暴露垃圾,云溪街道,云溪街道镇街综合行政执法队`);

    // By handling unit.
    await page.getByLabel('分组').selectOption('team');
    await row(`township-team:${TOWNSHIP}`).waitFor();
    expect(await row(`township-team:${TOWNSHIP}`).locator('th').textContent()).toBe('云溪街道镇街综合行政执法队');
    await browser.screenshot(page, 'figures-team-1366x768.png');
    await page.setViewportSize(PHONE);
    await browser.screenshot(page, 'figures-390x844.png');
    expect(browser.problems).toEqual([]);
  });

  it('lets a pilot pick a drone, shows per-file progress, verdict and flags, and mark a photo with a category and a box', async () => {
    const page: Page = await browser.newPage('pilot');
    await signIn(page, app.url, pilot.username, PASSWORD);
    await page.getByRole('heading', { name: '航拍照片上传' }).waitFor();
    // The pilot's own drone list (GET /drones), not the register (403 for pilots).
    await page.getByText(/可选 \d+ 架无人机\/机场/).waitFor();
    const options = await page.locator('datalist option').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
    expect(options).toEqual(expect.arrayContaining(['DRONE-01', 'DEMO-DOCK-01']));
    expect(options).not.toContain('DEMO-CAM-01');

    await page.getByLabel('飞行编号').fill(FLIGHT);
    await page.getByLabel('无人机编号').fill('DRONE-01');
    await page.getByLabel('或选择照片文件').setInputFiles(['DJI_0001.JPG', 'DJI_0002.JPG', 'DJI_0003.JPG'].map((f) => join(folder, f)));
    await page.getByRole('button', { name: '开始上传' }).click();
    await page.getByText(/完成：新存储 3，重复 0，已在服务器 0，被拒绝 0/).waitFor({ timeout: 60_000 });
    const fileRow = (name: string) => page.locator('table.results tr', { has: page.locator('td.file-name', { hasText: name }) });
    for (const name of ['DJI_0001.JPG', 'DJI_0002.JPG', 'DJI_0003.JPG']) {
      expect(
        await fileRow(name)
          .locator('progress')
          .evaluate((p) => (p as unknown as { value: number }).value),
      ).toBe(1);
    }
    expect(await fileRow('DJI_0001.JPG').locator('td.file-quality').textContent()).toBe('正常');
    expect(await fileRow('DJI_0002.JPG').locator('td.file-quality').textContent()).toBe('过暗');
    expect(await fileRow('DJI_0003.JPG').locator('td.file-flags').textContent()).toContain('无位置');
    expect(await fileRow('DJI_0001.JPG').locator('td.file-flags').textContent()).not.toContain('无位置');
    await page.locator('table.results').scrollIntoViewIfNeeded();
    await browser.screenshot(page, 'upload-per-file-1366x768.png');

    // The flight's photos: a dot per placed photo, a card per photo with quality and position.
    await page.getByRole('link', { name: '浏览并标注本次飞行的照片' }).click();
    await page.getByRole('heading', { name: '飞行照片', level: 1 }).waitFor();
    await page.locator('.photo-card').nth(2).waitFor();
    expect(await page.locator('.photo-card').count()).toBe(3);
    expect(await page.locator('.photo-dot').count()).toBe(2);
    expect(await page.locator('.photo-count').textContent()).toBe('共 3 张照片，2 张有位置');
    // The pilot's recent flights, to come back to.
    await page.locator('.recent-flights li.current a', { hasText: FLIGHT }).waitFor();
    expect(await page.locator('.recent-flights li.current .muted').textContent()).toMatch(/^3 张，2 张有位置，画质存疑 1 张 · DRONE-01 · 最后上传/);
    const card = (name: string) => page.locator('.photo-card', { has: page.locator('.photo-name', { hasText: name }) });
    expect(await card('DJI_0002.JPG').locator('.photo-quality').textContent()).toBe('画质: 过暗');
    expect(await card('DJI_0003.JPG').locator('.photo-position').textContent()).toBe('位置: 无位置');
    expect(await card('DJI_0001.JPG').locator('.photo-position').textContent()).toBe('位置: 23.10500, 113.25500');

    // Mark DJI_0001: exposed garbage, a box dragged over the photo's upper-left quarter.
    await card('DJI_0001.JPG').locator('.photo-open').click();
    await page.locator('.photo-preview[src^="blob:"]').waitFor();
    await page.waitForFunction(() => {
      const img = (
        globalThis as unknown as { document: { querySelector(s: string): { complete: boolean; naturalWidth: number } | null } }
      ).document.querySelector('.photo-preview');
      return !!img && img.complete && img.naturalWidth > 0;
    });
    await page.getByLabel('问题类别').selectOption('exposed-garbage');
    const stage = (await page.locator('.photo-overlay').boundingBox())!;
    await page.mouse.move(stage.x + stage.width * 0.1, stage.y + stage.height * 0.1);
    await page.mouse.down();
    await page.mouse.move(stage.x + stage.width * 0.3, stage.y + stage.height * 0.3, { steps: 5 });
    await page.mouse.move(stage.x + stage.width * 0.5, stage.y + stage.height * 0.5, { steps: 5 });
    await page.mouse.up();
    const boxText = (await page.locator('.box-state').textContent()) ?? '';
    const box = boxText
      .replace(/^已画框: /, '')
      .split(', ')
      .map(Number);
    expect(box).toHaveLength(4);
    expect(box[0]).toBeGreaterThanOrEqual(60);
    expect(box[0]).toBeLessThanOrEqual(68);
    expect(box[2]).toBeGreaterThanOrEqual(316);
    expect(box[2]).toBeLessThanOrEqual(324);
    await page.getByRole('button', { name: '提交标注' }).click();
    await page.locator('.mark-done').waitFor();
    await card('DJI_0001.JPG').locator('.photo-marked:not([hidden])').waitFor();

    // The mark is an event like any other: the photo, the category as label, the box in the photo's pixels.
    const sha = await card('DJI_0001.JPG').getAttribute('data-sha');
    const events = await db.query<{ detections: { label: string; box?: number[] }[]; device_id: string }>(
      `SELECT detections, device_id FROM events WHERE media @> $1::jsonb`,
      [JSON.stringify([{ sha256: sha }])],
    );
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0].device_id).toBe('DRONE-01');
    expect(events.rows[0].detections).toEqual([expect.objectContaining({ label: 'exposed-garbage', box })]);
    expect(await page.locator('.mark-done').textContent()).toMatch(/^已提交：成为事件 \d+/);
    await page.locator('.photos-layout').evaluate((el) => (el as unknown as { scrollIntoView(): void }).scrollIntoView());
    await browser.screenshot(page, 'flight-photos-mark-1366x768.png');
    await page.setViewportSize(PHONE);
    await page.locator('.photo-stage').evaluate((el) => (el as unknown as { scrollIntoView(): void }).scrollIntoView());
    await browser.screenshot(page, 'flight-photos-390x844.png');
    expect(browser.problems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
  });
});
