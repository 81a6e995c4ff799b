import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text', { unique: true }) username: string;
  @Column('text', { name: 'password_hash' }) passwordHash: string;
  @Column('text') role: string;
  @Column('text', { name: 'township_code', nullable: true }) townshipCode: string | null;
  @Column('text', { name: 'unit_code', nullable: true }) unitCode: string | null;
  @Column('text', { name: 'display_name' }) displayName: string;
  @Column('boolean', { default: false }) disabled: boolean;
  /** Carried in every access token (`ver`); raising it revokes every session of the user. */
  @Column('integer', { name: 'token_version', default: 0 }) tokenVersion: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
