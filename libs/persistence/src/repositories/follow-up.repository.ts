import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** A person as the follow-up views name them. */
export interface StaffRow {
  id: string;
  username: string;
  displayName: string;
  role: string;
  disabled: boolean;
}

export interface AssigneeRow {
  caseId: string;
  assigneeId: string;
  assigneeName: string | null;
  assigneeRole: string | null;
  assignedBy: string;
  assignedByName: string | null;
  assignedAt: Date;
  auditSeq: number;
}

export interface FollowUpRow {
  id: string;
  caseId: string;
  caseNumber: string;
  kind: 'supervise' | 'urge';
  note: string;
  actorId: string;
  actorRole: string;
  actorName: string | null;
  at: Date;
  handlingUnit: string | null;
  townshipCode: string | null;
  caseStatus: string;
  auditSeq: number;
  seenAt: Date | null;
  seenBy: string | null;
  seenByName: string | null;
}

export interface NewFollowUp {
  caseId: string;
  kind: 'supervise' | 'urge';
  note: string;
  actorId: string;
  actorRole: string;
  at: Date;
  handlingUnit: string | null;
  auditSeq: number;
}

const FOLLOW_UP_COLUMNS = `f.id::text AS id, f.case_id AS "caseId", c.case_number AS "caseNumber", f.kind, f.note, f.actor_id AS "actorId",
  f.actor_role AS "actorRole", ua.display_name AS "actorName", f.at, f.handling_unit AS "handlingUnit", c.township_code AS "townshipCode",
  c.status AS "caseStatus", f.audit_seq AS "auditSeq", f.seen_at AS "seenAt", f.seen_by AS "seenBy", us.display_name AS "seenByName"`;
const FOLLOW_UP_FROM = `case_follow_ups f JOIN cases c ON c.id = f.case_id
  LEFT JOIN users ua ON ua.id::text = f.actor_id LEFT JOIN users us ON us.id::text = f.seen_by`;

const followUp = (r: FollowUpRow & { auditSeq: number | string }): FollowUpRow => ({ ...r, auditSeq: Number(r.auditSeq) });

/**
 * Who holds a case at the centre, 督办 / 催办 follow-ups and acknowledged critical alerts (issue 18). Writes run in the
 * caller's transaction (under the case row's lock, beside the audit entry).
 */
