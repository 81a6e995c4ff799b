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

  findAll(): Promise<UserEntity[]> {
    return this.dataSource.getRepository(UserEntity).find({ order: { username: 'ASC' } });
  }

  count(): Promise<number> {
    return this.dataSource.getRepository(UserEntity).count();
  }

  async create(user: Pick<UserEntity, 'username' | 'passwordHash' | 'role' | 'displayName'> & Partial<Pick<UserEntity, 'townshipCode' | 'unitCode'>>): Promise<UserEntity> {
    return this.dataSource.getRepository(UserEntity).save({ townshipCode: null, unitCode: null, ...user });
  }
}
