import type { GroupFigures } from '@app/core';
import { Client } from 'pg';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';
import {
  at,
  createStaff,
  insertCase,
  OTHER_TOWNSHIP,
  setClock,
  step,
  storedAfterPhoto,
  TEAM,
  type TestStaff,
  type TestUser,
  TOWNSHIP,
} from './case-loop-helpers';

type Group = GroupFigures;
interface Rate {
  key: string;
  reviewed: number;
  rejected: number;
  rate: number | null;
}
interface Figures {
  by: string;
  groups: Group[];
  total: Group;
  falsePositives: { overall: Rate; byRule: Rate[]; byDevice: Rate[] };
}

/**
 * September 2026, five cases (API-only app: nothing else in its database).
 *   A  garbage, Yunxi   dispatched Fri 11 Sep 16:00, due Mon 14 Sep 11:30, closed Mon 10:00   on time, 150 working min
 *   B  garbage, Yunxi   dispatched Mon 14 Sep 09:00, due Mon 14:30,        closed Tue 10:00   late,    480 working min
 *   C  vending, Fenglin dispatched Tue 15 Sep 09:00, due Tue 11:00, still open                 overdue
 *   D  garbage, Yunxi   rejected on review (false positive of rule garbage-exposed / DEMO-CAM-01)
 *   E  vending, Fenglin registered on review, not dispatched
 */
