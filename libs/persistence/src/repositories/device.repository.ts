import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DeviceEntity } from '../entities';

export type DeviceRow = Omit<DeviceEntity, 'createdAt' | 'updatedAt' | 'passwordHash'>;

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

  /** The device's own password hash (not selected by default: it never leaves the credentials path). */
  async passwordHash(id: string): Promise<{ hash: string | null; managedBy: string; status: string } | undefined> {
    const rows: { password_hash: string | null; managed_by: string; status: string }[] = await this.dataSource.query(
      `SELECT password_hash, managed_by, status FROM devices WHERE id = $1`,
      [id],
    );
    return rows[0] && { hash: rows[0].password_hash, managedBy: rows[0].managed_by, status: rows[0].status };
  }

  async setPasswordHash(id: string, hash: string): Promise<void> {
    await this.dataSource.query(`UPDATE devices SET password_hash = $2, updated_at = now() WHERE id = $1`, [id, hash]);
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
