import { makeDronePhoto } from '../fixtures/photo-fixtures';
import { CASE_ACTIONS } from '@app/domain';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  caseFromDevice,
  createSecurityUser,
  INSIDE_A,
  INSIDE_B,
  type MadeCase,
  type SecurityApp,
  type SecurityUser,
  startSecurityApp,
  TOWNSHIP_A,
  TOWNSHIP_B,
  transition,
  uploadFlight,
} from '../support/security-matrix';
import { SseClient } from '../support/sse-client';
import { eventually } from '../support/test-app';

interface CaseListBody {
  items: { id: string; townshipCode: string | null }[];
  total: number;
}

/** What every transition needs to get past shape checks (the state machine decides the rest). */
const ACTION_BODY: Record<(typeof CASE_ACTIONS)[number], Record<string, unknown>> = {
  'review-register': { evidenceUsableForPenalty: true },
  reject: { reason: 'scoping probe' },
  dispatch: {},
  accept: {},
  'report-back': { resultNote: 'scoping probe' },
  'verify-close': {},
  'send-back': { reason: 'scoping probe' },
  transfer: { unit: 'traffic-police', reason: 'scoping probe' },
  reopen: { reason: 'scoping probe' },
};
/** The actions a township officer may take on a case of its own township (written from the loop's intent). */
const OFFICER_ACTIONS = ['review-register', 'reject', 'dispatch', 'accept', 'report-back', 'transfer'];

/**
 * Issue 8, object scope: an officer of township A learns nothing about township B — every object of B
 * answers exactly like one that does not exist (404) — and a department liaison sees only what its unit holds.
 */
