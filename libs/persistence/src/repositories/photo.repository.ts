import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PhotoEntity } from '../entities';

export type PhotoRow = Omit<PhotoEntity, 'createdAt'>;

@Injectable()
export class PhotoRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A photo stored twice (retry, another flight's upload) keeps its first catalogue row. */
  async insertIfAbsent(row: PhotoRow): Promise<void> {
    // TypeORM's deep-partial type cannot express jsonb `Record<string, unknown>` columns; the row is complete.
    const values = row as unknown as QueryDeepPartialEntity<PhotoEntity>;
    await this.dataSource.getRepository(PhotoEntity).createQueryBuilder().insert().values(values).orIgnore().execute();
  }

  async findBySha(sha256: string, scopeTownships?: string[]): Promise<PhotoEntity | null> {
    const qb = this.dataSource.getRepository(PhotoEntity).createQueryBuilder('p').where('p.sha256 = :sha256', { sha256 });
    if (scopeTownships) qb.andWhere('p.township_code = ANY(:scope)', { scope: scopeTownships });
    return qb.getOne();
  }

  async existing(sha256s: string[]): Promise<Set<string>> {
    if (sha256s.length === 0) return new Set();
    const rows: { sha256: string }[] = await this.dataSource.query(`SELECT sha256 FROM photos WHERE sha256 = ANY($1)`, [sha256s]);
    return new Set(rows.map((r) => r.sha256));
  }

  listByFlight(flightId: string): Promise<PhotoEntity[]> {
    return this.dataSource.getRepository(PhotoEntity).find({ where: { flightId }, order: { takenAt: 'ASC' } });
  }
}
