import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface NoticeRow {
  caseId: string;
  noticeNumber: string;
  producedAt: Date;
  producedBy: string;
  content: Record<string, unknown>;
  contentSha256: string;
  auditSeq: number;
  deliveredAt: Date | null;
  statementDueAt: Date | null;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRow {
  id: string;
  caseId: string;
  method: string;
  recipient: string | null;
  note: string | null;
  requestedBy: string;
  requestedAt: Date;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  deliveredAt: Date | null;
  auditSeq: number | null;
}

export interface DossierPrintRow {
  code: string;
  caseId: string;
  printedAt: Date;
  printedBy: string;
  language: string;
  evidence: { key: string; sha256: string }[];
  auditHeadSeq: number;
  auditHeadHash: string;
  auditSeq: number;
}

export interface RuleTextRow {
  version: number;
  sha256: string;
  content: string;
  loadedAt: Date;
}

const NOTICE_COLUMNS = `case_id AS "caseId", notice_number AS "noticeNumber", produced_at AS "producedAt", produced_by AS "producedBy", content,
  content_sha256 AS "contentSha256", audit_seq::int AS "auditSeq", delivered_at AS "deliveredAt", statement_due_at AS "statementDueAt"`;
const DELIVERY_COLUMNS = `id, case_id AS "caseId", method, recipient, note, requested_by AS "requestedBy", requested_at AS "requestedAt", status, attempts,
  next_attempt_at AS "nextAttemptAt", last_error AS "lastError", delivered_at AS "deliveredAt", audit_seq::int AS "auditSeq"`;
const PRINT_COLUMNS = `p.code, p.case_id AS "caseId", p.printed_at AS "printedAt", p.printed_by AS "printedBy", p.language, p.evidence,
  p.audit_head_seq::int AS "auditHeadSeq", p.audit_head_hash AS "auditHeadHash", p.audit_seq::int AS "auditSeq"`;

/** The case file's tables: the party's notice, its deliveries, and printed case files (dossier_prints). */
@Injectable()
export class CaseFileRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Inserts the notice unless the case has one (a reopened case keeps the notice it was given). */
  async insertNotice(tx: EntityManager, n: Omit<NoticeRow, 'deliveredAt' | 'statementDueAt'>): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO case_notices (case_id, notice_number, produced_at, produced_by, content, content_sha256, audit_seq)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7) ON CONFLICT (case_id) DO NOTHING RETURNING case_id`,
      [n.caseId, n.noticeNumber, n.producedAt, n.producedBy, JSON.stringify(n.content), n.contentSha256, n.auditSeq],
    );
    return rows.length > 0;
  }

  async hasNotice(tx: EntityManager, caseId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(`SELECT 1 FROM case_notices WHERE case_id = $1`, [caseId]);
    return rows.length > 0;
  }

  async noticeOf(caseId: string, tx?: EntityManager): Promise<NoticeRow | null> {
    const rows: NoticeRow[] = await (tx ?? this.dataSource).query(`SELECT ${NOTICE_COLUMNS} FROM case_notices WHERE case_id = $1`, [caseId]);
    return rows[0] ?? null;
  }

  /** The first delivery starts the statement window; later ones do not move it. */
  async markNoticeDelivered(tx: EntityManager, caseId: string, deliveredAt: Date, statementDueAt: Date): Promise<void> {
    await tx.query(`UPDATE case_notices SET delivered_at = $2, statement_due_at = $3 WHERE case_id = $1 AND delivered_at IS NULL`, [
      caseId,
      deliveredAt,
      statementDueAt,
    ]);
  }

  async insertDelivery(tx: EntityManager, d: Omit<DeliveryRow, 'id'>): Promise<string> {
    const rows: { id: string }[] = await tx.query(
      `INSERT INTO notice_deliveries (case_id, method, recipient, note, requested_by, requested_at, status, attempts, next_attempt_at, last_error, delivered_at, audit_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
      [d.caseId, d.method, d.recipient, d.note, d.requestedBy, d.requestedAt, d.status, d.attempts, d.nextAttemptAt, d.lastError, d.deliveredAt, d.auditSeq],
    );
    return rows[0].id;
  }

  /**
   * The notice and its deliveries as of one moment. A delivery's status and the notice's delivered time are written in
   * one transaction; read in two statements, a delivery could show as delivered beside a notice not yet delivered.
   */
  async noticeWithDeliveries(caseId: string): Promise<{ notice: NoticeRow | null; deliveries: DeliveryRow[] }> {
    return this.dataSource.transaction('REPEATABLE READ', async (tx) => {
      const notice = await this.noticeOf(caseId, tx);
      const deliveries = notice ? await this.deliveriesOf(caseId, tx) : [];
      return { notice, deliveries };
    });
  }

  async deliveriesOf(caseId: string, tx?: EntityManager): Promise<DeliveryRow[]> {
    return (tx ?? this.dataSource).query(`SELECT ${DELIVERY_COLUMNS} FROM notice_deliveries WHERE case_id = $1 ORDER BY requested_at, id`, [caseId]);
  }

  async delivery(id: string): Promise<DeliveryRow | null> {
    const rows: DeliveryRow[] = await this.dataSource.query(`SELECT ${DELIVERY_COLUMNS} FROM notice_deliveries WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Claims notifier deliveries that are due: one process sends each (SKIP LOCKED); the claim lasts the transaction. */
  async claimDueDeliveries(tx: EntityManager, now: Date, limit: number): Promise<DeliveryRow[]> {
    return tx.query(
      `SELECT ${DELIVERY_COLUMNS} FROM notice_deliveries WHERE status = 'pending' AND next_attempt_at <= $1
        ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
  }

  async updateDelivery(
    tx: EntityManager,
    id: string,
    change: Pick<DeliveryRow, 'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'deliveredAt' | 'auditSeq'>,
  ): Promise<void> {
    await tx.query(
      `UPDATE notice_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, last_error = $5, delivered_at = $6, audit_seq = $7 WHERE id = $1`,
      [id, change.status, change.attempts, change.nextAttemptAt, change.lastError, change.deliveredAt, change.auditSeq],
    );
  }

  async insertPrint(tx: EntityManager, p: DossierPrintRow): Promise<void> {
    await tx.query(
      `INSERT INTO dossier_prints (code, case_id, printed_at, printed_by, language, evidence, audit_head_seq, audit_head_hash, audit_seq)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)`,
      [p.code, p.caseId, p.printedAt, p.printedBy, p.language, JSON.stringify(p.evidence), p.auditHeadSeq, p.auditHeadHash, p.auditSeq],
    );
  }

  async print(code: string): Promise<(DossierPrintRow & { caseNumber: string }) | null> {
    const rows: (DossierPrintRow & { caseNumber: string })[] = await this.dataSource.query(
      `SELECT ${PRINT_COLUMNS}, c.case_number AS "caseNumber"
         FROM dossier_prints p JOIN cases c ON c.id = p.case_id WHERE p.code = $1`,
      [code],
    );
    return rows[0] ?? null;
  }

  /** Every rules text that carried `version` and was loaded by `at`: the newest is the one that classified then. */
  async ruleTextsOfVersion(version: number, at: Date): Promise<RuleTextRow[]> {
    return this.dataSource.query(
      `SELECT version, sha256, content, loaded_at AS "loadedAt" FROM rule_set_versions WHERE version = $1 AND loaded_at <= $2 ORDER BY loaded_at DESC, id DESC`,
      [version, at],
    );
  }

  /**
   * The rules text a case was opened under, by the hash it recorded; for a case opened before texts were pinned
   * (no hash), every text of its version loaded by then, newest first, as `ruleTextsOfVersion`.
   */
  async ruleTextsOfCase(caseId: string, version: number, at: Date): Promise<RuleTextRow[]> {
    const pinned: RuleTextRow[] = await this.dataSource.query(
      `SELECT v.version, v.sha256, v.content, v.loaded_at AS "loadedAt" FROM cases c JOIN rule_set_versions v ON v.sha256 = c.rule_set_sha256 WHERE c.id = $1`,
      [caseId],
    );
    return pinned.length > 0 ? pinned : this.ruleTextsOfVersion(version, at);
  }

  /** The hash an audit entry has now (null when it is gone). */
  async auditHash(seq: number): Promise<string | null> {
    const rows: { hash: string }[] = await this.dataSource.query(`SELECT hash FROM audit_log WHERE seq = $1`, [seq]);
    return rows[0]?.hash ?? null;
  }

  /** Why the case exists: the rule's inputs and thresholds as classification recorded them. */
  async explanationOf(caseId: string): Promise<Record<string, unknown> | null> {
    const rows: { explanation: Record<string, unknown> }[] = await this.dataSource.query(`SELECT explanation FROM cases WHERE id = $1`, [caseId]);
    return rows[0]?.explanation ?? null;
  }

  /** Display names of users by id (actors on the record). */
  async userNames(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows: { id: string; name: string }[] = await this.dataSource.query(
      `SELECT id::text AS id, coalesce(display_name, username) AS name FROM users WHERE id::text = ANY($1::text[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}
