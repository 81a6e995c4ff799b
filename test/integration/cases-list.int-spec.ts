import { CaseLoopService } from '@app/core';
import { Client } from 'pg';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app';
import { createStaff, insertCase, OTHER_TOWNSHIP, TOWNSHIP, type TestStaff, type TestUser } from './case-loop-helpers';

interface Row {
  id: string;
  caseNumber: string;
  status: string;
  severity: string;
  townshipCode: string | null;
  handlingUnit: string | null;
  createdAt: string;
  lastSeenAt: string;
  deadlineState?: string | null;
  loop?: { deadline: { dueAt: string } | null };
}
interface Page {
  items: Row[];
  total: number;
  summary: { open: number; awaitingReview: number; overdue: number; dueSoon: number };
}

const OPEN = ['detected', 'registered', 'dispatched', 'in_progress', 'reported'];
const RANK: Record<string, number> = { critical: 4, high: 3, medium: 2, low: 1 };

/**
 * The case list for a real shift: paged and sorted by the database, exact totals (checked against direct
 * counts), filters by status / category / township / team / deadline, search by case number and plate, the
 * deadline state of each row, and a case opened by its number.
 */
describe('cases list: server-side paging, sorting, filters, search and totals', () => {
  let app: TestApp;
  let db: Client;
  let staff: TestStaff;
  const plates = new Map<string, string>();
  let overdueIds: string[] = [];
  let dueSoonIds: string[] = [];

  const list = async (user: TestUser, query: Record<string, string | number>): Promise<Page> => {
    const res = await request(app.url).get('/api/v1/cases').query(query).set('Authorization', `Bearer ${user.token}`);
    if (res.status !== 200) throw new Error(`GET /cases ${JSON.stringify(query)} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as Page;
  };
  /** Every page of a query, 7 at a time (so paging is exercised). */
  const all = async (user: TestUser, query: Record<string, string>): Promise<{ rows: Row[]; totals: Set<number> }> => {
    const rows: Row[] = [];
    const totals = new Set<number>();
    for (let offset = 0; ; offset += 7) {
      const page = await list(user, { ...query, limit: 7, offset });
      totals.add(page.total);
      rows.push(...page.items);
      if (page.items.length < 7) return { rows, totals };
    }
  };
  const count = async (where: string, params: unknown[] = []): Promise<number> => {
    const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases c LEFT JOIN case_workflow w ON w.case_id = c.id WHERE ${where}`, params);
    return r.rows[0].n;
  };

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    staff = await createStaff(app);
    const severities = ['low', 'medium', 'high', 'critical'];
    for (let i = 0; i < 36; i++) {
      const plate = i % 4 === 0 ? `浙A${String(10000 + i)}` : undefined;
      const c = await insertCase(db, {
        township: i % 3 === 2 ? OTHER_TOWNSHIP : TOWNSHIP,
        category: i % 5 === 0 ? 'illegal-parking' : 'exposed-garbage',
        plate,
        createdAt: new Date(Date.now() - (36 - i) * 60_000),
        unit: i % 6 === 1 ? 'traffic-police' : undefined,
      });
      if (plate) plates.set(plate, c.id);
      await db.query(`UPDATE cases SET severity = $2, last_seen_at = now() - ($3::int * interval '1 minute') WHERE id = $1`, [
        c.id,
        severities[i % 4],
        (i * 7) % 36,
      ]);
    }
    // Every case gets its review clock (the intake job the worker runs), then some are late and some due soon.
    await app.app.get(CaseLoopService).intakePending(500);
    const ids = (await db.query<{ id: string }>(`SELECT id FROM cases ORDER BY created_at`)).rows.map((r) => r.id);
    overdueIds = ids.filter((_, i) => i % 4 === 1);
    dueSoonIds = ids.filter((_, i) => i % 4 === 2).slice(0, 5);
    await db.query(`UPDATE case_workflow SET step_due_at = now() - interval '20 minutes', deadline_state = 'overdue' WHERE case_id = ANY($1::uuid[])`, [
      overdueIds,
    ]);
    await db.query(`UPDATE case_workflow SET step_due_at = now() + interval '10 minutes', deadline_state = 'due-soon' WHERE case_id = ANY($1::uuid[])`, [
      dueSoonIds,
    ]);
    // A few ended cases: they are never late, whatever their old clock said.
    await db.query(`UPDATE cases SET status = 'closed' WHERE id = ANY($1::uuid[])`, [ids.filter((_, i) => i % 9 === 0)]);
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  it('has a review clock on every open case (the rows carry their deadline)', async () => {
    expect(await count(`c.status = ANY($1) AND w.step_due_at IS NULL`, [OPEN])).toBe(0);
  });

  it('gives totals equal to the database counts for every filter, and pages through them exactly once', async () => {
    const cases: [Record<string, string>, string, unknown[]][] = [
      [{}, 'true', []],
      [{ status: 'open' }, 'c.status = ANY($1)', [OPEN]],
      [{ status: 'detected' }, `c.status = 'detected'`, []],
      [{ status: 'closed' }, `c.status = 'closed'`, []],
      [{ township: OTHER_TOWNSHIP }, 'c.township_code = $1', [OTHER_TOWNSHIP]],
      [{ category: 'illegal-parking' }, `c.category_code = 'illegal-parking'`, []],
      [{ team: 'traffic-police' }, `c.handling_unit = 'traffic-police'`, []],
      [{ team: `township-team:${TOWNSHIP}`, status: 'open' }, 'c.handling_unit = $1 AND c.status = ANY($2)', [`township-team:${TOWNSHIP}`, OPEN]],
      [{ deadline: 'overdue' }, 'c.status = ANY($1) AND w.step_due_at < now()', [OPEN]],
      [{ deadline: 'due-soon' }, `c.status = ANY($1) AND w.step_due_at >= now() AND w.deadline_state = 'due-soon'`, [OPEN]],
      [{ source: 'cloudpatrol' }, `c.explanation->>'source' = 'cloudpatrol'`, []],
    ];
    for (const [query, where, params] of cases) {
      const expected = await count(where, params);
      const { rows, totals } = await all(staff.operator, query);
      expect({ query, totals: [...totals] }).toEqual({ query, totals: [expected] });
      expect(new Set(rows.map((r) => r.id)).size).toBe(expected);
    }
    // Sanity: the filters do narrow (otherwise the comparisons above prove little).
    expect(await count(`c.status = ANY($1) AND w.step_due_at < now()`, [OPEN])).toBeGreaterThan(3);
    expect(await count(`c.handling_unit = 'traffic-police'`)).toBeGreaterThan(3);
  });

  it('counts the badges (open, awaiting review, overdue, due soon) from the server, whatever the status filter', async () => {
    const page = await list(staff.operator, { status: 'closed', limit: 1 });
    expect(page.summary).toEqual({
      open: await count('c.status = ANY($1)', [OPEN]),
      awaitingReview: await count(`c.status = 'detected'`),
      overdue: await count('c.status = ANY($1) AND w.step_due_at < now()', [OPEN]),
      dueSoon: await count(`c.status = ANY($1) AND w.step_due_at >= now() AND w.deadline_state = 'due-soon'`, [OPEN]),
    });
  });

  it('scopes an officer to its township exactly as before, totals included', async () => {
    const { rows, totals } = await all(staff.officer, {});
    expect([...totals]).toEqual([await count('c.township_code = $1', [TOWNSHIP])]);
    expect(rows.every((r) => r.townshipCode === TOWNSHIP)).toBe(true);
    const page = await list(staff.officer, { township: OTHER_TOWNSHIP });
    expect(page.total).toBe(0);
    expect(page.summary.open).toBe(0);
    expect((await list(staff.officer, { limit: 1 })).summary.awaitingReview).toBe(await count(`c.township_code = $1 AND c.status = 'detected'`, [TOWNSHIP]));
  });

  it('sorts by created, deadline, severity and last seen in the database, across pages', async () => {
    const created = (await all(staff.operator, { sort: 'created' })).rows;
    const expectCreated = (await db.query<{ id: string }>(`SELECT id FROM cases ORDER BY created_at DESC, id DESC`)).rows.map((r) => r.id);
    expect(created.map((r) => r.id)).toEqual(expectCreated);

    const deadline = (await all(staff.operator, { sort: 'deadline', status: 'open' })).rows;
    const dues = deadline.map((r) => r.loop?.deadline?.dueAt ?? null);
    expect(dues.every((d) => d !== null)).toBe(true);
    expect([...dues].sort()).toEqual(dues);
    expect(deadline[0].deadlineState).toBe('overdue');

    const severity = (await all(staff.operator, { sort: 'severity' })).rows.map((r) => RANK[r.severity]);
    expect([...severity].sort((a, b) => b - a)).toEqual(severity);
    expect(new Set(severity).size).toBe(4);

    const lastSeen = (await all(staff.operator, { sort: 'last-seen' })).rows.map((r) => r.lastSeenAt);
    expect([...lastSeen].sort().reverse()).toEqual(lastSeen);
  });

  it('says on each row whether it is overdue or due soon', async () => {
    const { rows } = await all(staff.operator, {});
    for (const r of rows) {
      const expected = !OPEN.includes(r.status) ? null : overdueIds.includes(r.id) ? 'overdue' : dueSoonIds.includes(r.id) ? 'due-soon' : 'on-track';
      expect({ id: r.id, state: r.deadlineState }).toEqual({ id: r.id, state: expected });
    }
    const overdue = await list(staff.operator, { deadline: 'overdue', limit: 500 });
    expect(overdue.items.every((r) => r.deadlineState === 'overdue')).toBe(true);
    const dueSoon = await list(staff.operator, { deadline: 'due-soon', limit: 500 });
    expect(dueSoon.items.length).toBeGreaterThan(0);
    expect(dueSoon.items.every((r) => r.deadlineState === 'due-soon')).toBe(true);
  });

  it('finds a case by its case number (whole or its start) and by its plate (whole or part)', async () => {
    const [plate, id] = [...plates.entries()][1];
    const { rows } = await db.query<{ case_number: string }>(`SELECT case_number FROM cases WHERE id = $1`, [id]);
    const caseNumber = rows[0].case_number;

    const byNumber = await list(staff.operator, { q: caseNumber });
    expect(byNumber.total).toBe(1);
    expect(byNumber.items[0].id).toBe(id);
    expect((await list(staff.operator, { q: caseNumber.toLowerCase() })).items.map((r) => r.id)).toEqual([id]);
    const byDay = await list(staff.operator, { q: caseNumber.slice(0, 12) });
    expect(byDay.total).toBe(await count(`c.case_number LIKE $1`, [`${caseNumber.slice(0, 12)}%`]));

    const byPlate = await list(staff.operator, { q: plate });
    expect(byPlate.items.map((r) => r.id)).toEqual([id]);
    expect((await list(staff.operator, { q: ` ${plate.slice(1).toLowerCase()} ` })).items.map((r) => r.id)).toEqual([id]);
    // A wildcard typed by a user is a character, not a pattern.
    expect((await list(staff.operator, { q: '%' })).total).toBe(0);
    expect((await list(staff.operator, { q: 'nothing-like-this' })).total).toBe(0);
  });

  it('keeps the search inside the scope: an officer does not find another township’s plate', async () => {
    const other = (
      await db.query<{ plate: string }>(`SELECT identity->>'plate' AS plate FROM cases WHERE township_code = $1 AND identity ? 'plate' LIMIT 1`, [
        OTHER_TOWNSHIP,
      ])
    ).rows[0].plate;
    expect((await list(staff.operator, { q: other })).total).toBe(1);
    expect((await list(staff.officer, { q: other })).total).toBe(0);
  });

  it('opens a case by its number: the case, its evidence and its record (#/cases/<case number>)', async () => {
    const { rows } = await db.query<{ id: string; case_number: string }>(`SELECT id, case_number FROM cases WHERE township_code = $1 LIMIT 1`, [TOWNSHIP]);
    const { id, case_number: caseNumber } = rows[0];
    const get = (path: string, user: TestUser) => request(app.url).get(`/api/v1/cases/${path}`).set('Authorization', `Bearer ${user.token}`);
    const res = await get(caseNumber, staff.operator).expect(200);
    expect((res.body as Row).id).toBe(id);
    expect(((await get(`${caseNumber}/timeline`, staff.operator).expect(200)).body as { caseId: string }).caseId).toBe(id);
    expect(((await get(`${caseNumber}/evidence`, staff.officer).expect(200)).body as { caseId: string }).caseId).toBe(id);
    // Outside the scope a number answers like a missing case.
    await get(caseNumber, staff.otherOfficer).expect(404);
    await get(`${caseNumber}/evidence`, staff.otherOfficer).expect(404);
    await get('CP-19990101-000001', staff.operator).expect(404);
  });

  it('refuses unknown sorts and deadline filters', async () => {
    await request(app.url).get('/api/v1/cases?sort=random').set('Authorization', `Bearer ${staff.operator.token}`).expect(400);
    await request(app.url).get('/api/v1/cases?deadline=late').set('Authorization', `Bearer ${staff.operator.token}`).expect(400);
  });
});
