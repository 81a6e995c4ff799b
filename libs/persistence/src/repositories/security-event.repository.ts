import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface SecurityEventRow {
  seq: number;
  at: string;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  data: Record<string, unknown>;
  hash: string;
}

/** Security events are entries of the hash-chained audit log with one of the given actions; newest first. */
@Injectable()
export class SecurityEventRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async find(query: { actions: readonly string[]; from?: Date; to?: Date; limit: number }): Promise<SecurityEventRow[]> {
    const rows: (Omit<SecurityEventRow, 'seq' | 'at'> & { seq: string; at: Date })[] = await this.dataSource.query(
      `SELECT seq, at, actor_id AS "actorId", actor_role AS "actorRole", action, data, hash
         FROM audit_log
        WHERE action = ANY($1::text[]) AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3)
        ORDER BY seq DESC LIMIT $4`,
      [query.actions, query.from ?? null, query.to ?? null, query.limit],
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq), at: r.at.toISOString() }));
  }
}
