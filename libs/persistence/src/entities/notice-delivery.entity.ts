import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CaseEntity } from './case.entity';

/**
 * One delivery of a case's notice: handed over or posted (recorded by staff as done), or sent through the
 * outbound notifier (pending until the endpoint accepts it, retried with back-off, failed after the last try).
 */
@Entity('notice_deliveries')
@Index('ix_notice_deliveries_case', ['caseId'])
@Index('ix_notice_deliveries_due', ['nextAttemptAt'], { where: `status = 'pending'` })
export class NoticeDeliveryEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  @ManyToOne(() => CaseEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'case_id' })
  case?: CaseEntity;
  /** in-person | post | electronic | notifier */
  @Column('text') method: string;
  @Column('text', { nullable: true }) recipient: string | null;
  @Column('text', { nullable: true }) note: string | null;
  /** The user who delivered or asked for it; `system` when the notifier sent it on registration. */
  @Column('text', { name: 'requested_by' }) requestedBy: string;
  @Column('timestamptz', { name: 'requested_at' }) requestedAt: Date;
  /** pending | delivered | failed */
  @Column('text') status: string;
  @Column('integer', { default: 0 }) attempts: number;
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt: Date | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt: Date | null;
  /** The audit entry of the outcome (delivered or failed). */
  @Column('bigint', { name: 'audit_seq', nullable: true }) auditSeq: string | null;
}
