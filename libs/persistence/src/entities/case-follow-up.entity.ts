import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CaseEntity } from './case.entity';

/**
 * A follow-up on a case in the handling unit's hands (issue 18): 督办 (`supervise`, a supervisor's formal supervision)
 * or 催办 (`urge`, a reminder), with a note for the team. Append-only but for when the team saw it.
 */
@Entity('case_follow_ups')
@Index('ix_case_follow_ups_case', ['caseId', 'at'])
export class CaseFollowUpEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  @ManyToOne(() => CaseEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'case_id' })
  case?: CaseEntity;
  /** supervise (督办) or urge (催办). */
  @Column('text') kind: string;
  @Column('text') note: string;
  @Column('text', { name: 'actor_id' }) actorId: string;
  @Column('text', { name: 'actor_role' }) actorRole: string;
  @Column('timestamptz') at: Date;
  /** The unit that held the case when it was followed up: the one it is addressed to. */
  @Column('text', { name: 'handling_unit', nullable: true }) handlingUnit: string | null;
  @Column('bigint', { name: 'audit_seq' }) auditSeq: string;
  /** When someone of the handling team marked it as seen (the highlight goes off). */
  @Column('timestamptz', { name: 'seen_at', nullable: true }) seenAt: Date | null;
  @Column('text', { name: 'seen_by', nullable: true }) seenBy: string | null;
}