describe('case loop: figures (综合评价)', () => {
  let app: TestApp;
  let db: Client;
  let staff: TestStaff;

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    staff = await createStaff(app);
    const created = at('2026-09-10T09:00');
    const vending = { category: 'street-occupation', township: OTHER_TOWNSHIP, deviceId: 'CAM-MARKET-01', ruleId: 'street-vending', createdAt: created };

    const a = await insertCase(db, { createdAt: created });
    setClock(app, '2026-09-11T15:00');
    await step(app, staff.operator, a.id, { action: 'review-register' });
    setClock(app, '2026-09-11T16:00');
    await step(app, staff.operator, a.id, { action: 'dispatch' });
    await step(app, staff.officer, a.id, { action: 'accept' });
    await step(app, staff.officer, a.id, { action: 'report-back', resultNote: 'cleared', photos: [storedAfterPhoto(app)] });
    setClock(app, '2026-09-14T10:00');
    await step(app, staff.operator, a.id, { action: 'verify-close' });

    const b = await insertCase(db, { createdAt: created });
    setClock(app, '2026-09-14T09:00');
    await step(app, staff.operator, b.id, { action: 'review-register' });
    await step(app, staff.operator, b.id, { action: 'dispatch' });
    await step(app, staff.officer, b.id, { action: 'accept' });
    await step(app, staff.officer, b.id, { action: 'report-back', resultNote: 'cleared', photos: [storedAfterPhoto(app)] });
    setClock(app, '2026-09-15T10:00');
    await step(app, staff.supervisor, b.id, { action: 'verify-close' });

    const c = await insertCase(db, vending);
    setClock(app, '2026-09-15T09:00');
    await step(app, staff.operator, c.id, { action: 'review-register' });
    await step(app, staff.operator, c.id, { action: 'dispatch' });

    const d = await insertCase(db, { createdAt: created });
    setClock(app, '2026-09-14T11:00');
    await step(app, staff.operator, d.id, { action: 'reject', reason: 'a shadow, not garbage' });

    const e = await insertCase(db, vending);
    await step(app, staff.operator, e.id, { action: 'review-register' });

    // Outside the window: opened and reviewed in October.
    const later = await insertCase(db, { createdAt: at('2026-10-12T09:00') });
    setClock(app, '2026-10-12T09:30');
    await step(app, staff.operator, later.id, { action: 'reject', reason: 'duplicate' });
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await db?.end();
    await app?.stop();
  });

  const figures = async (user: TestUser, query: string, status = 200) =>
    (await request(app.url).get(`/api/v1/figures?${query}`).set('Authorization', `Bearer ${user.token}`).expect(status)).body as Figures;
  const september = 'from=2026-09-01T00:00:00%2B08:00&to=2026-10-01T00:00:00%2B08:00';

  it('gives opened, closed, closure rate, on-time closure rate and median time to close per township', async () => {
    const f = await figures(staff.supervisor, `${september}&by=township`);
    expect(f.groups).toEqual([
      {
        key: TOWNSHIP,
        name: 'Yunxi Subdistrict',
        opened: 3,
        due: 2,
        closed: 2,
        closedOnTime: 1,
        open: 0,
        closureRate: 1,
        onTimeClosureRate: 0.5,
        medianTimeToCloseMinutes: 315,
      },
      {
        key: OTHER_TOWNSHIP,
        name: 'Fenglin Town',
        opened: 2,
        due: 1,
        closed: 0,
        closedOnTime: 0,
        open: 1,
        closureRate: 0,
        onTimeClosureRate: 0,
        medianTimeToCloseMinutes: null,
      },
    ]);
    expect(f.total).toMatchObject({
      opened: 5,
      due: 3,
      closed: 2,
      closedOnTime: 1,
      closureRate: 2 / 3,
      onTimeClosureRate: 1 / 3,
      medianTimeToCloseMinutes: 315,
    });
  });

  it('groups by category and by team', async () => {
    const byCategory = await figures(staff.supervisor, `${september}&by=category`);
    expect(byCategory.groups.map((g) => [g.key, g.name, g.opened, g.due, g.closedOnTime])).toEqual([
      ['exposed-garbage', 'Exposed garbage / construction waste', 3, 2, 1],
      ['street-occupation', 'Street occupation / unlicensed vending', 2, 1, 0],
    ]);
    const byTeam = await figures(staff.supervisor, `${september}&by=team`);
    expect(byTeam.groups.map((g) => [g.key, g.name, g.opened, g.onTimeClosureRate])).toEqual([
      [TEAM, 'Township comprehensive enforcement team (Yunxi Subdistrict)', 3, 0.5],
      [`township-team:${OTHER_TOWNSHIP}`, 'Township comprehensive enforcement team (Fenglin Town)', 2, 0],
    ]);
  });

  it('gives the false-positive rate per rule and per device over the cases reviewed in the period', async () => {
    const f = await figures(staff.supervisor, september);
    expect(f.falsePositives.overall).toEqual({ key: 'all', reviewed: 5, rejected: 1, rate: 0.2 });
    expect(f.falsePositives.byRule).toEqual([
      { key: 'garbage-exposed', reviewed: 3, rejected: 1, rate: 1 / 3 },
      { key: 'street-vending', reviewed: 2, rejected: 0, rate: 0 },
    ]);
    expect(f.falsePositives.byDevice).toEqual([
      { key: 'DEMO-CAM-01', reviewed: 3, rejected: 1, rate: 1 / 3 },
      { key: 'CAM-MARKET-01', reviewed: 2, rejected: 0, rate: 0 },
    ]);
    const october = await figures(staff.supervisor, 'from=2026-10-01&to=2026-11-01');
    expect(october.falsePositives.overall).toEqual({ key: 'all', reviewed: 1, rejected: 1, rate: 1 });
  });

  it('shows a township officer only their township, and checks the period', async () => {
    const f = await figures(staff.officer, `${september}&by=township`);
    expect(f.groups.map((g) => g.key)).toEqual([TOWNSHIP]);
    expect(f.falsePositives.overall.reviewed).toBe(3);
    await figures(staff.supervisor, 'from=2026-10-01&to=2026-09-01', 400);
    await figures(staff.supervisor, 'from=2025-01-01&to=2026-09-01', 400);
    await figures(staff.supervisor, `${september}&by=planet`, 400);
    await request(app.url).get(`/api/v1/figures?${september}`).set('Authorization', `Bearer ${staff.pilot.token}`).expect(403);
  });
});
