import type { Role } from '../access/actor';

/**
 * The case lifecycle: the 数字城管 closed loop as an explicit state machine.
 *
 *   collect      openCase          → detected (machine-made) | registered (made by a person)
 *   register     review-register   detected → registered   (a person reviews machine evidence: Art. 41)
 *                reject            detected | registered → rejected (false positive / duplicate; reason)
 *   dispatch     dispatch          registered → dispatched (to a unit; the deadline clock starts)
 *   handle       accept            dispatched → in_progress
 *   report back  report-back       in_progress → reported  (result note, after-photos)
 *   verify/close verify-close      reported → closed
 *                send-back         reported → in_progress | dispatched (verification failed; reason)
 *   (移送)        transfer          any open state → dispatched at another unit (reason)
 *                reopen            closed | rejected → registered | detected (supervisor; reason)
 *   evaluate     case-figures.ts
 *
 * Transfer (移送) is a transition, not a status. After a transfer the receiving unit has exactly what
 * any dispatched unit has — a case waiting to be accepted, with a fresh clock — so it re-targets
 * handlingUnit (and the township, when the place was mis-routed) and lands in `dispatched`. A
 * `transferred` status would be a second "waiting for a unit" state needing its own accept/transfer
 * edges and breaking "status says who acts next". The 移送 itself is kept in the record (reason,
 * fromUnit → toUnit) and counted in transferCount, so figures and the audit trail still see it.
 *
 * Pure: no clock (`now` is passed in), no I/O, no randomness. What the caller looks up or draws (the device's
 * art. 41 review, a fresh party code) comes in as CaseFacts. The decision is complete: the caller persists
 * `next` as it is and appends `record` to the append-only audit trail in the same transaction.
 */

