import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A drone photo in the catalogue. The SHA-256 of the original bytes is the key and the evidence hash; the
 * original is stored byte for byte, derivatives (metadata stripped) beside it.
 */
@Entity('photos')
@Index('ix_photos_flight', ['flightId'])
@Index('ix_photos_township', ['townshipCode'])
export class PhotoEntity {
  @PrimaryColumn('text') sha256: string;
  @Column('text', { name: 'flight_id' }) flightId: string;
  @Column('text', { name: 'uploaded_by' }) uploadedBy: string;
  @Column('text', { name: 'device_id', nullable: true }) deviceId: string | null;
  @Column('text', { name: 'file_name', nullable: true }) fileName: string | null;
  @Column('bigint') bytes: string;
  @Column('text') format: string;
  @Column('integer') width: number;
  @Column('integer') height: number;
  @Column('text', { name: 'original_key' }) originalKey: string;
  @Column('text', { name: 'thumb_key' }) thumbKey: string;
  @Column('text', { name: 'preview_key' }) previewKey: string;
  @Column('timestamptz', { name: 'taken_at', nullable: true }) takenAt: Date | null;
  @Column('double precision', { nullable: true }) lat: number | null;
  @Column('double precision', { nullable: true }) lng: number | null;
  @Column('double precision', { name: 'absolute_altitude', nullable: true }) absoluteAltitude: number | null;
  @Column('double precision', { name: 'relative_altitude', nullable: true }) relativeAltitude: number | null;
  @Column('double precision', { name: 'gimbal_yaw', nullable: true }) gimbalYaw: number | null;
  /** Full normalised metadata (source, pitch, flight yaw, RTK, camera, warnings). */
  @Column('jsonb') metadata: Record<string, unknown>;
  /** Blur and exposure measures and the verdict: evidence must be clear. */
  @Column('jsonb') quality: Record<string, unknown>;
  @Column('text', { name: 'quality_verdict' }) qualityVerdict: string;
  @Column('text', { name: 'township_code', nullable: true }) townshipCode: string | null;
  @Column('text', { name: 'grid_code', nullable: true }) gridCode: string | null;
  /** no-position, outside-jurisdiction, no-grid, and metadata warnings: stored and flagged, never dropped. */
  @Column('jsonb', { default: () => "'[]'" }) flags: string[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
