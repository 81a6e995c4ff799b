import { frigateCar, frigateMessage } from '../fixtures/payloads/frigate-event.fixtures';
import { randomBytes } from 'node:crypto';
import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { readServices } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import {
  act,
  createStaff,
  insertCase,
  OTHER_TOWNSHIP,
  step,
  storedAfterPhoto,
  TEAM,
  type TestStaff,
  type TestUser,
  TOWNSHIP,
  type TransitionResponse,
} from './case-loop-helpers';

interface TimelineBody {
  caseNumber: string;
  items: {
    type: string;
    at: string;
    transition?: {
      seq: number;
      action: string;
      from: string | null;
      to: string;
      actor: { id: string; role: string };
      reason: string | null;
      note: string | null;
      toUnit: string | null;
      actorName: string | null;
    };
  }[];
}

describe('case loop: the seven steps as a state machine', () => {
  let app: TestApp;
  let db: Client;
  let mqtt: MqttClient;
  let staff: TestStaff;
  // A Frigate topic of this file's own, so no other test app on the shared Mosquitto sees these events.
  const frigatePrefix = `frigate-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    app = await startTestApp({ env: { FRIGATE_TOPIC_PREFIX: frigatePrefix } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    staff = await createStaff(app);
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
  });

  const getCase = async (user: TestUser, id: string, expected = 200) =>
    (await request(app.url).get(`/api/v1/cases/${id}`).set('Authorization', `Bearer ${user.token}`).expect(expected)).body as TransitionResponse['case'];
  const timeline = async (user: TestUser, id: string) =>
    (await request(app.url).get(`/api/v1/cases/${id}/timeline`).set('Authorization', `Bearer ${user.token}`).expect(200)).body as TimelineBody;
  const workflowCount = async (id: string): Promise<number> =>
    Number((await db.query(`SELECT coalesce((SELECT transition_count FROM case_workflow WHERE case_id = $1), 0) AS n`, [id])).rows[0].n);

  async function registered(o: Parameters<typeof insertCase>[1] = {}) {
    const c = await insertCase(db, o);
    await step(app, staff.operator, c.id, { action: 'review-register', evidenceUsableForPenalty: true });
    return c;
  }

  async function garbageFromFrigate(): Promise<{ id: string; caseNumber: string }> {
    const objectId = `${Date.now() / 1000}-${randomBytes(3).toString('hex')}`;
    const after = frigateCar({
      id: objectId,
      camera: 'lanting_market',
      label: 'garbage',
      sub_label: null,
      score: 0.91,
      top_score: 0.91,
      current_zones: ['market'],
      entered_zones: ['market'],
      recognized_license_plate: null,
      recognized_license_plate_score: null,
      start_time: Date.now() / 1000 - 5,
      frame_time: Date.now() / 1000,
    });
    await mqtt.publishAsync(`${frigatePrefix}/events`, frigateMessage('new', after, after), { qos: 1 });
    return eventually('the Frigate garbage case', async () => {
      const r = await db.query<{ id: string; case_number: string }>(
        `SELECT c.id, c.case_number FROM cases c JOIN case_occurrences o ON o.case_id = c.id JOIN events e ON e.id = o.event_id
          WHERE e.source = 'frigate' AND e.source_event_id LIKE $1 AND c.grouping_open`,
        [`${objectId}%`],
      );
      return r.rows[0] ? { id: r.rows[0].id, caseNumber: r.rows[0].case_number } : undefined;
    });
  }

  it('walks a machine-made case from detection to closure, keeping who, when and why', async () => {
    const { id } = await garbageFromFrigate();
    const detected = await getCase(staff.operator, id);
    expect(detected).toMatchObject({ status: 'detected', handlingUnit: TEAM, townshipCode: TOWNSHIP });
    // Not even a transfer before review: the art. 41 gate holds for every way out of `detected` but reject.
    expect(detected.allowedActions).toEqual(['review-register', 'reject']);

    // Art. 41: a person reviews the machine evidence before anything else.
    const reg = await step(app, staff.operator, id, { action: 'review-register', evidenceUsableForPenalty: true, note: 'snapshot is clear' });
    expect(reg.transition).toMatchObject({
      seq: 2,
      action: 'review-register',
      from: 'detected',
      to: 'registered',
      actor: { id: staff.operator.id, role: 'operator' },
    });
    expect(reg.case.loop.review?.reviewedBy).toBe(staff.operator.id);
    expect(reg.case.loop.evidence).toMatchObject({ deviceReviewPassed: true, usableForPenalty: true, note: null });
    expect(reg.case.loop.partyVerification).toEqual({ method: 'code', code: expect.stringMatching(/^\d{6}$/) });

    const disp = await step(app, staff.operator, id, { action: 'dispatch' });
    expect(disp.case).toMatchObject({ status: 'dispatched', handlingUnit: TEAM });
    expect(disp.case.loop.dueAt).not.toBeNull();
    expect(disp.case.loop.deadline).toMatchObject({
      step: 'handle',
      dueAt: disp.case.loop.dueAt,
      limit: { amount: 4, unit: 'working-hours', source: 'category' },
    });
    expect(disp.transition.details).toMatchObject({ dueAt: disp.case.loop.dueAt });

    await step(app, staff.officer, id, { action: 'accept' });
    const afterPhoto = storedAfterPhoto(app);
    const rep = await step(app, staff.officer, id, { action: 'report-back', resultNote: 'garbage removed, site swept', photos: [afterPhoto] });
    expect(rep.case.loop).toMatchObject({ resultNote: 'garbage removed, site swept', afterPhotos: [afterPhoto] });
    expect(rep.case.loop.deadline?.step).toBe('verify');

    // Verification is the centre's: the officer who reported may not close.
    const selfVerify = await act(app, staff.officer, id, { action: 'verify-close' });
    expect(selfVerify.status).toBe(403);
    const closed = await step(app, staff.supervisor, id, { action: 'verify-close', note: 'checked on camera' });
    expect(closed.case.status).toBe('closed');
    expect(closed.case.loop.deadline).toBeNull();

    const t = await timeline(staff.officer, id);
    expect(t.items.map((i) => [i.transition?.seq, i.transition?.action, i.transition?.actor.role])).toEqual([
      [1, 'open', 'device'],
      [2, 'review-register', 'operator'],
      [3, 'dispatch', 'operator'],
      [4, 'accept', 'township_officer'],
      [5, 'report-back', 'township_officer'],
      [6, 'verify-close', 'supervisor'],
    ]);
    expect(t.items[1].transition).toMatchObject({ note: 'snapshot is clear', actorName: 'Test operator' });
    expect(t.items[2].transition?.toUnit).toBe(TEAM);
    expect(t.items.every((i) => !Number.isNaN(Date.parse(i.at)))).toBe(true);

    // Closing ends grouping: the same garbage seen again is a new case.
    expect((await db.query(`SELECT grouping_open FROM cases WHERE id = $1`, [id])).rows[0].grouping_open).toBe(false);
    const again = await garbageFromFrigate();
    expect(again.id).not.toBe(id);
  });

  it('cannot reach dispatch without a person reviewing the evidence', async () => {
    const c = await insertCase(db);
    const dispatch = await act(app, staff.operator, c.id, { action: 'dispatch' });
    expect(dispatch.status).toBe(409);
    expect(dispatch.body).toMatchObject({ error: 'invalid-state', message: expect.stringMatching(/detected.*registered/) });
    const transfer = await act(app, staff.operator, c.id, { action: 'transfer', unit: 'traffic-police', reason: 'carriageway' });
    expect(transfer.status).toBe(409);
    expect(transfer.body).toMatchObject({ error: 'review-required', message: expect.stringMatching(/art\. 41/) });
    expect((await getCase(staff.operator, c.id)).status).toBe('detected');
  });

  it('rejects a false positive with its reason, and a supervisor can reopen it for a fresh review', async () => {
    const c = await insertCase(db);
    const noReason = await act(app, staff.operator, c.id, { action: 'reject' });
    expect(noReason.status).toBe(422);
    expect(noReason.body).toMatchObject({ error: 'missing-reason', message: 'A reason is required to reject a case.' });

    const rejected = await step(app, staff.officer, c.id, { action: 'reject', reason: 'a parked delivery cart, not garbage' });
    expect(rejected.case.status).toBe('rejected');
    expect(rejected.case.loop.evidence.usableForPenalty).toBe(false);
    expect((await db.query(`SELECT grouping_open FROM cases WHERE id = $1`, [c.id])).rows[0].grouping_open).toBe(false);

    expect((await act(app, staff.operator, c.id, { action: 'reopen', reason: 'x' })).status).toBe(403);
    const reopened = await step(app, staff.supervisor, c.id, { action: 'reopen', reason: 'the cart was there for two days' });
    expect(reopened.case.status).toBe('detected');
    expect(reopened.case.loop.review).toBeNull();
    expect(reopened.case.loop.counts.reopens).toBe(1);
    expect(reopened.case.loop.deadline?.step).toBe('review');
    expect((await db.query(`SELECT grouping_open FROM cases WHERE id = $1`, [c.id])).rows[0].grouping_open).toBe(true);
  });

  it('reopens a closed case at registered', async () => {
    const c = await registered();
    await step(app, staff.operator, c.id, { action: 'dispatch' });
    await step(app, staff.officer, c.id, { action: 'accept' });
    await step(app, staff.officer, c.id, { action: 'report-back', resultNote: 'done', photos: [storedAfterPhoto(app)] });
    await step(app, staff.operator, c.id, { action: 'verify-close' });
    const reopened = await step(app, staff.supervisor, c.id, { action: 'reopen', reason: 'garbage is back the next morning' });
    expect(reopened.case.status).toBe('registered');
    expect(reopened.case.loop).toMatchObject({ dueAt: null, deadline: null });
    expect(reopened.case.loop.review).not.toBeNull();
  });

  it('sends a report back for rework, to the officer or to the unit, without restarting the clock', async () => {
    const c = await registered();
    const dispatched = await step(app, staff.operator, c.id, { action: 'dispatch' });
    await step(app, staff.officer, c.id, { action: 'accept' });
    await step(app, staff.officer, c.id, { action: 'report-back', resultNote: 'moved the bags', photos: [storedAfterPhoto(app)] });

    expect((await act(app, staff.operator, c.id, { action: 'send-back' })).status).toBe(422);
    const back = await step(app, staff.operator, c.id, { action: 'send-back', reason: 'bags only moved to the kerb' });
    expect(back.case.status).toBe('in_progress');
    expect(back.case.loop).toMatchObject({ dueAt: dispatched.case.loop.dueAt, resultNote: null, counts: { sendBacks: 1 } });
    expect(back.case.loop.deadline?.dueAt).toBe(dispatched.case.loop.dueAt);

    await step(app, staff.officer, c.id, { action: 'report-back', resultNote: 'bags collected by the sanitation truck', photos: [storedAfterPhoto(app)] });
    const toUnit = await step(app, staff.supervisor, c.id, { action: 'send-back', reason: 'the team must re-inspect', to: 'dispatched' });
    expect(toUnit.case.status).toBe('dispatched');
    expect(toUnit.case.allowedActions).toEqual(['transfer']);
    expect((await act(app, staff.officer, c.id, { action: 'report-back', resultNote: 'x' })).status).toBe(409);
    await step(app, staff.officer, c.id, { action: 'accept', note: 're-inspecting' });
  });

  it('transfers (移送) with a reason from any open state, to a department or another township', async () => {
    const c = await registered();
    expect((await act(app, staff.operator, c.id, { action: 'transfer', unit: 'traffic-police' })).status).toBe(422);
    const unknown = await act(app, staff.operator, c.id, { action: 'transfer', unit: 'no-such-unit', reason: 'x' });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ error: 'invalid-input', message: expect.stringMatching(/Unknown unit/) });

    // The liaison sees nothing of a case its unit does not handle.
    expect((await act(app, staff.liaison, c.id, { action: 'accept' })).status).toBe(404);
    const moved = await step(app, staff.operator, c.id, { action: 'transfer', unit: 'traffic-police', reason: 'vehicle on the carriageway' });
    expect(moved.case).toMatchObject({ status: 'dispatched', handlingUnit: 'traffic-police' });
    expect(moved.transition).toMatchObject({ action: 'transfer', reason: 'vehicle on the carriageway' });
    expect(moved.case.loop.counts.transfers).toBe(1);
    expect(moved.case.loop.deadline?.step).toBe('handle');

    // The township team no longer holds it; the liaison's unit does.
    expect((await act(app, staff.officer, c.id, { action: 'accept' })).status).toBe(403);
    await step(app, staff.liaison, c.id, { action: 'accept' });
    // A unit sends on what it holds: back to another township's team (the place was mis-routed).
    const onward = await step(app, staff.liaison, c.id, {
      action: 'transfer',
      unit: `township-team:${OTHER_TOWNSHIP}`,
      reason: 'the place is in Fenglin Town',
    });
    expect(onward.case).toMatchObject({ status: 'dispatched', handlingUnit: `township-team:${OTHER_TOWNSHIP}`, townshipCode: OTHER_TOWNSHIP });
    expect(onward.transition.details).toMatchObject({ toTownshipCode: OTHER_TOWNSHIP });

    await getCase(staff.officer, c.id, 404);
    await step(app, staff.otherOfficer, c.id, { action: 'accept' });
    const t = await timeline(staff.supervisor, c.id);
    expect(t.items.filter((i) => i.transition?.action === 'transfer').map((i) => [i.transition?.actor.role, i.transition?.toUnit])).toEqual([
      ['operator', 'traffic-police'],
      ['department_liaison', `township-team:${OTHER_TOWNSHIP}`],
    ]);
  });

  it('refuses forbidden transitions for each role, with the reason, and stores nothing', async () => {
    const c = await registered();
    const before = await workflowCount(c.id);
    type Who = 'operator' | 'supervisor' | 'officer' | 'otherOfficer' | 'liaison' | 'pilot' | 'admin';
    // For a registered case of TOWNSHIP routed to its team. 'ok' = allowed (not tried here).
    const expected: Record<string, Record<Who, number | 'ok'>> = {
      'review-register': { operator: 409, supervisor: 409, officer: 409, otherOfficer: 404, liaison: 403, pilot: 403, admin: 403 },
      reject: { operator: 'ok', supervisor: 'ok', officer: 'ok', otherOfficer: 404, liaison: 403, pilot: 403, admin: 403 },
      dispatch: { operator: 'ok', supervisor: 'ok', officer: 'ok', otherOfficer: 404, liaison: 403, pilot: 403, admin: 403 },
      accept: { operator: 403, supervisor: 403, officer: 409, otherOfficer: 404, liaison: 404, pilot: 403, admin: 403 },
      'report-back': { operator: 403, supervisor: 403, officer: 409, otherOfficer: 404, liaison: 404, pilot: 403, admin: 403 },
      'verify-close': { operator: 409, supervisor: 409, officer: 403, otherOfficer: 403, liaison: 403, pilot: 403, admin: 403 },
      'send-back': { operator: 409, supervisor: 409, officer: 403, otherOfficer: 403, liaison: 403, pilot: 403, admin: 403 },
      transfer: { operator: 'ok', supervisor: 'ok', officer: 'ok', otherOfficer: 404, liaison: 404, pilot: 403, admin: 403 },
      reopen: { operator: 403, supervisor: 409, officer: 403, otherOfficer: 403, liaison: 403, pilot: 403, admin: 403 },
    };
    const body: Record<string, Record<string, unknown>> = {
      'report-back': { resultNote: 'x' },
      'send-back': { reason: 'x' },
      reopen: { reason: 'x' },
      reject: { reason: 'x' },
      transfer: { reason: 'x', unit: 'traffic-police' },
    };
    const answers: string[] = [];
    for (const [action, byRole] of Object.entries(expected)) {
      for (const [who, status] of Object.entries(byRole) as [Who, number | 'ok'][]) {
        if (status === 'ok') continue;
        const res = await act(app, staff[who], c.id, { action, ...body[action] });
        answers.push(`${action} by ${who}: ${res.status}`);
        expect(`${action} by ${who}: ${res.status}`).toBe(`${action} by ${who}: ${status}`);
        const b = res.body as { error?: string; message: string };
        expect(b.message.length).toBeGreaterThan(10);
        if (status === 403) expect(b.error).toMatch(/forbidden-role|out-of-scope/);
        if (status === 409) expect(b.error).toBe('invalid-state');
      }
    }
    expect(answers).toHaveLength(54);
    expect(await workflowCount(c.id)).toBe(before);
    const rows = await db.query(`SELECT count(*)::int AS n FROM case_transitions WHERE case_id = $1`, [c.id]);
    expect(rows.rows[0].n).toBe(before);
    // A rejected case refuses every step but a supervisor's reopen.
    const rejected = await registered();
    await step(app, staff.operator, rejected.id, { action: 'reject', reason: 'duplicate of another case' });
    for (const action of ['review-register', 'reject', 'dispatch', 'transfer'])
      expect((await act(app, staff.supervisor, rejected.id, { action, reason: 'x', unit: 'traffic-police' })).status).toBe(409);
  });

  it('serialises concurrent transitions on one case: one wins, the other is refused', async () => {
    const c = await registered();
    const [a, b] = await Promise.all([act(app, staff.operator, c.id, { action: 'dispatch' }), act(app, staff.supervisor, c.id, { action: 'dispatch' })]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const seqs = await db.query<{ seq: number }>(`SELECT seq FROM case_transitions WHERE case_id = $1 ORDER BY seq`, [c.id]);
    expect(seqs.rows.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('marks evidence from a device without passed technical review as not usable as penalty evidence', async () => {
    // CAM-FIRE-01's technical review is still pending (config/demo/devices.yaml).
    const c = await insertCase(db, { deviceId: 'CAM-FIRE-01', category: 'blocked-fire-lane', unit: 'fire-brigade' });
    const reg = await step(app, staff.operator, c.id, { action: 'review-register', evidenceUsableForPenalty: true });
    expect(reg.case.loop.evidence).toMatchObject({
      deviceReviewPassed: false,
      usableForPenalty: false,
      note: expect.stringMatching(/CAM-FIRE-01 has not passed technical review/),
    });
    expect(reg.transition.details).toMatchObject({ evidenceUsableForPenalty: false });
    const evidence = await request(app.url).get(`/api/v1/cases/${c.id}/evidence`).set('Authorization', `Bearer ${staff.operator.token}`).expect(200);
    expect((evidence.body as { items: { kind: string; sha256: string; usableAsPenaltyEvidence: boolean }[] }).items).toEqual([
      expect.objectContaining({ kind: 'event', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), usableAsPenaltyEvidence: false }),
    ]);
    // The case can still be handled; only its records cannot ground a penalty.
    const d = await step(app, staff.operator, c.id, { action: 'dispatch' });
    expect(d.case.handlingUnit).toBe('fire-brigade');
  });

  it('validates the body and answers 404 for a case that is not there', async () => {
    const c = await insertCase(db);
    expect((await act(app, staff.operator, c.id, { action: 'fly-away' })).status).toBe(400);
    expect((await act(app, staff.operator, c.id, { action: 'reject', reason: 5 })).status).toBe(400);
    expect((await act(app, staff.operator, '00000000-0000-4000-8000-000000000000', { action: 'reject', reason: 'x' })).status).toBe(404);
    expect((await act(app, staff.operator, 'not-a-uuid', { action: 'reject', reason: 'x' })).status).toBe(404);
    await request(app.url).post(`/api/v1/cases/${c.id}/transitions`).send({ action: 'reject', reason: 'x' }).expect(401);
  });
});
