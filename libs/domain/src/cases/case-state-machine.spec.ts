import fc from 'fast-check';
import { type Actor, ROLES, type Role } from '../access/actor';
import {
  CASE_ACTION_RULES,
  CASE_ACTIONS,
  CASE_STATUSES,
  type CaseAction,
  type CaseActionInputs,
  type CaseActor,
  type CaseFacts,
  type CaseSnapshot,
  type OpenCaseResult,
  type TransitionResult,
  allowedActions,
  applyCaseChanges,
  deviceReviewProblem,
  isOpenStatus,
  openCase,
  transition,
} from './case-state-machine';

const T1 = '440104001';
const T2 = '440104002';
const T1_TEAM = 'T1-team';
const TRAFFIC = 'traffic-police';

const operator: CaseActor = { id: 'op-1', role: 'operator' };
const supervisor: CaseActor = { id: 'sup-1', role: 'supervisor' };
const pilot: CaseActor = { id: 'pilot-1', role: 'pilot' };
const admin: CaseActor = { id: 'admin-1', role: 'admin' };
const device: CaseActor = { id: 'CAM-01', role: 'device' };
const officerT1: CaseActor = { id: 'off-1', role: 'township_officer', townshipCode: T1, unitCode: T1_TEAM };
const officerT1NoUnit: CaseActor = { id: 'off-3', role: 'township_officer', townshipCode: T1 };
const officerT2: CaseActor = { id: 'off-2', role: 'township_officer', townshipCode: T2, unitCode: 'T2-team' };
const trafficLiaison: CaseActor = { id: 'liaison-1', role: 'department_liaison', unitCode: TRAFFIC };
const fireLiaison: CaseActor = { id: 'liaison-2', role: 'department_liaison', unitCode: 'fire-brigade' };

const t = (hhmm: string, day = '2026-03-02'): Date => new Date(`${day}T${hhmm}:00+08:00`);

const detected: CaseSnapshot = { status: 'detected', origin: 'machine', townshipCode: T1, handlingUnit: T1_TEAM };
const registered: CaseSnapshot = { ...detected, status: 'registered', reviewedAt: t('09:05'), reviewedBy: 'op-1', evidenceUsableForPenalty: true };
const dispatched: CaseSnapshot = { ...registered, status: 'dispatched', dispatchedAt: t('09:10'), dispatchedBy: 'op-1', dueAt: t('17:30') };
const inProgress: CaseSnapshot = { ...dispatched, status: 'in_progress', acceptedAt: t('09:20'), acceptedBy: 'off-1' };
const reported: CaseSnapshot = {
  ...inProgress,
  status: 'reported',
  reportedAt: t('11:00'),
  reportedBy: 'off-1',
  resultNote: 'removed',
  afterPhotos: ['p1.jpg'],
};
const closed: CaseSnapshot = { ...reported, status: 'closed', closedAt: t('11:30'), closedBy: 'op-1' };
const rejected: CaseSnapshot = {
  ...detected,
  status: 'rejected',
  reviewedAt: t('09:05'),
  reviewedBy: 'op-1',
  rejectedAt: t('09:05'),
  rejectedBy: 'op-1',
  rejectionReason: 'shadow',
};

function expectOk<R extends TransitionResult | OpenCaseResult>(r: R): Extract<R, { ok: true }> {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r as Extract<R, { ok: true }>;
}
function expectFail(r: TransitionResult | OpenCaseResult, code: string): string {
  if (r.ok) throw new Error(`expected ${code}, got ok → ${r.next.status}`);
  expect(r.code).toBe(code);
  expect(r.message.length).toBeGreaterThan(10);
  return r.message;
}

describe('the whole loop', () => {
  it('takes a machine detection from collection to closure, one audit line per step', () => {
    const now = t('09:00');
    const opened = expectOk(openCase({ origin: 'machine', townshipCode: T1, handlingUnit: T1_TEAM }, device, now));
    expect(opened.next).toEqual({ status: 'detected', origin: 'machine', townshipCode: T1, handlingUnit: T1_TEAM });
    expect(opened.record).toMatchObject({ from: null, to: 'detected', action: 'open', actorId: 'CAM-01', actorRole: 'device' });

    let c: CaseSnapshot = opened.next;
    const steps: Array<[CaseAction, CaseActor, CaseActionInputs[CaseAction], string]> = [
      ['review-register', operator, { evidenceUsableForPenalty: true }, 'registered'],
      ['dispatch', operator, { dueAt: t('13:10') }, 'dispatched'],
      ['accept', officerT1, {}, 'in_progress'],
      ['report-back', officerT1, { resultNote: 'Garbage removed', photos: ['after-1.jpg'] }, 'reported'],
      ['verify-close', operator, { note: 'checked on camera' }, 'closed'],
    ];
    const trail = [opened.record];
    steps.forEach(([action, actor, input, to], i) => {
      const r = expectOk(transition(c, action, actor, input, t(`1${i}:00`)));
      expect(r.next.status).toBe(to);
      expect(r.record).toMatchObject({ from: c.status, to, action, actorId: actor.id, at: t(`1${i}:00`) });
      trail.push(r.record);
      c = applyCaseChanges(c, r.next);
    });
    expect(trail.map((r) => r.to)).toEqual(['detected', 'registered', 'dispatched', 'in_progress', 'reported', 'closed']);
    expect(c).toMatchObject({
      status: 'closed',
      reviewedBy: 'op-1',
      reviewedAt: t('10:00'),
      evidenceUsableForPenalty: true,
      handlingUnit: T1_TEAM,
      dispatchedAt: t('11:00'),
      dueAt: t('13:10'),
      acceptedBy: 'off-1',
      reportedBy: 'off-1',
      resultNote: 'Garbage removed',
      afterPhotos: ['after-1.jpg'],
      closedBy: 'op-1',
      closedAt: t('14:00'),
    });
  });

  it('opens a manual case as registered, ready to dispatch without a machine review', () => {
    const opened = expectOk(openCase({ origin: 'manual', townshipCode: T1 }, pilot, t('09:00')));
    expect(opened.next.status).toBe('registered');
    const c = opened.next;
    expect(expectOk(transition(c, 'dispatch', operator, { unitCode: T1_TEAM }, t('09:01'))).next.status).toBe('dispatched');
  });
});

