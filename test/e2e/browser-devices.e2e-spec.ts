import { DeviceHealthService } from '@app/core';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { hikAlert } from '../fixtures/payloads/hikvision-isapi.fixtures';
import { launchBrowser, PHONE, signIn, waitForLive, type BrowserSession } from '../support/browser';
import { startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(120_000);

const OPERATOR = { username: 'health-operator', password: 'operator-password-1', role: 'operator', displayName: '值班员 陈晓' };
/** HIK-GATE-01: a camera (600 s threshold) with alias 44:19:b6:00:00:01:ch1 (config/demo/devices.yaml). */
const gate = { macAddress: '44:19:b6:00:00:01', channelID: '1' };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * The devices page (#/devices) in real Chromium: each device's kind, when it was last heard and a badge; a camera
 * gone silent turns offline on the open page with a notice (the device.offline alert), and back when heard again.
 * Screenshots devices-*.png in test-artifacts/screenshots/.
 */
describe('browser: devices page', () => {
  let app: TestApp;
  let browser: BrowserSession;
  let page: Page;

  const pushHikvision = (xml: string) =>
    request(app.url)
      .post('/api/v1/ingest/hikvision')
      .set('Authorization', basic('HIK-GATE-01', 'cloudpatrol-demo'))
      .set('Content-Type', 'application/xml')
      .send(xml)
      .expect(200);
  const row = (id: string) => page.locator(`tr[data-device="${id}"]`);

  beforeAll(async () => {
    app = await startTestApp();
    await request(app.url)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${await app.token()}`)
      .send(OPERATOR)
      .expect(201);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('lists devices with kind, last seen and health, and turns a silent camera offline and back on the open page', async () => {
    await pushHikvision(
      hikAlert({ ...gate, eventState: 'inactive', activePostCount: '0' }, '  <AID><illegalTrafficEvent>unknown</illegalTrafficEvent></AID>\n'),
    );
    page = await browser.newPage('operator');
    await signIn(page, app.url, OPERATOR.username, OPERATOR.password);
    await waitForLive(page);
    // The navigation leads there.
    await page.getByRole('link', { name: '设备状态' }).click();
    await page.getByRole('heading', { name: '设备状态' }).waitFor();

    await row('HIK-GATE-01').waitFor();
    await expect(row('HIK-GATE-01').locator('td').nth(2).textContent()).resolves.toBe('摄像头');
    await expect(row('HIK-GATE-01').locator('td').nth(3).textContent()).resolves.toBe('刚刚');
    await expect(row('HIK-GATE-01').locator('[data-health]').getAttribute('data-health')).resolves.toBe('online');
    await expect(row('HIK-GATE-01').locator('td').nth(5).textContent()).resolves.toBe('10 分钟');
    await expect(row('DEMO-CAM-01').locator('[data-health]').textContent()).resolves.toBe('未上线');
    await expect(row('DRONE-01').locator('td').nth(5).textContent()).resolves.toBe('不监测');
    await browser.screenshot(page, 'devices-list.png');

    // Eleven minutes of silence, as the watcher judges it: the open page turns the camera offline and says so.
    const lastSeen = Date.now();
    await app.app.get(DeviceHealthService).scan(new Date(lastSeen + 11 * 60_000));
    await row('HIK-GATE-01').locator('[data-health="offline"]').waitFor();
    await expect(row('HIK-GATE-01').locator('[data-health]').textContent()).resolves.toBe('离线');
    await page.locator('#toast', { hasText: '设备离线' }).waitFor();
    await expect(page.locator('#toast').textContent()).resolves.toContain('HIK-GATE-01');
    await expect(page.locator('.devices-summary').textContent()).resolves.toMatch(/离线 1 台/);
    // Offline devices come first.
    await expect(page.locator('tbody tr').first().getAttribute('data-device')).resolves.toBe('HIK-GATE-01');
    await browser.screenshot(page, 'devices-offline.png');

    // Heard again: back online.
    await pushHikvision(
      hikAlert({ ...gate, eventState: 'inactive', activePostCount: '0' }, '  <AID><illegalTrafficEvent>unknown</illegalTrafficEvent></AID>\n'),
    );
    await app.app.get(DeviceHealthService).scan();
    await row('HIK-GATE-01').locator('[data-health="online"]').waitFor();
    await page.locator('#toast', { hasText: '设备已恢复' }).waitFor();
    await expect(page.locator('.devices-summary').textContent()).resolves.toMatch(/离线 0 台/);

    const phone = await browser.newPage('operator-phone', PHONE);
    await signIn(phone, app.url, OPERATOR.username, OPERATOR.password);
    await phone.goto(`${app.url}/#/devices`);
    // On a phone each device is a row of its own: name, id and kind, badge and last seen.
    const phoneRow = phone.locator('li[data-device="HIK-GATE-01"]');
    await phoneRow.waitFor();
    await expect(phoneRow.locator('[data-health]').textContent()).resolves.toBe('在线');
    await expect(phoneRow.locator('.row-sub').textContent()).resolves.toBe('HIK-GATE-01 · 摄像头');
    await browser.screenshot(phone, 'devices-phone.png');
    expect(browser.problems).toEqual([]);
  });
});