describe('security scoping: township officers and department liaisons', () => {
  let s: SecurityApp;
  let operator: SecurityUser;
  let supervisor: SecurityUser;
  let pilot: SecurityUser;
  let officerA: SecurityUser;
  let officerB: SecurityUser;
  let liaison: SecurityUser;
  let otherLiaison: SecurityUser;
  let caseA: MadeCase;
  let caseA2: MadeCase;
  let caseB: MadeCase;
  const photo = { a: '', b: '', nowhere: '' };
  const streams: { a?: SseClient; b?: SseClient } = {};

  beforeAll(async () => {
    s = await startSecurityApp();
    operator = await createSecurityUser(s, 'operator');
    supervisor = await createSecurityUser(s, 'supervisor');
    pilot = await createSecurityUser(s, 'pilot');
    officerA = await createSecurityUser(s, 'township_officer', { townshipCode: TOWNSHIP_A });
    officerB = await createSecurityUser(s, 'township_officer', { townshipCode: TOWNSHIP_B });
    liaison = await createSecurityUser(s, 'department_liaison', { unitCode: 'traffic-police' });
    otherLiaison = await createSecurityUser(s, 'department_liaison', { unitCode: 'fire-brigade' });
    // Live alerts are listened to before any case exists.
    streams.a = await SseClient.open(`${s.url}/api/v1/alerts/stream`, officerA.token);
    streams.b = await SseClient.open(`${s.url}/api/v1/alerts/stream`, officerB.token);

    caseA = await caseFromDevice(s, 'DEMO-CAM-01');
    caseA2 = await caseFromDevice(s, 'DRONE-01', INSIDE_A);
    caseB = await caseFromDevice(s, 'DRONE-01', INSIDE_B);
    expect([caseA.townshipCode, caseA2.townshipCode, caseB.townshipCode]).toEqual([TOWNSHIP_A, TOWNSHIP_A, TOWNSHIP_B]);
    expect(new Set([caseA.id, caseA2.id, caseB.id]).size).toBe(3);
    for (const c of [caseA, caseA2, caseB]) await transition(s, operator.token, c.id, { action: 'review-register', evidenceUsableForPenalty: true });

    const shot = (seed: number, at?: { lat: number; lng: number }) =>
      makeDronePhoto({ width: 640, height: 480, seed, ...(at && { dji: { latitude: at.lat, longitude: at.lng } }), takenAt: '2026:11:28 10:00:00' });
    [photo.a, photo.b, photo.nowhere] = await uploadFlight(s, pilot.token, 'F-SEC-SCOPE', [
      await shot(901, INSIDE_A),
      await shot(902, INSIDE_B),
      await shot(903),
    ]);
  });

  afterAll(async () => {
    streams.a?.close();
    streams.b?.close();
    await s?.stop();
  });

  const get = (user: SecurityUser, path: string) => request(s.url).get(path).set('Authorization', `Bearer ${user.token}`);
  const act = (user: SecurityUser, caseId: string, body: Record<string, unknown>) =>
    request(s.url).post(`/api/v1/cases/${caseId}/transitions`).set('Authorization', `Bearer ${user.token}`).send(body);
  const count = async (sql: string, params: unknown[] = []) => Number((await s.db.query<{ n: string }>(sql, params)).rows[0].n);
  /** Nothing of the hidden case may appear in an answer: not its number, township, or position. */
  const leaks = (text: string, c: MadeCase) => [c.caseNumber, c.townshipCode ?? '-', String(INSIDE_B.lat)].filter((x) => text.includes(x));

  it('answers an officer of A 404 for a case of B, its timeline and its evidence, exactly as for a case that does not exist', async () => {
    const nobody = randomUUID();
    for (const suffix of ['', '/timeline', '/evidence']) {
      const hidden = await get(officerA, `/api/v1/cases/${caseB.id}${suffix}`);
      const missing = await get(officerA, `/api/v1/cases/${nobody}${suffix}`);
      expect(`${suffix || '/'}: ${hidden.status}`).toBe(`${suffix || '/'}: 404`);
      expect(missing.status).toBe(404);
      expect((hidden.body as { message: string }).message).toBe((missing.body as { message: string }).message.replace(nobody, caseB.id));
      expect(leaks(hidden.text, caseB)).toEqual([]);
      // The controls: each officer reads its own township's case.
      await get(officerA, `/api/v1/cases/${caseA.id}${suffix}`).expect(200);
      await get(officerB, `/api/v1/cases/${caseB.id}${suffix}`).expect(200);
    }
  });

  it('gives an officer of A the same answer for every transition on a case of B as for a case that does not exist (404 for its own actions), and stores nothing', async () => {
    const before = await count(`SELECT count(*) AS n FROM case_transitions WHERE case_id = $1`, [caseB.id]);
    const auditBefore = await count(`SELECT count(*) AS n FROM audit_log WHERE case_id = $1`, [caseB.id]);
    const answers: string[] = [];
    for (const action of CASE_ACTIONS) {
      const body = { action, ...ACTION_BODY[action] };
      const hidden = await act(officerA, caseB.id, body);
      const missing = await act(officerA, randomUUID(), body);
      answers.push(`${action}: ${hidden.status}`);
      expect(`${action}: ${hidden.status}`).toBe(`${action}: ${missing.status}`);
      if (OFFICER_ACTIONS.includes(action)) expect(`${action}: ${hidden.status}`).toBe(`${action}: 404`);
      expect(leaks(hidden.text, caseB)).toEqual([]);
    }
    expect(answers).toHaveLength(CASE_ACTIONS.length);
    expect(await count(`SELECT count(*) AS n FROM case_transitions WHERE case_id = $1`, [caseB.id])).toBe(before);
    expect(await count(`SELECT count(*) AS n FROM audit_log WHERE case_id = $1`, [caseB.id])).toBe(auditBefore);
    // After-photos for a case of B: 404 before a byte is stored.
    const photosBefore = await count(`SELECT count(*) AS n FROM photos`);
    const after = await makeDronePhoto({ width: 320, height: 240, seed: 904 });
    const upload = await request(s.url)
      .post(`/api/v1/cases/${caseB.id}/report-photos`)
      .set('Authorization', `Bearer ${officerA.token}`)
      .attach('photo', after, { filename: 'after.jpg', contentType: 'image/jpeg' });
    expect(upload.status).toBe(404);
    expect(await count(`SELECT count(*) AS n FROM photos`)).toBe(photosBefore);
  });

  it('answers an officer of A 404 for a photo of B and for a photo with no position: metadata, thumb, preview and original', async () => {
    for (const sha of [photo.b, photo.nowhere]) {
      for (const suffix of ['', '/thumb', '/preview', '/original']) {
        const res = await get(officerA, `/api/v1/photos/${sha}${suffix}`);
        expect(`${sha.slice(0, 8)}${suffix}: ${res.status}`).toBe(`${sha.slice(0, 8)}${suffix}: 404`);
        expect(res.headers['content-type']).toMatch(/json/);
        expect(res.text).not.toContain(TOWNSHIP_B);
      }
    }
    for (const suffix of ['', '/thumb', '/preview', '/original']) {
      await get(officerA, `/api/v1/photos/${photo.a}${suffix}`).expect(200);
      await get(officerB, `/api/v1/photos/${photo.b}${suffix}`).expect(200);
      await get(officerB, `/api/v1/photos/${photo.a}${suffix}`).expect(404);
    }
    // The centre sees every photo.
    for (const sha of [photo.a, photo.b, photo.nowhere]) await get(operator, `/api/v1/photos/${sha}`).expect(200);
    // A flight's listing is not scoped, so it is closed to officers altogether; so is marking a photo.
    await get(officerA, '/api/v1/flights/F-SEC-SCOPE/photos').expect(403);
    await request(s.url)
      .post(`/api/v1/photos/${photo.b}/detections`)
      .set('Authorization', `Bearer ${officerA.token}`)
      .send({ marks: [{ label: 'garbage' }] })
      .expect(403);
  });

  it("lists only A's cases to an officer of A, and nothing when it filters to B", async () => {
    const filtered = (await get(officerA, `/api/v1/cases?township=${TOWNSHIP_B}&limit=500`).expect(200)).body as CaseListBody;
    // The badges' summary is scoped as well: nothing of B leaks through the counts.
    expect(filtered).toEqual({ items: [], total: 0, summary: { open: 0, awaitingReview: 0, overdue: 0, dueSoon: 0 } });
    const all = (await get(officerA, '/api/v1/cases?limit=500').expect(200)).body as CaseListBody;
    expect(all.items.map((c) => c.id).sort()).toEqual([caseA.id, caseA2.id].sort());
    expect(all.total).toBe(2);
    expect(all.items.every((c) => c.townshipCode === TOWNSHIP_A)).toBe(true);
    for (const q of [`status=registered`, `category=exposed-garbage`, `township=${TOWNSHIP_B}&status=registered`, `offset=0&limit=1&township=${TOWNSHIP_B}`]) {
      const body = (await get(officerA, `/api/v1/cases?${q}`).expect(200)).body as CaseListBody;
      expect(`${q}: ${body.items.filter((c) => c.townshipCode !== TOWNSHIP_A).length}`).toBe(`${q}: 0`);
    }
    // The control: the centre sees B's case.
    const centre = (await get(operator, `/api/v1/cases?township=${TOWNSHIP_B}`).expect(200)).body as CaseListBody;
    expect(centre.items.map((c) => c.id)).toEqual([caseB.id]);
  });

  it('counts only A in the figures of an officer of A, whatever the grouping', async () => {
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    type Figures = { groups: { key: string; opened: number }[]; total: { opened: number } };
    const figures = async (user: SecurityUser, by: string) =>
      (await get(user, `/api/v1/figures?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&by=${by}`).expect(200)).body as Figures;
    const byTownship = await figures(officerA, 'township');
    expect(byTownship.groups.map((g) => g.key)).toEqual([TOWNSHIP_A]);
    expect(byTownship.total.opened).toBe(2);
    expect((await figures(officerA, 'team')).groups.map((g) => g.key)).toEqual([`township-team:${TOWNSHIP_A}`]);
    expect((await figures(officerA, 'category')).total.opened).toBe(2);
    expect(JSON.stringify(await figures(officerA, 'township'))).not.toContain(TOWNSHIP_B);
    // The controls: B's officer counts B only; the centre counts both.
    expect((await figures(officerB, 'township')).groups.map((g) => g.key)).toEqual([TOWNSHIP_B]);
    expect((await figures(supervisor, 'township')).groups.map((g) => g.key)).toEqual([TOWNSHIP_A, TOWNSHIP_B]);
  });

  it("pushes live alerts to an officer only for its township's cases", async () => {
    const ids = (c: SseClient | undefined) => new Set((c?.events ?? []).map((e) => (e as { case: { id: string } }).case.id));
    await eventually('the alerts of A', async () => (ids(streams.a).has(caseA.id) && ids(streams.a).has(caseA2.id) ? true : undefined));
    await eventually('the alert of B', async () => (ids(streams.b).has(caseB.id) ? true : undefined));
    expect(ids(streams.a).has(caseB.id)).toBe(false);
    expect(ids(streams.b).has(caseA.id) || ids(streams.b).has(caseA2.id)).toBe(false);
    expect((streams.a?.events ?? []).every((e) => (e as { case: { townshipCode: string } }).case.townshipCode === TOWNSHIP_A)).toBe(true);
  });

  it('shows a department liaison only the cases its unit holds, for as long as it holds them', async () => {
    const reads = (user: SecurityUser, c: MadeCase) =>
      Promise.all(['/timeline', '/evidence'].map(async (p) => (await get(user, `/api/v1/cases/${c.id}${p}`)).status));
    // Nothing is the liaison's yet.
    for (const c of [caseA, caseA2, caseB]) {
      expect(await reads(liaison, c)).toEqual([404, 404]);
      expect((await act(liaison, c.id, { action: 'accept' })).status).toBe(404);
      expect((await act(liaison, c.id, { action: 'transfer', unit: 'fire-brigade', reason: 'not ours' })).status).toBe(404);
      const upload = await request(s.url)
        .post(`/api/v1/cases/${c.id}/report-photos`)
        .set('Authorization', `Bearer ${liaison.token}`)
        .attach('photo', Buffer.from('x'), 'x.jpg');
      expect(upload.status).toBe(404);
    }
    // The lists, the case itself, figures, photos and alerts are not a liaison's at all.
    for (const path of [
      '/api/v1/cases',
      `/api/v1/cases/${caseA2.id}`,
      '/api/v1/figures?from=2026-01-01&to=2026-12-31',
      `/api/v1/photos/${photo.a}`,
      '/api/v1/alerts/stream',
    ]) {
      expect(`${path}: ${(await get(liaison, path)).status}`).toBe(`${path}: 403`);
    }

    await transition(s, operator.token, caseA2.id, { action: 'transfer', unit: 'traffic-police', reason: 'vehicle on the carriageway' });
    expect(await reads(liaison, caseA2)).toEqual([200, 200]);
    expect(await reads(otherLiaison, caseA2)).toEqual([404, 404]);
    expect(await reads(liaison, caseA)).toEqual([404, 404]);
    expect(await reads(liaison, caseB)).toEqual([404, 404]);
    await transition(s, liaison.token, caseA2.id, { action: 'accept' });

    // Sent on to township B's team: the liaison's unit no longer holds it, and neither does township A.
    await transition(s, liaison.token, caseA2.id, { action: 'transfer', unit: `township-team:${TOWNSHIP_B}`, reason: 'the place is in Fenglin Town' });
    expect(await reads(liaison, caseA2)).toEqual([404, 404]);
    expect((await get(officerA, `/api/v1/cases/${caseA2.id}`)).status).toBe(404);
    await get(officerB, `/api/v1/cases/${caseA2.id}`).expect(200);
  });

  /**
   * Regression (found by this suite, fixed): after-photos a township team uploads for a report-back go into the drone
   * photo library as flight `report-<case number>`. The flight listing is unscoped and a pilot may read every
   * photo, so a pilot — who may read no case — lists and downloads any case's after-photos by guessing its
   * (sequential) case number.
   */
  it("a pilot cannot list or download a case's after-photos", async () => {
    // After-photos are taken while the township team handles the case.
    await transition(s, operator.token, caseA.id, { action: 'dispatch' });
    await transition(s, officerA.token, caseA.id, { action: 'accept' });
    const after = await makeDronePhoto({ width: 320, height: 240, seed: 905, dji: { latitude: 23.105, longitude: 113.255 } });
    const up = await request(s.url)
      .post(`/api/v1/cases/${caseA.id}/report-photos`)
      .set('Authorization', `Bearer ${officerA.token}`)
      .attach('photo', after, { filename: 'after.jpg', contentType: 'image/jpeg' })
      .expect(200);
    const sha = (up.body as { results: { sha256: string }[] }).results[0].sha256;
    const listing = await get(pilot, `/api/v1/flights/report-${caseA.caseNumber}/photos`);
    const listed = listing.status === 200 && (listing.body as { sha256: string }[]).some((p) => p.sha256 === sha);
    const original = (await get(pilot, `/api/v1/photos/${sha}/original`)).status;
    expect({ listed, original }).toEqual({ listed: false, original: 404 });
  });
});