export const CASE_STATUSES = ['detected', 'registered', 'rejected', 'dispatched', 'in_progress', 'reported', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** Statuses in which the loop is still running (a case here is "open"). */
export const OPEN_CASE_STATUSES = ['detected', 'registered', 'dispatched', 'in_progress', 'reported'] as const satisfies readonly CaseStatus[];

export const CASE_ACTIONS = ['review-register', 'reject', 'dispatch', 'accept', 'report-back', 'verify-close', 'send-back', 'transfer', 'reopen'] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

export const CASE_ORIGINS = ['machine', 'manual'] as const;
export type CaseOrigin = (typeof CASE_ORIGINS)[number];

/** The part of access's Actor the machine needs; an Actor can be passed as it is. */
export interface CaseActor {
  id: string;
  role: Role;
  /** township_officer: the one township they act for. */
  townshipCode?: string | null;
  /** department_liaison: their unit. township_officer: their township team's unit (needed to accept / report back). */
  unitCode?: string | null;
}

/** What the machine needs to know about a case. Nullable fields accept database NULLs. */
export interface CaseSnapshot {
  status: CaseStatus;
  origin: CaseOrigin;
  townshipCode: string;
  /** The unit that handles the case: routing's proposal until dispatch, then the dispatched unit. */
  handlingUnit?: string | null;
  reviewedAt?: Date | null;
  reviewedBy?: string | null;
  /** The reviewer's judgement that the device record is true, clear, complete and accurate (Art. 41). */
  evidenceUsableForPenalty?: boolean | null;
  /** Why the record is not penalty evidence (null when it is, or before any review). */
  evidenceNote?: string | null;
  rejectedAt?: Date | null;
  rejectedBy?: string | null;
  rejectionReason?: string | null;
  dispatchedAt?: Date | null;
  dispatchedBy?: string | null;
  dueAt?: Date | null;
  acceptedAt?: Date | null;
  acceptedBy?: string | null;
  reportedAt?: Date | null;
  reportedBy?: string | null;
  resultNote?: string | null;
  afterPhotos?: readonly string[] | null;
  closedAt?: Date | null;
  closedBy?: string | null;
  transferCount?: number | null;
  sendBackCount?: number | null;
  reopenCount?: number | null;
  /** The code printed on the notice letter, for a party without a plate to look the case up (party-access.ts). */
  partyCode?: string | null;
}

type ChangeableField = Exclude<keyof CaseSnapshot, 'status' | 'origin'>;
/** A patch: a key that is absent stays as it was; null clears a nullable field. */
export type CaseChanges = {
  [K in ChangeableField]?: null extends CaseSnapshot[K] ? NonNullable<CaseSnapshot[K]> | null : CaseSnapshot[K];
};
export type CaseNext = { status: CaseStatus } & CaseChanges;

/** One line of the audit trail. */
export interface CaseTransitionRecord {
  /** null when the case is opened. */
  from: CaseStatus | null;
  to: CaseStatus;
  action: CaseAction | 'open';
  actorId: string;
  actorRole: Role;
  at: Date;
  reason: string | null;
  note: string | null;
  /** Set by dispatch and transfer. */
  fromUnit: string | null;
  toUnit: string | null;
  /** report-back: the after-photos reported. */
  photos: readonly string[];
  /** What else the step decided, for the record: the art. 41 outcome of a review, the township a transfer moved to. */
  details: Record<string, unknown>;
}

/** Per-action input. HTTP bodies are untrusted, so `transition` re-checks every field at run time. */
export interface CaseActionInputs {
  /** evidenceUsableForPenalty defaults to false: a record is penalty evidence only when a reviewer says so. */
  'review-register': { evidenceUsableForPenalty?: boolean; note?: string };
  reject: { reason: string };
  /** unitCode defaults to the routed handlingUnit; dueAt is computed by the caller from the deadline policy. */
  dispatch: { unitCode?: string; dueAt?: Date; note?: string };
  accept: { note?: string };
  'report-back': { resultNote: string; photos?: readonly string[] };
  'verify-close': { note?: string };
  /** to defaults to in_progress (same officer continues); dispatched makes the unit accept it again. */
  'send-back': { reason: string; to?: 'in_progress' | 'dispatched' };
  transfer: { reason: string; toUnit: string; toTownshipCode?: string; dueAt?: Date };
  reopen: { reason: string };
}

export interface CaseDraft {
  origin: CaseOrigin;
  townshipCode: string;
  handlingUnit?: string | null;
}

/**
 * Trusted facts the decider needs beyond the snapshot, looked up or drawn by the caller (never taken from a
 * request body). Absent facts decide nothing: no device → only the reviewer's judgement counts; no fresh code →
 * no party code is assigned.
 */
export interface CaseFacts {
  /** review-register: the recording device as the device register has it; review null = not in the register. */
  device?: { id: string; review: DeviceReview | null };
  /** The case identity has a plate: the party proves the case with it and needs no code. */
  hasPlate?: boolean;
  /** A fresh party code (the caller draws it with a CSPRNG, formatPartyCode); used only if the case needs one now. */
  newPartyCode?: string;
  /** dispatch: the unit dispatched to as the district directory has it; townshipCode null = a department, no township's team. */
  dispatchUnit?: { code: string; townshipCode: string | null };
  /**
   * report-back: whether the case's category needs an after-photo (categorySchema.reportBackRequiresPhoto), and which
   * of the reported photos are media keys whose file is stored here (so they are sealed with their SHA-256).
   */
  reportBack?: { photoRequired: boolean; storedPhotos: readonly string[] };
}

/** A device's review before its records may serve as penalty evidence (Administrative Penalty Law art. 41). */
export interface DeviceReview {
  legalReviewPassed: boolean;
  technicalReviewPassed: boolean;
}

export const TRANSITION_ERROR_CODES = ['forbidden-role', 'out-of-scope', 'invalid-state', 'missing-reason', 'review-required', 'invalid-input'] as const;
/** Refusals by kind: role or scope, state or the review gate, the input. The API edge maps them to its statuses. */
export type TransitionErrorCode = (typeof TRANSITION_ERROR_CODES)[number];

export const REVIEW_NOT_ACCEPTED_NOTE = 'The reviewer did not accept the record as penalty evidence.';
export const REJECTED_ON_REVIEW_NOTE = 'Rejected on review: not usable as penalty evidence.';

export type TransitionFailure = { ok: false; code: TransitionErrorCode; message: string };
export type TransitionResult = { ok: true; next: CaseNext; record: CaseTransitionRecord } | TransitionFailure;
/** Opening gives the whole initial snapshot rather than a patch. */
export type OpenCaseResult = { ok: true; next: CaseSnapshot; record: CaseTransitionRecord } | TransitionFailure;

/**
 * Who may act is decided by role, then by scope:
 * - `case`: a township officer only for cases of their township; a liaison only for cases handled by their unit;
 * - `handling-unit`: the handling steps; a township officer must also belong to the handling unit
 *   (actor.unitCode === handlingUnit), so a case transferred from their township to the traffic police is
 *   no longer theirs to accept;
 * - `holder`: `case` until the case is dispatched, then `handling-unit`: a team sends on what it holds,
 *   never pulls a case back from the unit now handling it.
 * Other roles are not scoped.
 * admin configures the system and is not an enforcement role; pilot and device only open cases.
 */
export interface CaseActionRule {
  from: readonly CaseStatus[];
  roles: readonly Role[];
  scope: 'case' | 'handling-unit' | 'holder';
  /** Human wording for messages: "cannot <verb> a case". */
  verb: string;
}

export const CASE_ACTION_RULES: Readonly<Record<CaseAction, CaseActionRule>> = {
  'review-register': { from: ['detected'], roles: ['operator', 'supervisor', 'township_officer'], scope: 'case', verb: 'review and register' },
  reject: { from: ['detected', 'registered'], roles: ['operator', 'supervisor', 'township_officer'], scope: 'case', verb: 'reject' },
  dispatch: { from: ['registered'], roles: ['operator', 'supervisor', 'township_officer'], scope: 'case', verb: 'dispatch' },
  accept: { from: ['dispatched'], roles: ['township_officer', 'department_liaison'], scope: 'handling-unit', verb: 'accept' },
  'report-back': { from: ['in_progress'], roles: ['township_officer', 'department_liaison'], scope: 'handling-unit', verb: 'report back on' },
  // Verification is independent of handling: the centre checks the unit's work (核查).
  'verify-close': { from: ['reported'], roles: ['operator', 'supervisor'], scope: 'case', verb: 'verify and close' },
  'send-back': { from: ['reported'], roles: ['operator', 'supervisor'], scope: 'case', verb: 'send back' },
  transfer: {
    from: ['detected', 'registered', 'dispatched', 'in_progress', 'reported'],
    roles: ['operator', 'supervisor', 'township_officer', 'department_liaison'],
    scope: 'holder',
    verb: 'transfer',
  },
  reopen: { from: ['closed', 'rejected'], roles: ['supervisor'], scope: 'case', verb: 'reopen' },
};

/** Who may open a case of each origin: devices make machine cases, people make manual ones. */
export const CASE_OPEN_ROLES: Readonly<Record<CaseOrigin, readonly Role[]>> = {
  machine: ['device'],
  manual: ['operator', 'supervisor', 'pilot', 'township_officer'],
};

const MAX_TEXT = 4_000;

export function isOpenStatus(status: CaseStatus): boolean {
  return (OPEN_CASE_STATUSES as readonly CaseStatus[]).includes(status);
}

/** The actions the UI should offer this actor now (role, scope, state and the review gate; not input). */
export function allowedActions(snapshot: CaseSnapshot, actor: CaseActor): CaseAction[] {
  return CASE_ACTIONS.filter((action) => preflight(snapshot, action, actor) === null);
}

/** Start the loop (信息收集): machine cases wait in `detected` for a human review, manual ones are registered. */
export function openCase(draft: CaseDraft, actor: CaseActor, now: Date): OpenCaseResult {
  const roles = CASE_OPEN_ROLES[draft.origin];
  if (!roles.includes(actor.role)) {
    return fail('forbidden-role', `A ${roleName(actor.role)} cannot open a ${draft.origin} case; allowed: ${roles.map(roleName).join(', ')}.`);
  }
  if (actor.role === 'township_officer' && actor.townshipCode !== draft.townshipCode) {
    return fail('out-of-scope', `This place is in township ${draft.townshipCode}; you act for ${actor.townshipCode ?? 'no township'} only.`);
  }
  if (!nonEmpty(draft.townshipCode)) return fail('invalid-input', 'A case needs the township of its place.');
  const status: CaseStatus = draft.origin === 'machine' ? 'detected' : 'registered';
  return {
    ok: true,
    next: { status, origin: draft.origin, townshipCode: draft.townshipCode.trim(), handlingUnit: draft.handlingUnit ?? null },
    record: record(null, status, 'open', actor, now, {}),
  };
}

/**
 * Decide one step of the loop. Checks, in order: role, scope, state, the Art. 41 review gate, then the input.
 * On success `next` is the complete patch to store (review outcome and evidence note, party code included)
 * and `record` the audit line.
 */
export function transition<A extends CaseAction>(
  snapshot: CaseSnapshot,
  action: A,
  actor: CaseActor,
  input: CaseActionInputs[A],
  now: Date,
  facts: CaseFacts = {},
): TransitionResult {
  const refused = preflight(snapshot, action, actor);
  if (refused) return refused;
  const loose: LooseInput = input;
  const result = apply(snapshot, action, actor, loose ?? {}, now, facts);
  if (!result.ok) return result;
  const partyCode = partyCodeFor(snapshot, result.next, facts);
  return partyCode === undefined ? result : { ...result, next: { ...result.next, partyCode } };
}

/**
 * Art. 41: a record from a device without passed legal and technical review is never penalty evidence.
 * Null when the device is cleared.
 */
export function deviceReviewProblem(device: { id: string; review: DeviceReview | null }): string | null {
  const r = device.review;
  if (!r) return `Device ${device.id} is not in the device register: its records are not usable as penalty evidence (Administrative Penalty Law art. 41).`;
  const missing = [!r.legalReviewPassed && 'legal', !r.technicalReviewPassed && 'technical'].filter(Boolean);
  return missing.length
    ? `Device ${device.id} has not passed ${missing.join(' and ')} review: its records are not usable as penalty evidence (Administrative Penalty Law art. 41).`
    : null;
}

/** A case registered by a person gets its party code once, unless its plate serves (party-access.ts); undefined: unchanged. */
function partyCodeFor(s: CaseSnapshot, next: CaseNext, facts: CaseFacts): string | undefined {
  if (s.partyCode !== null && s.partyCode !== undefined) return undefined;
  if (next.status !== 'registered' || facts.hasPlate || facts.newPartyCode === undefined) return undefined;
  return facts.newPartyCode;
}

/** The input as it may really arrive (from an HTTP body): every field is checked before use. */
interface LooseInput {
  evidenceUsableForPenalty?: unknown;
  note?: unknown;
  reason?: unknown;
  unitCode?: unknown;
  dueAt?: unknown;
  resultNote?: unknown;
  photos?: unknown;
  to?: unknown;
  toUnit?: unknown;
  toTownshipCode?: unknown;
}

function apply(s: CaseSnapshot, action: CaseAction, actor: CaseActor, i: LooseInput, now: Date, facts: CaseFacts): TransitionResult {
  const from = s.status;
  switch (action) {
    case 'review-register': {
      const note = optionalText(i.note, 'note');
      if (isFailure(note)) return note;
      if (i.evidenceUsableForPenalty !== undefined && typeof i.evidenceUsableForPenalty !== 'boolean') {
        return fail('invalid-input', 'evidenceUsableForPenalty must be true or false.');
      }
      // The reviewer's yes does not outweigh an unreviewed device (art. 41): the record is downgraded, with the reason.
      const deviceProblem = facts.device ? deviceReviewProblem(facts.device) : null;
      const usable = i.evidenceUsableForPenalty === true && deviceProblem === null;
      const evidenceNote = usable ? null : (deviceProblem ?? REVIEW_NOT_ACCEPTED_NOTE);
      return ok(
        { status: 'registered', reviewedAt: now, reviewedBy: actor.id, evidenceUsableForPenalty: usable, evidenceNote },
        record(from, 'registered', action, actor, now, { note, details: { evidenceUsableForPenalty: usable, evidenceNote } }),
      );
    }
    case 'reject': {
      const reason = requiredReason(i.reason, 'reject');
      if (isFailure(reason)) return reason;
      // Rejecting a detection is its review: it counts as reviewed (for the false-positive rate) and failed.
      const review: CaseChanges =
        from === 'detected' ? { reviewedAt: now, reviewedBy: actor.id, evidenceUsableForPenalty: false, evidenceNote: REJECTED_ON_REVIEW_NOTE } : {};
      return ok(
        { status: 'rejected', ...review, rejectedAt: now, rejectedBy: actor.id, rejectionReason: reason },
        record(from, 'rejected', action, actor, now, { reason }),
      );
    }
    case 'dispatch': {
      const note = optionalText(i.note, 'note');
      if (isFailure(note)) return note;
      if (i.unitCode !== undefined && !nonEmpty(i.unitCode)) return fail('invalid-input', 'unitCode must be a non-empty unit code.');
      const unit = i.unitCode?.trim() ?? s.handlingUnit ?? null;
      if (!nonEmpty(unit)) return fail('invalid-input', 'No handling unit: routing found none, so choose the unit to dispatch to.');
      // Dispatch hands the case to a unit of its own township. Another township's team would hold a case that stays in
      // township A (invisible to B's officers, out of scope for A's): moving jurisdiction is a 移送, with its reason.
      const target = facts.dispatchUnit;
      if (target?.code === unit && nonEmpty(target.townshipCode) && target.townshipCode !== s.townshipCode) {
        return fail(
          'invalid-input',
          `${unit} is the team of township ${target.townshipCode}, and this case is in township ${s.townshipCode}: ` +
            `dispatch stays within the case's township; use transfer (移送) to hand the case to township ${target.townshipCode}, with a reason.`,
        );
      }
      const dueAt = optionalDueAt(i.dueAt, now);
      if (isFailure(dueAt)) return dueAt;
      return ok(
        { status: 'dispatched', handlingUnit: unit, dispatchedAt: now, dispatchedBy: actor.id, dueAt },
        record(from, 'dispatched', action, actor, now, { note, fromUnit: null, toUnit: unit }),
      );
    }
    case 'accept': {
      const note = optionalText(i.note, 'note');
      if (isFailure(note)) return note;
      return ok({ status: 'in_progress', acceptedAt: now, acceptedBy: actor.id }, record(from, 'in_progress', action, actor, now, { note }));
    }
    case 'report-back': {
      if (!nonEmpty(i.resultNote)) return fail('invalid-input', 'A result note is required to report back: say what was done.');
      if (i.resultNote.length > MAX_TEXT) return fail('invalid-input', `The result note is longer than ${MAX_TEXT} characters.`);
      const photos = i.photos ?? [];
      if (!isTextList(photos)) return fail('invalid-input', 'photos must be a list of photo references (non-empty strings).');
      // Verification (核查) judges the site by the after-photo: where the category needs one, it must be stored here and
      // sealed with its hash; a URL can change after the fact and does not count.
      const rb = facts.reportBack;
      if (rb?.photoRequired && !photos.some((p) => rb.storedPhotos.includes(p))) {
        return fail(
          'invalid-input',
          'This category needs at least one after-photo to report back: upload it as a report photo and pass its key (a URL alone does not count).',
        );
      }
      const resultNote = i.resultNote.trim();
      return ok(
        { status: 'reported', reportedAt: now, reportedBy: actor.id, resultNote, afterPhotos: [...photos] },
        record(from, 'reported', action, actor, now, { note: resultNote, photos: [...photos] }),
      );
    }
    case 'verify-close': {
      const note = optionalText(i.note, 'note');
      if (isFailure(note)) return note;
      return ok({ status: 'closed', closedAt: now, closedBy: actor.id }, record(from, 'closed', action, actor, now, { note }));
    }
    case 'send-back': {
      const reason = requiredReason(i.reason, 'send back');
      if (isFailure(reason)) return reason;
      const to = i.to ?? 'in_progress';
      if (to !== 'in_progress' && to !== 'dispatched') return fail('invalid-input', 'A case is sent back to in_progress or dispatched.');
      // The deadline is not reset: a failed verification must not launder an overdue case.
      const clearReport: CaseChanges = { reportedAt: null, reportedBy: null, resultNote: null, afterPhotos: null };
      const clearAccept: CaseChanges = to === 'dispatched' ? { acceptedAt: null, acceptedBy: null } : {};
      return ok({ status: to, ...clearReport, ...clearAccept, sendBackCount: (s.sendBackCount ?? 0) + 1 }, record(from, to, action, actor, now, { reason }));
    }
    case 'transfer': {
      const reason = requiredReason(i.reason, 'transfer');
      if (isFailure(reason)) return reason;
      if (!nonEmpty(i.toUnit)) return fail('invalid-input', 'Name the unit the case is transferred to (toUnit).');
      const toUnit = i.toUnit.trim();
      if (toUnit === s.handlingUnit) return fail('invalid-input', `The case is already with ${toUnit}; a transfer must go to another unit.`);
      if (i.toTownshipCode !== undefined && !nonEmpty(i.toTownshipCode)) return fail('invalid-input', 'toTownshipCode must be a non-empty code.');
      const dueAt = optionalDueAt(i.dueAt, now);
      if (isFailure(dueAt)) return dueAt;
      const toTownshipCode = i.toTownshipCode?.trim();
      // The receiving unit's clock starts now: a 移送 is not the receiving unit's delay.
      return ok(
        {
          status: 'dispatched',
          handlingUnit: toUnit,
          ...(toTownshipCode !== undefined ? { townshipCode: toTownshipCode } : {}),
          dispatchedAt: now,
          dispatchedBy: actor.id,
          dueAt,
          acceptedAt: null,
          acceptedBy: null,
          reportedAt: null,
          reportedBy: null,
          resultNote: null,
          afterPhotos: null,
          transferCount: (s.transferCount ?? 0) + 1,
        },
        record(from, 'dispatched', action, actor, now, {
          reason,
          fromUnit: s.handlingUnit ?? null,
          toUnit,
          details: toTownshipCode !== undefined && toTownshipCode !== s.townshipCode ? { toTownshipCode } : {},
        }),
      );
    }
    case 'reopen': {
      const reason = requiredReason(i.reason, 'reopen');
      if (isFailure(reason)) return reason;
      // A rejected detection goes back for a fresh human review; everything else restarts at registered.
      const to: CaseStatus = from === 'rejected' && s.origin === 'machine' ? 'detected' : 'registered';
      const clearReview: CaseChanges = to === 'detected' ? { reviewedAt: null, reviewedBy: null, evidenceUsableForPenalty: null, evidenceNote: null } : {};
      return ok(
        {
          status: to,
          ...clearReview,
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
          reopenCount: (s.reopenCount ?? 0) + 1,
        },
        record(from, to, action, actor, now, { reason }),
      );
    }
  }
}

/** A snapshot with the patch applied (null clears), e.g. to run several steps in memory. */
export function applyCaseChanges<T extends CaseSnapshot>(snapshot: T, next: CaseNext): T {
  return { ...snapshot, ...next };
}

/** Role, scope, state and review-gate checks shared by transition and allowedActions. */
function preflight(s: CaseSnapshot, action: CaseAction, actor: CaseActor): TransitionFailure | null {
  const rule = CASE_ACTION_RULES[action];
  if (!rule.roles.includes(actor.role)) {
    return fail('forbidden-role', `A ${roleName(actor.role)} cannot ${rule.verb} a case; allowed: ${rule.roles.map(roleName).join(', ')}.`);
  }
  const scope = scopeProblem(s, actor, rule.scope === 'holder' ? (isHeldByUnit(s.status) ? 'handling-unit' : 'case') : rule.scope);
  if (scope) return fail('out-of-scope', scope);
  if (!rule.from.includes(s.status)) {
    return fail('invalid-state', `Cannot ${rule.verb} a case that is ${statusName(s.status)}; it must be ${rule.from.map(statusName).join(' or ')}.`);
  }
  if ((action === 'dispatch' || action === 'transfer') && s.origin === 'machine' && !(s.reviewedAt && nonEmpty(s.reviewedBy))) {
    return fail(
      'review-required',
      `A machine-made case must be reviewed and registered by a person before it is ${action === 'dispatch' ? 'dispatched' : 'transferred'} (Administrative Penalty Law art. 41).`,
    );
  }
  if (action === 'verify-close' && s.reportedBy && s.reportedBy === actor.id) {
    return fail('forbidden-role', 'The person who reported the result cannot also verify it.');
  }
  return null;
}

/** Dispatched to a unit and not yet closed: the unit holds the case. */
function isHeldByUnit(status: CaseStatus): boolean {
  return status === 'dispatched' || status === 'in_progress' || status === 'reported';
}

function scopeProblem(s: CaseSnapshot, actor: CaseActor, scope: 'case' | 'handling-unit'): string | null {
  switch (actor.role) {
    case 'township_officer': {
      if (!nonEmpty(actor.townshipCode)) return 'Your account is not bound to a township.';
      if (actor.townshipCode !== s.townshipCode) return `This case belongs to township ${s.townshipCode}; you act for ${actor.townshipCode} only.`;
      if (scope === 'handling-unit' && (!nonEmpty(actor.unitCode) || actor.unitCode !== s.handlingUnit)) {
        return `This case is handled by ${s.handlingUnit ?? 'no unit yet'}, not by your team${nonEmpty(actor.unitCode) ? ` (${actor.unitCode})` : ''}.`;
      }
      return null;
    }
    case 'department_liaison': {
      if (!nonEmpty(actor.unitCode)) return 'Your account is not bound to a unit.';
      if (actor.unitCode !== s.handlingUnit) return `This case is handled by ${s.handlingUnit ?? 'no unit yet'}; you act for ${actor.unitCode} only.`;
      return null;
    }
    case 'operator':
    case 'supervisor':
    case 'pilot':
    case 'admin':
    case 'device':
      return null;
  }
}

function record(
  from: CaseStatus | null,
  to: CaseStatus,
  action: CaseAction | 'open',
  actor: CaseActor,
  at: Date,
  extra: {
    reason?: string;
    note?: string | null;
    fromUnit?: string | null;
    toUnit?: string | null;
    photos?: readonly string[];
    details?: Record<string, unknown>;
  },
): CaseTransitionRecord {
  return {
    from,
    to,
    action,
    actorId: actor.id,
    actorRole: actor.role,
    at,
    reason: extra.reason ?? null,
    note: extra.note ?? null,
    fromUnit: extra.fromUnit ?? null,
    toUnit: extra.toUnit ?? null,
    photos: extra.photos ?? [],
    details: extra.details ?? {},
  };
}

function ok(next: CaseNext, rec: CaseTransitionRecord): TransitionResult {
  return { ok: true, next, record: rec };
}

function fail(code: TransitionErrorCode, message: string): TransitionFailure {
  return { ok: false, code, message };
}

function isFailure(v: unknown): v is TransitionFailure {
  return typeof v === 'object' && v !== null && 'ok' in v && v.ok === false;
}

function isTextList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every(nonEmpty);
}

function nonEmpty(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}

function requiredReason(v: unknown, verb: string): string | TransitionFailure {
  if (!nonEmpty(v)) return fail('missing-reason', `A reason is required to ${verb} a case.`);
  if (v.length > MAX_TEXT) return fail('invalid-input', `The reason is longer than ${MAX_TEXT} characters.`);
  return v.trim();
}

/** A trimmed note, null when absent or blank, or a failure when it is not text. */
function optionalText(v: unknown, field: string): string | null | TransitionFailure {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') return fail('invalid-input', `${field} must be text.`);
  if (v.length > MAX_TEXT) return fail('invalid-input', `${field} is longer than ${MAX_TEXT} characters.`);
  return v.trim() === '' ? null : v.trim();
}

function optionalDueAt(v: unknown, now: Date): Date | null | TransitionFailure {
  if (v === undefined || v === null) return null;
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) return fail('invalid-input', 'dueAt must be a valid date.');
  if (v.getTime() <= now.getTime()) return fail('invalid-input', 'dueAt must be after the time of dispatch.');
  return v;
}

function roleName(role: Role): string {
  return role.replace('_', ' ');
}

function statusName(status: CaseStatus): string {
  return status.replace('_', ' ');
}
