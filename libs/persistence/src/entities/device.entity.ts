import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The device register (Administrative Penalty Law art. 41: review status and published location). */
@Entity('devices')
export class DeviceEntity {
  @PrimaryColumn('text') id: string;
  @Column('text') kind: string;
  @Column('text') name: string;
  @Column('text', { name: 'owner_department' }) ownerDepartment: string;
  @Column('double precision', { nullable: true }) lat: number | null;
  @Column('double precision', { nullable: true }) lng: number | null;
  @Column('text', { nullable: true }) address: string | null;
  @Column('text', { name: 'township_code', nullable: true }) townshipCode: string | null;
  @Column('text', { name: 'frigate_camera', nullable: true }) frigateCamera: string | null;
  /** The source it is registered under and that publishes for it: a camera's NVR, an aircraft's dock. */
  @Index('ix_devices_parent_id')
  @Column('text', { name: 'parent_id', nullable: true })
  parentId: string | null;
  /** A source with an HTTP API pictures are fetched from (a Frigate instance: `http://frigate.local:5000`). */
  @Column('text', { name: 'api_url', nullable: true }) apiUrl: string | null;
  @Column('jsonb', { default: () => "'{}'" }) zones: Record<string, string>;
  /** Other ids sources use for this device (a Hikvision `<mac>:ch<channel>`, ...). */
  @Column('jsonb', { default: () => "'[]'" }) aliases: string[];
  @Column('text', { default: 'active' }) status: 'active' | 'retired';
  @Column('boolean', { name: 'legal_review_passed', default: false }) legalReviewPassed: boolean;
  @Column('boolean', { name: 'technical_review_passed', default: false }) technicalReviewPassed: boolean;
  @Column('date', { name: 'reviewed_on', nullable: true }) reviewedOn: string | null;
  @Column('boolean', { name: 'location_published', default: false }) locationPublished: boolean;
  /** bcrypt hash of the device's own MQTT/HTTP password; null = the demo password applies (config devices only). */
  @Column('text', { name: 'password_hash', nullable: true, select: false }) passwordHash: string | null;
  /**
   * HTTP Digest (RFC 7616) secrets for realm "CloudPatrol": H(id:realm:password) in MD5 and SHA-256, and a hash of
   * the password_hash they were made under (a new password makes them stale). Written when the device proves its
   * password (HTTP Basic, MQTT); password-equivalent for Digest, so never selected by default.
   */
  @Column('jsonb', { name: 'digest_ha1', nullable: true, select: false }) digestHa1?: StoredDigestHa1 | null;
  /** When anything from the device last arrived (event, heartbeat, osd, status): one batched write per ingest batch. */
  @Column('timestamptz', { name: 'last_seen_at', nullable: true }) lastSeenAt: Date | null;
  /** Set (to the last arrival before the silence) once the health watcher judged it offline; cleared when it is heard again. */
  @Column('timestamptz', { name: 'offline_since', nullable: true }) offlineSince: Date | null;
  /** Config-seeded devices are refreshed from config/ at start; API-created ones are not. */
  @Column('text', { name: 'managed_by', default: 'api' }) managedBy: 'config' | 'api';
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

export interface StoredDigestHa1 {
  /** sha256 of the password_hash these were derived under. */
  for: string;
  realm: string;
  md5: string;
  sha256: string;
}
