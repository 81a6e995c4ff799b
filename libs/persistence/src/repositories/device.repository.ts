import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DeviceEntity } from '../entities';

export type DeviceRow = Omit<DeviceEntity, 'createdAt' | 'updatedAt'>;

@Injectable()
export class DeviceRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findAll(): Promise<DeviceEntity[]> {
    return this.dataSource.getRepository(DeviceEntity).find({ order: { id: 'ASC' } });
  }

  /** Devices declared in config/ are refreshed from it at every start; register edits to others are kept. */
  async upsertConfigDevices(rows: DeviceRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.dataSource.getRepository(DeviceEntity).upsert(rows, { conflictPaths: ['id'] });
  }
}
