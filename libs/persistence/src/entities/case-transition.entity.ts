import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CaseEntity } from './case.entity';

/** Every step of a case's loop: who, when, why. Append-only (a trigger refuses UPDATE and DELETE). */
@Entity('case_transitions')
@Index('uq_case_transitions_case_seq', ['caseId', 'seq'], { unique: true })
export class CaseTransitionEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  @ManyToOne(() => CaseEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'case_id' })
  case?: CaseEntity;
  /** 1, 2, 3 … per case; 1 is the opening. Kafka consumers order and deduplicate by it. */
  @Column('integer') seq: number;
  /** A CaseAction, or 'open'. */
  @Column('text') action: string;
  @Column('text', { name: 'from_status', nullable: true }) fromStatus: string | null;
  @Column('text', { name: 'to_status' }) toStatus: string;
  @Column('text', { name: 'actor_id' }) actorId: string;
  @Column('text', { name: 'actor_role' }) actorRole: string;
  @Index('ix_case_transitions_at') @Column('timestamptz') at: Date;
  @Column('text', { nullable: true }) reason: string | null;
  @Column('text', { nullable: true }) note: string | null;
  @Column('text', { name: 'from_unit', nullable: true }) fromUnit: string | null;
  @Column('text', { name: 'to_unit', nullable: true }) toUnit: string | null;
  @Column('jsonb', { default: () => "'[]'" }) photos: string[];
  /** Deadline set, evidence judgement, township change, ... */
  @Column('jsonb', { default: () => "'{}'" }) details: Record<string, unknown>;
  @Column('bigint', { name: 'audit_seq' }) auditSeq: string;
}
