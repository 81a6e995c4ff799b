import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { CaseEntity } from './case.entity';

/**
 * Who at the centre holds a case (issue 18): an operator claims it, or a supervisor assigns it. Not a status: the
 * loop goes on as it was; it says whose desk the case is on. Each change is in the audit chain (`audit_seq`).
 */
@Entity('case_assignees')
export class CaseAssigneeEntity {
  @PrimaryColumn('uuid', { name: 'case_id' }) caseId: string;
  @OneToOne(() => CaseEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'case_id' })
  case?: CaseEntity;
  @Column('uuid', { name: 'assignee_id' }) assigneeId: string;
  @Column('uuid', { name: 'assigned_by' }) assignedBy: string;
  @Column('timestamptz', { name: 'assigned_at' }) assignedAt: Date;
  @Column('bigint', { name: 'audit_seq' }) auditSeq: string;
}
