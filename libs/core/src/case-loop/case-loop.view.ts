import { type CaseSnapshot, type CaseStatus, CASE_STATUSES } from '@app/domain';
import type { LoopStateRow, WorkflowRow } from '@app/persistence';

/** The loop part of a case as the API shows it (added to CaseView as `loop`). */
export interface CaseLoopView {
  review: { reviewedAt: string; reviewedBy: string | null } | null;
  /** Administrative Penalty Law art. 41: whether the record may be used as penalty evidence, and why not. */
  evidence: { deviceReviewPassed: boolean | null; usableForPenalty: boolean | null; note: string | null };
  /** The clock running now (review, handle or verify). */
  deadline: {
    step: string;
    startedAt: string | null;
    dueAt: string;
    state: string | null;
    limit: Record<string, unknown> | null;
    escalatedAt: string | null;
  } | null;
  /** The handling deadline set at dispatch or transfer (what on-time closure is measured against). */
  dueAt: string | null;
  dispatchedAt: string | null;
  acceptedAt: string | null;
  reportedAt: string | null;
  closedAt: string | null;
  rejectedAt: string | null;
  rejectionReason: string | null;
  resultNote: string | null;
  afterPhotos: string[];
  counts: { transitions: number; transfers: number; sendBacks: number; reopens: number };
  /** What the party gives to look the case up: the plate, or the code printed on the notice letter. */
  partyVerification: { method: 'plate' } | { method: 'code'; code: string } | null;
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export function emptyWorkflow(caseId: string): WorkflowRow {
  return {
    caseId,
    reviewedAt: null,
    reviewedBy: null,
    evidenceUsableForPenalty: null,
    evidenceNote: null,
    rejectedAt: null,
    rejectedBy: null,
    rejectionReason: null,
    dispatchedAt: null,
    dispatchedBy: null,
    dueAt: null,
    acceptedAt: null,
    acceptedBy: null,
    reportedAt: null,
    reportedBy: null,
    resultNote: null,
    afterPhotos: null,
    closedAt: null,
    closedBy: null,
    transferCount: 0,
    sendBackCount: 0,
    reopenCount: 0,
    transitionCount: 0,
    step: null,
    stepStartedAt: null,
    stepDueAt: null,
    stepLimit: null,
    deadlineState: null,
    dueSoonAlertedAt: null,
    escalatedAt: null,
    partyCode: null,
  };
}

export function asCaseStatus(status: string): CaseStatus {
  if (!(CASE_STATUSES as readonly string[]).includes(status)) throw new Error(`unknown case status "${status}"`);
  return status as CaseStatus;
}

/** What the state machine needs: the case row's status, origin, township and unit, plus the loop state. */
export function snapshotOf(
  c: { status: string; origin: string; townshipCode: string | null; handlingUnit: string | null },
  w: WorkflowRow | null,
): CaseSnapshot {
  const wf = w ?? emptyWorkflow('');
  return {
    status: asCaseStatus(c.status),
    origin: c.origin === 'manual' ? 'manual' : 'machine',
    townshipCode: c.townshipCode ?? '',
    handlingUnit: c.handlingUnit,
    reviewedAt: wf.reviewedAt,
    reviewedBy: wf.reviewedBy,
    evidenceUsableForPenalty: wf.evidenceUsableForPenalty,
    rejectedAt: wf.rejectedAt,
    rejectedBy: wf.rejectedBy,
    rejectionReason: wf.rejectionReason,
    dispatchedAt: wf.dispatchedAt,
    dispatchedBy: wf.dispatchedBy,
    dueAt: wf.dueAt,
    acceptedAt: wf.acceptedAt,
    acceptedBy: wf.acceptedBy,
    reportedAt: wf.reportedAt,
    reportedBy: wf.reportedBy,
    resultNote: wf.resultNote,
    afterPhotos: wf.afterPhotos,
    closedAt: wf.closedAt,
    closedBy: wf.closedBy,
    transferCount: wf.transferCount,
    sendBackCount: wf.sendBackCount,
    reopenCount: wf.reopenCount,
  };
}

export function toCaseLoopView(state: LoopStateRow | undefined, identity: Record<string, string>): CaseLoopView {
  const w = state?.workflow ?? null;
  const deviceReviewPassed =
    state?.deviceLegalReviewPassed === null || state?.deviceLegalReviewPassed === undefined
      ? null
      : state.deviceLegalReviewPassed && state.deviceTechnicalReviewPassed === true;
  return {
    review: w?.reviewedAt ? { reviewedAt: w.reviewedAt.toISOString(), reviewedBy: w.reviewedBy } : null,
    evidence: { deviceReviewPassed, usableForPenalty: w?.evidenceUsableForPenalty ?? null, note: w?.evidenceNote ?? null },
    deadline:
      w?.step && w.stepDueAt
        ? { step: w.step, startedAt: iso(w.stepStartedAt), dueAt: w.stepDueAt.toISOString(), state: w.deadlineState, limit: w.stepLimit, escalatedAt: iso(w.escalatedAt) }
        : null,
    dueAt: iso(w?.dueAt),
    dispatchedAt: iso(w?.dispatchedAt),
    acceptedAt: iso(w?.acceptedAt),
    reportedAt: iso(w?.reportedAt),
    closedAt: iso(w?.closedAt),
    rejectedAt: iso(w?.rejectedAt),
    rejectionReason: w?.rejectionReason ?? null,
    resultNote: w?.resultNote ?? null,
    afterPhotos: w?.afterPhotos ?? [],
    counts: { transitions: w?.transitionCount ?? 0, transfers: w?.transferCount ?? 0, sendBacks: w?.sendBackCount ?? 0, reopens: w?.reopenCount ?? 0 },
    partyVerification: identity.plate ? { method: 'plate' } : w?.partyCode ? { method: 'code', code: w.partyCode } : null,
  };
}
