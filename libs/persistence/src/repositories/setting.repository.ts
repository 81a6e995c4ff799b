import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

@Injectable()
export class SettingRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores `value` unless the key exists; returns what is stored (first writer wins across instances). */
  async getOrInit(key: string, value: string): Promise<string> {
    const rows: { value: string }[] = await this.dataSource.query(
      `WITH ins AS (INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value)
       SELECT value FROM ins UNION ALL SELECT value FROM settings WHERE key = $1 LIMIT 1`,
      [key, value],
    );
    return rows[0].value;
  }

  async get(key: string): Promise<string | undefined> {
    const rows: { value: string }[] = await this.dataSource.query(`SELECT value FROM settings WHERE key = $1`, [key]);
    return rows[0]?.value;
  }

  async set(key: string, value: string): Promise<void> {
    await this.dataSource.query(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [key, value]);
  }
}
