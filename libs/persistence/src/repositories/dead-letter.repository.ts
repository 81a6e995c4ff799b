import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** A dead letter taken for a replay: what the transport received, as it was kept. */
export interface ClaimedDeadLetter {
  id: string;
  transport: 'mqtt' | 'kafka' | 'http';
  source: string;
  topic: string;
  deviceId: string | null;
  payload: Buffer;
  receivedAt: Date;
}

export interface DeadLetterFilter {
  reason: string;
  deviceId?: string;
}

/**
 * Replays of dead letters. Each statement stands alone (no transaction is held while ingest stores the replayed
 * messages: ingest waits for its turn, and nothing may wait for a turn holding a connection). A dead letter is
 * taken (`replay_started_at`), replayed, then marked with its outcome (`replayed_at`): never replayed twice.
 */
@Injectable()
export class DeadLetterRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Takes up to `limit` dead letters not replayed yet, oldest first. Two replays at once take different ones
   * (SKIP LOCKED); one taken by a replay that died (taken more than `staleAfterSeconds` ago, no outcome) may be
   * taken again — ingest is idempotent per event, so a message stored just before that replay died is a duplicate.
   */
  async claimForReplay(filter: DeadLetterFilter & { limit: number; staleAfterSeconds: number }, by: string): Promise<ClaimedDeadLetter[]> {
    const rows: {
      id: string;
      transport: ClaimedDeadLetter['transport'];
      source: string;
      topic: string;
      device_id: string | null;
      payload: Buffer;
      received_at: Date;
    }[] = await this.dataSource.query(
      // A CTE so the driver hands back the rows (a bare UPDATE answers with a row count).
      `WITH claimed AS (
           UPDATE dead_letters d SET replay_started_at = now(), replayed_by = $4
             FROM (SELECT id FROM dead_letters
                    WHERE reason = $1 AND replayed_at IS NULL AND ($2::text IS NULL OR device_id = $2)
                      AND (replay_started_at IS NULL OR replay_started_at < now() - make_interval(secs => $5))
                    ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) taken
            WHERE d.id = taken.id
          RETURNING d.id, d.transport, d.source, d.topic, d.device_id, d.payload, d.received_at)
         SELECT id::text AS id, transport, source, topic, device_id, payload, received_at FROM claimed ORDER BY claimed.id`,
      [filter.reason, filter.deviceId ?? null, filter.limit, by, filter.staleAfterSeconds],
    );
    // In the order they were kept aside.
    return rows.map((r) => ({
      id: r.id,
      transport: r.transport,
      source: r.source,
      topic: r.topic,
      deviceId: r.device_id,
      payload: r.payload,
      receivedAt: new Date(r.received_at),
    }));
  }

  /** Marks dead letters replayed with what ingest made of each; the first outcome recorded stays. */
  async recordReplayed(rows: { id: string; outcome: object }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.dataSource.query(
      `UPDATE dead_letters d SET replayed_at = now(), replay_outcome = t.outcome
         FROM unnest($1::bigint[], $2::jsonb[]) AS t(id, outcome)
        WHERE d.id = t.id AND d.replayed_at IS NULL`,
      [rows.map((r) => r.id), rows.map((r) => JSON.stringify(r.outcome))],
    );
  }

  /** Gives back dead letters taken but not replayed (ingest could not store them now): a later replay takes them. */
  async releaseClaims(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(`UPDATE dead_letters SET replay_started_at = NULL, replayed_by = NULL WHERE id = ANY($1::bigint[]) AND replayed_at IS NULL`, [
      ids,
    ]);
  }

  /** Dead letters matching the filter not replayed yet (including any a replay holds right now). */
  async countNotReplayed(filter: DeadLetterFilter): Promise<number> {
    const [{ n }]: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM dead_letters WHERE reason = $1 AND replayed_at IS NULL AND ($2::text IS NULL OR device_id = $2)`,
      [filter.reason, filter.deviceId ?? null],
    );
    return n;
  }
}