describe('openCase', () => {
  it('lets only devices open machine cases', () => {
    expectFail(openCase({ origin: 'machine', townshipCode: T1 }, operator, t('09:00')), 'forbidden-role');
  });

  it('lets people, not devices or admins, open manual cases', () => {
    expectFail(openCase({ origin: 'manual', townshipCode: T1 }, device, t('09:00')), 'forbidden-role');
    expectFail(openCase({ origin: 'manual', townshipCode: T1 }, admin, t('09:00')), 'forbidden-role');
    for (const actor of [operator, supervisor, pilot, officerT1]) expectOk(openCase({ origin: 'manual', townshipCode: T1 }, actor, t('09:00')));
  });

  it('takes an authenticated Actor as it is', () => {
    const actor: Actor = { id: 'u-7', username: 'zhang', role: 'operator' };
    expect(expectOk(openCase({ origin: 'manual', townshipCode: T1 }, actor, t('09:00'))).record.actorId).toBe('u-7');
  });

  it('keeps a township officer to their township and needs a township', () => {
    expectFail(openCase({ origin: 'manual', townshipCode: T1 }, officerT2, t('09:00')), 'out-of-scope');
    expectFail(openCase({ origin: 'manual', townshipCode: ' ' }, operator, t('09:00')), 'invalid-input');
  });
});

describe('roles: who may take each action (changing this table is a product decision)', () => {
  const expected: Record<CaseAction, Role[]> = {
    'review-register': ['operator', 'supervisor', 'township_officer'],
    reject: ['operator', 'supervisor', 'township_officer'],
    dispatch: ['operator', 'supervisor', 'township_officer'],
    accept: ['township_officer', 'department_liaison'],
    'report-back': ['township_officer', 'department_liaison'],
    'verify-close': ['operator', 'supervisor'],
    'send-back': ['operator', 'supervisor'],
    transfer: ['operator', 'supervisor', 'township_officer', 'department_liaison'],
    reopen: ['supervisor'],
  };

  it.each(CASE_ACTIONS.map((a) => [a]))('%s', (action) => {
    expect([...CASE_ACTION_RULES[action].roles].sort()).toEqual([...expected[action]].sort());
  });

  it.each(CASE_ACTIONS.flatMap((action) => ROLES.filter((role) => !expected[action].includes(role)).map((role) => [action, role] as const)))(
    '%s is refused to a %s with forbidden-role, whatever the state',
    (action, role) => {
      // A closed case is the wrong state for most actions: the role check must still come first.
      const actor: CaseActor = { id: 'x', role, townshipCode: T1, unitCode: T1_TEAM };
      const message = expectFail(transition(closed, action, actor, { reason: 'r', resultNote: 'n', toUnit: TRAFFIC }, t('12:00')), 'forbidden-role');
      expect(message).toContain(role.replace('_', ' '));
    },
  );
});

describe('states: each action from its states only', () => {
  const snapshots: Record<string, CaseSnapshot> = { detected, registered, rejected, dispatched, in_progress: inProgress, reported, closed };
  const actorFor: Record<CaseAction, CaseActor> = {
    'review-register': operator,
    reject: operator,
    dispatch: operator,
    accept: officerT1,
    'report-back': officerT1,
    'verify-close': operator,
    'send-back': operator,
    transfer: operator,
    reopen: supervisor,
  };
  const input = { reason: 'because', resultNote: 'done', toUnit: 'fire-brigade' };

  it.each(CASE_ACTIONS.flatMap((action) => CASE_STATUSES.map((status) => [action, status] as const)))('%s from %s', (action, status) => {
    const r = transition(snapshots[status], action, actorFor[action], input, t('12:00'));
    const allowed = CASE_ACTION_RULES[action].from.includes(status);
    if (!allowed) {
      const message = expectFail(r, 'invalid-state');
      expect(message).toContain(status.replace('_', ' '));
    } else if (action === 'transfer' && status === 'detected') {
      expectFail(r, 'review-required');
    } else {
      expectOk(r);
    }
  });
});

