import { connectAsync, type MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, signIn, type BrowserSession } from '../support/browser';
import { readServices } from '../support/services';
import { eventually, startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(120_000);

const OPERATOR = { username: 'lang-operator', password: 'operator-password-1', role: 'operator', displayName: '值班员 周宁' };
const PILOT = { username: 'lang-pilot', password: 'pilot-password-1', role: 'pilot', displayName: '飞手 孙航' };

/** The +08:00 wall-clock reading of an instant, as the console writes it (2026-12-04 19:05:00). */
const plus8 = (iso: string) => new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');

/**
 * Issue 18, language: on the Chinese pages every text a user reads is Chinese — the rule explanation in words,
 * a refused transition by its code, a photo's refusal, the login throttle with its time in +08:00 — and the
 * server's own words stay visible, small, underneath. Screenshots: test-artifacts/screenshots/language-*.png.
 */
describe('browser: the console speaks the page language, server answers included', () => {
  let app: TestApp;
  let mqtt: MqttClient;
  let browser: BrowserSession;
  let operator: Page;
  let folder: string;
  let caseId: string;
  let token: string;

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await app.token();
    for (const u of [OPERATOR, PILOT]) await request(app.url).post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send(u).expect(201);
    token = (
      (await request(app.url).post('/api/v1/auth/login').send({ username: OPERATOR.username, password: OPERATOR.password }).expect(200)).body as {
        accessToken: string;
      }
    ).accessToken;
    mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    await mqtt.publishAsync(
      'cloudpatrol/v1/devices/DEMO-CAM-01/events',
      JSON.stringify({
        eventId: 'lang-e-1',
        deviceId: 'DEMO-CAM-01',
        occurredAt: new Date().toISOString(),
        detections: [{ label: 'garbage', confidence: 0.93 }],
      }),
      { qos: 1 },
    );
    caseId = await eventually('the garbage case', async () => {
      const list = (await request(app.url).get('/api/v1/cases').set('Authorization', `Bearer ${token}`).expect(200)).body as { items: { id: string }[] };
      return list.items[0]?.id;
    });
    folder = mkdtempSync(join(tmpdir(), 'cloudpatrol-lang-'));
    mkdirSync(join(folder, 'FLIGHT-LANG-1'));
    // Named like a photo (the page sends it), but a text file: the server refuses it as not-an-image.
    writeFileSync(join(folder, 'FLIGHT-LANG-1', 'DJI_0001.JPG'), 'SYNTHETIC: this is not a picture');
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await app?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  /** The explanation row named `term` on the page. */
  const row = (page: Page, term: string) => page.locator('dl.kv dt', { hasText: term }).first().locator('xpath=following-sibling::dd[1]');

  it('shows the rule explanation in words, in Chinese, and in English after switching', async () => {
    operator = await browser.newPage('operator');
    await signIn(operator, app.url, OPERATOR.username, OPERATOR.password);
    await operator.goto(`${app.url}/#/cases/${caseId}`);
    const routing = row(operator, '分派依据');
    await routing.waitFor();
    const routed = (await routing.textContent()) ?? '';
    // exemption-free garbage in Yunxi: the routing table's `exposed-garbage × * → township-team (routing vN)`.
    expect(routed).toMatch(/^派往 云溪.+ · 依据分派表 v\d+：暴露垃圾 · 任何地点$/);
    expect(routed).not.toMatch(/township-team|×|routing v|exposed-garbage/);
    const all = (await operator.locator('dl.kv').first().textContent()) ?? '';
    expect(all).not.toMatch(/[{}]|"\w+":/);
    await browser.screenshot(operator, 'language-explanation-zh.png');

    await operator.locator('#lang-switch').click();
    const routingEn = row(operator, 'Routing');
    await routingEn.waitFor();
    expect(await routingEn.textContent()).toMatch(/^Sent to .+ · routing table v\d+: .+ · any place$/);
    await browser.screenshot(operator, 'language-explanation-en.png');
    await operator.locator('#lang-switch').click();
    await row(operator, '分派依据').waitFor();
  });

  it('shows a refused transition by its code in Chinese, with the server text small underneath', async () => {
    // The colleague's change below must not reach this page before the click (the live stream would reload it):
    // the page is one that has not heard yet.
    await operator.route('**/alerts/stream**', (r) => r.abort());
    await operator.reload();
    const register = operator.getByRole('button', { name: '审核登记', exact: true });
    await register.waitFor();
    // Meanwhile a colleague rejects the case: this page's 审核登记 now meets a case no longer waiting for review.
    await request(app.url)
      .post(`/api/v1/cases/${caseId}/transitions`)
      .set('Authorization', `Bearer ${token}`)
      .send({ action: 'reject', reason: '误报：画面中没有该问题' })
      .expect(200);
    await register.click();
    await operator.getByText('审核登记失败：案件当前状态不允许此操作').waitFor();
    // The server's own words, small underneath (it names the state the case is in).
    expect(await operator.locator('.form-error .server-detail').textContent()).toMatch(/rejected/);
    await browser.screenshot(operator, 'language-transition-refused.png');
    await operator.unroute('**/alerts/stream**');
  });

  it("shows a photo's refusal in Chinese on the upload page", async () => {
    const pilot = await browser.newPage('pilot');
    await signIn(pilot, app.url, PILOT.username, PILOT.password);
    await pilot.getByRole('heading', { name: '航拍照片上传' }).waitFor();
    await pilot.getByLabel('飞行编号').fill('FLIGHT-LANG-1');
    await pilot.getByLabel('无人机编号').fill('DRONE-01');
    await pilot.getByLabel('照片文件夹').setInputFiles(join(folder, 'FLIGHT-LANG-1'));
    await pilot.getByRole('button', { name: '开始上传' }).click();
    await pilot.getByText(/完成：新存储 0，重复 0，已在服务器 0，被拒绝 1/).waitFor({ timeout: 30_000 });
    const cell = pilot.locator('tr.st-rejected td.file-status');
    const text = (await cell.textContent()) ?? '';
    expect(text).toMatch(/^被拒绝: 不是图片文件/);
    // The server's own words stay, small, under the Chinese.
    expect(await cell.locator('.server-detail').textContent()).toMatch(/not an image/);
    await browser.screenshot(pilot, 'language-upload-refused.png');
    await pilot.close();
  });

  it('says a wrong login in Chinese, and the login throttle with its time in +08:00', async () => {
    const page = await browser.newPage('login');
    await page.goto(`${app.url}/#/login`);
    await page.getByLabel('用户名').fill(OPERATOR.username);
    await page.getByLabel('密码').fill('not-the-password');
    await page.getByRole('button', { name: '登录' }).click();
    const alert = page.locator('.login-form [role=alert]');
    await alert.getByText('用户名或密码错误').waitFor();
    expect(await alert.textContent()).toContain('暂时锁定');
    await browser.screenshot(page, 'language-login-wrong.png');

    // Someone at this address keeps guessing: the address is throttled (30 attempts in 5 minutes).
    let status = 0;
    for (let i = 0; i < 40 && status !== 429; i++)
      status = (
        await request(app.url)
          .post('/api/v1/auth/login')
          .send({ username: 'nobody', password: `guess-${i}` })
      ).status;
    expect(status).toBe(429);

    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
    await page.getByRole('button', { name: '登录' }).click();
    const body = (await (await answered).json()) as { error: string; retryAt: string; message: string };
    expect(body.error).toBe('too-many-attempts');
    await alert.getByText('此地址登录尝试过多').waitFor();
    const said = (await alert.textContent()) ?? '';
    expect(said).toContain(`请于 ${plus8(body.retryAt)}（北京时间）之后再试`);
    // The UTC instant itself is only in the server's small line, never the main text.
    expect(said.split(body.message)[0]).not.toContain(body.retryAt.slice(11, 19));
    expect(await alert.locator('.server-detail').textContent()).toBe(body.message);
    await browser.screenshot(page, 'language-login-throttled.png');
    expect(browser.problems.filter((p) => !/status of (401|409|429)|ERR_FAILED|alerts\/stream/.test(p))).toEqual([]);
  });
});
