import { Client } from 'pg';
import request from 'supertest';
import { SseClient } from '../support/sse-client';
import { eventually, startTestApp, type TestApp } from '../support/test-app';
import { createStaff, createUser, insertCase, OTHER_TOWNSHIP, step, TEAM, type TestStaff, type TestUser } from './case-loop-helpers';

interface Person {
  id: string;
  name: string | null;
  role: string | null;
}
interface FollowUp {
  id: string;
  caseId: string;
  caseNumber: string;
  kind: string;
  note: string;
  by: Person;
  handlingUnit: string | null;
  auditSeq: number;
  seen: { at: string; by: Person } | null;
}
interface CaseFollowUps {
  caseId: string;
  assignee: { user: Person; assignedBy: Person; assignedAt: string; auditSeq: number } | null;
  items: FollowUp[];
}
interface StreamAlert {
  type: string;
  case?: { id: string };
  followUp?: { id: string; kind: string; note: string; by: { id: string; name: string; role: string } };
  assignee?: { id: string } | null;
  ack?: { caseId: string; byId: string };
}

/**
 * Issue 18 item 4: claim / assign a case at the centre, 督办 / 催办 that reach the handling team's workspace and the
 * stream, and the queue of unacknowledged critical alerts — each recorded, scoped, and in the audit chain.
 */
