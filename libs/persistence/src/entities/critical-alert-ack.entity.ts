import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { CaseEntity } from './case.entity';

/**
 * A critical alert (a high- or critical-severity case opened) acknowledged at the centre (issue 18): once one person
 * has it, it leaves every console's queue of unacknowledged alerts. Who and when, and the audit entry.
 */
@Entity('critical_alert_acks')
export class CriticalAlertAckEntity {
  @PrimaryColumn('uuid', { name: 'case_id' }) caseId: string;
  @OneToOne(() => CaseEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'case_id' })
  case?: CaseEntity;
  @Column('text', { name: 'acknowledged_by' }) acknowledgedBy: string;
  @Column('timestamptz', { name: 'acknowledged_at' }) acknowledgedAt: Date;
  @Column('bigint', { name: 'audit_seq' }) auditSeq: string;
}
