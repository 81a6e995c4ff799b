import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DeviceEntity } from '../entities';
import type { StoredDigestHa1 } from '../entities/device.entity';

/** Health columns (last_seen_at, offline_since) are written only by ingest and the health watcher. */
export type DeviceRow = Omit<DeviceEntity, 'createdAt' | 'updatedAt' | 'passwordHash' | 'digestHa1' | 'lastSeenAt' | 'offlineSince'>;

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

  /** What HTTP Digest needs of a device: its state, its password hash and the Digest HA1 stored for it. */
  async digestCredentials(id: string): Promise<{ hash: string | null; managedBy: string; status: string; ha1: StoredDigestHa1 | null } | undefined> {
    const rows: { password_hash: string | null; managed_by: string; status: string; digest_ha1: StoredDigestHa1 | null }[] = await this.dataSource.query(
      `SELECT password_hash, managed_by, status, digest_ha1 FROM devices WHERE id = $1`,
      [id],
    );
    return rows[0] && { hash: rows[0].password_hash, managedBy: rows[0].managed_by, status: rows[0].status, ha1: rows[0].digest_ha1 };
  }

  async setDigestHa1(id: string, ha1: StoredDigestHa1): Promise<void> {
    await this.dataSource.query(`UPDATE devices SET digest_ha1 = $2 WHERE id = $1`, [id, JSON.stringify(ha1)]);
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
    // An API address set through the register (PATCH) stays unless config/ names one itself.
    await this.dataSource.getRepository(DeviceEntity).upsert(
      rows.map(({ apiUrl: _apiUrl, ...r }) => r),
      { conflictPaths: ['id'] },
    );
    const withApi = rows.filter((r) => r.apiUrl !== null);
    if (withApi.length > 0) {
      await this.dataSource.query(`UPDATE devices d SET api_url = v.api_url FROM unnest($1::text[], $2::text[]) AS v(id, api_url) WHERE d.id = v.id`, [
        withApi.map((r) => r.id),
        withApi.map((r) => r.apiUrl),
      ]);
    }
  }

  /** The HTTP API of a source (its own, else that of the NVR or dock it is registered under). */
  async apiUrlOf(deviceId: string): Promise<string | null> {
    const rows: { api_url: string | null }[] = await this.dataSource.query(
      `SELECT COALESCE(d.api_url, p.api_url) AS api_url FROM devices d LEFT JOIN devices p ON p.id = d.parent_id WHERE d.id = $1`,
      [deviceId],
    );
    return rows[0]?.api_url ?? null;
  }
}
