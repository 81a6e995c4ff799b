import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { CaseWorkflowEntity } from '../entities';
import { ALERT_CHANNEL } from './ingest.repository';
import { PreparedStatement, runPrepared } from './prepared-statement';

/** The columns of `cases` the loop reads, camel-cased. */
export interface LoopCaseRow {
  id: string;
  caseNumber: string;
  categoryCode: string;
  status: string;
  identity: Record<string, string>;
  identityKey: string;
  groupingOpen: boolean;
  severity: string;
  townshipCode: string | null;
  gridCode: string | null;
  placeId: string | null;
  handlingUnit: string | null;
  deviceId: string;
  lat: number | null;
  lng: number | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  occurrenceCount: number;
  ruleId: string;
  ruleVersion: number;
  origin: 'machine' | 'manual';
  createdAt: Date;
  updatedAt: Date;
}

export type WorkflowRow = Omit<CaseWorkflowEntity, 'case' | 'createdAt' | 'updatedAt'>;

export interface TransitionRow {
  caseId: string;
  seq: number;
  action: string;
  fromStatus: string | null;
  toStatus: string;
  actorId: string;
  actorRole: string;
  at: Date;
  reason: string | null;
  note: string | null;
  fromUnit: string | null;
  toUnit: string | null;
  photos: string[];
  details: Record<string, unknown>;
  auditSeq: number;
}

export interface StoredTransitionRow extends TransitionRow {
  id: string;
  actorName: string | null;
}

export interface StatementRow {
  id: string;
  caseId: string;
  submittedAt: Date;
  statement: string;
  contact: string | null;
  sha256: string;
  auditSeq: number;
}

/** A case with its loop state and its device's review, for views. */
export interface LoopStateRow {
  caseId: string;
  workflow: WorkflowRow | null;
  deviceLegalReviewPassed: boolean | null;
  deviceTechnicalReviewPassed: boolean | null;
}

export interface DeviceReviewRow {
  legalReviewPassed: boolean;
  technicalReviewPassed: boolean;
}

export interface DeadlineCandidateRow {
  workflow: WorkflowRow;
  caseNumber: string;
  categoryCode: string;
  townshipCode: string | null;
  status: string;
}

/** A case past its deadline and still open at a moment: the dispatch meeting's overdue list. */
export interface OverdueCaseRow {
  caseNumber: string;
  categoryCode: string;
  townshipCode: string | null;
  handlingUnit: string | null;
  status: string;
  dueAt: Date;
  closedAt: Date | null;
}

export interface FigureCaseRow {
  id: string;
  categoryCode: string;
  townshipCode: string | null;
  handlingUnit: string | null;
  status: string;
  origin: string;
  ruleId: string;
  deviceId: string;
  createdAt: Date;
  dueAt: Date | null;
  dispatchedAt: Date | null;
  closedAt: Date | null;
  reviewedAt: Date | null;
  deviceIds: string[];
}

export interface PublicCaseRow extends LoopCaseRow {
  dueAt: Date | null;
  loopUpdatedAt: Date | null;
  deviceLat: number | null;
  deviceLng: number | null;
  deviceAddress: string | null;
  deviceLocationPublished: boolean | null;
}

export interface CaseEventRow {
  eventId: string;
  occurredAt: Date;
  deviceId: string;
  detections: { label: string; confidence: number }[];
  media: { kind: string; uri: string; sha256?: string }[];
  sha256: string | null;
  usableAsPenaltyEvidence: boolean | null;
  deviceName: string | null;
  deviceAddress: string | null;
  deviceLocationPublished: boolean | null;
  deviceLegalReviewPassed: boolean | null;
  deviceTechnicalReviewPassed: boolean | null;
  /** Its stored pictures (SHA-256 and when they show). */
  pictures: { sha256: string; capturedAt: string }[];
}

const CASE_COLUMNS = `c.id, c.case_number AS "caseNumber", c.category_code AS "categoryCode", c.status, c.identity, c.identity_key AS "identityKey",
  c.grouping_open AS "groupingOpen", c.severity, c.township_code AS "townshipCode", c.grid_code AS "gridCode", c.place_id AS "placeId",
  c.handling_unit AS "handlingUnit", c.device_id AS "deviceId", c.lat, c.lng, c.first_seen_at AS "firstSeenAt", c.last_seen_at AS "lastSeenAt",
  c.occurrence_count AS "occurrenceCount", c.rule_id AS "ruleId", c.rule_version AS "ruleVersion", c.origin, c.created_at AS "createdAt", c.updated_at AS "updatedAt"`;

