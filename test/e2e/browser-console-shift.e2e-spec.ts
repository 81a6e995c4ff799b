import type { Page } from 'playwright-core';
import { Client } from 'pg';
import request from 'supertest';
import { launchBrowser, signIn, waitForLive, type BrowserSession } from '../support/browser';
import { seedEvent, seedOpenCases } from '../support/console-seed';
import { eventually, startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(180_000);

const OPERATOR = { username: 'shift-operator', password: 'operator-password-9', role: 'operator', displayName: '值班员 周敏' };
const SEEDED = 640;
const OPEN = `status IN ('detected', 'registered', 'dispatched', 'in_progress', 'reported')`;

/** What the page holds right now (functions, not strings: the app's CSP forbids eval). */
const inPage = {
  rowIds: (page: Page) =>
    page.locator('.alert-scroll .alert-row').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { id: string } }).dataset.id)),
  scrollTop: (page: Page) => page.locator('.alert-scroll').evaluate((el) => (el as unknown as { scrollTop: number }).scrollTop),
  focusedId: (page: Page) =>
    page.evaluate(() => {
      const d = (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } | null } }).document;
      return d.activeElement?.getAttribute('data-id') ?? null;
    }),
};

/**
 * The console for a real shift, in Debian's Chromium: 640 open cases across the district's 13 townships (most
 * of them late) and a live stream. Counts come from the server and equal the database; rows say they are late;
 * the list is virtualised and an alert patches a row without moving the reader's scroll or keyboard focus; a
 * case is found by number or plate and opened by number in the address; the map clusters its markers with
 * counts and keeps them out of the tab order; places are named, not coded. Screenshots: test-artifacts/.
 */
