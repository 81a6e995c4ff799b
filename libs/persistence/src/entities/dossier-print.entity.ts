import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { CaseEntity } from './case.entity';

/**
 * One printed case file (案卷): its verification code, the evidence hashes it printed and the audit chain's head
 * at that moment. Anyone holding the paper can have the code checked against the sealed record.
 */
@Entity('dossier_prints')
@Index('ix_dossier_prints_case', ['caseId'])
export class DossierPrintEntity {
  @PrimaryColumn('text') code: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  @ManyToOne(() => CaseEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'case_id' })
  case?: CaseEntity;
  @Column('timestamptz', { name: 'printed_at' }) printedAt: Date;
  @Column('text', { name: 'printed_by' }) printedBy: string;
  @Column('text') language: string;
  /** [{ key, sha256 }] in print order. */
  @Column('jsonb') evidence: { key: string; sha256: string }[];
  @Column('bigint', { name: 'audit_head_seq' }) auditHeadSeq: string;
  @Column('text', { name: 'audit_head_hash' }) auditHeadHash: string;
  @Column('bigint', { name: 'audit_seq' }) auditSeq: string;
}