@Injectable()
export class FollowUpRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async staff(id: string): Promise<StaffRow | null> {
    const rows: StaffRow[] = await this.dataSource.query(`SELECT id, username, display_name AS "displayName", role, disabled FROM users WHERE id::text = $1`, [
      id,
    ]);
    return rows[0] ?? null;
  }

  /** Active people of the given roles, by name: whom a supervisor may assign a case to. */
  async staffOfRoles(roles: string[]): Promise<StaffRow[]> {
    return this.dataSource.query(
      `SELECT id, username, display_name AS "displayName", role, disabled FROM users WHERE role = ANY($1::text[]) AND NOT disabled ORDER BY display_name, username`,
      [roles],
    );
  }

  async assigneeOf(caseId: string, tx?: EntityManager): Promise<AssigneeRow | null> {
    const rows: (AssigneeRow & { auditSeq: string })[] = await (tx ?? this.dataSource).query(
      `SELECT a.case_id AS "caseId", a.assignee_id AS "assigneeId", u.display_name AS "assigneeName", u.role AS "assigneeRole",
              a.assigned_by AS "assignedBy", b.display_name AS "assignedByName", a.assigned_at AS "assignedAt", a.audit_seq AS "auditSeq"
         FROM case_assignees a LEFT JOIN users u ON u.id = a.assignee_id LEFT JOIN users b ON b.id = a.assigned_by
        WHERE a.case_id = $1`,
      [caseId],
    );
    return rows[0] ? { ...rows[0], auditSeq: Number(rows[0].auditSeq) } : null;
  }

  /** Puts the case on someone's desk, or (assigneeId null) on nobody's. */
  async setAssignee(tx: EntityManager, caseId: string, assigneeId: string | null, by: string, at: Date, auditSeq: number): Promise<void> {
    if (assigneeId === null) {
      await tx.query(`DELETE FROM case_assignees WHERE case_id = $1`, [caseId]);
      return;
    }
    await tx.query(
      `INSERT INTO case_assignees (case_id, assignee_id, assigned_by, assigned_at, audit_seq) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (case_id) DO UPDATE SET assignee_id = EXCLUDED.assignee_id, assigned_by = EXCLUDED.assigned_by,
         assigned_at = EXCLUDED.assigned_at, audit_seq = EXCLUDED.audit_seq`,
      [caseId, assigneeId, by, at.toISOString(), auditSeq],
    );
  }

  async insertFollowUp(tx: EntityManager, f: NewFollowUp): Promise<string> {
    const rows: { id: string }[] = await tx.query(
      `INSERT INTO case_follow_ups (case_id, kind, note, actor_id, actor_role, at, handling_unit, audit_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id::text AS id`,
      [f.caseId, f.kind, f.note, f.actorId, f.actorRole, f.at.toISOString(), f.handlingUnit, f.auditSeq],
    );
    return rows[0].id;
  }

  async findFollowUp(id: string, tx?: EntityManager): Promise<FollowUpRow | null> {
    const rows: FollowUpRow[] = await (tx ?? this.dataSource).query(`SELECT ${FOLLOW_UP_COLUMNS} FROM ${FOLLOW_UP_FROM} WHERE f.id = $1::bigint`, [id]);
    return rows[0] ? followUp(rows[0]) : null;
  }

  async followUpsOf(caseId: string): Promise<FollowUpRow[]> {
    const rows: FollowUpRow[] = await this.dataSource.query(`SELECT ${FOLLOW_UP_COLUMNS} FROM ${FOLLOW_UP_FROM} WHERE f.case_id = $1 ORDER BY f.at, f.id`, [
      caseId,
    ]);
    return rows.map(followUp);
  }

  /**
   * Follow-ups on cases still in a unit's hands (dispatched, in progress), newest first; `townships` scopes them
   * (undefined: every township). What a team's workspace highlights.
   */
  async openFollowUps(townships: string[] | undefined, limit: number): Promise<FollowUpRow[]> {
    const rows: FollowUpRow[] = await this.dataSource.query(
      `SELECT ${FOLLOW_UP_COLUMNS} FROM ${FOLLOW_UP_FROM}
        WHERE c.status IN ('dispatched', 'in_progress') AND ($1::text[] IS NULL OR c.township_code = ANY($1::text[]))
        ORDER BY f.at DESC, f.id DESC LIMIT $2`,
      [townships ?? null, limit],
    );
    return rows.map(followUp);
  }

  /** Marks a follow-up seen by its team; false when it already was. */
  async markSeen(tx: EntityManager, id: string, by: string, at: Date): Promise<boolean> {
    // Through a CTE: TypeORM answers a bare UPDATE with [rows, count], a SELECT with its rows.
    const rows: unknown[] = await tx.query(
      `WITH u AS (UPDATE case_follow_ups SET seen_at = $2, seen_by = $3 WHERE id = $1::bigint AND seen_at IS NULL RETURNING id) SELECT id FROM u`,
      [id, at.toISOString(), by],
    );
    return rows.length > 0;
  }

  /**
   * Open cases of high or critical severity nobody at the centre has acknowledged yet, newest first, with how many
   * there are in all. `townships` scopes them (undefined: every township).
   */
  async unacknowledgedCritical(townships: string[] | undefined, limit: number): Promise<{ ids: string[]; total: number }> {
    const rows: { id: string; total: string }[] = await this.dataSource.query(
      `SELECT c.id, count(*) OVER () AS total FROM cases c
        WHERE c.severity IN ('high', 'critical') AND c.status NOT IN ('closed', 'rejected')
          AND NOT EXISTS (SELECT 1 FROM critical_alert_acks a WHERE a.case_id = c.id)
          AND ($1::text[] IS NULL OR c.township_code = ANY($1::text[]))
        ORDER BY c.created_at DESC, c.id DESC LIMIT $2`,
      [townships ?? null, limit],
    );
    return { ids: rows.map((r) => r.id), total: rows[0] ? Number(rows[0].total) : 0 };
  }

  /** Records the acknowledgement; false when someone acknowledged it first. */
  async acknowledge(tx: EntityManager, caseId: string, by: string, at: Date, auditSeq: number): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO critical_alert_acks (case_id, acknowledged_by, acknowledged_at, audit_seq) VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO NOTHING RETURNING case_id`,
      [caseId, by, at.toISOString(), auditSeq],
    );
    return rows.length > 0;
  }

  async acknowledgementOf(caseId: string, tx?: EntityManager): Promise<{ by: string; byName: string | null; at: Date } | null> {
    const rows: { by: string; byName: string | null; at: Date }[] = await (tx ?? this.dataSource).query(
      `SELECT a.acknowledged_by AS by, u.display_name AS "byName", a.acknowledged_at AS at FROM critical_alert_acks a LEFT JOIN users u ON u.id::text = a.acknowledged_by WHERE a.case_id = $1`,
      [caseId],
    );
    return rows[0] ?? null;
  }
}