describe('follow-up: desks, 督办 / 催办 and the critical alert queue', () => {
  let app: TestApp;
  let db: Client;
  let staff: TestStaff;
  let secondOperator: TestUser;

  beforeAll(async () => {
    app = await startTestApp();
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    staff = await createStaff(app);
    secondOperator = await createUser(app, 'operator');
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const as = (user: TestUser) => ({ Authorization: `Bearer ${user.token}` });
  const auditOf = async (caseId: string, action: string) =>
    (
      await db.query<{ actor_id: string; actor_role: string; data: Record<string, unknown> }>(
        `SELECT actor_id, actor_role, data FROM audit_log WHERE case_id = $1 AND action = $2 ORDER BY seq`,
        [caseId, action],
      )
    ).rows;
  const verifyChain = async () => (await request(app.url).get('/api/v1/audit/verify').set(as(staff.supervisor)).expect(200)).body as { ok: boolean };

  async function dispatched() {
    const c = await insertCase(db);
    await step(app, staff.operator, c.id, { action: 'review-register', evidenceUsableForPenalty: true });
    await step(app, staff.operator, c.id, { action: 'dispatch' });
    return c;
  }

  it('lets an operator claim a case, keeps it theirs against another operator, and lets a supervisor reassign it — audited', async () => {
    const c = await insertCase(db);
    const claimed = await request(app.url).post(`/api/v1/cases/${c.id}/claim`).set(as(staff.operator)).expect(200);
    expect((claimed.body as CaseFollowUps).assignee).toMatchObject({ user: { id: staff.operator.id, name: 'Test operator', role: 'operator' } });

    // Another operator cannot take it from them: the answer says who holds it.
    const taken = await request(app.url).post(`/api/v1/cases/${c.id}/claim`).set(as(secondOperator)).expect(409);
    expect((taken.body as { message: string }).message).toContain('Test operator');
    // Claiming one's own case again changes nothing and writes nothing.
    await request(app.url).post(`/api/v1/cases/${c.id}/claim`).set(as(staff.operator)).expect(200);

    // A township officer works cases in the loop, not the centre's desks.
    await request(app.url).post(`/api/v1/cases/${c.id}/claim`).set(as(staff.officer)).expect(403);
    await request(app.url).put(`/api/v1/cases/${c.id}/assignee`).set(as(staff.operator)).send({ userId: secondOperator.id }).expect(403);

    const stream = await SseClient.open(`${app.url}/api/v1/alerts/stream`, staff.operator.token);
    try {
      const assigned = await request(app.url).put(`/api/v1/cases/${c.id}/assignee`).set(as(staff.supervisor)).send({ userId: secondOperator.id }).expect(200);
      expect((assigned.body as CaseFollowUps).assignee).toMatchObject({ user: { id: secondOperator.id }, assignedBy: { id: staff.supervisor.id } });
      const pushed = await eventually('the case.assigned alert', async () =>
        // The claim's own case.assigned may arrive on this stream too: wait for the reassignment's.
        (stream.events as StreamAlert[]).find((e) => e.type === 'case.assigned' && e.case?.id === c.id && e.assignee?.id === secondOperator.id),
      );
      expect(pushed.assignee).toMatchObject({ id: secondOperator.id });
    } finally {
      stream.close();
    }

    // Only someone who can hold a case is given one.
    await request(app.url).put(`/api/v1/cases/${c.id}/assignee`).set(as(staff.supervisor)).send({ userId: staff.officer.id }).expect(422);
    const read = (await request(app.url).get(`/api/v1/cases/${c.id}/follow-ups`).set(as(staff.officer)).expect(200)).body as CaseFollowUps;
    expect(read.assignee?.user.id).toBe(secondOperator.id);

    expect(await auditOf(c.id, 'case.claim')).toEqual([
      { actor_id: staff.operator.id, actor_role: 'operator', data: { caseNumber: c.caseNumber, assignee: staff.operator.id, previous: null } },
    ]);
    expect(await auditOf(c.id, 'case.assign')).toEqual([
      { actor_id: staff.supervisor.id, actor_role: 'supervisor', data: { caseNumber: c.caseNumber, assignee: secondOperator.id, previous: staff.operator.id } },
    ]);
    expect((await verifyChain()).ok).toBe(true);
  });

  it('sends 督办 and 催办 to the handling township team over the stream and into its list, not to another township', async () => {
    const waiting = await insertCase(db);
    // Nothing to urge while the centre still has the case.
    await request(app.url).post(`/api/v1/cases/${waiting.id}/follow-ups`).set(as(staff.operator)).send({ kind: 'urge', note: '请尽快' }).expect(409);

    const c = await dispatched();
    const officerStream = await SseClient.open(`${app.url}/api/v1/alerts/stream`, staff.officer.token);
    const otherStream = await SseClient.open(`${app.url}/api/v1/alerts/stream`, staff.otherOfficer.token);
    try {
      // 督办 is a supervisor's; an operator urges.
      await request(app.url).post(`/api/v1/cases/${c.id}/follow-ups`).set(as(staff.operator)).send({ kind: 'supervise', note: '限时处理' }).expect(403);
      await request(app.url).post(`/api/v1/cases/${c.id}/follow-ups`).set(as(staff.officer)).send({ kind: 'urge', note: '自己催自己' }).expect(403);
      await request(app.url).post(`/api/v1/cases/${c.id}/follow-ups`).set(as(staff.operator)).send({ kind: 'urge', note: '   ' }).expect(400);

      const urged = (
        await request(app.url)
          .post(`/api/v1/cases/${c.id}/follow-ups`)
          .set(as(staff.operator))
          .send({ kind: 'urge', note: '群众再次投诉，请尽快清理' })
          .expect(201)
      ).body as FollowUp;
      expect(urged).toMatchObject({
        caseId: c.id,
        kind: 'urge',
        note: '群众再次投诉，请尽快清理',
        by: { id: staff.operator.id, role: 'operator' },
        handlingUnit: TEAM,
        seen: null,
      });
      const supervised = (
        await request(app.url)
          .post(`/api/v1/cases/${c.id}/follow-ups`)
          .set(as(staff.supervisor))
          .send({ kind: 'supervise', note: '今日17时前办结并回传照片' })
          .expect(201)
      ).body as FollowUp;

      const pushed = await eventually('the 督办 on the township stream', async () =>
        (officerStream.events as StreamAlert[]).find((e) => e.type === 'case.follow-up' && e.followUp?.id === supervised.id),
      );
      expect(pushed).toMatchObject({
        case: { id: c.id },
        followUp: { kind: 'supervise', note: '今日17时前办结并回传照片', by: { id: staff.supervisor.id, name: 'Test supervisor' } },
      });
      expect((officerStream.events as StreamAlert[]).some((e) => e.type === 'case.follow-up' && e.followUp?.id === urged.id)).toBe(true);

      // The team's list has both, newest first; the other township's has neither, nor can it read the case's.
      const mine = (await request(app.url).get('/api/v1/follow-ups').set(as(staff.officer)).expect(200)).body as { items: FollowUp[] };
      expect(mine.items.filter((f) => f.caseId === c.id).map((f) => f.kind)).toEqual(['supervise', 'urge']);
      const theirs = (await request(app.url).get('/api/v1/follow-ups').set(as(staff.otherOfficer)).expect(200)).body as { items: FollowUp[] };
      expect(theirs.items.filter((f) => f.caseId === c.id)).toEqual([]);
      await request(app.url).get(`/api/v1/cases/${c.id}/follow-ups`).set(as(staff.otherOfficer)).expect(404);
      await request(app.url).post(`/api/v1/follow-ups/${urged.id}/seen`).set(as(staff.otherOfficer)).expect(404);
      expect((otherStream.events as StreamAlert[]).filter((e) => e.case?.id === c.id)).toEqual([]);

      // The team marks it seen: the highlight goes off, once, with who.
      const seen = (await request(app.url).post(`/api/v1/follow-ups/${supervised.id}/seen`).set(as(staff.officer)).expect(200)).body as FollowUp;
      expect(seen.seen?.by.id).toBe(staff.officer.id);
      await request(app.url).post(`/api/v1/follow-ups/${supervised.id}/seen`).set(as(staff.officer)).expect(200);
      const record = (await request(app.url).get(`/api/v1/cases/${c.id}/follow-ups`).set(as(staff.operator)).expect(200)).body as CaseFollowUps;
      expect(record.items.map((f) => [f.kind, f.seen?.by.id ?? null])).toEqual([
        ['urge', null],
        ['supervise', staff.officer.id],
      ]);

      // Accepted: still in the team's hands (in progress), so still on its list.
      await step(app, staff.officer, c.id, { action: 'accept' });
      expect(
        ((await request(app.url).get('/api/v1/follow-ups').set(as(staff.officer)).expect(200)).body as { items: FollowUp[] }).items.some(
          (f) => f.caseId === c.id,
        ),
      ).toBe(true);
    } finally {
      officerStream.close();
      otherStream.close();
    }

    const audited = await auditOf(c.id, 'case.follow-up');
    expect(audited.map((a) => [a.actor_role, a.data.kind, a.data.note])).toEqual([
      ['operator', 'urge', '群众再次投诉，请尽快清理'],
      ['supervisor', 'supervise', '今日17时前办结并回传照片'],
    ]);
    expect(await auditOf(c.id, 'case.follow-up.seen')).toHaveLength(1);
    expect((await verifyChain()).ok).toBe(true);
  });

  it('queues critical alerts until someone at the centre acknowledges them, for every console', async () => {
    const critical = await insertCase(db);
    const medium = await insertCase(db);
    await db.query(`UPDATE cases SET severity = 'critical' WHERE id = $1`, [critical.id]);
    const queue = async (user: TestUser) =>
      (await request(app.url).get('/api/v1/critical-alerts').set(as(user)).expect(200)).body as { total: number; items: { id: string }[] };

    const before = await queue(staff.operator);
    expect(before.items.map((c) => c.id)).toContain(critical.id);
    expect(before.items.map((c) => c.id)).not.toContain(medium.id);
    expect(before.total).toBe(before.items.length);
    await request(app.url).post(`/api/v1/critical-alerts/${medium.id}/ack`).set(as(staff.operator)).expect(409);
    await request(app.url).post(`/api/v1/critical-alerts/${critical.id}/ack`).set(as(staff.officer)).expect(403);

    const otherConsole = await SseClient.open(`${app.url}/api/v1/alerts/stream`, secondOperator.token);
    try {
      const ack = (await request(app.url).post(`/api/v1/critical-alerts/${critical.id}/ack`).set(as(staff.operator)).expect(200)).body as {
        by: Person;
        at: string;
      };
      expect(ack.by).toMatchObject({ id: staff.operator.id, name: 'Test operator' });
      const pushed = await eventually('the acknowledgement on another console', async () =>
        (otherConsole.events as StreamAlert[]).find((e) => e.type === 'alert.acknowledged' && e.ack?.caseId === critical.id),
      );
      expect(pushed.ack?.byId).toBe(staff.operator.id);
      // A second acknowledgement answers the first one's who and when.
      const again = (await request(app.url).post(`/api/v1/critical-alerts/${critical.id}/ack`).set(as(secondOperator)).expect(200)).body as {
        by: Person;
        at: string;
      };
      expect(again).toMatchObject({ by: { id: staff.operator.id }, at: ack.at });
    } finally {
      otherConsole.close();
    }
    expect((await queue(secondOperator)).items.map((c) => c.id)).not.toContain(critical.id);
    expect(await auditOf(critical.id, 'alert.acknowledge')).toEqual([
      { actor_id: staff.operator.id, actor_role: 'operator', data: { caseNumber: critical.caseNumber, severity: 'critical' } },
    ]);
    expect((await db.query(`SELECT acknowledged_by FROM critical_alert_acks WHERE case_id = $1`, [critical.id])).rows).toEqual([
      { acknowledged_by: staff.operator.id },
    ]);
  });

  it('keeps a case of another township out of an officer’s reach', async () => {
    const c = await insertCase(db, { township: OTHER_TOWNSHIP });
    await request(app.url).get(`/api/v1/cases/${c.id}/follow-ups`).set(as(staff.officer)).expect(404);
    await request(app.url).get(`/api/v1/cases/${c.id}/follow-ups`).set(as(staff.otherOfficer)).expect(200);
  });
});
