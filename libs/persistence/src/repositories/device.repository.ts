import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DeviceEntity } from '../entities';

export type DeviceRow = Omit<DeviceEntity, 'createdAt' | 'updatedAt'>;

@Injectable()
export class DeviceRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findById(id: string): Promise<DeviceEntity | null> {
    return this.dataSource.getRepository(DeviceEntity).findOne({ where: { id } });
  }

  async insert(row: DeviceRow): Promise<void> {
    await this.dataSource.getRepository(DeviceEntity).insert(row);
  }

  async update(id: string, changes: Partial<DeviceRow>): Promise<void> {
    await this.dataSource.getRepository(DeviceEntity).update({ id }, changes);
  }

  findAll(): Promise<DeviceEntity[]> {
    return this.dataSource.getRepository(DeviceEntity).find({ order: { id: 'ASC' } });
  }

  /**
   * Devices declared in config/ are refreshed from it at every start; register edits to others are kept,
   * and so is a retirement (status is not part of the seed).
   */
  async upsertConfigDevices(rows: Omit<DeviceRow, 'status'>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.dataSource.getRepository(DeviceEntity).upsert(rows, { conflictPaths: ['id'] });
  }
}