describe('review and register (Administrative Penalty Law art. 41)', () => {
  it('records who reviewed and when; evidence is penalty-usable only when the reviewer says so', () => {
    const r = expectOk(transition(detected, 'review-register', operator, {}, t('09:30')));
    expect(r.next).toEqual({
      status: 'registered',
      reviewedAt: t('09:30'),
      reviewedBy: 'op-1',
      evidenceUsableForPenalty: false,
      evidenceNote: 'The reviewer did not accept the record as penalty evidence.',
    });
    const yes = expectOk(transition(detected, 'review-register', officerT1, { evidenceUsableForPenalty: true, note: ' clear plate ' }, t('09:30')));
    expect(yes.next.evidenceUsableForPenalty).toBe(true);
    expect(yes.record.note).toBe('clear plate');
  });

  it('refuses an evidence flag that is not a boolean', () => {
    const input = { evidenceUsableForPenalty: 'yes' } as unknown as CaseActionInputs['review-register'];
    expectFail(transition(detected, 'review-register', operator, input, t('09:30')), 'invalid-input');
  });

  it('will not dispatch or transfer a machine-made case nobody reviewed', () => {
    const unreviewed: CaseSnapshot = { ...detected, status: 'registered' };
    expect(expectFail(transition(unreviewed, 'dispatch', operator, {}, t('09:30')), 'review-required')).toContain('art. 41');
    expectFail(transition({ ...unreviewed, reviewedAt: t('09:00') }, 'dispatch', operator, {}, t('09:30')), 'review-required');
    expectFail(transition(detected, 'transfer', operator, { reason: 'fire', toUnit: 'fire-brigade' }, t('09:30')), 'review-required');
    expect(allowedActions(unreviewed, operator)).not.toContain('dispatch');
  });

  it('does not apply the gate to a manual case', () => {
    expectOk(transition({ ...registered, origin: 'manual', reviewedAt: null, reviewedBy: null }, 'dispatch', operator, {}, t('09:30')));
  });
});

