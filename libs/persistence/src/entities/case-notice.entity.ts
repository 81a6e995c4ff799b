import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { CaseEntity } from './case.entity';

/**
 * The party's notice (告知书) of a case, produced once when the case is registered for enforcement: what the
 * letter says is fixed then (its content hash is in the audit chain); delivery starts the statement window.
 */
@Entity('case_notices')
export class CaseNoticeEntity {
  @PrimaryColumn('uuid', { name: 'case_id' }) caseId: string;
  @OneToOne(() => CaseEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'case_id' })
  case?: CaseEntity;
  @Column('text', { name: 'notice_number', unique: true }) noticeNumber: string;
  @Column('timestamptz', { name: 'produced_at' }) producedAt: Date;
  /** The reviewer whose registration produced it. */
  @Column('text', { name: 'produced_by' }) producedBy: string;
  /** The notice's content as produced (canonical JSON): the letter prints this, never a later state of the case. */
  @Column('jsonb') content: Record<string, unknown>;
  @Column('text', { name: 'content_sha256' }) contentSha256: string;
  @Column('bigint', { name: 'audit_seq' }) auditSeq: string;
  /** The first delivery: the statement window counts from it. */
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt: Date | null;
  @Column('timestamptz', { name: 'statement_due_at', nullable: true }) statementDueAt: Date | null;
}
