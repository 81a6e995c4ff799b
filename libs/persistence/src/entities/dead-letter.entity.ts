import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A payload that could not become an event, kept byte for byte with the reason. Nothing is dropped silently. */
@Entity('dead_letters')
export class DeadLetterEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column('text') transport: 'mqtt' | 'kafka' | 'http';
  @Column('text') source: string;
  @Column('text') topic: string;
  @Index('ix_dead_letters_reason') @Column('text') reason: string;
  @Column('text') detail: string;
  @Column('text', { name: 'device_id', nullable: true }) deviceId: string | null;
  @Column('bytea') payload: Buffer;
  @Index('ix_dead_letters_received_at') @Column('timestamptz', { name: 'received_at', default: () => 'now()' }) receivedAt: Date;
}
