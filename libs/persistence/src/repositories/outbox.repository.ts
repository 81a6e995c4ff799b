import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ADVISORY_LOCKS } from '../advisory-locks';

/** One relay at a time across all workers, so records leave in outbox order (and so per case in order). */
export const OUTBOX_RELAY_LOCK = ADVISORY_LOCKS.outboxRelay;

export interface OutboxMessage {
  id: string;
  topic: string;
  key: string;
  payload: Record<string, unknown>;
}

@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(tx: EntityManager, rows: { topic: string; key: string; payload: Record<string, unknown> }[]): Promise<void> {
    if (rows.length === 0) return;
    await tx.query(`INSERT INTO outbox (topic, message_key, payload) SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])`, [
      rows.map((r) => r.topic),
      rows.map((r) => r.key),
      rows.map((r) => JSON.stringify(r.payload)),
    ]);
  }

  /**
   * Takes the oldest unsent messages and hands them to `publish`; they are marked sent only when it resolves
   * and the transaction commits. Returns how many were sent, or null when another relay holds the lock.
   */
  async relay(limit: number, publish: (messages: OutboxMessage[]) => Promise<void>): Promise<number | null> {
    return this.dataSource.transaction(async (tx) => {
      const [{ locked }]: { locked: boolean }[] = await tx.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [OUTBOX_RELAY_LOCK]);
      if (!locked) return null;
      const rows: { id: string; topic: string; key: string; payload: Record<string, unknown> }[] = await tx.query(
        `SELECT o.id::text AS id, o.topic, o.message_key AS key, o.payload FROM outbox o WHERE o.sent_at IS NULL ORDER BY o.id LIMIT $1`,
        [limit],
      );
      if (rows.length === 0) return 0;
      await publish(rows);
      await tx.query(`UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  async unsentCount(): Promise<number> {
    const [{ n }]: { n: number }[] = await this.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`);
    return n;
  }

  /** Sent messages are kept a while for inspection, then removed. */
  async pruneSent(olderThan: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1`, [olderThan.toISOString()]);
  }
}