describe('browser: the console for a real shift', () => {
  let app: TestApp;
  let db: Client;
  let browser: BrowserSession;
  let page: Page;
  let ids: string[];
  const count = async (where: string) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases c LEFT JOIN case_workflow w ON w.case_id = c.id WHERE ${where}`)).rows[0].n;
  const notify = (caseId: string, opened: boolean) => db.query(`SELECT pg_notify('cloudpatrol_alerts', $1)`, [JSON.stringify({ caseId, opened })]);

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    await request(app.url)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${await app.token()}`)
      .send(OPERATOR)
      .expect(201);
    await seedEvent(db);
    ids = await seedOpenCases(db, SEEDED, 0, new Date(), false);
    browser = await launchBrowser();
    page = await browser.newPage('operator', { width: 1440, height: 900 });
    await signIn(page, app.url, OPERATOR.username, OPERATOR.password);
    await page.locator('.alert-row').first().waitFor();
    await waitForLive(page);
  });

  afterAll(async () => {
    await browser?.close();
    await db?.end();
    await app?.stop();
  });

  it('shows the server’s exact counts (open, awaiting review, overdue), not the rows it happens to hold', async () => {
    const open = await count(OPEN);
    expect(open).toBe(SEEDED);
    await expect(page.locator('[data-count="total"]').textContent()).resolves.toBe(`共 ${open} 件`);
    await expect(page.locator('[data-count="review"]').textContent()).resolves.toBe(String(await count(`${OPEN} AND status = 'detected'`)));
    const overdue = await count(`${OPEN} AND w.step_due_at < now()`);
    expect(overdue).toBeGreaterThan(150);
    await expect(page.locator('[data-count="overdue"]').textContent()).resolves.toBe(String(overdue));
    // Virtualised: the document holds the rows in view, not 640.
    const rows = (await inPage.rowIds(page)).length;
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(60);
    await browser.screenshot(page, 'console-shift-1440x900.png');
  });

  it('says on a row that the case is late, and sorts the soonest due first on request', async () => {
    await page.getByLabel('排序').selectOption('deadline');
    await eventually('the deadline sort', async () =>
      (await inPage.rowIds(page))[0] !== undefined && (await page.locator('.alert-row').first().locator('[data-deadline="overdue"]').count()) === 1
        ? true
        : undefined,
    );
    const first = await page.locator('.alert-row').first().getAttribute('data-id');
    const oldest = (
      await db.query<{ id: string }>(
        `SELECT c.id FROM cases c JOIN case_workflow w ON w.case_id = c.id WHERE ${OPEN} ORDER BY w.step_due_at, c.created_at DESC LIMIT 1`,
      )
    ).rows[0].id;
    expect(first).toBe(oldest);
    await expect(page.locator('.alert-row').first().locator('.row-deadline').textContent()).resolves.toMatch(/超时|逾期|超期/);
    await page.getByLabel('排序').selectOption('created');
    await eventually('newest first again', async () => ((await inPage.rowIds(page))[0] === ids[ids.length - 1] ? true : undefined));
  });

  it('names places by grid, never by a 15-digit code', async () => {
    const subs = await page.locator('.alert-scroll .row-sub').allTextContents();
    expect(subs.length).toBeGreaterThan(5);
    for (const sub of subs) {
      expect(sub).not.toMatch(/\d{15}/);
      expect(sub).toMatch(/网格 \d{3}-\d{3}/);
    }
  });

  it('patches the row of an alert and keeps the reader’s scroll and keyboard focus while new cases arrive', async () => {
    const scroller = page.locator('.alert-scroll');
    await scroller.evaluate((el) => ((el as unknown as { scrollTop: number }).scrollTop = 64 * 20));
    await eventually('rows further down drawn', async () => ((await inPage.rowIds(page)).includes(ids[ids.length - 21]) ? true : undefined));
    const target = page.locator(`.alert-row[data-id="${ids[ids.length - 22]}"]`);
    await target.focus();
    // Tag the element: a rebuilt list would lose the tag (and the focus).
    await target.evaluate((el) => ((el as unknown as { dataset: { tagged: string } }).dataset.tagged = 'yes'));
    const topBefore = await inPage.scrollTop(page);

    // Ten new cases and one more sighting of the focused case.
    const fresh = await seedOpenCases(db, 10, SEEDED, new Date(), true);
    for (const id of fresh) await notify(id, true);
    await db.query(`UPDATE cases SET occurrence_count = 7 WHERE id = $1`, [ids[ids.length - 22]]);
    await notify(ids[ids.length - 22], false);

    await eventually('the focused row patched', async () => ((await target.locator('.count').textContent()) === '×7' ? true : undefined));
    await eventually('the new cases counted', async () =>
      (await page.locator('[data-count="total"]').textContent()) === `共 ${SEEDED + 10} 件` ? true : undefined,
    );
    expect(await inPage.focusedId(page)).toBe(ids[ids.length - 22]);
    await expect(target.getAttribute('data-tagged')).resolves.toBe('yes');
    // The ten rows above pushed the list down by ten rows; the view moved with them, so the reader sees the same cases.
    expect(await inPage.scrollTop(page)).toBe(topBefore + 10 * 64);
    await browser.screenshot(page, 'console-shift-stream-focus.png');
    // The keyboard path goes on along the list.
    await page.keyboard.press('ArrowDown');
    expect(await inPage.focusedId(page)).toBe(ids[ids.length - 23]);
  });

  it('finds a case by its plate and by its case number, and opens it', async () => {
    const { rows } = await db.query<{ id: string; case_number: string; plate: string }>(
      `SELECT id, case_number, identity->>'plate' AS plate FROM cases WHERE identity ? 'plate' ORDER BY created_at LIMIT 1 OFFSET 3`,
    );
    const [c] = rows;
    const search = page.getByLabel('搜索');
    await search.fill(c.plate.slice(1));
    await eventually('the plate found', async () => ((await page.locator('[data-count="total"]').textContent()) === '共 1 件' ? true : undefined));
    expect(await inPage.rowIds(page)).toEqual([c.id]);
    await search.fill(c.case_number);
    await eventually('the number found', async () => {
      const shown = await inPage.rowIds(page);
      return shown.length === 1 && shown[0] === c.id && (await page.locator('[data-count="total"]').textContent()) === '共 1 件' ? true : undefined;
    });
    const started = Date.now();
    await page.locator(`.alert-row[data-id="${c.id}"]`).click();
    await page.locator(`.review-head[data-id="${c.id}"][data-complete="true"]`).waitFor();
    expect(Date.now() - started).toBeLessThan(3000);
    await browser.screenshot(page, 'console-shift-search.png');
    await search.fill('');
    await eventually('the whole list back', async () =>
      (await page.locator('[data-count="total"]').textContent()) === `共 ${SEEDED + 10} 件` ? true : undefined,
    );
  });

  it('opens #/cases/<case number> as the case page', async () => {
    const { rows } = await db.query<{ case_number: string }>(`SELECT case_number FROM cases ORDER BY created_at LIMIT 1`);
    const other = await browser.newPage('case by number');
    await signIn(other, app.url, OPERATOR.username, OPERATOR.password);
    await other.goto(`${app.url}/#/cases/${rows[0].case_number}`);
    await other.getByText(rows[0].case_number).first().waitFor();
    expect(await other.getByText('案件不存在').count()).toBe(0);
    await browser.screenshot(other, 'console-shift-case-by-number.png');
    await other.close();
  });

  it('clusters the map’s markers with counts and keeps them out of the tab order', async () => {
    const clusters = page.locator('.map-svg .marker.cluster');
    expect(await clusters.count()).toBeGreaterThan(0);
    // Each case the console holds is on the map once: in a cluster's count or as its own marker. The map is redrawn at
    // most once a second, so after the search was cleared it may still show the first page of the list reloading.
    const onMap = async () => {
      const counts = (await page.locator('.map-svg .marker.cluster text').allTextContents()).map(Number);
      return { counts, cases: counts.reduce((a, b) => a + b, 0) + (await page.locator('.map-svg .marker:not(.cluster)').count()) };
    };
    const { counts } = await eventually('every case the console holds on the map', async () => {
      const seen = await onMap();
      return seen.cases >= 500 ? seen : undefined;
    });
    expect(Math.max(...counts)).toBeGreaterThan(100); // the busy spot
    const tabbable = await page
      .locator('.map-svg .marker')
      .evaluateAll((els) => els.filter((e) => (e as unknown as { getAttribute(n: string): string | null }).getAttribute('tabindex') !== '-1').length);
    expect(tabbable).toBe(0);
    // Zooming in splits the clusters.
    const before = await page.locator('.map-svg .marker').count();
    for (let i = 0; i < 4; i++) await page.getByRole('button', { name: '放大' }).click();
    await eventually('more markers when zoomed in', async () => ((await page.locator('.map-svg .marker').count()) > before ? true : undefined));
    // From the search box, Tab walks the filters and then the list, never a marker.
    await page.getByLabel('搜索').focus();
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Tab');
      const onMarker = await page.evaluate(() => {
        const d = (globalThis as unknown as { document: { activeElement: { closest(s: string): unknown } | null } }).document;
        return Boolean(d.activeElement?.closest('.marker'));
      });
      expect(onMarker).toBe(false);
    }
    await browser.screenshot(page, 'console-shift-map-zoomed.png');
  });

  it('shows a flying drone where its DJI osd says it is, and follows it', async () => {
    // One osd point a second (what DJI sends): the second point is the next second's.
    const at = (lat: number, lng: number, heading: number, later = 0) =>
      db.query(
        `INSERT INTO device_track_points (device_id, at, lat, lng, height, heading) VALUES ('DRONE-01', date_trunc('second', now()) + $4 * interval '1 second', $1, $2, 120, $3)`,
        [lat, lng, heading, later],
      );
    await at(23.09, 113.3, 45);
    const drone = page.locator('.map-svg .drone[data-id="DRONE-01"]');
    await drone.waitFor({ timeout: 10_000 });
    await expect(drone.getAttribute('aria-label')).resolves.toBe('无人机 Patrol drone 01');
    const first = await drone.getAttribute('transform');
    await at(23.1, 113.28, 90, 1);
    await eventually('the drone moved', async () => ((await drone.getAttribute('transform')) !== first ? true : undefined), 10_000);
    expect(await drone.getAttribute('tabindex')).toBeNull();
  });

  it('fits a 1024×768 laptop', async () => {
    await page.setViewportSize({ width: 1024, height: 768 });
    await eventually('rows at 1024×768', async () => ((await inPage.rowIds(page)).length > 3 ? true : undefined));
    await browser.screenshot(page, 'console-shift-1024x768.png');
    expect(browser.problems).toEqual([]);
  });
});
