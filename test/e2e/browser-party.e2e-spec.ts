import type { Page } from 'playwright-core';
import { Client } from 'pg';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { at, createUser, insertCase, type InsertedCase, step } from '../integration/case-loop-helpers';
import { launchBrowser, PHONE, SCREENSHOT_DIR, type BrowserSession } from '../support/browser';
import { startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(180_000);

const DESKTOP = { width: 1280, height: 800 };
const PLATE = '粤B·12345';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** A picture of the garbage case, as the evidence pipeline records one it holds. */
const PICTURE_SHA = sha256('party-page picture SYNTHETIC');

/** The page as a screenshot, after checking the file is there and not empty. */
async function shot(page: Page, file: string, fullPage = false): Promise<string> {
  const path = join(SCREENSHOT_DIR, file);
  await page.screenshot({ path, fullPage });
  expect(existsSync(path) && statSync(path).size).toBeGreaterThan(0);
  return path;
}

/** Whether the page fits its viewport's width (nothing to scroll sideways on a phone). */
const fitsWidth = (page: Page) =>
  page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return root.scrollWidth <= root.clientWidth;
  });

/**
 * The party of a case opens the notice letter's QR code (party.html#case=…&code=…) without a login: the page
 * shows that case, its evidence and hashes, takes a statement and defence (陈述申辩) with a receipt, and says
 * so when the case number and code do not match. Screenshots go to test-artifacts/screenshots/party-*.png.
 */