/** case_workflow columns: [property, column, json?]. One list drives reads and the full-row upsert. */
const WORKFLOW_FIELDS: ReadonlyArray<readonly [keyof WorkflowRow, string, boolean]> = [
  ['caseId', 'case_id', false],
  ['reviewedAt', 'reviewed_at', false],
  ['reviewedBy', 'reviewed_by', false],
  ['evidenceUsableForPenalty', 'evidence_usable_for_penalty', false],
  ['evidenceNote', 'evidence_note', false],
  ['rejectedAt', 'rejected_at', false],
  ['rejectedBy', 'rejected_by', false],
  ['rejectionReason', 'rejection_reason', false],
  ['dispatchedAt', 'dispatched_at', false],
  ['dispatchedBy', 'dispatched_by', false],
  ['dueAt', 'due_at', false],
  ['acceptedAt', 'accepted_at', false],
  ['acceptedBy', 'accepted_by', false],
  ['reportedAt', 'reported_at', false],
  ['reportedBy', 'reported_by', false],
  ['resultNote', 'result_note', false],
  ['afterPhotos', 'after_photos', true],
  ['closedAt', 'closed_at', false],
  ['closedBy', 'closed_by', false],
  ['transferCount', 'transfer_count', false],
  ['sendBackCount', 'send_back_count', false],
  ['reopenCount', 'reopen_count', false],
  ['transitionCount', 'transition_count', false],
  ['step', 'step', false],
  ['stepStartedAt', 'step_started_at', false],
  ['stepDueAt', 'step_due_at', false],
  ['stepLimit', 'step_limit', true],
  ['deadlineState', 'deadline_state', false],
  ['dueSoonAlertedAt', 'due_soon_alerted_at', false],
  ['escalatedAt', 'escalated_at', false],
  ['partyCode', 'party_code', false],
];

const workflowColumns = (alias: string, prefix = ''): string => WORKFLOW_FIELDS.map(([prop, col]) => `${alias}.${col} AS "${prefix}${prop}"`).join(', ');

function pickWorkflow(row: Record<string, unknown>, prefix: string): WorkflowRow | null {
  if (row[`${prefix}caseId`] === null || row[`${prefix}caseId`] === undefined) return null;
  const out: Record<string, unknown> = {};
  for (const [prop] of WORKFLOW_FIELDS) out[prop] = row[`${prefix}${prop}`];
  return out as unknown as WorkflowRow;
}

/** The case loop's tables (case_workflow, case_transitions, case_statements) and its reads of `cases`. */
/** A case's loop state: read for every live alert and every list page (prepared once per connection). */
const LOOP_STATES = new PreparedStatement(
  'cp_loop_states',
  `SELECT c.id AS "caseIdOfCase", ${workflowColumns('w', 'w_')}, d.legal_review_passed AS "legal", d.technical_review_passed AS "technical"
     FROM cases c LEFT JOIN case_workflow w ON w.case_id = c.id LEFT JOIN devices d ON d.id = c.device_id
    WHERE c.id = ANY($1::uuid[])`,
);

