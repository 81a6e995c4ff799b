import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

@Injectable()
export class DatabaseHealthRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async counts(): Promise<{ events: number; cases: number; deadLetters: number }> {
    const [row]: { events: string; cases: string; dead_letters: string }[] = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM dead_letters) AS dead_letters`,
    );
    return { events: Number(row.events), cases: Number(row.cases), deadLetters: Number(row.dead_letters) };
  }
}
