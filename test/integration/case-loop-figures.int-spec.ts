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
        pending: 0,
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
        pending: 0,
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

  it('counts only deadlines already met or missed: a deadline still ahead is pending, not late', async () => {
    // Tue 15 Sep 10:30: A closed on time, B closed late, C due at 11:00 and still open.
    setClock(app, '2026-09-15T10:30');
    const mid = await figures(staff.supervisor, september);
    expect(mid.total).toMatchObject({ due: 2, closed: 2, closedOnTime: 1, pending: 1, closureRate: 1, onTimeClosureRate: 0.5 });
    setClock(app, '2026-09-15T11:30');
    const after = await figures(staff.supervisor, september);
    expect(after.total).toMatchObject({ due: 3, closed: 2, closedOnTime: 1, open: 1, pending: 0, onTimeClosureRate: 1 / 3 });
  });

  it("reads a date alone as the district's day (+08:00), not UTC", async () => {
    setClock(app, '2026-10-12T10:00');
    const f = (await request(app.url).get('/api/v1/figures?from=2026-09-01&to=2026-10-01').set('Authorization', `Bearer ${staff.supervisor.token}`).expect(200))
      .body as Figures & { from: string; to: string };
    expect([f.from, f.to]).toEqual(['2026-08-31T16:00:00.000Z', '2026-09-30T16:00:00.000Z']);
    await figures(staff.supervisor, 'from=2026-02-30&to=2026-03-02', 400);
  });

  describe('export for the dispatch meeting', () => {
    const exportAs = async (user: TestUser, query: string) => {
      const res = await request(app.url)
        .get(`/api/v1/figures/export?${query}`)
        .set('Authorization', `Bearer ${user.token}`)
        .buffer(true)
        .parse((r, done) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200);
      return { type: String(res.headers['content-type']), disposition: String(res.headers['content-disposition']), body: res.body as Buffer };
    };
    /** What the database says directly: cases past their deadline and open at the end of September. */
    const overdueInDb = async (townships: string[]) =>
      (
        await db.query<{ case_number: string; due_at: Date }>(
          `SELECT c.case_number, w.due_at FROM cases c JOIN case_workflow w ON w.case_id = c.id
            WHERE w.due_at < $1 AND (w.closed_at IS NULL OR w.closed_at > $1) AND c.status <> 'rejected' AND c.township_code = ANY($2)
            ORDER BY w.due_at`,
          [at('2026-10-01T00:00'), townships],
        )
      ).rows;

    beforeAll(() => setClock(app, '2026-10-12T10:00'));

    it('gives a workbook: the figures sheet equals the figures, the overdue sheet equals the database', async () => {
      const file = await exportAs(staff.supervisor, 'from=2026-09-01&to=2026-10-01&by=township&format=xlsx');
      expect(file.type).toContain('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      expect(file.disposition).toContain('figures-township-2026-09-01-2026-09-30.xlsx');
      const { default: readXlsxFile } = await import('read-excel-file/node');
      const sheets = await readXlsxFile(file.body);
      expect(sheets.map((x) => x.sheet)).toEqual(['考核指标', '超期案件']);

      const [head, ...rows] = sheets[0].data;
      expect(head).toEqual([
        '镇街',
        '代码',
        '新增案件',
        '应结案件',
        '已结案件',
        '按期结案',
        '超期未结',
        '尚未到期',
        '结案率',
        '按期结案率',
        '办结时长中位数(工作小时)',
      ]);
      const api = await figures(staff.supervisor, 'from=2026-09-01&to=2026-10-01&by=township');
      const byKey = new Map(rows.map((r) => [String(r[1] ?? ''), r]));
      for (const g of [...api.groups, { ...api.total, key: '' }]) {
        const r = byKey.get(g.key);
        expect(r?.slice(2, 10)).toEqual([g.opened, g.due, g.closed, g.closedOnTime, g.open, g.pending, g.closureRate, g.onTimeClosureRate]);
      }
      expect(byKey.get(TOWNSHIP)?.[0]).toBe('云溪街道');
      // And the API's counts are the database's.
      const closedInDb = Number(
        (
          await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM case_workflow w JOIN cases c ON c.id = w.case_id WHERE w.closed_at >= $1 AND w.closed_at < $2 AND c.status = 'closed'`,
            [at('2026-09-01T00:00'), at('2026-10-01T00:00')],
          )
        ).rows[0].n,
      );
      expect(byKey.get('')?.[4]).toBe(closedInDb);

      const [overdueHead, ...overdue] = sheets[1].data;
      expect(overdueHead).toEqual(['案件编号', '案件类别', '镇街', '承办单位', '办结期限', '超期(小时)', '超期时长']);
      const db1 = await overdueInDb([TOWNSHIP, OTHER_TOWNSHIP]);
      expect(overdue.map((r) => r[0])).toEqual(db1.map((r) => r.case_number));
      const hoursLate = Math.round((at('2026-10-01T00:00').getTime() - db1[0].due_at.getTime()) / 360_000) / 10;
      expect(overdue[0].slice(1)).toEqual(['占道经营', '枫林镇', '枫林镇镇街综合行政执法队', '2026-09-15 11:00', hoursLate, '15天13小时']);
    });

    it('gives CSV with a BOM for Excel, the figures or the overdue list, in English on request', async () => {
      const figuresCsv = await exportAs(staff.supervisor, 'from=2026-09-01&to=2026-10-01&by=category&format=csv&lang=en');
      expect(figuresCsv.type).toContain('text/csv');
      const text = figuresCsv.body.toString('utf8');
      expect(text.charCodeAt(0)).toBe(0xfeff);
      const lines = text.slice(1).trim().split('\r\n');
      expect(lines[0]).toBe(
        'Category,Code,Opened,Due,Closed,Closed on time,"Overdue, open",Not yet due,Closure rate,On-time closure rate,Median time to close (working hours)',
      );
      expect(lines[1]).toBe('Exposed garbage / construction waste,exposed-garbage,3,2,2,1,0,0,100.0%,50.0%,5.3');
      expect(lines.at(-1)).toBe('Total,,5,3,2,1,1,0,66.7%,33.3%,5.3');

      const overdueCsv = await exportAs(staff.supervisor, 'from=2026-09-01&to=2026-10-01&format=csv&sheet=overdue');
      expect(overdueCsv.disposition).toContain('-overdue.csv');
      const overdueLines = overdueCsv.body.toString('utf8').slice(1).trim().split('\r\n');
      expect(overdueLines.slice(1).map((l) => l.split(',')[0])).toEqual((await overdueInDb([TOWNSHIP, OTHER_TOWNSHIP])).map((r) => r.case_number));
    });

    it("gives a township officer only their township's figures and overdue cases, and a pilot nothing", async () => {
      const file = await exportAs(staff.officer, 'from=2026-09-01&to=2026-10-01&format=xlsx');
      const { default: readXlsxFile } = await import('read-excel-file/node');
      const [fig, overdue] = await readXlsxFile(file.body);
      expect(fig.data.slice(1, -1).map((r) => r[1])).toEqual([TOWNSHIP]);
      expect(overdue.data.slice(1).map((r) => r[0])).toEqual((await overdueInDb([TOWNSHIP])).map((r) => r.case_number));
      await request(app.url)
        .get('/api/v1/figures/export?from=2026-09-01&to=2026-10-01&format=csv')
        .set('Authorization', `Bearer ${staff.pilot.token}`)
        .expect(403);
      await request(app.url)
        .get('/api/v1/figures/export?from=2026-09-01&to=2026-10-01&format=pdf')
        .set('Authorization', `Bearer ${staff.supervisor.token}`)
        .expect(400);
    });
  });
});