describe('the complete decision: art. 41 downgrade, evidence note, party code', () => {
  const reviewed: CaseFacts['device'] = { id: 'CAM-01', review: { legalReviewPassed: true, technicalReviewPassed: true } };
  const unreviewed = (legal: boolean, technical: boolean): CaseFacts['device'] => ({
    id: 'CAM-01',
    review: { legalReviewPassed: legal, technicalReviewPassed: technical },
  });

  it("keeps the reviewer's yes for a reviewed device, with no note, and records the outcome", () => {
    const r = expectOk(transition(detected, 'review-register', operator, { evidenceUsableForPenalty: true }, t('09:30'), { device: reviewed }));
    expect(r.next).toMatchObject({ evidenceUsableForPenalty: true, evidenceNote: null });
    expect(r.record.details).toEqual({ evidenceUsableForPenalty: true, evidenceNote: null });
  });

  it("downgrades the reviewer's yes when the device has not passed review, saying which review is missing", () => {
    const r = expectOk(transition(detected, 'review-register', operator, { evidenceUsableForPenalty: true }, t('09:30'), { device: unreviewed(true, false) }));
    const note = 'Device CAM-01 has not passed technical review: its records are not usable as penalty evidence (Administrative Penalty Law art. 41).';
    expect(r.next).toMatchObject({ status: 'registered', evidenceUsableForPenalty: false, evidenceNote: note });
    expect(r.record.details).toEqual({ evidenceUsableForPenalty: false, evidenceNote: note });
    const both = expectOk(
      transition(detected, 'review-register', operator, { evidenceUsableForPenalty: true }, t('09:30'), { device: unreviewed(false, false) }),
    );
    expect(both.next.evidenceNote).toContain('has not passed legal and technical review');
  });

  it('downgrades a record from a device missing from the register', () => {
    const r = expectOk(
      transition(detected, 'review-register', operator, { evidenceUsableForPenalty: true }, t('09:30'), { device: { id: 'CAM-X', review: null } }),
    );
    expect(r.next.evidenceUsableForPenalty).toBe(false);
    expect(r.next.evidenceNote).toBe(
      'Device CAM-X is not in the device register: its records are not usable as penalty evidence (Administrative Penalty Law art. 41).',
    );
  });

  it("gives the device's problem as the note when the reviewer said no too, else the reviewer's no", () => {
    const r = expectOk(transition(detected, 'review-register', operator, { evidenceUsableForPenalty: false }, t('09:30'), { device: unreviewed(false, true) }));
    expect(r.next.evidenceNote).toBe(deviceReviewProblem({ id: 'CAM-01', review: { legalReviewPassed: false, technicalReviewPassed: true } }));
    const no = expectOk(transition(detected, 'review-register', operator, {}, t('09:30'), { device: reviewed }));
    expect(no.next.evidenceNote).toBe('The reviewer did not accept the record as penalty evidence.');
  });

  it('knows a cleared device has no problem', () => {
    expect(deviceReviewProblem({ id: 'CAM-01', review: { legalReviewPassed: true, technicalReviewPassed: true } })).toBeNull();
    expect(deviceReviewProblem({ id: 'CAM-01', review: { legalReviewPassed: false, technicalReviewPassed: true } })).toContain('has not passed legal review');
  });

  it('notes a rejected detection as not usable, leaves the note of a rejected registered case alone, and clears it when a detection is reopened', () => {
    expect(expectOk(transition(detected, 'reject', operator, { reason: 'shadow' }, t('09:30'))).next.evidenceNote).toBe(
      'Rejected on review: not usable as penalty evidence.',
    );
    expect(expectOk(transition(registered, 'reject', operator, { reason: 'duplicate' }, t('09:30'))).next).not.toHaveProperty('evidenceNote');
    const reopened = expectOk(
      transition(
        { ...rejected, evidenceNote: 'Rejected on review: not usable as penalty evidence.' },
        'reopen',
        supervisor,
        { reason: 'was real' },
        t('10:00'),
      ),
    );
    expect(reopened.next).toMatchObject({ status: 'detected', evidenceNote: null, evidenceUsableForPenalty: null });
    const toRegistered = expectOk(transition({ ...closed, evidenceNote: 'kept' }, 'reopen', supervisor, { reason: 'back again' }, t('15:00')));
    expect(toRegistered.next).not.toHaveProperty('evidenceNote');
  });

  it('gives a case without a plate the fresh party code when a person registers it, once', () => {
    const facts: CaseFacts = { hasPlate: false, newPartyCode: '042917' };
    expect(expectOk(transition(detected, 'review-register', operator, {}, t('09:30'), facts)).next.partyCode).toBe('042917');
    // Already has one: kept, whatever code is offered.
    expect(expectOk(transition({ ...detected, partyCode: '111111' }, 'review-register', operator, {}, t('09:30'), facts)).next).not.toHaveProperty('partyCode');
    // A reopen that lands in registered assigns one too, if the case still has none.
    expect(expectOk(transition(closed, 'reopen', supervisor, { reason: 'back' }, t('15:00'), facts)).next.partyCode).toBe('042917');
  });

  it('gives no party code to a plate case, to a step that does not land in registered, or without a fresh code', () => {
    expect(expectOk(transition(detected, 'review-register', operator, {}, t('09:30'), { hasPlate: true, newPartyCode: '042917' })).next).not.toHaveProperty(
      'partyCode',
    );
    expect(expectOk(transition(registered, 'dispatch', operator, {}, t('09:30'), { hasPlate: false, newPartyCode: '042917' })).next).not.toHaveProperty(
      'partyCode',
    );
    expect(
      expectOk(transition(detected, 'reject', operator, { reason: 'x' }, t('09:30'), { hasPlate: false, newPartyCode: '042917' })).next,
    ).not.toHaveProperty('partyCode');
    expect(expectOk(transition(detected, 'review-register', operator, {}, t('09:30'), { hasPlate: false })).next).not.toHaveProperty('partyCode');
  });

  it('records the township a transfer moved the case to, and only when it moved', () => {
    const moved = expectOk(transition(registered, 'transfer', operator, { reason: 'boundary', toUnit: 'T2-team', toTownshipCode: ` ${T2} ` }, t('10:00')));
    expect(moved.record.details).toEqual({ toTownshipCode: T2 });
    expect(expectOk(transition(registered, 'transfer', operator, { reason: 'x', toUnit: TRAFFIC, toTownshipCode: T1 }, t('10:00'))).record.details).toEqual({});
    expect(expectOk(transition(registered, 'transfer', operator, { reason: 'x', toUnit: TRAFFIC }, t('10:00'))).record.details).toEqual({});
  });

  it('decides the same for the same inputs (no clock, no randomness)', () => {
    const facts: CaseFacts = { device: unreviewed(false, false), hasPlate: false, newPartyCode: '000001' };
    const a = transition(detected, 'review-register', operator, { evidenceUsableForPenalty: true }, t('09:30'), facts);
    expect(transition(detected, 'review-register', operator, { evidenceUsableForPenalty: true }, t('09:30'), facts)).toEqual(a);
  });
});

describe('reject', () => {
  it('needs a reason', () => {
    expectFail(transition(detected, 'reject', operator, { reason: '' }, t('09:30')), 'missing-reason');
    expectFail(transition(detected, 'reject', operator, { reason: '   ' }, t('09:30')), 'missing-reason');
    expectFail(transition(detected, 'reject', operator, {} as CaseActionInputs['reject'], t('09:30')), 'missing-reason');
    expectFail(transition(detected, 'reject', operator, undefined as unknown as CaseActionInputs['reject'], t('09:30')), 'missing-reason');
  });

  it('counts rejecting a detection as its (failed) review', () => {
    const r = expectOk(transition(detected, 'reject', operator, { reason: ' tree shadow ' }, t('09:30')));
    expect(r.next).toEqual({
      status: 'rejected',
      reviewedAt: t('09:30'),
      reviewedBy: 'op-1',
      evidenceUsableForPenalty: false,
      evidenceNote: 'Rejected on review: not usable as penalty evidence.',
      rejectedAt: t('09:30'),
      rejectedBy: 'op-1',
      rejectionReason: 'tree shadow',
    });
    expect(r.record.reason).toBe('tree shadow');
  });

  it('keeps the earlier review when a registered case is rejected', () => {
    const r = expectOk(transition(registered, 'reject', supervisor, { reason: 'duplicate of case 17' }, t('10:00')));
    expect(r.next.reviewedAt).toBeUndefined();
    expect(applyCaseChanges(registered, r.next).reviewedBy).toBe('op-1');
  });
});