@Injectable()
export class CaseLoopRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Locks the case row: every change to a case's loop happens under this lock, so transitions serialise per case. */
  async lockCase(tx: EntityManager, id: string, options: { skipLocked?: boolean } = {}): Promise<LoopCaseRow | null> {
    const rows: LoopCaseRow[] = await tx.query(`SELECT ${CASE_COLUMNS} FROM cases c WHERE c.id = $1 FOR UPDATE${options.skipLocked ? ' SKIP LOCKED' : ''}`, [
      id,
    ]);
    return rows[0] ?? null;
  }

  async findCase(id: string): Promise<LoopCaseRow | null> {
    const rows: LoopCaseRow[] = await this.dataSource.query(`SELECT ${CASE_COLUMNS} FROM cases c WHERE c.id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** A case by its number (as printed on notices and typed into the console's address). */
  async findCaseByNumber(caseNumber: string): Promise<LoopCaseRow | null> {
    const rows: LoopCaseRow[] = await this.dataSource.query(`SELECT ${CASE_COLUMNS} FROM cases c WHERE c.case_number = $1`, [caseNumber.toUpperCase()]);
    return rows[0] ?? null;
  }

  async findWorkflow(tx: EntityManager, caseId: string): Promise<WorkflowRow | null> {
    const rows: Record<string, unknown>[] = await tx.query(`SELECT ${workflowColumns('w')} FROM case_workflow w WHERE w.case_id = $1 FOR UPDATE`, [caseId]);
    return rows[0] ? pickWorkflow(rows[0], '') : null;
  }

  /** Writes the whole loop state of a case (insert or replace). */
  async saveWorkflow(tx: EntityManager, row: WorkflowRow): Promise<void> {
    const cols = WORKFLOW_FIELDS.map(([, col]) => col);
    const values = WORKFLOW_FIELDS.map(([prop, , json]) => {
      const v = row[prop] ?? null;
      return json && v !== null ? JSON.stringify(v) : v;
    });
    const placeholders = WORKFLOW_FIELDS.map(([, , json], i) => `$${i + 1}${json ? '::jsonb' : ''}`);
    await tx.query(
      `INSERT INTO case_workflow (${cols.join(', ')}) VALUES (${placeholders.join(', ')})
       ON CONFLICT (case_id) DO UPDATE SET ${cols
         .filter((c) => c !== 'case_id')
         .map((c) => `${c} = EXCLUDED.${c}`)
         .join(', ')}, updated_at = now()`,
      values,
    );
  }

  /** `saveWorkflow` for many cases in one statement (the case intake's openings). */
  async saveWorkflows(tx: EntityManager, rows: readonly WorkflowRow[]): Promise<void> {
    if (rows.length === 0) return;
    const cols = WORKFLOW_FIELDS.map(([, col]) => col);
    // One JSON document of rows, read back with the table's own column types (jsonb columns stay JSON).
    const doc = rows.map((row) => Object.fromEntries(WORKFLOW_FIELDS.map(([prop, col]) => [col, row[prop] ?? null])));
    await tx.query(
      `INSERT INTO case_workflow (${cols.join(', ')})
       SELECT ${cols.join(', ')} FROM jsonb_populate_recordset(NULL::case_workflow, $1::jsonb)
       ON CONFLICT (case_id) DO UPDATE SET ${cols
         .filter((c) => c !== 'case_id')
         .map((c) => `${c} = EXCLUDED.${c}`)
         .join(', ')}, updated_at = now()`,
      [JSON.stringify(doc)],
    );
  }

  /**
   * Status, unit and township live on the case row. Grouping closes with the case (a new detection then opens
   * a new case) and reopens with it unless another open case has taken the identity meanwhile.
   */
  async updateCase(
    tx: EntityManager,
    id: string,
    changes: { status: string; handlingUnit: string | null; townshipCode: string | null; grouping: 'close' | 'reopen' | 'keep' },
  ): Promise<void> {
    const grouping =
      changes.grouping === 'close'
        ? 'false'
        : changes.grouping === 'reopen'
          ? 'NOT EXISTS (SELECT 1 FROM cases o WHERE o.identity_key = cases.identity_key AND o.grouping_open AND o.id <> cases.id)'
          : 'grouping_open';
    await tx.query(`UPDATE cases SET status = $2, handling_unit = $3, township_code = $4, grouping_open = ${grouping}, updated_at = now() WHERE id = $1`, [
      id,
      changes.status,
      changes.handlingUnit,
      changes.townshipCode,
    ]);
  }

  async insertTransition(tx: EntityManager, t: TransitionRow): Promise<string> {
    const rows: { id: string }[] = await tx.query(
      `INSERT INTO case_transitions (case_id, seq, action, from_status, to_status, actor_id, actor_role, at, reason, note, from_unit, to_unit, photos, details, audit_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb, $15) RETURNING id`,
      [
        t.caseId,
        t.seq,
        t.action,
        t.fromStatus,
        t.toStatus,
        t.actorId,
        t.actorRole,
        t.at.toISOString(),
        t.reason,
        t.note,
        t.fromUnit,
        t.toUnit,
        JSON.stringify(t.photos),
        JSON.stringify(t.details),
        t.auditSeq,
      ],
    );
    return String(rows[0].id);
  }

  /** `insertTransition` for many rows in one statement. */
  async insertTransitions(tx: EntityManager, rows: readonly TransitionRow[]): Promise<void> {
    if (rows.length === 0) return;
    await tx.query(
      `INSERT INTO case_transitions (case_id, seq, action, from_status, to_status, actor_id, actor_role, at, reason, note, from_unit, to_unit, photos, details, audit_seq)
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::text[],
                            $11::text[], $12::text[], $13::jsonb[], $14::jsonb[], $15::bigint[])`,
      [
        rows.map((t) => t.caseId),
        rows.map((t) => t.seq),
        rows.map((t) => t.action),
        rows.map((t) => t.fromStatus),
        rows.map((t) => t.toStatus),
        rows.map((t) => t.actorId),
        rows.map((t) => t.actorRole),
        rows.map((t) => t.at.toISOString()),
        rows.map((t) => t.reason),
        rows.map((t) => t.note),
        rows.map((t) => t.fromUnit),
        rows.map((t) => t.toUnit),
        rows.map((t) => JSON.stringify(t.photos)),
        rows.map((t) => JSON.stringify(t.details)),
        rows.map((t) => t.auditSeq),
      ],
    );
  }

  async insertStatement(tx: EntityManager, s: Omit<StatementRow, 'id'>): Promise<string> {
    const rows: { id: string }[] = await tx.query(
      `INSERT INTO case_statements (case_id, submitted_at, statement, contact, sha256, audit_seq) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [s.caseId, s.submittedAt.toISOString(), s.statement, s.contact, s.sha256, s.auditSeq],
    );
    return String(rows[0].id);
  }

  async transitionsOf(caseId: string): Promise<StoredTransitionRow[]> {
    const rows: (StoredTransitionRow & { auditSeq: string })[] = await this.dataSource.query(
      `SELECT t.id, t.case_id AS "caseId", t.seq, t.action, t.from_status AS "fromStatus", t.to_status AS "toStatus", t.actor_id AS "actorId",
              t.actor_role AS "actorRole", u.display_name AS "actorName", t.at, t.reason, t.note, t.from_unit AS "fromUnit", t.to_unit AS "toUnit",
              t.photos, t.details, t.audit_seq AS "auditSeq"
         FROM case_transitions t LEFT JOIN users u ON u.id::text = t.actor_id
        WHERE t.case_id = $1 ORDER BY t.seq`,
      [caseId],
    );
    return rows.map((r) => ({ ...r, id: String(r.id), auditSeq: Number(r.auditSeq) }));
  }

  async statementsOf(caseId: string): Promise<StatementRow[]> {
    const rows: (StatementRow & { auditSeq: string })[] = await this.dataSource.query(
      `SELECT s.id, s.case_id AS "caseId", s.submitted_at AS "submittedAt", s.statement, s.contact, s.sha256, s.audit_seq AS "auditSeq"
         FROM case_statements s WHERE s.case_id = $1 ORDER BY s.id`,
      [caseId],
    );
    return rows.map((r) => ({ ...r, id: String(r.id), auditSeq: Number(r.auditSeq) }));
  }

  async loopStates(caseIds: string[]): Promise<Map<string, LoopStateRow>> {
    if (caseIds.length === 0) return new Map();
    const rows = await runPrepared<Record<string, unknown>>(this.dataSource.manager, LOOP_STATES, [caseIds]);
    return new Map(
      rows.map((r) => [
        String(r.caseIdOfCase),
        {
          caseId: String(r.caseIdOfCase),
          workflow: pickWorkflow(r, 'w_'),
          deviceLegalReviewPassed: (r.legal as boolean | null) ?? null,
          deviceTechnicalReviewPassed: (r.technical as boolean | null) ?? null,
        },
      ]),
    );
  }

  /** Cases whose opening is not recorded yet (made by the ingest path since the last intake), oldest first. */
  async casesAwaitingIntake(limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT c.id FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_workflow w WHERE w.case_id = c.id) ORDER BY c.created_at, c.id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Locks up to `limit` cases whose opening is not recorded yet, oldest first, skipping cases another
   * transaction holds (a transition records its case's opening itself). A case whose opening was recorded
   * between the look and the lock is left out: the second look sees what committed meanwhile.
   */
  async lockCasesAwaitingIntake(tx: EntityManager, limit: number): Promise<LoopCaseRow[]> {
    const rows: LoopCaseRow[] = await tx.query(
      `SELECT ${CASE_COLUMNS} FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_workflow w WHERE w.case_id = c.id)
        ORDER BY c.created_at, c.id LIMIT $1 FOR UPDATE OF c SKIP LOCKED`,
      [limit],
    );
    if (rows.length === 0) return rows;
    const opened: { id: string }[] = await tx.query(`SELECT case_id AS id FROM case_workflow WHERE case_id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
    const done = new Set(opened.map((r) => r.id));
    return rows.filter((r) => !done.has(r.id));
  }

  /** Open step clocks not yet escalated; the rows stay locked (others skipped) until the transaction ends. */
  async deadlineCandidates(tx: EntityManager, limit: number): Promise<DeadlineCandidateRow[]> {
    const rows: Record<string, unknown>[] = await tx.query(
      `SELECT ${workflowColumns('w')}, c.case_number AS "c_caseNumber", c.category_code AS "c_categoryCode", c.township_code AS "c_townshipCode", c.status AS "c_status"
         FROM case_workflow w JOIN cases c ON c.id = w.case_id
        WHERE w.step_due_at IS NOT NULL AND w.escalated_at IS NULL
        ORDER BY w.step_due_at LIMIT $1
          FOR UPDATE OF w SKIP LOCKED`,
      [limit],
    );
    return rows.map((r) => ({
      workflow: pickWorkflow(r, '') as WorkflowRow,
      caseNumber: String(r.c_caseNumber),
      categoryCode: String(r.c_categoryCode),
      townshipCode: (r.c_townshipCode as string | null) ?? null,
      status: String(r.c_status),
    }));
  }

  async updateDeadlineState(
    tx: EntityManager,
    caseId: string,
    s: { deadlineState: string; dueSoonAlertedAt: Date | null; escalatedAt: Date | null },
  ): Promise<void> {
    await tx.query(`UPDATE case_workflow SET deadline_state = $2, due_soon_alerted_at = $3, escalated_at = $4, updated_at = now() WHERE case_id = $1`, [
      caseId,
      s.deadlineState,
      s.dueSoonAlertedAt?.toISOString() ?? null,
      s.escalatedAt?.toISOString() ?? null,
    ]);
  }

  async findByCaseNumber(caseNumber: string): Promise<{ row: LoopCaseRow; workflow: WorkflowRow | null } | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ${CASE_COLUMNS}, ${workflowColumns('w', 'w_')} FROM cases c LEFT JOIN case_workflow w ON w.case_id = c.id WHERE c.case_number = $1`,
      [caseNumber],
    );
    if (!rows[0]) return null;
    return { row: rows[0] as unknown as LoopCaseRow, workflow: pickWorkflow(rows[0], 'w_') };
  }

  /** The events a case was built from, newest first, with their sealed hash and their device's review. */
  async caseEvents(caseId: string, limit: number): Promise<CaseEventRow[]> {
    const rows: CaseEventRow[] = await this.dataSource.query(
      `SELECT e.id::text AS "eventId", e.occurred_at AS "occurredAt", e.device_id AS "deviceId", e.detections, e.media,
              x.sha256, x.usable_as_penalty_evidence AS "usableAsPenaltyEvidence",
              d.name AS "deviceName", d.address AS "deviceAddress", d.location_published AS "deviceLocationPublished",
              d.legal_review_passed AS "deviceLegalReviewPassed", d.technical_review_passed AS "deviceTechnicalReviewPassed",
              COALESCE((SELECT json_agg(json_build_object('sha256', ep.sha256, 'capturedAt', ep.captured_at) ORDER BY ep.slot)
                          FROM event_pictures ep WHERE ep.event_id = e.id AND ep.status = 'present'), '[]'::json) AS pictures
         FROM (SELECT event_id, bool_or(proof) AS proof
                 FROM (SELECT event_id, false AS proof FROM case_occurrences WHERE case_id = $1
                       UNION ALL SELECT event_id, true FROM case_dwell_proof WHERE case_id = $1) u GROUP BY event_id) o
         JOIN events e ON e.id = o.event_id
         LEFT JOIN evidence_items x ON x.item_key = 'event:' || e.id::text
         LEFT JOIN devices d ON d.id = e.device_id
        -- A dwell's proof (its first picture) is always shown, however many occurrences followed.
        ORDER BY o.proof DESC, e.occurred_at DESC, e.id DESC LIMIT $2`,
      [caseId, limit],
    );
    return rows;
  }

  /**
   * Cases that can count in [from, to): opened in it, due, closed or reviewed in it, or still open.
   * The caller's figure functions decide what counts where.
   */
  async figureCases(from: Date, to: Date, scopeTownships?: string[]): Promise<FigureCaseRow[]> {
    return this.dataSource.query(
      `SELECT c.id, c.category_code AS "categoryCode", c.township_code AS "townshipCode", c.handling_unit AS "handlingUnit", c.status, c.origin,
              c.rule_id AS "ruleId", c.device_id AS "deviceId", c.created_at AS "createdAt",
              w.due_at AS "dueAt", w.dispatched_at AS "dispatchedAt", w.closed_at AS "closedAt", w.reviewed_at AS "reviewedAt",
              COALESCE((SELECT array_agg(DISTINCT e.device_id) FROM case_occurrences o JOIN events e ON e.id = o.event_id WHERE o.case_id = c.id), '{}') AS "deviceIds"
         FROM cases c LEFT JOIN case_workflow w ON w.case_id = c.id
        WHERE c.created_at < $2
          AND (c.created_at >= $1 OR w.due_at >= $1 OR w.closed_at >= $1 OR w.reviewed_at >= $1 OR c.status NOT IN ('closed', 'rejected'))
          AND ($3::text[] IS NULL OR c.township_code = ANY($3::text[]))`,
      [from.toISOString(), to.toISOString(), scopeTownships ?? null],
    );
  }

  /**
   * Cases whose deadline had passed by `asOf` and that were still open then (closed later, or not yet),
   * longest overdue first. Bounded: a meeting reads a list, not a dump.
   */
  async overdueCases(asOf: Date, scopeTownships: string[] | undefined, limit: number): Promise<OverdueCaseRow[]> {
    return this.dataSource.query(
      `SELECT c.case_number AS "caseNumber", c.category_code AS "categoryCode", c.township_code AS "townshipCode",
              c.handling_unit AS "handlingUnit", c.status, w.due_at AS "dueAt", w.closed_at AS "closedAt"
         FROM case_workflow w JOIN cases c ON c.id = w.case_id
        WHERE w.due_at < $1
          AND (w.closed_at IS NULL OR w.closed_at > $1)
          AND c.status <> 'rejected'
          AND ($2::text[] IS NULL OR c.township_code = ANY($2::text[]))
        ORDER BY w.due_at, c.case_number
        LIMIT $3`,
      [asOf.toISOString(), scopeTownships ?? null, limit],
    );
  }

  /** Reviewed cases for Open311, newest first. */
  async publicCases(filter: {
    statuses: string[];
    caseNumbers?: string[];
    categoryCodes?: string[];
    from?: Date;
    to?: Date;
    limit: number;
  }): Promise<PublicCaseRow[]> {
    return this.dataSource.query(
      `SELECT ${CASE_COLUMNS}, w.due_at AS "dueAt", w.updated_at AS "loopUpdatedAt",
              d.lat AS "deviceLat", d.lng AS "deviceLng", d.address AS "deviceAddress", d.location_published AS "deviceLocationPublished"
         FROM cases c LEFT JOIN case_workflow w ON w.case_id = c.id LEFT JOIN devices d ON d.id = c.device_id
        WHERE c.status = ANY($1::text[])
          AND ($2::text[] IS NULL OR c.case_number = ANY($2::text[]))
          AND ($3::text[] IS NULL OR c.category_code = ANY($3::text[]))
          AND ($4::timestamptz IS NULL OR c.created_at >= $4)
          AND ($5::timestamptz IS NULL OR c.created_at <= $5)
        ORDER BY c.created_at DESC, c.id DESC LIMIT $6`,
      [
        filter.statuses,
        filter.caseNumbers ?? null,
        filter.categoryCodes ?? null,
        filter.from?.toISOString() ?? null,
        filter.to?.toISOString() ?? null,
        filter.limit,
      ],
    );
  }

  /** The recording device's art. 41 review as the device register has it; null when the device is not registered. */
  async deviceReview(tx: EntityManager, deviceId: string): Promise<DeviceReviewRow | null> {
    const rows: { legal: boolean | null; technical: boolean | null }[] = await tx.query(
      'SELECT legal_review_passed AS legal, technical_review_passed AS technical FROM devices WHERE id = $1',
      [deviceId],
    );
    const d = rows[0];
    return d ? { legalReviewPassed: d.legal === true, technicalReviewPassed: d.technical === true } : null;
  }

  /** Live alert (pg NOTIFY on the alert channel), delivered when the transaction commits. */
  async notifyAlert(tx: EntityManager, payload: Record<string, unknown>): Promise<void> {
    await tx.query(`SELECT pg_notify($1, $2)`, [ALERT_CHANNEL, JSON.stringify(payload)]);
  }
}
