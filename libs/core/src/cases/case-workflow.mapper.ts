import { type CaseChanges, type CaseSnapshot, type CaseStatus, CASE_STATUSES, type CaseTransitionRecord } from '@app/domain';
import type { LoopStateRow, TransitionRow, WorkflowRow } from '@app/persistence';

/**
 * The one mapping between the loop's persistence rows (case_workflow, case_transitions) and what the domain
 * and the API see. Imports go case-loop → cases, never back: the case reads here need no case-loop service.
 */

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

/** One step of a case's record as the API shows it. */
export interface TransitionView {
  seq: number;
  action: string;
  from: string | null;
  to: string;
  at: string;
  actor: { id: string; role: string };
  reason: string | null;
  note: string | null;
  fromUnit: string | null;
  toUnit: string | null;
  photos: string[];
  details: Record<string, unknown>;
  auditSeq: number;
}

/** The running step clock of a case_workflow row (review, handle or verify), kept apart from the case's state. */
export type StepClock = Pick<WorkflowRow, 'step' | 'stepStartedAt' | 'stepDueAt' | 'stepLimit' | 'deadlineState' | 'dueSoonAlertedAt' | 'escalatedAt'>;
/** The case state a case_workflow row keeps: what the state machine decides (CaseSnapshot minus the case row's columns). */
export type WorkflowState = Omit<WorkflowRow, 'caseId' | 'transitionCount' | keyof StepClock>;

export const NO_STEP_CLOCK: Readonly<StepClock> = {
  step: null,
  stepStartedAt: null,
  stepDueAt: null,
  stepLimit: null,
  deadlineState: null,
  dueSoonAlertedAt: null,
  escalatedAt: null,
};

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** Snapshot (or patch) → the state columns of case_workflow; absent fields are null, absent counts 0. */
export function workflowState(s: CaseChanges): WorkflowState {
  return {
    reviewedAt: s.reviewedAt ?? null,
    reviewedBy: s.reviewedBy ?? null,
    evidenceUsableForPenalty: s.evidenceUsableForPenalty ?? null,
    evidenceNote: s.evidenceNote ?? null,
    rejectedAt: s.rejectedAt ?? null,
    rejectedBy: s.rejectedBy ?? null,
    rejectionReason: s.rejectionReason ?? null,
    dispatchedAt: s.dispatchedAt ?? null,
    dispatchedBy: s.dispatchedBy ?? null,
    dueAt: s.dueAt ?? null,
    acceptedAt: s.acceptedAt ?? null,
    acceptedBy: s.acceptedBy ?? null,
    reportedAt: s.reportedAt ?? null,
    reportedBy: s.reportedBy ?? null,
    resultNote: s.resultNote ?? null,
    afterPhotos: s.afterPhotos ? [...s.afterPhotos] : null,
    closedAt: s.closedAt ?? null,
    closedBy: s.closedBy ?? null,
    transferCount: s.transferCount ?? 0,
    sendBackCount: s.sendBackCount ?? 0,
    reopenCount: s.reopenCount ?? 0,
    partyCode: s.partyCode ?? null,
  };
}

export function emptyWorkflow(caseId: string): WorkflowRow {
  return { caseId, ...workflowState({}), transitionCount: 0, ...NO_STEP_CLOCK };
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
  return {
    status: asCaseStatus(c.status),
    origin: c.origin === 'manual' ? 'manual' : 'machine',
    townshipCode: c.townshipCode ?? '',
    handlingUnit: c.handlingUnit,
    ...workflowState(w ?? {}),
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
        ? {
            step: w.step,
            startedAt: iso(w.stepStartedAt),
            dueAt: w.stepDueAt.toISOString(),
            state: w.deadlineState,
            limit: w.stepLimit,
            escalatedAt: iso(w.escalatedAt),
          }
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

/** The domain's audit line → its case_transitions row (the audit seq is added once the entry is appended). */
export function toTransitionRow(
  caseId: string,
  seq: number,
  r: CaseTransitionRecord,
  details: Record<string, unknown> = r.details,
): Omit<TransitionRow, 'auditSeq'> {
  return {
    caseId,
    seq,
    action: r.action,
    fromStatus: r.from,
    toStatus: r.to,
    actorId: r.actorId,
    actorRole: r.actorRole,
    at: r.at,
    reason: r.reason,
    note: r.note,
    fromUnit: r.fromUnit,
    toUnit: r.toUnit,
    photos: [...r.photos],
    details,
  };
}

/** The part of a step every outside view shares (the API's TransitionView, the lifecycle event). */
export function transitionFields(t: Omit<TransitionRow, 'auditSeq'>): Omit<TransitionView, 'details' | 'auditSeq'> {
  return {
    seq: t.seq,
    action: t.action,
    from: t.fromStatus,
    to: t.toStatus,
    at: t.at.toISOString(),
    actor: { id: t.actorId, role: t.actorRole },
    reason: t.reason,
    note: t.note,
    fromUnit: t.fromUnit,
    toUnit: t.toUnit,
    photos: t.photos,
  };
}

export function toTransitionView(t: TransitionRow): TransitionView {
  return { ...transitionFields(t), details: t.details, auditSeq: t.auditSeq };
}

/**
 * The step as its audit entry records it: the row's own columns, flat. AuditVerifier compares the stored
 * row (AuditLogRepository.transitionsByAuditSeq) with this, so the shape is fixed.
 */
export function auditedTransition(t: Omit<TransitionRow, 'auditSeq'>): Record<string, unknown> {
  return {
    caseId: t.caseId,
    seq: t.seq,
    action: t.action,
    from: t.fromStatus,
    to: t.toStatus,
    actorId: t.actorId,
    actorRole: t.actorRole,
    at: t.at.toISOString(),
    reason: t.reason,
    note: t.note,
    fromUnit: t.fromUnit,
    toUnit: t.toUnit,
    photos: t.photos,
    details: t.details,
  };
}
