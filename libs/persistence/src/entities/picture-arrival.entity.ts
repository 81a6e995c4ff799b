import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Pictures that arrived before the event that names them (a DJI upload before its callback, a device's snapshot
 * publish before its event), and Frigate's MQTT snapshots (the fallback when its HTTP API cannot be reached).
 * The bytes are stored; this row waits for its match key.
 */
@Entity('picture_arrivals')
@Index('ix_picture_arrivals_match', ['matchKey', 'receivedAt'])
export class PictureArrivalEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column('text', { name: 'match_key' }) matchKey: string;
  @Column('text') origin: string;
  @Column('text', { name: 'device_id', nullable: true }) deviceId: string | null;
  /** null when the bytes were refused (not an image, too large): `detail` says why. */
  @Column('text', { nullable: true }) sha256: string | null;
  @Column('text', { nullable: true }) detail: string | null;
  @Column('timestamptz', { name: 'received_at' }) receivedAt: Date;
}
