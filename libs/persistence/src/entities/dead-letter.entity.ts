import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A payload that could not become an event, kept byte for byte with the reason. Nothing is dropped silently. */
@Entity('dead_letters')
@Index('ix_dead_letters_replayable', ['reason', 'id'], { where: 'replayed_at IS NULL' })
@Index('ix_dead_letters_device_received', ['deviceId', 'receivedAt'])
export class DeadLetterEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column('text') transport: 'mqtt' | 'kafka' | 'http';
  @Column('text') source: string;
  @Column('text') topic: string;
  @Index('ix_dead_letters_reason') @Column('text') reason: string;
  @Column('text') detail: string;
  @Column('text', { name: 'device_id', nullable: true }) deviceId: string | null;
  /**
   * The device the transport authenticated (MQTT account, HTTP Digest), when one did: a replay holds the message to
   * it again, so a message kept aside before its device was registered cannot be replayed for another device.
   */
  @Column('text', { name: 'authenticated_device_id', nullable: true }) authenticatedDeviceId: string | null;
  @Column('bytea') payload: Buffer;
  @Index('ix_dead_letters_received_at') @Column('timestamptz', { name: 'received_at', default: () => 'now()' }) receivedAt: Date;
  /** A replay took it (POST /api/v1/dead-letters/replay); with no `replayedAt` after a while, that replay died and another may take it. */
  @Column('timestamptz', { name: 'replay_started_at', nullable: true }) replayStartedAt: Date | null;
  /** Replayed through ingest: never replayed again. */
  @Column('timestamptz', { name: 'replayed_at', nullable: true }) replayedAt: Date | null;
  @Column('text', { name: 'replayed_by', nullable: true }) replayedBy: string | null;
  /** What ingest made of it: stored (with the event ids), duplicate, ignored, or rejected (then kept again as a new dead letter). */
  @Column('jsonb', { name: 'replay_outcome', nullable: true }) replayOutcome: Record<string, unknown> | null;
}
