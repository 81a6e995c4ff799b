import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { at, insertCase, type InsertedCase, step, type TestUser } from '../integration/case-loop-helpers';
import { launchBrowser, type BrowserSession, signIn } from '../support/browser';
import { startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(180_000);

/**
 * Issue 21: staff print the case file (案卷) and the party's notice (告知书) from the console's case page, see the
 * notice's number, statement deadline and deliveries, and record a delivery. Screenshots: case-file-*.png.
 */
describe('browser: case file and notice on the case page', () => {
  let app: TestApp;
  let db: Client;
  let browser: BrowserSession;
  let registered: InsertedCase;
  let detected: InsertedCase;
  const username = `operator-${randomBytes(3).toString('hex')}`;
  const password = 'test-password-123';
  let noticeNumber: string;

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    const created = await request(app.url)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${await app.token()}`)
      .send({ username, password, role: 'operator', displayName: '值班员 王' })
      .expect(201);
    const login = await request(app.url).post('/api/v1/auth/login').send({ username, password }).expect(200);
    const operator: TestUser = { id: (created.body as { id: string }).id, role: 'operator', token: (login.body as { accessToken: string }).accessToken };
    // A detection from a reviewed camera, registered with its evidence usable for a penalty: the notice is produced.
    registered = await insertCase(db, { occurredAt: at('2026-12-01T09:30') });
    await step(app, operator, registered.id, { action: 'review-register', evidenceUsableForPenalty: true });
    detected = await insertCase(db, { occurredAt: at('2026-12-01T10:00') });
    const notice = await request(app.url).get(`/api/v1/cases/${registered.id}/notice`).set('Authorization', `Bearer ${operator.token}`).expect(200);
    noticeNumber = (notice.body as { noticeNumber: string }).noticeNumber;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await db?.end();
    await app?.stop();
  });

  it('shows the notice, records an in-person delivery with its deadline, and downloads the case file and the notice as PDFs', async () => {
    const page = await browser.newPage('case-file');
    await signIn(page, app.url, username, password);
    await page.goto(`${app.url}/#/cases/${registered.id}`);
    const panel = page.locator('section.panel-case-file');
    await panel.getByRole('heading', { name: '案卷与告知书' }).waitFor();
    await panel.locator('.notice-number', { hasText: noticeNumber }).waitFor();
    await panel.getByText('尚无送达记录。').waitFor();
    await panel.locator('.statement-due', { hasText: '自送达之日起 3 个工作日' }).waitFor();
    await panel.scrollIntoViewIfNeeded();
    await browser.screenshot(page, 'case-file-notice-1366x768.png');

    await panel.getByLabel('送达方式').selectOption('in-person');
    await panel.getByLabel('受送达人').fill('张三（当事人）');
    await panel.getByLabel('备注').fill('现场交付，当事人签收');
    await panel.getByRole('button', { name: '记录送达' }).click();
    const row = panel.locator('tr.delivery-delivered');
    await row.getByText('直接送达').waitFor();
    await row.getByText('张三（当事人）').waitFor();
    // The statement deadline: working days after the delivery, shown with the district's offset.
    const due = panel.locator('.statement-due time');
    await due.waitFor();
    await expect(due.innerText()).resolves.toMatch(/^\d{4}[-/]\d{2}[-/]\d{2} \d{2}:\d{2} \(\+08:00\)$/);
    const stored = await db.query<{ statement_due_at: Date | null }>(`SELECT statement_due_at FROM case_notices WHERE case_id = $1`, [registered.id]);
    expect(stored.rows[0].statement_due_at).not.toBeNull();
    await expect(due.getAttribute('datetime')).resolves.toBe(stored.rows[0].statement_due_at?.toISOString());
    await browser.screenshot(page, 'case-file-delivered-1366x768.png');

    const [dossier] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: '打印案卷' }).click()]);
    expect(dossier.suggestedFilename()).toBe(`${await caseNumberOf(registered.id)}-dossier.pdf`);
    const dossierBytes = readFileSync((await dossier.path()) ?? '');
    expect(dossierBytes.subarray(0, 4).toString('latin1')).toBe('%PDF');
    const prints = await db.query<{ language: string }>(`SELECT language FROM dossier_prints WHERE case_id = $1`, [registered.id]);
    expect(prints.rows.map((r) => r.language)).toEqual(['zh']);

    await panel.getByLabel('语言').selectOption('en');
    const [letter] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: '告知书', exact: true }).click()]);
    expect(letter.suggestedFilename()).toBe(`${noticeNumber}.pdf`);
    expect(
      readFileSync((await letter.path()) ?? '')
        .subarray(0, 4)
        .toString('latin1'),
    ).toBe('%PDF');
    expect(browser.problems).toEqual([]);
  });

  it('says when a case has no notice yet, and still prints its case file', async () => {
    const page = await browser.newPage('case-file-none');
    await signIn(page, app.url, username, password);
    await page.goto(`${app.url}/#/cases/${detected.id}`);
    const panel = page.locator('section.panel-case-file');
    await panel.getByText('立案（证据可作处罚证据）后生成告知书。').waitFor();
    await expect(panel.getByRole('button', { name: '告知书', exact: true }).isDisabled()).resolves.toBe(true);
    await expect(panel.getByRole('button', { name: '记录送达' }).count()).resolves.toBe(0);
    await panel.scrollIntoViewIfNeeded();
    await browser.screenshot(page, 'case-file-no-notice-1366x768.png');
    const [dossier] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: '打印案卷' }).click()]);
    expect(
      readFileSync((await dossier.path()) ?? '')
        .subarray(0, 4)
        .toString('latin1'),
    ).toBe('%PDF');
    expect(browser.problems).toEqual([]);
  });

  async function caseNumberOf(id: string): Promise<string> {
    return (await db.query<{ case_number: string }>(`SELECT case_number FROM cases WHERE id = $1`, [id])).rows[0].case_number;
  }
});