describe('dispatch', () => {
  it('sends to the routed unit by default, or to the one chosen; the clock starts now', () => {
    const r = expectOk(transition(registered, 'dispatch', operator, {}, t('09:30')));
    expect(r.next).toEqual({ status: 'dispatched', handlingUnit: T1_TEAM, dispatchedAt: t('09:30'), dispatchedBy: 'op-1', dueAt: null });
    expect(r.record).toMatchObject({ fromUnit: null, toUnit: T1_TEAM });
    const chosen = expectOk(transition(registered, 'dispatch', officerT1, { unitCode: TRAFFIC, dueAt: t('11:30') }, t('09:30')));
    expect(chosen.next).toMatchObject({ handlingUnit: TRAFFIC, dueAt: t('11:30') });
  });

  it('needs a unit when routing found none', () => {
    expectFail(transition({ ...registered, handlingUnit: null }, 'dispatch', operator, {}, t('09:30')), 'invalid-input');
    expectFail(transition(registered, 'dispatch', operator, { unitCode: ' ' }, t('09:30')), 'invalid-input');
  });

  it('refuses a deadline that is not after the dispatch', () => {
    expectFail(transition(registered, 'dispatch', operator, { dueAt: t('09:30') }, t('09:30')), 'invalid-input');
    expectFail(transition(registered, 'dispatch', operator, { dueAt: new Date('x') }, t('09:30')), 'invalid-input');
  });

  it("refuses another township's team and points to transfer (移送); the case stays registered in its township", () => {
    const T2_TEAM = 'T2-team';
    const facts: CaseFacts = { dispatchUnit: { code: T2_TEAM, townshipCode: T2 } };
    for (const actor of [operator, supervisor, officerT1]) {
      const message = expectFail(transition(registered, 'dispatch', actor, { unitCode: T2_TEAM }, t('09:30'), facts), 'invalid-input');
      expect(message).toContain(`use transfer (移送) to hand the case to township ${T2}`);
      expect(message).toContain(T1);
    }
    // The routed unit (no unitCode) is checked the same way: routing that proposed another township's team is not obeyed.
    expectFail(transition({ ...registered, handlingUnit: T2_TEAM }, 'dispatch', operator, {}, t('09:30'), facts), 'invalid-input');
    // Transfer is the step that moves it, with a reason.
    const moved = expectOk(transition(registered, 'transfer', operator, { toUnit: T2_TEAM, toTownshipCode: T2, reason: 'the place is in T2' }, t('09:30')));
    expect(moved.next).toMatchObject({ status: 'dispatched', handlingUnit: T2_TEAM, townshipCode: T2 });
  });

  it("dispatches to the case's own township team and to departments (no township)", () => {
    const own = expectOk(transition(registered, 'dispatch', operator, {}, t('09:30'), { dispatchUnit: { code: T1_TEAM, townshipCode: T1 } }));
    expect(own.next).toMatchObject({ handlingUnit: T1_TEAM });
    const dept = expectOk(
      transition(registered, 'dispatch', officerT1, { unitCode: TRAFFIC }, t('09:30'), { dispatchUnit: { code: TRAFFIC, townshipCode: null } }),
    );
    expect(dept.next).toMatchObject({ handlingUnit: TRAFFIC });
    expect(dept.next).not.toHaveProperty('townshipCode');
    // Facts about another unit than the one dispatched to decide nothing.
    expectOk(transition(registered, 'dispatch', operator, { unitCode: TRAFFIC }, t('09:30'), { dispatchUnit: { code: 'T2-team', townshipCode: T2 } }));
  });
});

describe('scope', () => {
  it('keeps a township officer to cases of their township', () => {
    expect(expectFail(transition(detected, 'review-register', officerT2, {}, t('09:30')), 'out-of-scope')).toContain(T1);
    expectFail(transition(registered, 'dispatch', officerT2, {}, t('09:30')), 'out-of-scope');
    expectFail(transition(dispatched, 'accept', officerT2, {}, t('09:30')), 'out-of-scope');
  });

  it('lets a township officer handle only what is dispatched to their own team', () => {
    expectOk(transition(dispatched, 'accept', officerT1, {}, t('09:30')));
    expectFail(transition(dispatched, 'accept', officerT1NoUnit, {}, t('09:30')), 'out-of-scope');
    expectOk(transition(detected, 'review-register', officerT1NoUnit, {}, t('09:30')));
    const withTraffic: CaseSnapshot = { ...dispatched, handlingUnit: TRAFFIC };
    expectFail(transition(withTraffic, 'accept', officerT1, {}, t('09:30')), 'out-of-scope');
  });

  it('keeps a liaison to cases handled by their unit', () => {
    const withTraffic: CaseSnapshot = { ...dispatched, handlingUnit: TRAFFIC };
    expectOk(transition(withTraffic, 'accept', trafficLiaison, {}, t('09:30')));
    expectFail(transition(withTraffic, 'accept', fireLiaison, {}, t('09:30')), 'out-of-scope');
    expectFail(transition(withTraffic, 'accept', { id: 'l', role: 'department_liaison' }, {}, t('09:30')), 'out-of-scope');
  });

  it('refuses an officer bound to no township', () => {
    expectFail(transition(detected, 'reject', { id: 'o', role: 'township_officer' }, { reason: 'x' }, t('09:30')), 'out-of-scope');
  });

  it('checks scope before state', () => {
    expectFail(transition(closed, 'dispatch', officerT2, {}, t('09:30')), 'out-of-scope');
  });
});

