import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One piece of evidence with its SHA-256, sealed into the audit chain: an event's raw payload, a media
 * file an event names, or an after-photo reported back. The audit entry named by audit_seq is the anchor;
 * this row is the index a case view reads.
 */
@Entity('evidence_items')
@Index('ix_evidence_items_event', ['eventId'])
@Index('ix_evidence_items_case', ['caseId'])
export class EvidenceItemEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  /** event:<id> | event:<id>:media:<n> | case:<caseId>:t<seq>:photo:<n> */
  @Column('text', { name: 'item_key', unique: true }) itemKey: string;
  /** event | media | after-photo */
  @Column('text') kind: string;
  @Column('bigint', { name: 'event_id', nullable: true }) eventId: string | null;
  @Column('uuid', { name: 'case_id', nullable: true }) caseId: string | null;
  @Column('text', { name: 'device_id', nullable: true }) deviceId: string | null;
  /** A media reference: a key under DATA_DIR/media, or a URL kept as given. */
  @Column('text', { nullable: true }) uri: string | null;
  /** null when the bytes were not here to hash (a remote URL without a source-given hash). */
  @Column('text', { nullable: true }) sha256: string | null;
  @Column('bigint', { nullable: true }) bytes: string | null;
  /** The file was under DATA_DIR/media when sealed: verification re-hashes it, and a missing file is a break. */
  @Column('boolean', { default: false }) local: boolean;
  /** Device evidence only: the device had passed legal and technical review when sealed (art. 41). */
  @Column('boolean', { name: 'usable_as_penalty_evidence', nullable: true }) usableAsPenaltyEvidence: boolean | null;
  @Column('timestamptz', { name: 'sealed_at' }) sealedAt: Date;
  @Column('bigint', { name: 'audit_seq' }) auditSeq: string;
}
