import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PhotoEntity } from '../entities';

export type PhotoRow = Omit<PhotoEntity, 'createdAt'>;

/** A flight as its photos describe it: for picking one to browse. */
export interface FlightSummaryRow {
  flightId: string;
  photos: number;
  placed: number;
  doubtful: number;
  deviceIds: string[];
  uploadedBy: string[];
  lastUploadAt: Date;
}

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

  /** The latest flights, newest upload first; a pilot's own uploads only when `uploadedBy` is given. */
  async recentFlights(limit: number, uploadedBy?: string): Promise<FlightSummaryRow[]> {
    const rows: (Omit<FlightSummaryRow, 'photos' | 'placed' | 'doubtful'> & { photos: string; placed: string; doubtful: string })[] =
      await this.dataSource.query(
        `SELECT flight_id AS "flightId", count(*) AS photos, count(lat) AS placed, count(*) FILTER (WHERE quality_verdict <> 'ok') AS doubtful,
              COALESCE(array_agg(DISTINCT device_id) FILTER (WHERE device_id IS NOT NULL), '{}') AS "deviceIds",
              array_agg(DISTINCT uploaded_by) AS "uploadedBy", max(created_at) AS "lastUploadAt"
         FROM photos
        WHERE ($1::text IS NULL OR uploaded_by = $1)
        GROUP BY flight_id
        ORDER BY max(created_at) DESC, flight_id
        LIMIT $2`,
        [uploadedBy ?? null, limit],
      );
    return rows.map((r) => ({ ...r, photos: Number(r.photos), placed: Number(r.placed), doubtful: Number(r.doubtful) }));
  }
}
