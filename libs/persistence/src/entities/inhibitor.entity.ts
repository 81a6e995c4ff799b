import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A major incident muting minor detections at its place, grid or township until `until_at`. */
@Entity('inhibitors')
@Index('uq_inhibitors_window', ['inhibitionId', 'sourceIdentityKey', 'fromAt'], { unique: true })
@Index('ix_inhibitors_until', ['untilAt'])
export class InhibitorEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column('text', { name: 'inhibition_id' }) inhibitionId: string;
  @Column('text', { name: 'source_category' }) sourceCategory: string;
  @Column('text', { name: 'source_identity_key' }) sourceIdentityKey: string;
  @Column('text') scope: string;
  @Column('text', { name: 'place_id', nullable: true }) placeId: string | null;
  @Column('text', { name: 'grid_code', nullable: true }) gridCode: string | null;
  @Column('text', { name: 'township_code', nullable: true }) townshipCode: string | null;
  @Column('timestamptz', { name: 'from_at' }) fromAt: Date;
  @Column('timestamptz', { name: 'until_at' }) untilAt: Date;
}
