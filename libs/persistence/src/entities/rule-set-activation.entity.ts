import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Every time a rules text was put in force (append-only): by a start (a deployment) or a supervisor's reload,
 * with who did it. The newest row is the text in force; re-activating an old text adds a row.
 */
@Entity('rule_set_activations')
export class RuleSetActivationEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column('text') sha256: string;
  @Column('integer') version: number;
  @Column('timestamptz', { name: 'activated_at', default: () => 'now()' }) activatedAt: Date;
  /** `start`, `reload`, or `recorded` (a text loaded before activations were kept, at its first load). */
  @Column('text') reason: string;
  @Column('text', { name: 'actor_id', nullable: true }) actorId: string | null;
  @Column('text', { name: 'actor_name', nullable: true }) actorName: string | null;
}
