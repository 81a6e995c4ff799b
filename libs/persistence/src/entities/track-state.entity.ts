import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Dwell state per tracked object (device + track or plate), so a dwell holds across a worker restart. A state nobody
 * has written for TRACK_STATE_RETENTION_DAYS is pruned (`updated_at`, the database's clock: a device whose clock is
 * behind must not lose its tracks between two batches).
 */
@Entity('track_states')
@Index('ix_track_states_updated', ['updatedAt'])
export class TrackStateEntity {
  @PrimaryColumn('text', { name: 'track_key' }) trackKey: string;
  @Column('text', { name: 'device_id' }) deviceId: string;
  @Column('jsonb') state: Record<string, unknown>;
  @Column('timestamptz', { name: 'last_seen_at' }) lastSeenAt: Date;
  @Column('timestamptz', { name: 'ended_at', nullable: true }) endedAt: Date | null;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt: Date;
}
