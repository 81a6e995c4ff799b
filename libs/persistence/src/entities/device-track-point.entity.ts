import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Where a drone or dock was (DJI osd), thinned to one point per device per second of frame time: a flight is
 * the points between take-off and landing (read by time range). Older points are pruned by the health watcher.
 */
@Entity('device_track_points')
export class DeviceTrackPointEntity {
  @PrimaryColumn('text', { name: 'device_id' }) deviceId: string;
  /** The frame's time, truncated to the second (the thinning key). */
  @PrimaryColumn('timestamptz') at: Date;
  @Column('double precision') lat: number;
  @Column('double precision') lng: number;
  /** Metres above the ellipsoid. */
  @Column('double precision', { nullable: true }) height: number | null;
  /** Degrees from true north (-180..180). */
  @Column('double precision', { nullable: true }) heading: number | null;
  /** The dock or remote controller that relayed it. */
  @Column('text', { name: 'gateway_id', nullable: true }) gatewayId: string | null;
}
