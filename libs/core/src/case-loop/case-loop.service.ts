import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import {
  type Actor,
  allowedActions,
  applyCaseChanges,
  type CaseAction,
  type CaseActionInputs,
  CASE_ACTION_RULES,
  type CaseFacts,
  type CaseSnapshot,
  type CaseTransitionRecord,
  townshipScope,
  transition,
  type TransitionFailure,
  caseRefKind,
} from '@app/domain';
import { deadlineFrom, stepDeadlineFor, stepDeadlineState } from '@app/domain/cases/case-deadlines';
import { formatPartyCode } from '@app/domain/cases/party-access';
import { referralReplyRecord } from '@app/domain/cases/referral-reply';
import { AuditLogRepository, CaseLoopRepository, type LoopCaseRow, OutboxRepository, type TransitionRow, type WorkflowRow } from '@app/persistence';
import { randomInt } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { CaseService } from '../cases/case.service';
import type { CaseView } from '../cases/case.view';
import {
  asCaseStatus,
  auditedTransition,
  emptyWorkflow,
  NO_STEP_CLOCK,
  snapshotOf,
  type StepClock,
  toTransitionRow,
  toTransitionView,
  transitionFields,
  type TransitionView,
  workflowState,
} from '../cases/case-workflow.mapper';
import { CaseNoticeService } from '../case-file/case-notice.service';
import { LOGGER, type Logger } from '../observability/logger';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { Clock } from './clock';
import { DistrictDirectory } from './district-directory';
import { EvidenceService, type PendingEvidence } from './evidence.service';
import type { CaseEvidenceView } from './evidence-view';

export const CASES_TOPIC = 'cloudpatrol.cases.v1';

/** The body of POST /api/v1/cases/{id}/transitions, already shape-checked; the state machine checks the rest. */
export interface TransitionRequest {
  action: CaseAction;
  reason?: string;
  note?: string;
  /** dispatch: the unit to dispatch to (default: the routed unit); transfer: the receiving unit. */
  unit?: string;
  /** transfer: the township the case moves to (default: the receiving township team's township). */
  townshipCode?: string;
  /** review-register: the reviewer's judgement that the record is usable as penalty evidence. */
  evidenceUsableForPenalty?: boolean;
  /** report-back: what was done (`note` is accepted too). */
  resultNote?: string;
  /** report-back: after-photos, as media keys under DATA_DIR/media or URLs. */
  photos?: string[];
  /** send-back: in_progress (default) or dispatched. */
  to?: 'in_progress' | 'dispatched';
}

