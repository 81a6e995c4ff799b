import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Detections that met a rule but did not become a case (silence, inhibition, do-not-disturb, ...), counted per reason and identity. */
@Entity('suppressions')
@Index('uq_suppressions_key', ['suppressionKey'], { unique: true })
@Index('ix_suppressions_reason_reference', ['reason', 'reference'])
export class SuppressionEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column('text', { name: 'suppression_key' }) suppressionKey: string;
  @Column('text') reason: string;
  @Column('text') detail: string;
  @Column('text', { nullable: true }) reference: string | null;
  @Column('text', { name: 'category_code' }) categoryCode: string;
  @Column('text', { name: 'identity_key' }) identityKey: string;
  @Column('text', { name: 'rule_id' }) ruleId: string;
  @Column('integer', { name: 'rule_version' }) ruleVersion: number;
  @Column('text', { name: 'device_id' }) deviceId: string;
  @Column('text', { name: 'township_code', nullable: true }) townshipCode: string | null;
  @Column('integer') count: number;
  @Column('timestamptz', { name: 'first_seen_at' }) firstSeenAt: Date;
  @Column('timestamptz', { name: 'last_seen_at' }) lastSeenAt: Date;
  @Column('bigint', { name: 'latest_event_id' }) latestEventId: string;
  @Column('jsonb') explanation: Record<string, unknown>;
}
