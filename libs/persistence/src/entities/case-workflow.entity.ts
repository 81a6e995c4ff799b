import { Column, CreateDateColumn, Entity, Index, JoinColumn, OneToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { CaseEntity } from './case.entity';

/**
 * The closed loop's state of one case, beside the `cases` row the ingest path owns (which keeps status,
 * township and handling unit). Made when the case's opening is recorded (case-loop intake or its first
 * transition) and changed only by transitions and the deadline watcher, under the case row's lock.
 */
@Entity('case_workflow')
@Index('ix_case_workflow_step_due', ['stepDueAt'], { where: 'step_due_at IS NOT NULL' })
export class CaseWorkflowEntity {
  @PrimaryColumn('uuid', { name: 'case_id' }) caseId: string;
  @OneToOne(() => CaseEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'case_id' })
  case?: CaseEntity;

  @Column('timestamptz', { name: 'reviewed_at', nullable: true }) reviewedAt: Date | null;
  @Column('text', { name: 'reviewed_by', nullable: true }) reviewedBy: string | null;
  /** The reviewer's judgement, downgraded to false when the device has not passed legal and technical review. */
  @Column('boolean', { name: 'evidence_usable_for_penalty', nullable: true }) evidenceUsableForPenalty: boolean | null;
  @Column('text', { name: 'evidence_note', nullable: true }) evidenceNote: string | null;
  @Column('timestamptz', { name: 'rejected_at', nullable: true }) rejectedAt: Date | null;
  @Column('text', { name: 'rejected_by', nullable: true }) rejectedBy: string | null;
  @Column('text', { name: 'rejection_reason', nullable: true }) rejectionReason: string | null;
  @Column('timestamptz', { name: 'dispatched_at', nullable: true }) dispatchedAt: Date | null;
  @Column('text', { name: 'dispatched_by', nullable: true }) dispatchedBy: string | null;
  /** The handling deadline set at dispatch (or transfer): what the on-time closure rate is measured against. */
  @Index('ix_case_workflow_due_at') @Column('timestamptz', { name: 'due_at', nullable: true }) dueAt: Date | null;
  @Column('timestamptz', { name: 'accepted_at', nullable: true }) acceptedAt: Date | null;
  @Column('text', { name: 'accepted_by', nullable: true }) acceptedBy: string | null;
  @Column('timestamptz', { name: 'reported_at', nullable: true }) reportedAt: Date | null;
  @Column('text', { name: 'reported_by', nullable: true }) reportedBy: string | null;
  @Column('text', { name: 'result_note', nullable: true }) resultNote: string | null;
  @Column('jsonb', { name: 'after_photos', nullable: true }) afterPhotos: string[] | null;
  @Index('ix_case_workflow_closed_at') @Column('timestamptz', { name: 'closed_at', nullable: true }) closedAt: Date | null;
  @Column('text', { name: 'closed_by', nullable: true }) closedBy: string | null;
  @Column('integer', { name: 'transfer_count', default: 0 }) transferCount: number;
  @Column('integer', { name: 'send_back_count', default: 0 }) sendBackCount: number;
  @Column('integer', { name: 'reopen_count', default: 0 }) reopenCount: number;
  /** The seq of the case's last case_transitions row (1 = the opening). */
  @Column('integer', { name: 'transition_count', default: 0 }) transitionCount: number;

  /** The clock running now: review | handle | verify, its start, due instant and the limit that applied. */
  @Column('text', { nullable: true }) step: string | null;
  @Column('timestamptz', { name: 'step_started_at', nullable: true }) stepStartedAt: Date | null;
  @Column('timestamptz', { name: 'step_due_at', nullable: true }) stepDueAt: Date | null;
  @Column('jsonb', { name: 'step_limit', nullable: true }) stepLimit: Record<string, unknown> | null;
  /** on-track | due-soon | overdue, as the deadline watcher last saw it. */
  @Column('text', { name: 'deadline_state', nullable: true }) deadlineState: string | null;
  @Column('timestamptz', { name: 'due_soon_alerted_at', nullable: true }) dueSoonAlertedAt: Date | null;
  /** When the overdue step was escalated to supervisors (live alert + audit entry). */
  @Column('timestamptz', { name: 'escalated_at', nullable: true }) escalatedAt: Date | null;

  /** The party's verification code when the case identity has no plate (printed on the notice letter). */
  @Column('text', { name: 'party_code', nullable: true }) partyCode: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
