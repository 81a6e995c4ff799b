import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CaseEntity } from './case.entity';

/** A party's statement and defence (陈述申辩), submitted through the public lookup. Append-only. */
@Entity('case_statements')
@Index('ix_case_statements_case', ['caseId'])
export class CaseStatementEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  @ManyToOne(() => CaseEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'case_id' })
  case?: CaseEntity;
  @Column('timestamptz', { name: 'submitted_at' }) submittedAt: Date;
  @Column('text') statement: string;
  /** How the party wants to be answered (phone, address), as they gave it. */
  @Column('text', { nullable: true }) contact: string | null;
  /** SHA-256 of the statement text (the audit entry keeps this, not the text). */
  @Column('text') sha256: string;
  @Column('bigint', { name: 'audit_seq' }) auditSeq: string;
}
