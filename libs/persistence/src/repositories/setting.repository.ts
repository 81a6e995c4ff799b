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
}
