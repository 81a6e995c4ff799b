import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Open311 service requests as stored: an `open311` event (its id is the request's token) and the case it joined. */
@Injectable()
export class Open311Repository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The case numbers of the requests with these tokens: a token absent from the map is unknown; null while its
   * event is stored but in no case yet (held for placing, suppressed, or its case number not allocated yet).
   */
  async caseNumbersOfTokens(tokens: readonly string[]): Promise<Map<string, string | null>> {
    if (tokens.length === 0) return new Map();
    const rows: { token: string; case_number: string | null }[] = await this.dataSource.query(
      `SELECT e.source_event_id AS token, (SELECT c.case_number FROM case_occurrences o JOIN cases c ON c.id = o.case_id
                                            WHERE o.event_id = e.id ORDER BY c.created_at LIMIT 1) AS case_number
         FROM events e
        WHERE e.source = 'open311' AND e.source_event_id = ANY($1::text[])`,
      [tokens],
    );
    return new Map(rows.map((r) => [r.token, r.case_number]));
  }
}
