import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The append-only, hash-chained audit log: hash = sha256(prev_hash + canonical JSON of
 * {seq, at, actorId, actorRole, action, caseId, data}) (libs/domain/src/cases/audit-chain.ts).
 * seq is gap-free, assigned under an advisory lock; a trigger refuses UPDATE, DELETE and TRUNCATE.
 */
@Entity('audit_log')
export class AuditEntryEntity {
  @PrimaryColumn('bigint') seq: string;
  @Column('timestamptz') at: Date;
  @Column('text', { name: 'actor_id', nullable: true }) actorId: string | null;
  @Column('text', { name: 'actor_role', nullable: true }) actorRole: string | null;
  @Column('text') action: string;
  @Index('ix_audit_log_case') @Column('uuid', { name: 'case_id', nullable: true }) caseId: string | null;
  @Column('jsonb') data: Record<string, unknown>;
  @Column('text', { name: 'prev_hash' }) prevHash: string;
  @Column('text') hash: string;
}
