import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Transactional outbox: written in the transaction that commits a case transition, published to Kafka by
 * the relay afterwards and marked sent. At-least-once: a row is sent again if the relay dies between
 * publishing and marking it.
 */
@Entity('outbox')
@Index('ix_outbox_unsent', ['id'], { where: 'sent_at IS NULL' })
export class OutboxEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  /** The topic without KAFKA_TOPIC_PREFIX, e.g. cloudpatrol.cases.v1. */
  @Column('text') topic: string;
  @Column('text', { name: 'message_key' }) messageKey: string;
  @Column('jsonb') payload: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'sent_at', nullable: true }) sentAt: Date | null;
}
