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

  /** Counts a failed login; at `maxFailures` the account locks until `lockUntil` and the count restarts. */
  async recordFailedLogin(id: string, maxFailures: number, lockUntil: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE users SET failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
                        locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
        WHERE id = $1`,
      [id, maxFailures, lockUntil],
    );
  }

  async recordSuccessfulLogin(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, [id]);
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
