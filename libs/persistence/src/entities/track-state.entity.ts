import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Dwell state per tracked object (device + track or plate), so a dwell holds across a worker restart. */
@Entity('track_states')
@Index('ix_track_states_last_seen', ['lastSeenAt'])
export class TrackStateEntity {
  @PrimaryColumn('text', { name: 'track_key' }) trackKey: string;
  @Column('text', { name: 'device_id' }) deviceId: string;
  @Column('jsonb') state: Record<string, unknown>;
  @Column('timestamptz', { name: 'last_seen_at' }) lastSeenAt: Date;
  @Column('timestamptz', { name: 'ended_at', nullable: true }) endedAt: Date | null;
}