export interface TimelineItem {
  type: 'transition' | 'statement';
  at: string;
  transition?: TransitionView & { actorName: string | null };
  statement?: { id: string; statement: string; contact: string | null; sha256: string; auditSeq: number };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A refused transition, carrying the domain's code and message. Not an HTTP error: the API edge maps the code
 * to its status (libs/http/src/case-loop/transition-refused.filter.ts).
 */
export class TransitionRefused extends Error {
  constructor(readonly failure: TransitionFailure) {
    super(failure.message);
    this.name = 'TransitionRefused';
  }
}

/**
 * The closed loop. Each transition runs in one transaction under the case row's lock: the state machine
 * decides, then the case row and its loop state are updated, the step recorded (case_transitions), the
 * audit chain extended, the lifecycle event queued in the outbox and a live alert notified — all or nothing.
 */
@Injectable()
export class CaseLoopService {
  constructor(
    private readonly repo: CaseLoopRepository,
    private readonly audit: AuditLogRepository,
    private readonly outbox: OutboxRepository,
    private readonly evidence: EvidenceService,
    private readonly directory: DistrictDirectory,
    private readonly cases: CaseService,
    private readonly notices: CaseNoticeService,
    private readonly clock: Clock,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async transition(actor: Actor, caseId: string, body: TransitionRequest): Promise<{ case: CaseView; transition: TransitionView }> {
    if (!UUID.test(caseId)) throw notFound(caseId);
    const now = this.clock.now();
    const done = await this.repo.transaction(async (tx) => {
      const row = await this.repo.lockCase(tx, caseId);
      if (!row) throw notFound(caseId);
      // Someone who may take this action at all but cannot see the case learns nothing about it.
      if (CASE_ACTION_RULES[body.action].roles.includes(actor.role) && !canSee(actor, row)) throw notFound(caseId);
      const wf = (await this.repo.findWorkflow(tx, caseId)) ?? (await this.recordOpening(tx, row, now));
      const snapshot = snapshotOf(row, wf);
      if (!allowedActions(snapshot, actor).includes(body.action)) {
        // Role, scope, state or the review gate: the machine says which, before any input is looked at.
        const refused = transition(snapshot, body.action, actor, {}, now);
        if (!refused.ok) throw new TransitionRefused(refused);
      }
      const input = this.inputFor(body, row, now);
      const result = transition(snapshot, body.action, actor, input, now, await this.factsFor(tx, body, row, wf));
      if (!result.ok) throw new TransitionRefused(result);
      return this.store(tx, row, wf, applyCaseChanges(snapshot, result.next), result.record, now);
    });
    this.logger.info({ caseId, action: body.action, actor: actor.id, seq: done.seq }, 'case transition');
    // The actor just acted on it, so they get the case back even when it has now left their scope (a transfer).
    return { case: await this.cases.viewAfterAction(actor, caseId), transition: done.view };
  }

  private inputFor(body: TransitionRequest, row: LoopCaseRow, now: Date): CaseActionInputs[CaseAction] {
    const { deadlines, calendar } = this.runtime.district;
    const handleDue = (): Date => deadlineFrom(now, row.categoryCode, 'handle', deadlines, calendar).dueAt;
    switch (body.action) {
      case 'review-register':
        return { evidenceUsableForPenalty: body.evidenceUsableForPenalty, note: body.note };
      case 'reject':
        return { reason: body.reason } as CaseActionInputs['reject'];
      case 'dispatch': {
        if (body.unit !== undefined && !this.directory.unit(body.unit))
          throw invalidInput(`Unknown unit "${body.unit}": name a unit of the responsibility list.`);
        return { unitCode: body.unit, dueAt: handleDue(), note: body.note };
      }
      case 'accept':
        return { note: body.note };
      case 'report-back': {
        for (const p of body.photos ?? []) {
          if (this.evidence.media.classify(p).kind === 'invalid') throw invalidInput(`Photo "${p}" is neither a media key (folders/name.jpg) nor a URL.`);
        }
        return { resultNote: body.resultNote ?? body.note, photos: body.photos } as CaseActionInputs['report-back'];
      }
      case 'verify-close':
        return { note: body.note };
      case 'send-back':
        return { reason: body.reason, to: body.to } as CaseActionInputs['send-back'];
      case 'transfer': {
        const unit = body.unit === undefined ? undefined : this.directory.unit(body.unit);
        if (body.unit !== undefined && !unit) throw invalidInput(`Unknown unit "${body.unit}": name a unit of the responsibility list.`);
        if (body.townshipCode !== undefined && !this.directory.townships.has(body.townshipCode)) throw invalidInput(`Unknown township "${body.townshipCode}".`);
        // A township team is its township's: sending the case there moves the case to that township.
        const toTownshipCode = body.townshipCode ?? (unit?.townshipCode && unit.townshipCode !== row.townshipCode ? unit.townshipCode : undefined);
        return { reason: body.reason, toUnit: body.unit, toTownshipCode, dueAt: handleDue() };
      }
      case 'reopen':
        return { reason: body.reason } as CaseActionInputs['reopen'];
    }
  }

  /**
   * What the decider needs beyond the snapshot: the device's art. 41 review (for a review), a fresh party code, the
   * township of the unit a dispatch names, and for a report-back the category's photo rule and which photos are stored.
   * A media key that names no stored file is refused here, naming the key: it would be sealed with no hash.
   */
  private async factsFor(tx: EntityManager, body: TransitionRequest, row: LoopCaseRow, wf: WorkflowRow): Promise<CaseFacts> {
    const action = body.action;
    const dispatchTo = action === 'dispatch' ? (body.unit ?? row.handlingUnit) : null;
    const dispatchUnit = dispatchTo ? this.directory.unit(dispatchTo) : undefined;
    let reportBack: CaseFacts['reportBack'];
    if (action === 'report-back') {
      const { stored, unknown } = await this.evidence.storedMedia(body.photos ?? []);
      if (unknown.length > 0) {
        throw invalidInput(
          `No stored photo under the media key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}: ` +
            'upload it first (POST /api/v1/cases/{id}/report-photos) and pass the key it answers, or give a URL.',
        );
      }
      reportBack = { photoRequired: this.directory.categories.get(row.categoryCode)?.reportBackRequiresPhoto === true, storedPhotos: stored };
    }
    return {
      device: action === 'review-register' ? { id: row.deviceId, review: await this.repo.deviceReview(tx, row.deviceId) } : undefined,
      hasPlate: !!row.identity.plate,
      // Drawn here, with a CSPRNG, only while the case has none: the decider says whether it is used.
      newPartyCode: wf.partyCode === null ? formatPartyCode(randomInt(0, 1_000_000)) : undefined,
      ...(dispatchUnit ? { dispatchUnit: { code: dispatchUnit.code, townshipCode: dispatchUnit.townshipCode ?? null } } : {}),
      ...(reportBack ? { reportBack } : {}),
    };
  }

  /** Persists the decision as it is: the case row, its loop state and clock, the record, the audit entry and the event. */
  private async store(
    tx: EntityManager,
    row: LoopCaseRow,
    wf: WorkflowRow,
    after: CaseSnapshot,
    record: CaseTransitionRecord,
    now: Date,
  ): Promise<{ seq: number; view: TransitionView }> {
    const { deadlines, calendar } = this.runtime.district;
    const step = stepDeadlineFor(after.status, now, after, row.categoryCode, deadlines, calendar);
    const sameStep = step !== null && wf.step === step.step && wf.stepDueAt?.getTime() === step.dueAt.getTime();
    const clock: Record<string, unknown> = {};
    if (record.action === 'dispatch' || record.action === 'transfer') {
      clock.dueAt = after.dueAt?.toISOString() ?? null;
      if (step) clock.deadline = { ...step.limit, calendarCovered: step.calendarCovered };
      if (step && !step.calendarCovered)
        this.logger.warn({ caseId: row.id, dueAt: step.dueAt }, 'deadline falls after the working calendar: holidays not known, weekends only counted');
    }

    const seq = wf.transitionCount + 1;
    // The same clock keeps running (accept, a send-back to the unit): its alerts are not raised again.
    await this.repo.saveWorkflow(tx, { ...wf, ...workflowState(after), transitionCount: seq, ...(sameStep ? {} : this.newStepClock(step, now)) });
    await this.repo.updateCase(tx, row.id, {
      status: after.status,
      handlingUnit: after.handlingUnit ?? null,
      townshipCode: after.townshipCode === '' ? null : after.townshipCode,
      grouping: after.status === 'closed' || after.status === 'rejected' ? 'close' : record.action === 'reopen' ? 'reopen' : 'keep',
    });

    let pending: PendingEvidence = { refs: [], items: [] };
    if (record.action === 'review-register' || (record.action === 'reject' && record.from === 'detected')) {
      // What the reviewer judged: every event of the case, sealed now if it was not yet.
      pending = await this.evidence.caseEvidence(tx, row.id, now);
    } else if (record.action === 'report-back' && record.photos.length > 0) {
      pending = await this.evidence.photoEvidence(row.id, seq, record.photos, now);
    }
    const transitionRow = toTransitionRow(row.id, seq, record, { ...clock, ...record.details });
    const { seq: auditSeq } = await this.audit.append(tx, {
      at: now,
      actorId: record.actorId,
      actorRole: record.actorRole,
      action: 'case.transition',
      caseId: row.id,
      data: { caseNumber: row.caseNumber, transition: auditedTransition(transitionRow), ...(pending.refs.length ? { evidence: pending.refs } : {}) },
    });
    await this.evidence.commit(tx, pending, auditSeq);
    await this.repo.insertTransition(tx, { ...transitionRow, auditSeq });
    // Registered for enforcement (a person found the evidence usable for a penalty): the party is to be told.
    if (record.action === 'review-register' && after.evidenceUsableForPenalty === true) {
      await this.notices.produce(tx, row, after.partyCode ?? null, record.actorId, now);
    }
    await this.outbox.insert(tx, [
      {
        topic: CASES_TOPIC,
        key: row.id,
        payload: lifecycleEvent(row, transitionRow, auditSeq, after.status, after.handlingUnit ?? null, after.townshipCode, after.dueAt ?? null),
      },
      ...referralReply(row, transitionRow, after.handlingUnit ?? null, after.dueAt ?? null),
    ]);
    await this.repo.notifyAlert(tx, { caseId: row.id, opened: false });
    return { seq, view: toTransitionView({ ...transitionRow, auditSeq }) };
  }

  /** A fresh clock for the step the case is now in (none once it is closed or rejected). */
  private newStepClock(step: ReturnType<typeof stepDeadlineFor>, now: Date): StepClock {
    if (!step) return NO_STEP_CLOCK;
    return {
      step: step.step,
      stepStartedAt: step.startedAt,
      stepDueAt: step.dueAt,
      stepLimit: { ...step.limit, calendarCovered: step.calendarCovered },
      deadlineState: stepDeadlineState(step, now, this.runtime.district.calendar),
      dueSoonAlertedAt: null,
      escalatedAt: null,
    };
  }

  /**
   * Records a case's opening (seq 1) the first time the loop meets it: the ingest path makes cases, the loop
   * gives them a record, sealed evidence, a review clock and an `open` lifecycle event.
   */
  async recordOpening(tx: EntityManager, row: LoopCaseRow, now: Date): Promise<WorkflowRow> {
    return (await this.recordOpenings(tx, [row], now))[0];
  }

  /**
   * Records the openings of `rows` (locked by the caller) in this order, set-based: one statement per table
   * whatever the number of cases. The audit entries are numbered and chained in the same order under the chain
   * lock, so the log reads as if each opening had been recorded in turn.
   */
  async recordOpenings(tx: EntityManager, rows: readonly LoopCaseRow[], now: Date): Promise<WorkflowRow[]> {
    if (rows.length === 0) return [];
    const { deadlines, calendar } = this.runtime.district;
    const openings = rows.map((row) => {
      const status = asCaseStatus(row.status);
      const step = stepDeadlineFor(status, row.createdAt, {}, row.categoryCode, deadlines, calendar);
      const wf: WorkflowRow = { ...emptyWorkflow(row.id), transitionCount: 1, ...this.newStepClock(step, now) };
      const machine = row.origin !== 'manual';
      const transitionRow = toTransitionRow(row.id, 1, {
        from: null,
        to: status,
        action: 'open',
        actorId: machine ? row.deviceId : 'unknown',
        actorRole: machine ? 'device' : 'operator',
        at: row.createdAt,
        reason: null,
        note: null,
        fromUnit: null,
        toUnit: null,
        photos: [],
        details: {
          categoryCode: row.categoryCode,
          townshipCode: row.townshipCode,
          routedUnit: row.handlingUnit,
          rule: { id: row.ruleId, version: row.ruleVersion },
        },
      });
      return { row, status, wf, transitionRow };
    });
    await this.repo.saveWorkflows(
      tx,
      openings.map((o) => o.wf),
    );
    const pending = await this.evidence.casesEvidence(
      tx,
      rows.map((r) => r.id),
      now,
    );
    const appended = await this.audit.appendMany(
      tx,
      openings.map(({ row, transitionRow }, i) => ({
        at: now,
        actorId: transitionRow.actorId,
        actorRole: transitionRow.actorRole,
        action: 'case.transition',
        caseId: row.id,
        data: { caseNumber: row.caseNumber, transition: auditedTransition(transitionRow), evidence: pending[i].refs },
      })),
    );
    await this.evidence.commitMany(
      tx,
      pending.map((p, i) => ({ pending: p, auditSeq: appended[i].seq })),
    );
    await this.repo.insertTransitions(
      tx,
      openings.map((o, i) => ({ ...o.transitionRow, auditSeq: appended[i].seq })),
    );
    await this.outbox.insert(
      tx,
      openings.flatMap(({ row, status, transitionRow }, i) => [
        {
          topic: CASES_TOPIC,
          key: row.id,
          payload: lifecycleEvent(row, transitionRow, appended[i].seq, status, row.handlingUnit, row.townshipCode ?? '', null),
        },
        ...referralReply(row, transitionRow, row.handlingUnit, null),
      ]),
    );
    return openings.map((o) => o.wf);
  }

  /**
   * The intake job: records the opening of cases the ingest path made since the last run, up to `limit` of them
   * in one transaction (a burst opens hundreds of cases). Should the batch fail, each case is tried in a
   * transaction of its own, so one case that cannot be recorded does not hold the others back.
   */
  async intakePending(limit = 500): Promise<number> {
    try {
      return await this.repo.transaction(async (tx) => {
        const rows = await this.repo.lockCasesAwaitingIntake(tx, limit);
        await this.recordOpenings(tx, rows, this.clock.now());
        return rows.length;
      });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'case intake batch failed; recording the openings one case at a time');
    }
    let recorded = 0;
    for (const id of await this.repo.casesAwaitingIntake(limit)) {
      try {
        const done = await this.repo.transaction(async (tx) => {
          const row = await this.repo.lockCase(tx, id, { skipLocked: true });
          if (!row || (await this.repo.findWorkflow(tx, id))) return false;
          await this.recordOpening(tx, row, this.clock.now());
          return true;
        });
        if (done) recorded++;
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, caseId: id }, 'case intake failed for this case; retried on the next run');
      }
    }
    return recorded;
  }

  /** The case's record: every transition (who, when, why) and the party's statements, in time order. */
  async timeline(actor: Actor, caseId: string): Promise<{ caseId: string; caseNumber: string; items: TimelineItem[] }> {
    const row = await this.visibleCase(actor, caseId);
    const [transitions, statements] = await Promise.all([this.repo.transitionsOf(row.id), this.repo.statementsOf(row.id)]);
    const items: TimelineItem[] = [
      ...transitions.map((t) => ({ type: 'transition' as const, at: t.at.toISOString(), transition: { ...toTransitionView(t), actorName: t.actorName } })),
      ...statements.map((s) => ({
        type: 'statement' as const,
        at: s.submittedAt.toISOString(),
        statement: { id: s.id, statement: s.statement, contact: s.contact, sha256: s.sha256, auditSeq: s.auditSeq },
      })),
    ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    return { caseId: row.id, caseNumber: row.caseNumber, items };
  }

  /** The case's evidence with its SHA-256 and whether each piece may serve as penalty evidence. */
  async evidenceOf(actor: Actor, caseId: string): Promise<CaseEvidenceView> {
    const row = await this.visibleCase(actor, caseId);
    const view = await this.evidence.viewOf(row);
    await this.audit.appendAlone({
      at: new Date(),
      actorId: actor.id,
      actorRole: actor.role,
      action: 'evidence.read',
      caseId: row.id,
      data: { items: view.items.length },
    });
    return view;
  }

  /** A picture of a case, scoped like the case; reading an original or a preview is recorded (thumbnails are not). */
  async pictureOf(actor: Actor, caseId: string, sha256: string, variant: 'original' | 'preview' | 'thumb'): Promise<{ bytes: Buffer; contentType: string }> {
    const row = await this.visibleCase(actor, caseId);
    const picture = await this.evidence.pictureOf(row.id, sha256, variant);
    if (!picture) throw new NotFoundException(`picture ${sha256.slice(0, 64)} is not evidence of case ${row.id}`);
    if (variant !== 'thumb') {
      await this.audit.appendAlone({
        at: new Date(),
        actorId: actor.id,
        actorRole: actor.role,
        action: 'evidence.read',
        caseId: row.id,
        data: { picture: sha256, kind: variant },
      });
    }
    return picture;
  }

  private async visibleCase(actor: Actor, caseId: string): Promise<LoopCaseRow> {
    const kind = caseRefKind(caseId);
    const row = kind === 'id' ? await this.repo.findCase(caseId) : kind === 'number' ? await this.repo.findCaseByNumber(caseId) : null;
    if (!row || !canSee(actor, row)) throw notFound(caseId);
    return row;
  }
}