describe('report back', () => {
  it('needs a result note; photos are optional', () => {
    expectFail(transition(inProgress, 'report-back', officerT1, { resultNote: ' ' }, t('11:00')), 'invalid-input');
    const r = expectOk(transition(inProgress, 'report-back', officerT1, { resultNote: 'Owner moved the car' }, t('11:00')));
    expect(r.next).toEqual({ status: 'reported', reportedAt: t('11:00'), reportedBy: 'off-1', resultNote: 'Owner moved the car', afterPhotos: [] });
  });

  it('keeps the photo list in the case and in the audit line', () => {
    const r = expectOk(transition(inProgress, 'report-back', officerT1, { resultNote: 'done', photos: ['a.jpg', 'b.jpg'] }, t('11:00')));
    expect(r.next.afterPhotos).toEqual(['a.jpg', 'b.jpg']);
    expect(r.record).toMatchObject({ note: 'done', photos: ['a.jpg', 'b.jpg'] });
  });

  it('refuses photo lists that are not lists of references', () => {
    for (const photos of [[''], 'a.jpg', [1]]) {
      const input = { resultNote: 'done', photos } as unknown as CaseActionInputs['report-back'];
      expectFail(transition(inProgress, 'report-back', officerT1, input, t('11:00')), 'invalid-input');
    }
  });

  it('refuses an over-long note', () => {
    expectFail(transition(inProgress, 'report-back', officerT1, { resultNote: 'x'.repeat(4001) }, t('11:00')), 'invalid-input');
  });

  it('needs a stored after-photo where the category says so; a URL alone does not count', () => {
    const needs = (storedPhotos: string[]): CaseFacts => ({ reportBack: { photoRequired: true, storedPhotos } });
    const none = expectFail(transition(inProgress, 'report-back', officerT1, { resultNote: 'done' }, t('11:00'), needs([])), 'invalid-input');
    expect(none).toContain('after-photo');
    const url = 'https://photos.example/after.jpg';
    expectFail(transition(inProgress, 'report-back', officerT1, { resultNote: 'done', photos: [url] }, t('11:00'), needs([])), 'invalid-input');
    const key = 'photos/originals/ab/cd/after.jpg';
    const r = expectOk(transition(inProgress, 'report-back', officerT1, { resultNote: 'done', photos: [url, key] }, t('11:00'), needs([key])));
    expect(r.next.afterPhotos).toEqual([url, key]);
  });

  it('takes no photo where the category does not need one', () => {
    const facts: CaseFacts = { reportBack: { photoRequired: false, storedPhotos: [] } };
    expectOk(transition(inProgress, 'report-back', officerT1, { resultNote: 'the car was moved' }, t('11:00'), facts));
    expectOk(transition(inProgress, 'report-back', officerT1, { resultNote: 'moved', photos: ['https://x.example/1.jpg'] }, t('11:00'), facts));
  });
});

describe('verify and close, or send back', () => {
  it('closes a reported case', () => {
    expect(expectOk(transition(reported, 'verify-close', supervisor, {}, t('12:00'))).next).toEqual({
      status: 'closed',
      closedAt: t('12:00'),
      closedBy: 'sup-1',
    });
  });

  it('does not let the reporter verify their own work', () => {
    expectFail(transition({ ...reported, reportedBy: 'op-1' }, 'verify-close', operator, {}, t('12:00')), 'forbidden-role');
    expect(allowedActions({ ...reported, reportedBy: 'op-1' }, operator)).not.toContain('verify-close');
  });

  it('sends back to in_progress by default, keeping the clock and the assignee', () => {
    const r = expectOk(transition(reported, 'send-back', operator, { reason: 'garbage still visible' }, t('12:00')));
    expect(r.next).toEqual({ status: 'in_progress', reportedAt: null, reportedBy: null, resultNote: null, afterPhotos: null, sendBackCount: 1 });
    const c = applyCaseChanges(reported, r.next);
    expect(c).toMatchObject({ dispatchedAt: t('09:10'), dueAt: t('17:30'), acceptedBy: 'off-1' });
    expect(r.record.reason).toBe('garbage still visible');
  });

  it('can send back to dispatched, so the unit accepts it again', () => {
    const r = expectOk(transition({ ...reported, sendBackCount: 2 }, 'send-back', operator, { reason: 'wrong site', to: 'dispatched' }, t('12:00')));
    expect(r.next).toMatchObject({ status: 'dispatched', acceptedAt: null, acceptedBy: null, sendBackCount: 3 });
    expect(r.next.dueAt).toBeUndefined();
  });

  it('needs a reason and a valid target', () => {
    expectFail(transition(reported, 'send-back', operator, { reason: '' }, t('12:00')), 'missing-reason');
    const input = { reason: 'x', to: 'closed' } as unknown as CaseActionInputs['send-back'];
    expectFail(transition(reported, 'send-back', operator, input, t('12:00')), 'invalid-input');
  });
});