describe('browser: the party page (party.html)', () => {
  let app: TestApp;
  let db: Client;
  let browser: BrowserSession;
  let garbage: InsertedCase;
  let car: InsertedCase;
  let code: string;
  let eventSha: string;

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    const operator = await createUser(app, 'operator');
    garbage = await insertCase(db, { occurredAt: at('2026-12-01T09:30') });
    car = await insertCase(db, { category: 'motor-parking', plate: PLATE, deviceId: 'HIK-GATE-01' });
    const registered = await step(app, operator, garbage.id, { action: 'review-register', evidenceUsableForPenalty: true });
    await step(app, operator, car.id, { action: 'review-register', evidenceUsableForPenalty: true });
    const pv = registered.case.loop.partyVerification;
    if (pv?.method !== 'code') throw new Error(`a case without a plate has a notice code, not ${JSON.stringify(pv)}`);
    code = pv.code;
    // Registering sealed the event: its hash is the one the party must see.
    const sealed = await db.query<{ sha256: string }>(`SELECT sha256 FROM evidence_items WHERE item_key = 'event:' || $1`, [garbage.eventId]);
    eventSha = sealed.rows[0].sha256;
    expect(eventSha).toMatch(/^[0-9a-f]{64}$/);
    await db.query(`INSERT INTO event_pictures (event_id, slot, origin, status, sha256, captured_at) VALUES ($1, 0, 'device-publish', 'present', $2, $3)`, [
      garbage.eventId,
      PICTURE_SHA,
      at('2026-12-01T09:30').toISOString(),
    ]);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await db?.end();
    await app?.stop();
  });

  it('opens the case from the QR code on a phone, shows its evidence hashes, and takes a statement with a receipt', async () => {
    const page = await browser.newPage('party-phone', PHONE);
    await page.goto(`${app.url}/party.html#case=${garbage.caseNumber}&code=${code}`);
    // Prefilled from the fragment, which then leaves the address bar.
    await expect(page.getByLabel('案件编号').inputValue()).resolves.toBe(garbage.caseNumber);
    await expect(page.getByLabel('车牌号或告知书查询码').inputValue()).resolves.toBe(code);
    expect(new URL(page.url()).hash).toBe('');
    await shot(page, 'party-form-390x844.png');

    await page.getByRole('button', { name: '查询' }).click();
    const shown = page.locator('#case');
    await shown.getByRole('heading', { name: `案件 ${garbage.caseNumber}` }).waitFor();
    await page.getByRole('status').getByText(`已找到案件 ${garbage.caseNumber}。`).waitFor();
    await shown.getByText('暴露垃圾', { exact: true }).waitFor();
    // Times at +08:00, to the minute, as on the notice letter.
    await expect(shown.locator('time', { hasText: '2026-12-01 09:30' }).count()).resolves.toBeGreaterThanOrEqual(2);
    const evidence = shown.locator('.evidence-item').first();
    await evidence.locator('code.sha', { hasText: eventSha }).waitFor();
    await evidence.locator('code.sha', { hasText: PICTURE_SHA }).waitFor();
    await evidence.getByText('设备法制审核').waitFor();
    await shown.getByText('尚未提交陈述申辩。').waitFor();
    await expect(shown.getByText('送达时间').count()).resolves.toBe(0);
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, 'party-case-390x844.png');
    await shot(page, 'party-case-390x844-full.png', true);

    const text = '我当时在现场清理，垃圾已于当日运走。\n请核实。';
    await page.getByLabel('陈述、申辩意见').fill(`  ${text}  `);
    await page.getByText(`${text.length + 4} / 10000 字`).waitFor();
    await page.getByLabel('联系方式（选填）').fill('13800000000');
    await page.getByRole('button', { name: '提交陈述申辩' }).click();
    // The receipt names the hash of the text as stored (trimmed), and the case shows the statement.
    await page.locator('#receipt-sha', { hasText: sha256(text) }).waitFor();
    await page.getByRole('status').getByText('陈述申辩已提交，执法部门已收到。').waitFor();
    await shown.locator('.statement-text').getByText(text.split('\n')[0]).waitFor();
    await expect(shown.locator('.statement-text').innerText()).resolves.toBe(text);
    await expect(page.getByLabel('陈述、申辩意见').inputValue()).resolves.toBe('');
    expect(await fitsWidth(page)).toBe(true);
    await page.locator('#receipt').scrollIntoViewIfNeeded();
    await shot(page, 'party-receipt-390x844.png');
    await page.close();
  });

  it('opens a vehicle case by its plate however typed on a desktop, and says so when the code does not match', async () => {
    const page = await browser.newPage('party-desktop', DESKTOP);
    // A vehicle's notice carries no code: the party types the plate.
    await page.goto(`${app.url}/party.html#case=${car.caseNumber}`);
    await expect(page.getByLabel('案件编号').inputValue()).resolves.toBe(car.caseNumber);
    const verification = page.getByLabel('车牌号或告知书查询码');
    await expect(verification.evaluate((el) => el === el.ownerDocument.activeElement)).resolves.toBe(true);
    await verification.fill('粤b 12345');
    await page.getByRole('button', { name: '查询' }).click();
    const shown = page.locator('#case');
    await shown.getByRole('heading', { name: `案件 ${car.caseNumber}` }).waitFor();
    await shown.getByText('机动车乱停放', { exact: true }).waitFor();
    await shown.locator('.evidence-item code.sha').first().waitFor();
    await shot(page, 'party-vehicle-1280x800.png');
    await shot(page, 'party-vehicle-1280x800-full.png', true);

    // Another case number with a wrong code: the page says no case matches, and the previous case goes away.
    await page.getByLabel('案件编号').fill(garbage.caseNumber);
    await verification.fill(code === '123456' ? '654321' : '123456');
    await page.getByRole('button', { name: '查询' }).click();
    await page.getByRole('status').getByText('未找到与该案件编号和查询码相符的案件。').waitFor();
    expect(await shown.isHidden()).toBe(true);
    await expect(page.locator('#statement-section').isHidden()).resolves.toBe(true);
    await shot(page, 'party-not-found-1280x800.png');
    await page.close();
  });

  it("shows the notice letter's delivery, statement deadline and legal basis when the answer has them, and a throttled lookup", async () => {
    const page = await browser.newPage('party-notice', DESKTOP);
    const notice = {
      noticeNumber: 'GZ-20261202-0001',
      deliveredAt: '2026-12-02T02:00:00.000Z',
      statementDueAt: '2026-12-05T09:59:00.000Z',
      legalBasis: '《城市市容和环境卫生管理条例》第二十八条、第三十四条',
    };
    // The server's answer as it comes, with the notice the API is gaining.
    await page.route('**/api/v1/public/cases/lookup', async (route) => {
      const real = await route.fetch();
      await route.fulfill({ response: real, json: { ...((await real.json()) as object), notice } });
    });
    await page.goto(`${app.url}/party.html#case=${garbage.caseNumber}&code=${code}`);
    await page.getByRole('button', { name: '查询' }).click();
    await page.getByRole('heading', { name: `案件 ${garbage.caseNumber}` }).waitFor();
    const facts = page.locator('#case > dl.facts').first();
    const fact = (label: string) => facts.locator('dt', { hasText: label }).locator('xpath=following-sibling::dd[1]');
    await expect(fact('告知书编号').innerText()).resolves.toBe(notice.noticeNumber);
    await expect(fact('送达时间').innerText()).resolves.toBe('2026-12-02 10:00');
    await expect(fact('陈述申辩截止').innerText()).resolves.toBe('2026-12-05 17:59');
    await expect(fact('法律依据').innerText()).resolves.toBe(notice.legalBasis);

    // Too many lookups: the page says so in Chinese, whatever the server's English says.
    await page.unroute('**/api/v1/public/cases/lookup');
    await page.route('**/api/v1/public/cases/lookup', (route) =>
      route.fulfill({ status: 429, json: { statusCode: 429, message: 'Too many lookups from this address; try again in a few minutes.' } }),
    );
    await page.getByRole('button', { name: '查询' }).click();
    await page.getByRole('status').getByText('查询过于频繁，请稍后再试。').waitFor();
    expect(await page.locator('#case').isHidden()).toBe(true);
    await page.close();
  });

  it('raised no script error or content-security-policy violation', () => {
    // The 404 of the wrong code and the 429 are logged by Chromium as failed resources; nothing else may be.
    expect(browser.problems.filter((p) => !/Failed to load resource: the server responded with a status of (404|429)/.test(p))).toEqual([]);
  });
});