/** Staff see their scope (an officer: their township); a department liaison sees what its unit handles. */
export function canSee(actor: Actor, row: { townshipCode: string | null; handlingUnit: string | null }): boolean {
  if (actor.role === 'department_liaison') return !!actor.unitCode && row.handlingUnit === actor.unitCode;
  const scope = townshipScope(actor);
  return scope === undefined || (row.townshipCode !== null && scope.includes(row.townshipCode));
}

function notFound(caseId: string): NotFoundException {
  return new NotFoundException(`case ${caseId} not found`);
}

function invalidInput(message: string): TransitionRefused {
  return new TransitionRefused({ ok: false, code: 'invalid-input', message });
}

/** The reply to the referring department, for a case that answers a referral (issue 17; `referral-reply.ts`). */
function referralReply(
  row: LoopCaseRow,
  t: Omit<TransitionRow, 'auditSeq'>,
  handlingUnit: string | null,
  dueAt: Date | null,
): { topic: string; key: string; payload: Record<string, unknown> }[] {
  const reply = referralReplyRecord({
    caseId: row.id,
    caseNumber: row.caseNumber,
    identity: row.identity,
    seq: t.seq,
    action: t.action,
    from: t.fromStatus,
    to: t.toStatus,
    at: t.at,
    reason: t.reason,
    note: t.note,
    handlingUnit,
    dueAt,
  });
  return reply ? [reply] : [];
}

/** One record of cloudpatrol.cases.v1 (key = case id). Documented in docs/case-loop.md. */
function lifecycleEvent(
  row: LoopCaseRow,
  t: Omit<TransitionRow, 'auditSeq'>,
  auditSeq: number,
  status: string,
  handlingUnit: string | null,
  townshipCode: string,
  dueAt: Date | null,
): Record<string, unknown> {
  return {
    schema: CASES_TOPIC,
    eventId: `${row.id}:${t.seq}`,
    caseId: row.id,
    caseNumber: row.caseNumber,
    ...transitionFields(t),
    case: {
      status,
      origin: row.origin,
      categoryCode: row.categoryCode,
      townshipCode: townshipCode === '' ? null : townshipCode,
      handlingUnit,
      dueAt: dueAt?.toISOString() ?? null,
    },
    auditSeq,
  };
}
