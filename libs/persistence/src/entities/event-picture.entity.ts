import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';

/**
 * One picture slot of an event (libs/domain/src/evidence/picture-requests.ts): present (its bytes stored, by
 * sha256), pending (being fetched, or waiting for the bytes sent separately) or missing (with the reason). A
 * present picture is sealed into the audit chain once (`sealed`).
 */
@Entity('event_pictures')
@Unique('uq_event_pictures_slot', ['eventId', 'slot'])
@Index('ix_event_pictures_due', ['nextAttemptAt'], { where: `"status" = 'pending' AND "next_attempt_at" IS NOT NULL` })
@Index('ix_event_pictures_match', ['matchKey'], { where: `"status" = 'pending' AND "match_key" IS NOT NULL` })
@Index('ix_event_pictures_waiting', ['giveUpAt'], { where: `"status" = 'pending'` })
@Index('ix_event_pictures_unsealed', ['id'], { where: `"status" = 'present' AND NOT "sealed"` })
@Index('ix_event_pictures_sha256', ['sha256'])
export class EventPictureEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column('bigint', { name: 'event_id' }) eventId: string;
  @Column('smallint') slot: number;
  /** drone-photo | frigate-api | frigate-mqtt | hikvision-part | device-publish | dji-upload */
  @Column('text') origin: string;
  /** pending | present | missing */
  @Column('text') status: string;
  @Column('text', { nullable: true }) sha256: string | null;
  /** When the picture shows: the event's time (a fetched snapshot is of the event's object). */
  @Column('timestamptz', { name: 'captured_at' }) capturedAt: Date;
  /** Bytes sent separately are linked by this key (DJI file, device snapshot topic). */
  @Column('text', { name: 'match_key', nullable: true }) matchKey: string | null;
  /** What a fetch needs (Frigate event id, camera, label). */
  @Column('jsonb', { default: () => "'{}'" }) request: Record<string, unknown>;
  @Column('integer', { default: 0 }) attempts: number;
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt: Date | null;
  /** A pending picture still not had by then is recorded missing. */
  @Column('timestamptz', { name: 'give_up_at', nullable: true }) giveUpAt: Date | null;
  /** Why it is missing, or what the last attempt said. */
  @Column('text', { nullable: true }) detail: string | null;
  @Column('boolean', { default: false }) sealed: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
