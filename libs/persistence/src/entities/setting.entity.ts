import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Small shared values every instance must agree on (e.g. the token signing secret when none is configured). */
@Entity('settings')
export class SettingEntity {
  @PrimaryColumn('text') key: string;
  @Column('text') value: string;
}
