import { Client } from 'pg';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';
import { act, createStaff, insertCase, OTHER_TOWNSHIP, step, TEAM, type TestStaff, type TestUser, TOWNSHIP } from './case-loop-helpers';

const OTHER_TEAM = `township-team:${OTHER_TOWNSHIP}`;

interface CaseBody {
  status: string;
  townshipCode: string | null;
  handlingUnit: string | null;
  allowedActions?: string[];
  loop: { counts: { transitions: number } };
}

/**
 * Issue 17 item 4: dispatching a case of township A to township B's team stranded it (A's township, B's team: B's
 * officer got 404, A's 403). Decision: dispatch stays within the case's township; handing a case to another
 * township is a transfer (移送), which moves the case there and needs a reason.
 */
describe("case loop: dispatch to another township's team", () => {
  let app: TestApp;
  let db: Client;
  let staff: TestStaff;

  const get = (user: TestUser, id: string) => request(app.url).get(`/api/v1/cases/${id}`).set('Authorization', `Bearer ${user.token}`);
  const transitionsOf = async (id: string): Promise<string[]> =>
    (await db.query<{ action: string }>(`SELECT action FROM case_transitions WHERE case_id = $1 ORDER BY seq`, [id])).rows.map((r) => r.action);

  beforeAll(async () => {
    app = await startTestApp();
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    staff = await createStaff(app);
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  it('is refused with 422, pointing to transfer, and changes nothing', async () => {
    const c = await insertCase(db);
    await step(app, staff.operator, c.id, { action: 'review-register', evidenceUsableForPenalty: true });
    const auditBefore = (await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_log WHERE case_id = $1`, [c.id])).rows[0].n;

    for (const user of [staff.operator, staff.supervisor, staff.officer]) {
      const res = await act(app, user, c.id, { action: 'dispatch', unit: OTHER_TEAM, note: 'Fenglin can handle it' });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ statusCode: 422, error: 'invalid-input' });
      expect((res.body as { message: string }).message).toContain(`use transfer (移送) to hand the case to township ${OTHER_TOWNSHIP}`);
    }

    // Still township A's registered case: A's officer sees it and may dispatch it; B's officer does not see it.
    const still = (await get(staff.officer, c.id).expect(200)).body as CaseBody;
    expect(still).toMatchObject({ status: 'registered', townshipCode: TOWNSHIP, handlingUnit: TEAM });
    expect(still.allowedActions).toContain('dispatch');
    await get(staff.otherOfficer, c.id).expect(404);
    expect(await transitionsOf(c.id)).toEqual(['open', 'review-register']);
    expect((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_log WHERE case_id = $1`, [c.id])).rows[0].n).toBe(auditBefore);
    expect((await db.query(`SELECT 1 FROM outbox WHERE message_key = $1 AND payload->>'action' = 'dispatch'`, [c.id])).rowCount).toBe(0);

    // The step that hands it over: a transfer with its reason. B's officer then sees the case and accepts it.
    const moved = await step(app, staff.operator, c.id, { action: 'transfer', unit: OTHER_TEAM, reason: 'the place is in Fenglin Town' });
    expect(moved.case).toMatchObject({ status: 'dispatched', townshipCode: OTHER_TOWNSHIP, handlingUnit: OTHER_TEAM });
    const seen = (await get(staff.otherOfficer, c.id).expect(200)).body as CaseBody;
    expect(seen.allowedActions).toContain('accept');
    const accepted = await step(app, staff.otherOfficer, c.id, { action: 'accept' });
    expect(accepted.case).toMatchObject({ status: 'in_progress', townshipCode: OTHER_TOWNSHIP });
    await get(staff.officer, c.id).expect(404);
  });

  it("refuses routing's proposal too when it names another township's team, and still dispatches to departments and the own team", async () => {
    const misrouted = await insertCase(db, { unit: OTHER_TEAM });
    await step(app, staff.operator, misrouted.id, { action: 'review-register' });
    const res = await act(app, staff.operator, misrouted.id, { action: 'dispatch' });
    expect(res.status).toBe(422);
    expect((res.body as { message: string }).message).toContain('use transfer (移送)');
    const own = await step(app, staff.operator, misrouted.id, { action: 'dispatch', unit: TEAM });
    expect(own.case).toMatchObject({ status: 'dispatched', townshipCode: TOWNSHIP, handlingUnit: TEAM });
    await step(app, staff.officer, misrouted.id, { action: 'accept' });

    const toPolice = await insertCase(db);
    await step(app, staff.operator, toPolice.id, { action: 'review-register' });
    const police = await step(app, staff.officer, toPolice.id, { action: 'dispatch', unit: 'traffic-police' });
    expect(police.case).toMatchObject({ status: 'dispatched', townshipCode: TOWNSHIP, handlingUnit: 'traffic-police' });
    await step(app, staff.liaison, toPolice.id, { action: 'accept' });
  });
});