describe('transfer (移送): a transition back to dispatched at another unit', () => {
  it('re-targets the unit, restarts the clock and counts the transfer', () => {
    const r = expectOk(
      transition(
        inProgress,
        'transfer',
        officerT1,
        { reason: 'parking on the carriageway is traffic police remit', toUnit: TRAFFIC, dueAt: t('15:00') },
        t('10:00'),
      ),
    );
    expect(r.next).toEqual({
      status: 'dispatched',
      handlingUnit: TRAFFIC,
      dispatchedAt: t('10:00'),
      dispatchedBy: 'off-1',
      dueAt: t('15:00'),
      acceptedAt: null,
      acceptedBy: null,
      reportedAt: null,
      reportedBy: null,
      resultNote: null,
      afterPhotos: null,
      transferCount: 1,
    });
    expect(r.record).toMatchObject({
      action: 'transfer',
      from: 'in_progress',
      to: 'dispatched',
      fromUnit: T1_TEAM,
      toUnit: TRAFFIC,
      reason: 'parking on the carriageway is traffic police remit',
    });

    // The receiving unit now owns it; the sending team no longer does.
    const c = applyCaseChanges(inProgress, r.next);
    expect(allowedActions(c, trafficLiaison)).toEqual(['accept', 'transfer']);
    expect(allowedActions(c, officerT1)).toEqual([]);
    expectFail(transition(c, 'transfer', officerT1, { reason: 'take it back', toUnit: T1_TEAM }, t('10:05')), 'out-of-scope');
  });

  it('can move the case to another township when the place was mis-routed', () => {
    const r = expectOk(
      transition(registered, 'transfer', operator, { reason: 'boundary: the shed is in T2', toUnit: 'T2-team', toTownshipCode: T2 }, t('10:00')),
    );
    const c = applyCaseChanges(registered, r.next);
    expect(c).toMatchObject({ townshipCode: T2, handlingUnit: 'T2-team', status: 'dispatched' });
    expect(allowedActions(c, officerT2)).toContain('accept');
    expect(allowedActions(c, officerT1)).toEqual([]);
  });

  it('lets a township officer send on a registered case of their township, before any unit holds it', () => {
    expectOk(transition(registered, 'transfer', officerT1NoUnit, { reason: 'fire brigade remit', toUnit: 'fire-brigade' }, t('10:00')));
    expectFail(transition(dispatched, 'transfer', officerT1NoUnit, { reason: 'fire brigade remit', toUnit: 'fire-brigade' }, t('10:00')), 'out-of-scope');
  });

  it('lets a liaison send a case on', () => {
    const withTraffic: CaseSnapshot = { ...dispatched, handlingUnit: TRAFFIC, transferCount: 1 };
    const r = expectOk(transition(withTraffic, 'transfer', trafficLiaison, { reason: 'not a road', toUnit: T1_TEAM }, t('10:00')));
    expect(r.next).toMatchObject({ handlingUnit: T1_TEAM, transferCount: 2 });
  });

  it('needs a reason and another unit', () => {
    expectFail(transition(dispatched, 'transfer', operator, { reason: '', toUnit: TRAFFIC }, t('10:00')), 'missing-reason');
    expectFail(transition(dispatched, 'transfer', operator, { reason: 'x', toUnit: '' }, t('10:00')), 'invalid-input');
    expectFail(transition(dispatched, 'transfer', operator, { reason: 'x', toUnit: T1_TEAM }, t('10:00')), 'invalid-input');
    expectFail(transition(dispatched, 'transfer', operator, { reason: 'x', toUnit: TRAFFIC, toTownshipCode: '' }, t('10:00')), 'invalid-input');
    expectFail(transition(dispatched, 'transfer', operator, { reason: 'x', toUnit: TRAFFIC, dueAt: t('09:00') }, t('10:00')), 'invalid-input');
  });
});

describe('reopen', () => {
  it('is for supervisors only and needs a reason', () => {
    expectFail(transition(closed, 'reopen', operator, { reason: 'complaint' }, t('15:00')), 'forbidden-role');
    expectFail(transition(closed, 'reopen', supervisor, { reason: ' ' }, t('15:00')), 'missing-reason');
    expectFail(transition(dispatched, 'reopen', supervisor, { reason: 'x' }, t('15:00')), 'invalid-state');
  });

  it('returns a closed case to registered, keeping its review and clearing the previous round', () => {
    const r = expectOk(transition({ ...closed, reopenCount: 1 }, 'reopen', supervisor, { reason: 'citizen says the shed is back' }, t('15:00')));
    const c = applyCaseChanges(closed, r.next);
    expect(c).toMatchObject({
      status: 'registered',
      reviewedBy: 'op-1',
      handlingUnit: T1_TEAM,
      closedAt: null,
      dispatchedAt: null,
      dueAt: null,
      acceptedBy: null,
      resultNote: null,
      reopenCount: 2,
    });
    expect(allowedActions(c, operator)).toContain('dispatch');
  });

  it('returns a rejected machine case to detected for a fresh review', () => {
    const r = expectOk(transition(rejected, 'reopen', supervisor, { reason: 'rejected in error' }, t('15:00')));
    const c = applyCaseChanges(rejected, r.next);
    expect(c).toMatchObject({ status: 'detected', reviewedAt: null, reviewedBy: null, evidenceUsableForPenalty: null, rejectionReason: null });
    expectFail(transition({ ...c, status: 'registered' }, 'dispatch', operator, {}, t('15:01')), 'review-required');
  });

  it('returns a rejected manual case to registered', () => {
    const r = expectOk(transition({ ...rejected, origin: 'manual' }, 'reopen', supervisor, { reason: 'not a duplicate after all' }, t('15:00')));
    expect(r.next.status).toBe('registered');
  });
});

