import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { SqlStep } from './prepared-statement';

/** A dead letter taken for a replay: what the transport received, as it was kept. */
export interface ClaimedDeadLetter {
  id: string;
  transport: 'mqtt' | 'kafka' | 'http';
  source: string;
  topic: string;
  deviceId: string | null;
  /** The device the transport authenticated when it arrived: the replay holds the message to it again. */
  authenticatedDeviceId: string | null;
  payload: Buffer;
  receivedAt: Date;
}

export interface DeadLetterFilter {
  reason: string;
  deviceId?: string;
}

/** A payload shown to people or published: text when it is UTF-8, else base64; at most `maxBytes` of it. */
export interface PayloadView {
  /** Size of the whole payload as kept. */
  payloadBytes: number;
  payloadEncoding: 'utf8' | 'base64';
  payload: string;
  /** Only the first `maxBytes` are in `payload`. */
  truncated: boolean;
}

/** Bytes of a payload in a list answer or a Kafka dead-letter record (the whole payload stays in the table). */
export const DEAD_LETTER_VIEW_MAX_BYTES = 16 * 1024;

export function payloadView(bytes: Buffer, totalBytes = bytes.length, maxBytes = DEAD_LETTER_VIEW_MAX_BYTES): PayloadView {
  const head = bytes.length > maxBytes ? bytes.subarray(0, maxBytes) : bytes;
  const truncated = totalBytes > head.length;
  try {
    // `stream` when cut: a character split by the cut is not a reason to call the text binary.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: truncated });
    // NUL and other control bytes (but tab, CR, LF) mean binary, whatever the decoder says.
    // eslint-disable-next-line no-control-regex
    if (!/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text)) return { payloadBytes: totalBytes, payloadEncoding: 'utf8', payload: text, truncated };
  } catch {
    // not UTF-8
  }
  return { payloadBytes: totalBytes, payloadEncoding: 'base64', payload: head.toString('base64'), truncated };
}

/**
 * The record published on KAFKA_DEAD_LETTER_TOPIC (with KAFKA_TOPIC_PREFIX), key = the device id, else the source.
 * `deadLetterId` and `receivedAt` are added by the statement that keeps the dead letter.
 */
export interface DeadLetterRecord extends PayloadView {
  deadLetterId: string;
  reason: string;
  detail: string;
  source: string;
  transport: 'mqtt' | 'kafka' | 'http';
  /** The topic (MQTT, Kafka) or path (HTTP) it arrived on. */
  topic: string;
  deviceId: string | null;
  receivedAt: string;
}

export type DeadLetterReplayState = 'not-replayed' | 'replaying' | 'replayed';

/** A dead letter as listed: what arrived, why it was kept aside, and what a replay made of it. */
export interface DeadLetterListItem extends PayloadView {
  id: string;
  transport: 'mqtt' | 'kafka' | 'http';
  source: string;
  topic: string;
  reason: string;
  detail: string;
  deviceId: string | null;
  receivedAt: Date;
  replay: { state: DeadLetterReplayState; startedAt: Date | null; replayedAt: Date | null; by: string | null; outcome: Record<string, unknown> | null };
}

export interface DeadLetterListFilter {
  reason?: string;
  source?: string;
  deviceId?: string;
  /** received at or after */
  from?: Date;
  /** received before */
  to?: Date;
}

/** A dead letter to keep: what arrived, on which transport and topic, and why it could not become an event. */
export interface DeadLetterInsert {
  transport: 'mqtt' | 'kafka' | 'http';
  source: string;
  topic: string;
  reason: string;
  detail: string;
  deviceId?: string;
  /** The device the transport authenticated, when one did. */
  authenticatedDeviceId?: string;
  payload: Buffer;
}

/**
 * Keeps dead letters in the caller's transaction, one statement (a step for `runInOrder`; nothing when there are no
 * rows). With `kafkaTopic` (KAFKA_DEAD_LETTER_TOPIC, without the prefix; Kafka configured) each also gets its record in
 * the outbox, in the same transaction: published by the outbox relay if and only if the dead letter was kept. The ids
 * are drawn first so each record names its dead letter.
 */
export function insertDeadLetterRowsStep(rows: readonly DeadLetterInsert[], kafkaTopic?: string): SqlStep | undefined {
  if (rows.length === 0) return undefined;
  const columns = [
    rows.map((r) => r.transport),
    rows.map((r) => r.source),
    rows.map((r) => r.topic),
    rows.map((r) => r.reason),
    rows.map((r) => r.detail),
    rows.map((r) => r.deviceId ?? null),
    rows.map((r) => r.authenticatedDeviceId ?? null),
    rows.map((r) => r.payload),
  ];
  if (!kafkaTopic) {
    return {
      statement: `INSERT INTO dead_letters (transport, source, topic, reason, detail, device_id, authenticated_device_id, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[])`,
      values: columns,
    };
  }
  const records = rows.map((r) =>
    JSON.stringify({
      reason: r.reason,
      detail: r.detail,
      source: r.source,
      transport: r.transport,
      topic: r.topic,
      deviceId: r.deviceId ?? null,
      ...payloadView(r.payload),
    } satisfies Omit<DeadLetterRecord, 'deadLetterId' | 'receivedAt'>),
  );
  return {
    statement: `WITH t AS (SELECT nextval(pg_get_serial_sequence('dead_letters', 'id')) AS id, u.*
                  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::jsonb[])
                       WITH ORDINALITY AS u(transport, source, topic, reason, detail, device_id, authenticated_device_id, payload, record, ord)),
          kept AS (INSERT INTO dead_letters (id, transport, source, topic, reason, detail, device_id, authenticated_device_id, payload) OVERRIDING SYSTEM VALUE
                   SELECT id, transport, source, topic, reason, detail, device_id, authenticated_device_id, payload FROM t ORDER BY ord
                   RETURNING id, received_at)
     INSERT INTO outbox (topic, message_key, payload)
     SELECT $10, coalesce(t.device_id, t.source),
            t.record || jsonb_build_object('deadLetterId', t.id::text,
                                           'receivedAt', to_char(kept.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
       FROM t JOIN kept ON kept.id = t.id ORDER BY t.ord`,
    values: [...columns, records, kafkaTopic],
  };
}

