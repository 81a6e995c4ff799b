import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UserEntity } from '../entities';

@Injectable()
export class UserRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOne({ where: { username } });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOne({ where: { id } });
  }

  /** What a request's token is checked against: none when the user does not exist. */
  async sessionState(id: string): Promise<{ disabled: boolean; tokenVersion: number } | undefined> {
    const rows: { disabled: boolean; token_version: number }[] = await this.dataSource.query(`SELECT disabled, token_version FROM users WHERE id = $1`, [id]);
    return rows[0] ? { disabled: rows[0].disabled, tokenVersion: rows[0].token_version } : undefined;
  }

  /** Changes an account; `revokeSessions` raises its token version in the same statement (its tokens stop working). */
  async update(
    id: string,
    changes: Partial<Pick<UserEntity, 'role' | 'displayName' | 'townshipCode' | 'unitCode' | 'disabled' | 'passwordHash'>>,
    revokeSessions: boolean,
  ): Promise<void> {
    const repo = this.dataSource.getRepository(UserEntity);
    await repo.update({ id }, revokeSessions ? { ...changes, tokenVersion: () => 'token_version + 1' } : changes);
  }

  findAll(): Promise<UserEntity[]> {
    return this.dataSource.getRepository(UserEntity).find({ order: { username: 'ASC' } });
  }

  count(): Promise<number> {
    return this.dataSource.getRepository(UserEntity).count();
  }

  async create(
    user: Pick<UserEntity, 'username' | 'passwordHash' | 'role' | 'displayName'> & Partial<Pick<UserEntity, 'townshipCode' | 'unitCode'>>,
  ): Promise<UserEntity> {
    return this.dataSource.getRepository(UserEntity).save({ townshipCode: null, unitCode: null, ...user });
  }
}
