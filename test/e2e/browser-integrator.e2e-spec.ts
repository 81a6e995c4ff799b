import { connectAsync, type MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { Client } from 'pg';
import { PrivateMosquitto, startPrivateMosquitto } from '../fixtures/private-mosquitto';
import { launchBrowser, PHONE, signIn, type BrowserSession } from '../support/browser';
import { eventually, startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(120_000);

const USERS = {
  operator: { username: 'events-duty-operator', password: 'operator-password-1', role: 'operator', displayName: '值班员 周敏' },
  officer: { username: 'events-officer', password: 'officer-password-1', role: 'township_officer', displayName: '云溪执法队 陈刚', townshipCode: '449901001' },
};
const CAMERA = 'DEMO-CAM-01';
const STRANGER = 'UNREGISTERED-CAM-7';

/**
 * Issue 17 item 1, in real Chromium: the operator opens 事件与死信 (#/events), sees what DEMO-CAM-01 sent with each
 * event's outcome (the case it opened, or that no rule matched) and its raw payload on demand, and the dead letters
 * with the server's totals, filtered by reason. A township officer has no such page. Screenshots integrator-*.png.
 */
describe('browser: events and dead letters (integrator view)', () => {
  let broker: PrivateMosquitto;
  let app: TestApp;
  let mqtt: MqttClient;
  let db: Client;
  let browser: BrowserSession;
  let operator: Page;
  let caseNumber: string;

  beforeAll(async () => {
    // A broker of this file's own: every count on the page is exact.
    broker = await startPrivateMosquitto();
    app = await startTestApp({ env: { MQTT_URL: broker.url } });
    const admin = await app.token();
    for (const u of Object.values(USERS)) await request(app.url).post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send(u).expect(201);
    mqtt = await connectAsync(broker.url, { protocolVersion: 5 });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    const topic = `cloudpatrol/v1/devices/${CAMERA}/events`;
    const event = (eventId: string, minute: number, labels: string[]) =>
      JSON.stringify({
        eventId,
        deviceId: CAMERA,
        occurredAt: new Date(Date.UTC(2026, 10, 28, 2, minute)).toISOString(),
        detections: labels.map((label) => ({ label, confidence: 0.93 })),
      });
    await mqtt.publishAsync(topic, event('int-garbage-1', 0, ['garbage']), { qos: 1 });
    await mqtt.publishAsync(topic, event('int-nothing-1', 1, []), { qos: 1 });
    await mqtt.publishAsync(
      `cloudpatrol/v1/devices/${STRANGER}/events`,
      JSON.stringify({ eventId: 'int-stranger-1', deviceId: STRANGER, occurredAt: new Date().toISOString(), detections: [] }),
      { qos: 1 },
    );
    await mqtt.publishAsync(topic, Buffer.from([0xff, 0xfe, 0x00, 0x41]), { qos: 1 });
    await eventually('2 events, 1 case, 2 dead letters', async () => {
      const n = async (sql: string) => Number((await db.query(sql)).rows[0].n);
      return (await n('SELECT count(*) AS n FROM events')) === 2 &&
        (await n('SELECT count(*) AS n FROM cases')) === 1 &&
        (await n('SELECT count(*) AS n FROM dead_letters')) === 2
        ? true
        : undefined;
    });
    caseNumber = (await db.query<{ case_number: string }>('SELECT case_number FROM cases')).rows[0].case_number;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
    await broker?.stop();
  });

  it('shows what a camera sent with each outcome, and the raw payload on demand', async () => {
    operator = await browser.newPage('operator');
    await signIn(operator, app.url, USERS.operator.username, USERS.operator.password);
    await operator.getByRole('link', { name: '事件与死信' }).click();
    await operator.getByRole('heading', { name: '事件与死信', level: 1 }).waitFor();
    await operator.getByLabel('设备', { exact: true }).first().fill(CAMERA);
    await operator.getByRole('button', { name: '查询' }).first().click();

    // The server's totals: 2 events; this camera's unreadable bytes named no device, so no dead letter is its by id.
    await operator.getByText('共 2 条事件；同期死信 0 条').waitFor();
    const rows = operator.locator('.events-table tbody tr');
    expect(await rows.count()).toBe(2);
    const garbage = operator.locator('tr[data-event="int-garbage-1"]');
    await expect(garbage.locator('td[data-outcome="case"]').textContent()).resolves.toContain('立案');
    await expect(garbage.getByRole('link', { name: caseNumber }).getAttribute('href')).resolves.toMatch(/^#\/cases\/[0-9a-f-]{36}$/);
    const nothing = operator.locator('tr[data-event="int-nothing-1"]');
    await expect(nothing.locator('td[data-outcome="none"]').textContent()).resolves.toBe('未命中规则');

    // The payload is hidden until asked for, then shown exactly as received.
    const pre = nothing.locator('pre.raw-payload');
    expect(await pre.isVisible()).toBe(false);
    await nothing.getByRole('button', { name: '查看报文' }).click();
    await pre.waitFor({ state: 'visible' });
    expect(JSON.parse((await pre.textContent()) ?? '')).toMatchObject({ eventId: 'int-nothing-1', deviceId: CAMERA, detections: [] });
    await browser.screenshot(operator, 'integrator-events.png');
  });

  it('lists the dead letters with the server’s total, filtered by reason, payload as text or Base64', async () => {
    await operator.getByText('共 2 条死信').waitFor();
    expect(await operator.locator('.dead-letters-table tbody tr').count()).toBe(2);
    // The reason filter offers the reasons with their counts.
    const reason = operator.getByLabel('原因');
    expect(await reason.locator('option').allTextContents()).toEqual(expect.arrayContaining(['全部原因', 'unknown-device (1)', 'not-utf8 (1)']));
    await reason.selectOption('unknown-device');
    await operator.getByText('共 1 条死信').waitFor();
    const stranger = operator.locator('.dead-letters-table tbody tr');
    expect(await stranger.count()).toBe(1);
    expect(await stranger.locator('td').nth(3).textContent()).toBe(STRANGER);
    expect(await stranger.locator('td').nth(5).textContent()).toBe('未重放');
    await stranger.getByRole('button', { name: '查看报文' }).click();
    expect(JSON.parse((await stranger.locator('pre.raw-payload').textContent()) ?? '')).toMatchObject({ eventId: 'int-stranger-1', deviceId: STRANGER });

    await reason.selectOption('not-utf8');
    await operator.getByText('共 1 条死信').waitFor();
    const bytes = operator.locator('.dead-letters-table tbody tr[data-reason="not-utf8"]');
    await bytes.waitFor();
    await bytes.getByRole('button', { name: '查看报文' }).click();
    await bytes.getByText('非文本，以 Base64 显示').waitFor();
    expect(await bytes.locator('pre.raw-payload').textContent()).toBe(Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString('base64'));
    await operator.locator('#integrator-dead-letters-h').scrollIntoViewIfNeeded();
    await browser.screenshot(operator, 'integrator-dead-letters.png');

    const phone = await browser.newPage('operator-phone', PHONE);
    await signIn(phone, app.url, USERS.operator.username, USERS.operator.password);
    await phone.goto(`${app.url}/#/events/${CAMERA}`);
    await phone.getByText('共 2 条事件；同期死信 0 条').waitFor();
    await browser.screenshot(phone, 'integrator-phone.png');
    await phone.close();
  });

  it('is not offered to a township officer', async () => {
    const officer = await browser.newPage('officer');
    await signIn(officer, app.url, USERS.officer.username, USERS.officer.password);
    expect(await officer.getByRole('link', { name: '事件与死信' }).count()).toBe(0);
    await officer.goto(`${app.url}/#/events`);
    await officer.getByRole('heading', { name: '您的角色不能使用此页面。' }).waitFor();
    await officer.close();
    expect(browser.problems).toEqual([]);
  });
});
