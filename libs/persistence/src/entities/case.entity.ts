import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * One real-world issue. While `grouping_open`, further detections with the same identity key join it
 * (a partial unique index makes that hold across workers).
 */
@Entity('cases')
@Index('uq_cases_open_identity', ['identityKey'], { unique: true, where: 'grouping_open' })
// What a newly started inhibitor (a fire) may take back: detected cases of its grid cells or townships (openOccurrences).
@Index('ix_cases_detected_grid', ['gridCode'], { where: `status = 'detected'` })
@Index('ix_cases_detected_township', ['townshipCode'], { where: `status = 'detected'` })
export class CaseEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text', { name: 'case_number', unique: true }) caseNumber: string;
  @Index('ix_cases_category') @Column('text', { name: 'category_code' }) categoryCode: string;
  @Index('ix_cases_status') @Column('text') status: string;
  @Column('text', { name: 'identity_key' }) identityKey: string;
  @Column('jsonb') identity: Record<string, string>;
  @Column('boolean', { name: 'grouping_open', default: true }) groupingOpen: boolean;
  @Column('text') severity: string;
  @Index('ix_cases_township') @Column('text', { name: 'township_code', nullable: true }) townshipCode: string | null;
  @Column('text', { name: 'grid_code', nullable: true }) gridCode: string | null;
  @Index('ix_cases_place') @Column('text', { name: 'place_id', nullable: true }) placeId: string | null;
  @Column('text', { name: 'handling_unit', nullable: true }) handlingUnit: string | null;
  @Column('text', { name: 'held_reason', nullable: true }) heldReason: string | null;
  @Column('jsonb', { nullable: true }) officer: { id: string; name: string } | null;
  @Column('text', { name: 'device_id' }) deviceId: string;
  @Column('double precision', { nullable: true }) lat: number | null;
  @Column('double precision', { nullable: true }) lng: number | null;
  @Column('timestamptz', { name: 'first_seen_at' }) firstSeenAt: Date;
  @Column('timestamptz', { name: 'last_seen_at' }) lastSeenAt: Date;
  @Column('integer', { name: 'occurrence_count' }) occurrenceCount: number;
  @Column('bigint', { name: 'latest_event_id' }) latestEventId: string;
  @Column('text', { name: 'rule_id' }) ruleId: string;
  @Column('integer', { name: 'rule_version' }) ruleVersion: number;
  /** SHA-256 of the rules text that opened the case (null: opened before texts were pinned, version ambiguous). */
  @Column('text', { name: 'rule_set_sha256', nullable: true }) ruleSetSha256: string | null;
  /** Rule id and version, inputs and thresholds: why this case exists. */
  @Column('jsonb') explanation: Record<string, unknown>;
  @Column('text', { default: 'machine' }) origin: 'machine' | 'manual';
  @Index('ix_cases_created_at') @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
