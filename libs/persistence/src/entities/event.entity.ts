import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Detection, MediaRef } from '@app/domain';

/**
 * A stored canonical event. Its identity is (source, device, source_event_id, occurred_at): a redelivery stores
 * nothing new, while two devices using the same ids, or one device reusing an id later (a counter restarted by a
 * reboot), are different events.
 */
@Entity('events')
@Index('uq_events_identity', ['source', 'deviceId', 'sourceEventId', 'occurredAt'], { unique: true })
@Index('ix_events_device_occurred', ['deviceId', 'occurredAt'])
export class EventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column('text') source: string;
  @Column('text', { name: 'source_event_id' }) sourceEventId: string;
  @Column('text', { name: 'source_kind' }) sourceKind: string;
  @Column('text', { name: 'device_id' }) deviceId: string;
  @Index('ix_events_occurred_at') @Column('timestamptz', { name: 'occurred_at' }) occurredAt: Date;
  @Column('timestamptz', { name: 'received_at', default: () => 'now()' }) receivedAt: Date;
  @Column('double precision', { nullable: true }) lat: number | null;
  @Column('double precision', { nullable: true }) lng: number | null;
  @Column('jsonb', { default: () => "'[]'" }) zones: string[];
  @Column('jsonb') detections: Detection[];
  @Column('jsonb', { default: () => "'[]'" }) media: MediaRef[];
  @Column('jsonb', { default: () => "'{}'" }) attributes: Record<string, unknown>;
  @Column('text', { nullable: true }) phase: string | null;
  /** The payload exactly as received: the evidence of what the source said. */
  @Column('text', { name: 'raw_payload' }) rawPayload: string;
}
