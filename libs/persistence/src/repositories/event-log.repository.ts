import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Characters of an event's raw payload in a list answer (the whole payload stays in the table). */
export const EVENT_LOG_PAYLOAD_MAX_CHARS = 16 * 1024;

export interface EventLogFilter {
  deviceId?: string;
  /** occurred at or after (source time) */
  from?: Date;
  /** occurred before */
  to?: Date;
  /** text in the raw payload or the source's event id (case-insensitive) */
  q?: string;
}

/** A case an event became part of. `opened`: the event is the case's first occurrence. */
export interface EventCaseRef {
  id: string;
  caseNumber: string;
  status: string;
  categoryCode: string;
  opened: boolean;
}

/**
 * A suppression tally the event belongs to. Suppressions are counted per reason and identity (one row for a
 * silenced site), not per event: `exact` when the event is the tally's latest, else the event is in the tally's
 * time span for its device and in no case (`span`).
 */
export interface EventSuppressionRef {
  reason: string;
  detail: string;
  categoryCode: string;
  count: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  matchedBy: 'latest' | 'span';
}

export interface EventLogRow {
  id: string;
  source: string;
  sourceEventId: string;
  sourceKind: string;
  deviceId: string;
  occurredAt: Date;
  receivedAt: Date;
  location: { lat: number; lng: number } | null;
  zones: string[];
  rawPayload: string;
  rawPayloadChars: number;
  cases: EventCaseRef[];
  suppressions: EventSuppressionRef[];
}

interface Row {
  id: string;
  source: string;
  source_event_id: string;
  source_kind: string;
  device_id: string;
  occurred_at: Date;
  received_at: Date;
  lat: number | null;
  lng: number | null;
  zones: string[];
  raw_head: string;
  raw_chars: number;
  cases: { id: string; case_number: string; status: string; category_code: string; opened: boolean }[];
  suppressions: { reason: string; detail: string; category_code: string; count: number; first_seen_at: string; last_seen_at: string; latest: boolean }[];
}

/** What devices sent (stored events) and what became of each: read-only, for integrators. */
@Injectable()
export class EventLogRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Newest first (source time), with the exact count of all that match. The outcome is read per page: the cases
   * through case_occurrences (indexed by event), the suppression tallies of the event's device.
   */
  async list(filter: EventLogFilter, page: { limit: number; offset: number }): Promise<{ items: EventLogRow[]; total: number }> {
    const like = filter.q === undefined ? null : `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const where = `($1::text IS NULL OR e.device_id = $1) AND ($2::timestamptz IS NULL OR e.occurred_at >= $2) AND ($3::timestamptz IS NULL OR e.occurred_at < $3)
                   AND ($4::text IS NULL OR e.raw_payload ILIKE $4 OR e.source_event_id ILIKE $4)`;
    const params = [filter.deviceId ?? null, filter.from ?? null, filter.to ?? null, like];
    const [rows, [{ total }]] = await Promise.all([
      this.dataSource.query<Row[]>(
        `WITH page AS (
           SELECT e.id, e.source, e.source_event_id, e.source_kind, e.device_id, e.occurred_at, e.received_at, e.lat, e.lng, e.zones,
                  left(e.raw_payload, $7) AS raw_head, char_length(e.raw_payload) AS raw_chars
             FROM events e WHERE ${where}
            ORDER BY e.occurred_at DESC, e.id DESC LIMIT $5 OFFSET $6)
         SELECT p.id::text AS id, p.source, p.source_event_id, p.source_kind, p.device_id, p.occurred_at, p.received_at, p.lat, p.lng, p.zones, p.raw_head, p.raw_chars,
                coalesce((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'case_number', c.case_number, 'status', c.status, 'category_code', c.category_code,
                                                              'opened', NOT EXISTS (SELECT 1 FROM case_occurrences f WHERE f.case_id = c.id AND f.event_id < p.id))
                                           ORDER BY c.case_number)
                            FROM case_occurrences o JOIN cases c ON c.id = o.case_id WHERE o.event_id = p.id), '[]'::jsonb) AS cases,
                coalesce((SELECT jsonb_agg(jsonb_build_object('reason', s.reason, 'detail', s.detail, 'category_code', s.category_code, 'count', s.count,
                                                              'first_seen_at', s.first_seen_at, 'last_seen_at', s.last_seen_at, 'latest', s.latest_event_id = p.id)
                                           ORDER BY s.id)
                            FROM suppressions s
                           WHERE s.latest_event_id = p.id
                              OR (s.device_id = p.device_id AND p.occurred_at BETWEEN s.first_seen_at AND s.last_seen_at
                                  AND NOT EXISTS (SELECT 1 FROM case_occurrences o2 WHERE o2.event_id = p.id))), '[]'::jsonb) AS suppressions
           FROM page p ORDER BY p.occurred_at DESC, p.id DESC`,
        [...params, page.limit, page.offset, EVENT_LOG_PAYLOAD_MAX_CHARS],
      ),
      this.dataSource.query<{ total: number }[]>(`SELECT count(*)::int AS total FROM events e WHERE ${where}`, params),
    ]);
    return {
      total,
      items: rows.map((r) => ({
        id: r.id,
        source: r.source,
        sourceEventId: r.source_event_id,
        sourceKind: r.source_kind,
        deviceId: r.device_id,
        occurredAt: new Date(r.occurred_at),
        receivedAt: new Date(r.received_at),
        location: r.lat !== null && r.lng !== null ? { lat: r.lat, lng: r.lng } : null,
        zones: r.zones,
        rawPayload: r.raw_head,
        rawPayloadChars: Number(r.raw_chars),
        cases: r.cases.map((c) => ({ id: c.id, caseNumber: c.case_number, status: c.status, categoryCode: c.category_code, opened: c.opened })),
        suppressions: r.suppressions.map((s) => ({
          reason: s.reason,
          detail: s.detail,
          categoryCode: s.category_code,
          count: s.count,
          firstSeenAt: new Date(s.first_seen_at),
          lastSeenAt: new Date(s.last_seen_at),
          matchedBy: s.latest ? 'latest' : 'span',
        })),
      })),
    };
  }
}