describe('allowedActions', () => {
  it.each([
    ['operator on a detection', detected, operator, ['review-register', 'reject']],
    ['operator on a registered case', registered, operator, ['reject', 'dispatch', 'transfer']],
    ['the handling officer on a dispatched case', dispatched, officerT1, ['accept', 'transfer']],
    ['the handling officer at work', inProgress, officerT1, ['report-back', 'transfer']],
    ['operator on a reported case', reported, operator, ['verify-close', 'send-back', 'transfer']],
    ['supervisor on a closed case', closed, supervisor, ['reopen']],
    ['supervisor on a rejected case', rejected, supervisor, ['reopen']],
    ['operator on a closed case', closed, operator, []],
    ['an officer of another township', dispatched, officerT2, []],
    ['admin', registered, admin, []],
    ['a device', detected, device, []],
    ['a pilot', registered, pilot, []],
  ])('%s', (_name, snapshot, actor, actions) => {
    expect(allowedActions(snapshot, actor)).toEqual(actions);
  });

  it('agrees with transition: every offered action passes all but input checks', () => {
    const goodInput = { reason: 'r', resultNote: 'n', toUnit: 'elsewhere' };
    for (const s of [detected, registered, rejected, dispatched, inProgress, reported, closed]) {
      for (const actor of [operator, supervisor, pilot, admin, device, officerT1, officerT2, trafficLiaison]) {
        const offered = allowedActions(s, actor);
        for (const action of CASE_ACTIONS) {
          expect(transition(s, action, actor, goodInput, t('12:00')).ok).toBe(offered.includes(action));
        }
      }
    }
  });
});

describe('invariants under any sequence of attempts', () => {
  const actors = [operator, supervisor, officerT1, trafficLiaison, pilot, admin, device, officerT2, officerT1NoUnit];
  // Inputs that carry every field, so that most offered actions succeed and walks reach the end of the loop.
  const inputs = [
    { reason: 'because', resultNote: 'done', toUnit: TRAFFIC, evidenceUsableForPenalty: true },
    { reason: 'because', resultNote: 'done', toUnit: T1_TEAM, to: 'dispatched' as const, photos: ['a.jpg'] },
    { reason: 'because', resultNote: 'done', toUnit: 'T2-team', toTownshipCode: T2 },
    {},
  ];
  const attempt = fc.record({ offered: fc.boolean(), actor: fc.nat(actors.length - 1), choice: fc.nat(20), input: fc.nat(inputs.length - 1) });

  it('never lets an unreviewed machine record reach enforcement, and only moves along defined edges', () => {
    const reached = new Set<string>();
    fc.assert(
      fc.property(fc.array(attempt, { minLength: 20, maxLength: 80 }), (attempts) => {
        let c: CaseSnapshot = detected;
        let clock = t('08:00').getTime();
        for (const a of attempts) {
          clock += 60_000;
          // Half the time do what some UI would offer someone; otherwise anyone tries anything.
          const candidates = a.offered ? actors.filter((x) => allowedActions(c, x).length > 0) : actors;
          const actor = candidates.length > 0 ? candidates[a.actor % candidates.length] : actors[a.actor];
          const offered = allowedActions(c, actor);
          const action = a.offered && offered.length > 0 ? offered[a.choice % offered.length] : CASE_ACTIONS[a.choice % CASE_ACTIONS.length];
          const r = transition(c, action, actor, inputs[a.input], new Date(clock));
          if (!r.ok) {
            expect(r.code === 'missing-reason' || r.code === 'invalid-input' || !offered.includes(action)).toBe(true);
            continue;
          }
          expect(offered).toContain(action);
          expect(CASE_ACTION_RULES[action].from).toContain(c.status);
          expect(CASE_ACTION_RULES[action].roles).toContain(actor.role);
          c = applyCaseChanges(c, r.next);
          reached.add(c.status);
          if (['dispatched', 'in_progress', 'reported', 'closed'].includes(c.status)) {
            expect(c.reviewedAt).toBeInstanceOf(Date);
            expect(c.reviewedBy).toEqual(expect.any(String));
            expect(c.handlingUnit).toEqual(expect.any(String));
            expect(c.dispatchedAt).toBeInstanceOf(Date);
          }
          if (c.status === 'in_progress') expect(c.acceptedBy).toEqual(expect.any(String));
          if (c.status === 'detected') expect(c.reviewedAt ?? null).toBeNull();
          if (c.status === 'closed') expect(c.resultNote).toEqual(expect.any(String));
        }
      }),
      { numRuns: 300 },
    );
    // The walks really went round the loop, not just in front of it.
    expect([...reached].sort()).toEqual([...CASE_STATUSES].sort());
  });

  it('knows which statuses are open', () => {
    expect(CASE_STATUSES.filter(isOpenStatus)).toEqual(['detected', 'registered', 'dispatched', 'in_progress', 'reported']);
  });
});
