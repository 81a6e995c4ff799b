import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Every rules file ever loaded, so each case's rule id + version can be read back as it was. */
@Entity('rule_set_versions')
@Index('uq_rule_set_versions_sha', ['sha256'], { unique: true })
export class RuleSetVersionEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column('integer') version: number;
  @Column('text') sha256: string;
  @Column('text') content: string;
  @Column('timestamptz', { name: 'loaded_at', default: () => 'now()' }) loadedAt: Date;
}
