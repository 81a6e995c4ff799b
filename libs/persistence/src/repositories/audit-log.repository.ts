import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { auditData, auditEntryHash, chainNext, type StoredAuditEntry } from '@app/domain/cases/audit-chain';
import { ADVISORY_LOCKS } from '../advisory-locks';

/** Serialises appends to the chain (and evidence sealing, which must not race it) across every process. */
export const AUDIT_CHAIN_LOCK = ADVISORY_LOCKS.auditChain;

export interface AuditAppend {
  at: Date;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  caseId: string | null;
  data: Record<string, unknown>;
}

interface AuditRow {
  seq: string;
  at: Date;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  caseId: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/**
 * The hash-chained audit log. An append takes a transaction-scoped advisory lock, so entries are numbered
 * and chained in commit order and a rolled-back transaction leaves no gap.
 */
@Injectable()
export class AuditLogRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Held until the transaction ends; taking it again in the same transaction is free. */
  async lockChain(tx: EntityManager): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
  }

  async append(tx: EntityManager, entry: AuditAppend): Promise<{ seq: number; hash: string }> {
    await this.lockChain(tx);
    const last: { seq: string; hash: string }[] = await tx.query('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    const { seq, prevHash } = chainNext(last[0] ? { seq: Number(last[0].seq), hash: last[0].hash } : undefined);
    // The data goes through JSON once here, so what is hashed is exactly what jsonb will hand back.
    const data = auditData(entry.data);
    const content = { seq, at: entry.at.toISOString(), actorId: entry.actorId, actorRole: entry.actorRole, action: entry.action, caseId: entry.caseId, data };
    const hash = auditEntryHash(prevHash, content);
    await tx.query(
      `INSERT INTO audit_log (seq, at, actor_id, actor_role, action, case_id, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)`,
      [seq, content.at, entry.actorId, entry.actorRole, entry.action, entry.caseId, JSON.stringify(data), prevHash, hash],
    );
    return { seq, hash };
  }

  /**
   * Appends `entries` in the order given, as one statement: numbered and chained here under the chain lock
   * exactly as that many `append` calls would (the case intake records hundreds of openings at once).
   */
  async appendMany(tx: EntityManager, entries: readonly AuditAppend[]): Promise<{ seq: number; hash: string }[]> {
    if (entries.length === 0) return [];
    await this.lockChain(tx);
    const last: { seq: string; hash: string }[] = await tx.query('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    let prev = last[0] ? { seq: Number(last[0].seq), hash: last[0].hash } : undefined;
    const rows = entries.map((entry) => {
      const { seq, prevHash } = chainNext(prev);
      const data = auditData(entry.data);
      const content = { seq, at: entry.at.toISOString(), actorId: entry.actorId, actorRole: entry.actorRole, action: entry.action, caseId: entry.caseId, data };
      const hash = auditEntryHash(prevHash, content);
      prev = { seq, hash };
      return { ...content, prevHash, hash };
    });
    await tx.query(
      `INSERT INTO audit_log (seq, at, actor_id, actor_role, action, case_id, data, prev_hash, hash)
       SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::jsonb[], $8::text[], $9::text[])`,
      [
        rows.map((r) => r.seq),
        rows.map((r) => r.at),
        rows.map((r) => r.actorId),
        rows.map((r) => r.actorRole),
        rows.map((r) => r.action),
        rows.map((r) => r.caseId),
        rows.map((r) => JSON.stringify(r.data)),
        rows.map((r) => r.prevHash),
        rows.map((r) => r.hash),
      ],
    );
    return rows.map((r) => ({ seq: r.seq, hash: r.hash }));
  }

  /** Appends in a transaction of its own (reads of evidence, account changes). */
  appendAlone(entry: AuditAppend): Promise<{ seq: number; hash: string }> {
    return this.dataSource.transaction((tx) => this.append(tx, entry));
  }

  /** Entries after `afterSeq`, in order. */
  async page(afterSeq: number, limit: number): Promise<StoredAuditEntry[]> {
    const rows: AuditRow[] = await this.dataSource.query(
      `SELECT seq, at, actor_id AS "actorId", actor_role AS "actorRole", action, case_id AS "caseId", data, prev_hash AS "prevHash", hash
         FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [afterSeq, limit],
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq), at: r.at.toISOString() }));
  }

  async entriesForCase(caseId: string): Promise<StoredAuditEntry[]> {
    const rows: AuditRow[] = await this.dataSource.query(
      `SELECT seq, at, actor_id AS "actorId", actor_role AS "actorRole", action, case_id AS "caseId", data, prev_hash AS "prevHash", hash
         FROM audit_log WHERE case_id = $1 ORDER BY seq`,
      [caseId],
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq), at: r.at.toISOString() }));
  }

  /** SHA-256 of each event's stored raw payload (UTF-8), recomputed by the database now. */
  async eventPayloadHashes(eventIds: string[]): Promise<Map<string, string>> {
    if (eventIds.length === 0) return new Map();
    const rows: { id: string; sha256: string }[] = await this.dataSource.query(
      `SELECT id::text AS id, encode(sha256(convert_to(raw_payload, 'UTF8')), 'hex') AS sha256 FROM events WHERE id = ANY($1::bigint[])`,
      [eventIds],
    );
    return new Map(rows.map((r) => [r.id, r.sha256]));
  }

  async evidenceItems(keys: string[]): Promise<Map<string, { sha256: string | null; uri: string | null; local: boolean }>> {
    if (keys.length === 0) return new Map();
    const rows: { key: string; sha256: string | null; uri: string | null; local: boolean }[] = await this.dataSource.query(
      `SELECT item_key AS key, sha256, uri, local FROM evidence_items WHERE item_key = ANY($1::text[])`,
      [keys],
    );
    return new Map(rows.map((r) => [r.key, { sha256: r.sha256, uri: r.uri, local: r.local }]));
  }

  /** The case_transitions rows each audit entry recorded, by audit seq. */
  async transitionsByAuditSeq(seqs: number[]): Promise<Map<number, Record<string, unknown>>> {
    if (seqs.length === 0) return new Map();
    const rows: (Record<string, unknown> & { auditSeq: string; at: Date })[] = await this.dataSource.query(
      `SELECT audit_seq AS "auditSeq", case_id AS "caseId", seq, action, from_status AS "from", to_status AS "to", actor_id AS "actorId",
              actor_role AS "actorRole", at, reason, note, from_unit AS "fromUnit", to_unit AS "toUnit", photos, details
         FROM case_transitions WHERE audit_seq = ANY($1::bigint[])`,
      [seqs],
    );
    return new Map(rows.map(({ auditSeq, ...r }) => [Number(auditSeq), { ...r, at: r.at.toISOString() }]));
  }

  async statementsByAuditSeq(seqs: number[]): Promise<Map<number, { id: string; caseId: string; statement: string; sha256: string }>> {
    if (seqs.length === 0) return new Map();
    const rows: { auditSeq: string; id: string; caseId: string; statement: string; sha256: string }[] = await this.dataSource.query(
      `SELECT audit_seq AS "auditSeq", id::text AS id, case_id AS "caseId", statement, sha256 FROM case_statements WHERE audit_seq = ANY($1::bigint[])`,
      [seqs],
    );
    return new Map(rows.map(({ auditSeq, ...r }) => [Number(auditSeq), r]));
  }
}