/**
 * Replays of dead letters. Each statement stands alone (no transaction is held while ingest stores the replayed
 * messages: ingest waits for its turn, and nothing may wait for a turn holding a connection). A dead letter is
 * taken (`replay_started_at`), replayed, then marked with its outcome (`replayed_at`): never replayed twice.
 */
@Injectable()
export class DeadLetterRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Newest first, with the exact count of all that match. */
  async list(filter: DeadLetterListFilter, page: { limit: number; offset: number }): Promise<{ items: DeadLetterListItem[]; total: number }> {
    const where = `($1::text IS NULL OR reason = $1) AND ($2::text IS NULL OR source = $2) AND ($3::text IS NULL OR device_id = $3)
                   AND ($4::timestamptz IS NULL OR received_at >= $4) AND ($5::timestamptz IS NULL OR received_at < $5)`;
    const params = [filter.reason ?? null, filter.source ?? null, filter.deviceId ?? null, filter.from ?? null, filter.to ?? null];
    const [rows, [{ total }]] = await Promise.all([
      this.dataSource.query<
        {
          id: string;
          transport: DeadLetterListItem['transport'];
          source: string;
          topic: string;
          reason: string;
          detail: string;
          device_id: string | null;
          received_at: Date;
          replay_started_at: Date | null;
          replayed_at: Date | null;
          replayed_by: string | null;
          replay_outcome: Record<string, unknown> | null;
          payload_bytes: number;
          payload_head: Buffer;
        }[]
      >(
        `SELECT id::text AS id, transport, source, topic, reason, detail, device_id, received_at, replay_started_at, replayed_at, replayed_by, replay_outcome,
                octet_length(payload) AS payload_bytes, substring(payload FROM 1 FOR $8) AS payload_head
           FROM dead_letters WHERE ${where}
          ORDER BY received_at DESC, id DESC LIMIT $6 OFFSET $7`,
        [...params, page.limit, page.offset, DEAD_LETTER_VIEW_MAX_BYTES],
      ),
      this.dataSource.query<{ total: number }[]>(`SELECT count(*)::int AS total FROM dead_letters WHERE ${where}`, params),
    ]);
    return {
      total,
      items: rows.map((r) => ({
        id: r.id,
        transport: r.transport,
        source: r.source,
        topic: r.topic,
        reason: r.reason,
        detail: r.detail,
        deviceId: r.device_id,
        receivedAt: new Date(r.received_at),
        ...payloadView(r.payload_head, Number(r.payload_bytes)),
        replay: {
          state: r.replayed_at ? 'replayed' : r.replay_started_at ? 'replaying' : 'not-replayed',
          startedAt: r.replay_started_at ? new Date(r.replay_started_at) : null,
          replayedAt: r.replayed_at ? new Date(r.replayed_at) : null,
          by: r.replayed_by,
          outcome: r.replay_outcome,
        },
      })),
    };
  }

  /** How many dead letters match, per reason (most first). */
  async countByReason(filter: DeadLetterListFilter): Promise<{ reason: string; count: number }[]> {
    return this.dataSource.query(
      `SELECT reason, count(*)::int AS count FROM dead_letters
        WHERE ($1::text IS NULL OR reason = $1) AND ($2::text IS NULL OR source = $2) AND ($3::text IS NULL OR device_id = $3)
          AND ($4::timestamptz IS NULL OR received_at >= $4) AND ($5::timestamptz IS NULL OR received_at < $5)
        GROUP BY reason ORDER BY count DESC, reason`,
      [filter.reason ?? null, filter.source ?? null, filter.deviceId ?? null, filter.from ?? null, filter.to ?? null],
    );
  }

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
      authenticated_device_id: string | null;
      payload: Buffer;
      received_at: Date;
    }[] = await this.dataSource.query(
      // A CTE so the driver hands back the rows (a bare UPDATE answers with a row count). The locked ids are taken
      // once, as an array (an init plan): joined as a subquery, the planner may run it again for every row it
      // scans (when statistics say the table is empty), each run locking more rows, so more than $3 were claimed.
      `WITH claimed AS (
           UPDATE dead_letters d SET replay_started_at = now(), replayed_by = $4
            WHERE d.id = ANY (ARRAY(SELECT id FROM dead_letters
                    WHERE reason = $1 AND replayed_at IS NULL AND ($2::text IS NULL OR device_id = $2)
                      AND (replay_started_at IS NULL OR replay_started_at < now() - make_interval(secs => $5))
                    ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED))
          RETURNING d.id, d.transport, d.source, d.topic, d.device_id, d.authenticated_device_id, d.payload, d.received_at)
         SELECT id::text AS id, transport, source, topic, device_id, authenticated_device_id, payload, received_at FROM claimed ORDER BY claimed.id`,
      [filter.reason, filter.deviceId ?? null, filter.limit, by, filter.staleAfterSeconds],
    );
    // In the order they were kept aside.
    return rows.map((r) => ({
      id: r.id,
      transport: r.transport,
      source: r.source,
      topic: r.topic,
      deviceId: r.device_id,
      authenticatedDeviceId: r.authenticated_device_id,
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
