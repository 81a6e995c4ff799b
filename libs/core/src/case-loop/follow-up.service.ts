import { ConflictException, ForbiddenException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { type Actor, townshipScope } from '@app/domain';
import { AuditLogRepository, CaseLoopRepository, type FollowUpRow, FollowUpRepository, type LoopCaseRow, type StaffRow } from '@app/persistence';
import type { EntityManager } from 'typeorm';
import { CaseService } from '../cases/case.service';
import type { CaseView } from '../cases/case.view';
import { canSee } from './case-loop.service';
import { Clock } from './clock';

export const FOLLOW_UP_KINDS = ['supervise', 'urge'] as const;
export type FollowUpKind = (typeof FOLLOW_UP_KINDS)[number];

/** Who may take a case at the centre, and be given one. */
const DESK_ROLES = ['operator', 'supervisor'];
/** Follow-ups concern a case in the handling unit's hands. */
const IN_UNIT_HANDS = ['dispatched', 'in_progress'];
const CLOSED = ['closed', 'rejected'];
/** The stream's NOTIFY payload must stay under PostgreSQL's 8000 bytes: the note travels shortened, the record keeps it whole. */
const STREAM_NOTE_CHARS = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface PersonRef {
  id: string;
  name: string | null;
  role: string | null;
}

export interface AssigneeView {
  user: PersonRef;
  assignedBy: PersonRef;
  assignedAt: string;
  auditSeq: number;
}

export interface FollowUpView {
  id: string;
  caseId: string;
  caseNumber: string;
  kind: FollowUpKind;
  note: string;
  by: PersonRef;
  at: string;
  handlingUnit: string | null;
  auditSeq: number;
  seen: { at: string; by: PersonRef } | null;
}

export interface CaseFollowUpsView {
  caseId: string;
  caseNumber: string;
  assignee: AssigneeView | null;
  items: FollowUpView[];
}

export interface CriticalQueueView {
  total: number;
  items: CaseView[];
}

export interface AcknowledgementView {
  caseId: string;
  caseNumber: string;
  by: PersonRef;
  at: string;
}

const person = (id: string, name: string | null, role: string | null = null): PersonRef => ({ id, name, role });

function followUpView(r: FollowUpRow): FollowUpView {
  return {
    id: r.id,
    caseId: r.caseId,
    caseNumber: r.caseNumber,
    kind: r.kind,
    note: r.note,
    by: person(r.actorId, r.actorName, r.actorRole),
    at: r.at.toISOString(),
    handlingUnit: r.handlingUnit,
    auditSeq: r.auditSeq,
    seen: r.seenAt && r.seenBy ? { at: r.seenAt.toISOString(), by: person(r.seenBy, r.seenByName, 'township_officer') } : null,
  };
}

/**
 * A real shift's follow-up (issue 18): whose desk a case is on (claim, assign), 督办 / 催办 to the handling team, and the
 * centre's queue of critical alerts nobody has acknowledged. None of it changes a case's status: each is a record of
 * its own, taken under the case row's lock and written to the audit chain in the same transaction, and each reaches the
 * consoles over the live alert stream (NOTIFY on commit).
 */
@Injectable()
export class FollowUpService {
  constructor(
    private readonly loop: CaseLoopRepository,
    private readonly repo: FollowUpRepository,
    private readonly audit: AuditLogRepository,
    private readonly cases: CaseService,
    private readonly clock: Clock,
  ) {}

  /** The case's desk and its follow-ups, oldest first. */
  async ofCase(actor: Actor, caseId: string): Promise<CaseFollowUpsView> {
    const row = UUID.test(caseId) ? await this.loop.findCase(caseId) : null;
    if (!row || !canSee(actor, row)) throw notFound(caseId);
    const [assignee, items] = await Promise.all([this.repo.assigneeOf(row.id), this.repo.followUpsOf(row.id)]);
    return { caseId: row.id, caseNumber: row.caseNumber, assignee: assignee && this.assigneeView(assignee), items: items.map(followUpView) };
  }

  /** An operator (or supervisor) takes the case. Someone else's case is theirs until a supervisor reassigns it. */
  async claim(actor: Actor, caseId: string): Promise<CaseFollowUpsView> {
    await this.onCase(actor, caseId, async (tx, row) => {
      const held = await this.repo.assigneeOf(row.id, tx);
      if (held?.assigneeId === actor.id) return false;
      if (held && actor.role !== 'supervisor')
        throw new ConflictException(`Case ${row.caseNumber} is held by ${held.assigneeName ?? held.assigneeId}: a supervisor may reassign it.`);
      await this.writeAssignee(tx, actor, row, actor.id, 'case.claim', held?.assigneeId ?? null);
      return true;
    });
    return this.ofCase(actor, caseId);
  }

  /** A supervisor puts the case on an operator's (or supervisor's) desk, or (null) on nobody's. */
  async assign(actor: Actor, caseId: string, userId: string | null): Promise<CaseFollowUpsView> {
    let to: StaffRow | null = null;
    if (userId !== null) {
      to = UUID.test(userId) ? await this.repo.staff(userId) : null;
      if (!to || to.disabled || !DESK_ROLES.includes(to.role))
        throw new UnprocessableEntityException(`User ${userId} cannot hold a case: assign an active operator or supervisor.`);
    }
    await this.onCase(actor, caseId, async (tx, row) => {
      const held = await this.repo.assigneeOf(row.id, tx);
      if ((held?.assigneeId ?? null) === (to?.id ?? null)) return false;
      await this.writeAssignee(tx, actor, row, to?.id ?? null, 'case.assign', held?.assigneeId ?? null);
      return true;
    });
    return this.ofCase(actor, caseId);
  }

  /** People a case may be given to. */
  async assignable(): Promise<{ items: { id: string; username: string; displayName: string; role: string }[] }> {
    const rows = await this.repo.staffOfRoles(DESK_ROLES);
    return { items: rows.map(({ id, username, displayName, role }) => ({ id, username, displayName, role })) };
  }

  /** 督办 (a supervisor) or 催办 (an operator or supervisor) on a case the handling unit holds, with a note for the team. */
  async followUp(actor: Actor, caseId: string, body: { kind: FollowUpKind; note: string }): Promise<FollowUpView> {
    if (body.kind === 'supervise' && actor.role !== 'supervisor')
      throw new ForbiddenException('Only a supervisor supervises (督办) a case; an operator may urge (催办).');
    const note = body.note.trim();
    if (!note) throw new UnprocessableEntityException('Say what the team is to do: the note is required.');
    let id = '';
    const me = await this.repo.staff(actor.id);
    await this.onCase(actor, caseId, async (tx, row) => {
      if (!IN_UNIT_HANDS.includes(row.status))
        throw new ConflictException(`Case ${row.caseNumber} is ${row.status}: only a case dispatched or in progress is followed up.`);
      const at = this.clock.now();
      const { seq } = await this.audit.append(tx, {
        at,
        actorId: actor.id,
        actorRole: actor.role,
        action: 'case.follow-up',
        caseId: row.id,
        data: { caseNumber: row.caseNumber, kind: body.kind, note, handlingUnit: row.handlingUnit },
      });
      id = await this.repo.insertFollowUp(tx, {
        caseId: row.id,
        kind: body.kind,
        note,
        actorId: actor.id,
        actorRole: actor.role,
        at,
        handlingUnit: row.handlingUnit,
        auditSeq: seq,
      });
      await this.loop.notifyAlert(tx, {
        type: 'case.follow-up',
        caseId: row.id,
        followUp: {
          id,
          kind: body.kind,
          note: note.slice(0, STREAM_NOTE_CHARS),
          by: { id: actor.id, name: me?.displayName ?? actor.username, role: actor.role },
          at: at.toISOString(),
          auditSeq: seq,
        },
      });
      return true;
    });
    const stored = await this.repo.findFollowUp(id);
    return followUpView(stored as FollowUpRow);
  }

  /** The follow-ups a team still has to act on (cases dispatched or in progress), in the caller's scope, newest first. */
  async open(actor: Actor): Promise<{ items: FollowUpView[] }> {
    const rows = await this.repo.openFollowUps(townshipScope(actor), 200);
    return { items: rows.map(followUpView) };
  }

  /** The handling township's officer marks a follow-up as seen (the highlight goes off; audited). */
  async seen(actor: Actor, followUpId: string): Promise<FollowUpView> {
    const found = /^\d{1,18}$/.test(followUpId) ? await this.repo.findFollowUp(followUpId) : null;
    if (!found || !canSee(actor, { townshipCode: found.townshipCode, handlingUnit: found.handlingUnit }))
      throw new NotFoundException(`follow-up ${followUpId} not found`);
    await this.onCase(actor, found.caseId, async (tx, row) => {
      const at = this.clock.now();
      if (!(await this.repo.markSeen(tx, found.id, actor.id, at))) return false;
      await this.audit.append(tx, {
        at,
        actorId: actor.id,
        actorRole: actor.role,
        action: 'case.follow-up.seen',
        caseId: row.id,
        data: { caseNumber: row.caseNumber, followUp: found.id, followUpAuditSeq: found.auditSeq },
      });
      return true;
    });
    return followUpView((await this.repo.findFollowUp(found.id)) as FollowUpRow);
  }

  /** Open high- and critical-severity cases nobody at the centre has acknowledged, newest first (at most 100 listed). */
  async criticalQueue(actor: Actor): Promise<CriticalQueueView> {
    const { ids, total } = await this.repo.unacknowledgedCritical(townshipScope(actor), 100);
    const views = new Map((await this.cases.viewsForAlert(ids)).map((v) => [v.id, v]));
    return { total, items: ids.flatMap((id) => views.get(id) ?? []) };
  }

  /** Someone at the centre has the alert: it leaves every console's queue. A second acknowledgement answers the first. */
  async acknowledge(actor: Actor, caseId: string): Promise<AcknowledgementView> {
    let caseNumber = '';
    await this.onCase(actor, caseId, async (tx, row) => {
      caseNumber = row.caseNumber;
      if (row.severity !== 'high' && row.severity !== 'critical')
        throw new ConflictException(`Case ${row.caseNumber} raised no critical alert (severity ${row.severity}).`);
      if (await this.repo.acknowledgementOf(row.id, tx)) return false;
      const at = this.clock.now();
      const { seq } = await this.audit.append(tx, {
        at,
        actorId: actor.id,
        actorRole: actor.role,
        action: 'alert.acknowledge',
        caseId: row.id,
        data: { caseNumber: row.caseNumber, severity: row.severity },
      });
      await this.repo.acknowledge(tx, row.id, actor.id, at, seq);
      await this.loop.notifyAlert(tx, {
        type: 'alert.acknowledged',
        caseId: row.id,
        ack: { caseId: row.id, caseNumber: row.caseNumber, byId: actor.id, at: at.toISOString() },
      });
      return true;
    });
    const ack = await this.repo.acknowledgementOf(caseId);
    if (!ack) throw notFound(caseId);
    return { caseId, caseNumber, by: person(ack.by, ack.byName), at: ack.at.toISOString() };
  }

  /** Runs `work` under the case row's lock, after the scope check; `work` answers whether it changed anything. */
  private async onCase(actor: Actor, caseId: string, work: (tx: EntityManager, row: LoopCaseRow) => Promise<boolean>): Promise<void> {
    if (!UUID.test(caseId)) throw notFound(caseId);
    await this.loop.transaction(async (tx) => {
      const row = await this.loop.lockCase(tx, caseId);
      if (!row || !canSee(actor, row)) throw notFound(caseId);
      return work(tx, row);
    });
  }

  private async writeAssignee(tx: EntityManager, actor: Actor, row: LoopCaseRow, to: string | null, action: 'case.claim' | 'case.assign', from: string | null) {
    if (CLOSED.includes(row.status)) throw new ConflictException(`Case ${row.caseNumber} is ${row.status}: nobody needs to hold it.`);
    const at = this.clock.now();
    const { seq } = await this.audit.append(tx, {
      at,
      actorId: actor.id,
      actorRole: actor.role,
      action,
      caseId: row.id,
      data: { caseNumber: row.caseNumber, assignee: to, previous: from },
    });
    await this.repo.setAssignee(tx, row.id, to, actor.id, at, seq);
    await this.loop.notifyAlert(tx, { type: 'case.assigned', caseId: row.id, assignee: to ? { id: to, byId: actor.id, at: at.toISOString() } : null });
  }

  private assigneeView(a: NonNullable<Awaited<ReturnType<FollowUpRepository['assigneeOf']>>>): AssigneeView {
    return {
      user: person(a.assigneeId, a.assigneeName, a.assigneeRole),
      assignedBy: person(a.assignedBy, a.assignedByName),
      assignedAt: a.assignedAt.toISOString(),
      auditSeq: a.auditSeq,
    };
  }
}

function notFound(caseId: string): NotFoundException {
  return new NotFoundException(`case ${caseId} not found`);
}
