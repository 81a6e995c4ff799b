import { CaseLoopService, DeadlineWatcher } from '@app/core';
import { Client } from 'pg';
import { SseClient } from '../support/sse-client';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { at, createStaff, insertCase, OTHER_TOWNSHIP, setClock, step, storedAfterPhoto, type TestStaff } from './case-loop-helpers';

interface Alert {
  type: string;
  case: { id: string; loop?: { deadline: { state: string | null; escalatedAt: string | null } | null } };
  deadline?: { step: string; dueAt: string; escalatedTo?: string };
}

/**
 * Deadlines with a fixed clock against config/calendar/cn-2026.yaml (09:00–12:00, 13:30–17:30; National Day
 * 1–7 Oct 2026 off; Sun 20 Sep and Sat 10 Oct are makeup working days) and config/calendar/deadlines.yaml
 * (exposed-garbage: handle 4 working hours, verify 1 working day; illegal-construction: handle 20 working days).
 * The API-only app runs no background jobs, so the watcher runs exactly when the test says.
 */
describe('case loop: deadlines in working time, due-soon and overdue alerts, escalation', () => {
  let app: TestApp;
  let db: Client;
  let staff: TestStaff;
  let watcher: DeadlineWatcher;

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    staff = await createStaff(app);
    watcher = app.app.get(DeadlineWatcher);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await db?.end();
    await app?.stop();
  });

  async function dispatchedAt(local: string, o: Parameters<typeof insertCase>[1] = {}) {
    const c = await insertCase(db, o);
    setClock(app, local);
    await step(app, staff.operator, c.id, { action: 'review-register', evidenceUsableForPenalty: true });
    const d = await step(app, staff.operator, c.id, { action: 'dispatch' });
    return { ...c, dueAt: d.case.loop.dueAt, dispatched: d };
  }

  it('carries 4 working hours from Friday afternoon over the weekend to Monday morning', async () => {
    const c = await dispatchedAt('2026-09-11T16:00');
    expect(c.dueAt).toBe(at('2026-09-14T11:30').toISOString());
  });

  it('counts a makeup Sunday (调休) as a working day', async () => {
    const c = await dispatchedAt('2026-09-19T10:00');
    expect(c.dueAt).toBe(at('2026-09-20T14:30').toISOString());
  });

  it('skips the National Day holiday week, in working hours and in working days', async () => {
    const garbage = await dispatchedAt('2026-09-30T16:00');
    expect(garbage.dueAt).toBe(at('2026-10-08T11:30').toISOString());
    expect(garbage.dispatched.case.loop.deadline?.limit).toMatchObject({ amount: 4, unit: 'working-hours', source: 'category', calendarCovered: true });

    // 20 working days from 30 Sep: 8 Oct is the first, Sat 10 Oct (makeup) counts, due 3 Nov at the close of office hours.
    const building = await dispatchedAt('2026-09-30T10:00', { category: 'illegal-construction' });
    expect(building.dueAt).toBe(at('2026-11-03T17:30').toISOString());
    expect(building.dispatched.transition.details).toMatchObject({
      deadline: { amount: 20, unit: 'working-days', basis: 'demolition within 20 working days' },
    });

    // Verification: 1 working day from a report-back on the eve of the holiday is the end of 8 Oct.
    const c = await dispatchedAt('2026-09-30T09:00');
    expect(c.dueAt).toBe(at('2026-09-30T14:30').toISOString());
    await step(app, staff.officer, c.id, { action: 'accept' });
    setClock(app, '2026-09-30T16:00');
    const reported = await step(app, staff.officer, c.id, { action: 'report-back', resultNote: 'cleared', photos: [storedAfterPhoto(app)] });
    expect(reported.case.loop.deadline).toMatchObject({ step: 'verify', dueAt: at('2026-10-08T17:30').toISOString() });
    // The handling deadline stays what on-time closure is measured against.
    expect(reported.case.loop.dueAt).toBe(at('2026-09-30T14:30').toISOString());
  });

  it('raises one due-soon and one overdue alert across the holiday, and escalates to supervisors', async () => {
    const c = await dispatchedAt('2026-09-30T16:00');
    const supervisorStream = await SseClient.open(`${app.url}/api/v1/alerts/stream`, staff.supervisor.token);
    const otherTownshipStream = await SseClient.open(`${app.url}/api/v1/alerts/stream`, staff.otherOfficer.token);
    const mine = (s: SseClient, type: string) => (s.events as Alert[]).filter((e) => e.case.id === c.id && e.type === type);
    try {
      // Mid-holiday: none of the 4 hours has been used.
      await watcher.scan(at('2026-10-05T12:00'));
      await watcher.scan(at('2026-10-08T10:00'));
      const state = async () =>
        (
          await db.query<{ deadline_state: string; escalated_at: Date | null }>(
            `SELECT deadline_state, due_soon_alerted_at, escalated_at FROM case_workflow WHERE case_id = $1`,
            [c.id],
          )
        ).rows[0];
      expect(await state()).toMatchObject({ deadline_state: 'on-track', due_soon_alerted_at: null, escalated_at: null });

      // 45 of 240 working minutes left: the last quarter.
      expect((await watcher.scan(at('2026-10-08T10:45'))).dueSoon).toBeGreaterThanOrEqual(1);
      await watcher.scan(at('2026-10-08T10:50'));
      const dueSoon = await eventually('the due-soon alert', async () => mine(supervisorStream, 'case.due-soon')[0]);
      expect(dueSoon.deadline).toEqual({ step: 'handle', dueAt: at('2026-10-08T11:30').toISOString() });

      // Due at 11:30 means by 11:30.
      await watcher.scan(at('2026-10-08T11:30'));
      expect((await state()).escalated_at).toBeNull();
      await watcher.scan(at('2026-10-08T11:31'));
      await watcher.scan(at('2026-10-08T11:40'));
      const overdue = await eventually('the overdue alert', async () => mine(supervisorStream, 'case.overdue')[0]);
      expect(overdue.deadline).toEqual({ step: 'handle', dueAt: at('2026-10-08T11:30').toISOString(), escalatedTo: 'supervisor' });
      expect(overdue.case.loop?.deadline).toMatchObject({ state: 'overdue', escalatedAt: at('2026-10-08T11:31').toISOString() });
      await new Promise((r) => setTimeout(r, 300));
      expect(mine(supervisorStream, 'case.due-soon')).toHaveLength(1);
      expect(mine(supervisorStream, 'case.overdue')).toHaveLength(1);
      expect(mine(otherTownshipStream, 'case.overdue')).toHaveLength(0);

      const escalation = await db.query(`SELECT actor_role, data FROM audit_log WHERE case_id = $1 AND action = 'case.escalated'`, [c.id]);
      expect(escalation.rows).toEqual([{ actor_role: 'system', data: expect.objectContaining({ step: 'handle', escalatedTo: 'supervisor' }) }]);

      // Handling goes on; the next step has a clock of its own.
      setClock(app, '2026-10-08T14:00');
      await step(app, staff.officer, c.id, { action: 'accept' });
      const reported = await step(app, staff.officer, c.id, { action: 'report-back', resultNote: 'cleared late', photos: [storedAfterPhoto(app)] });
      expect(reported.case.loop.deadline).toMatchObject({ step: 'verify', state: 'on-track', escalatedAt: null });
    } finally {
      supervisorStream.close();
      otherTownshipStream.close();
    }
  });

  it('runs the review clock from detection for cases the ingest path made', async () => {
    const c = await insertCase(db, { createdAt: at('2026-10-09T09:00'), township: OTHER_TOWNSHIP });
    // The worker's intake records the opening and starts the review clock (2 working hours by default).
    setClock(app, '2026-10-09T09:00');
    await app.app.get(CaseLoopService).intakePending();
    const wf = await db.query(`SELECT step, step_due_at FROM case_workflow WHERE case_id = $1`, [c.id]);
    expect(wf.rows[0]).toEqual({ step: 'review', step_due_at: at('2026-10-09T11:00') });
    await watcher.scan(at('2026-10-09T10:40'));
    expect((await db.query(`SELECT deadline_state FROM case_workflow WHERE case_id = $1`, [c.id])).rows[0].deadline_state).toBe('due-soon');
    // Reviewing stops it.
    setClock(app, '2026-10-09T10:50');
    const reg = await step(app, staff.operator, c.id, { action: 'review-register', evidenceUsableForPenalty: true });
    expect(reg.case.loop.deadline).toBeNull();
  });
});
