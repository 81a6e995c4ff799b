import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { CanonicalEvent } from '@app/domain';

export interface DeadLetterRow {
  transport: 'mqtt' | 'kafka' | 'http';
  source: string;
  topic: string;
  reason: string;
  detail: string;
  deviceId?: string;
  payload: Buffer;
}

export interface CaseUpsertRow {
  identityKey: string;
  identity: Record<string, string>;
  categoryCode: string;
  severity: string;
  townshipCode?: string;
  gridCode?: string;
  placeId?: string;
  handlingUnit?: string;
  heldReason?: string;
  officer?: { id: string; name: string };
  deviceId: string;
  lat?: number;
  lng?: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  latestEventId: string;
  ruleId: string;
  ruleVersion: number;
  explanation: Record<string, unknown>;
  /** Every stored event that this upsert adds as an occurrence. */
  events: { id: string; occurredAt: Date }[];
}

export interface CaseUpsertResult {
  caseId: string;
  identityKey: string;
  opened: boolean;
}

export const ALERT_CHANNEL = 'cloudpatrol_alerts';

/**
 * The hot path: explicit batched SQL, one statement per table per batch (unnest), inside one
 * transaction whose commit is what lets the transport acknowledge.
 */
@Injectable()
export class IngestRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Inserts new events; a (source, source_event_id) already stored is skipped. Returns the ids of rows inserted, by input index. */
  async insertEvents(tx: EntityManager, events: CanonicalEvent[]): Promise<Map<number, string>> {
    const inserted = new Map<number, string>();
    if (events.length === 0) return inserted;
    const rows: { id: string; source: string; source_event_id: string }[] = await tx.query(
      `INSERT INTO events (source, source_event_id, source_kind, device_id, occurred_at, lat, lng, zones, detections, media, attributes, phase, raw_payload)
       SELECT t.source, t.source_event_id, t.source_kind, t.device_id, t.occurred_at, t.lat, t.lng, t.zones::jsonb, t.detections::jsonb, t.media::jsonb, t.attributes::jsonb, t.phase, t.raw_payload
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::float8[], $7::float8[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
              WITH ORDINALITY AS t(source, source_event_id, source_kind, device_id, occurred_at, lat, lng, zones, detections, media, attributes, phase, raw_payload, ord)
        ORDER BY t.ord
       ON CONFLICT (source, source_event_id) DO NOTHING
       RETURNING id, source, source_event_id`,
      [
        events.map((e) => e.source),
        events.map((e) => e.eventId),
        events.map((e) => e.sourceKind),
        events.map((e) => e.deviceId),
        events.map((e) => e.occurredAt.toISOString()),
        events.map((e) => e.location?.lat ?? null),
        events.map((e) => e.location?.lng ?? null),
        events.map((e) => JSON.stringify(e.zones)),
        events.map((e) => JSON.stringify(e.detections)),
        events.map((e) => JSON.stringify(e.media)),
        events.map((e) => JSON.stringify(e.attributes)),
        events.map((e) => e.phase ?? null),
        events.map((e) => e.raw),
      ],
    );
    // The first occurrence of a key in the batch is the one stored; later copies are duplicates.
    const indexOf = new Map<string, number>();
    events.forEach((e, i) => {
      const key = `${e.source}\u0000${e.eventId}`;
      if (!indexOf.has(key)) indexOf.set(key, i);
    });
    for (const r of rows) inserted.set(indexOf.get(`${r.source}\u0000${r.source_event_id}`) as number, String(r.id));
    return inserted;
  }

  /**
   * Opens a case per new identity, or adds occurrences to the open case with that identity.
   * The partial unique index on open identities makes this safe with several workers; rows are
   * sorted by identity so two batches lock in the same order and never deadlock.
   */
  async upsertCases(tx: EntityManager, rows: CaseUpsertRow[]): Promise<CaseUpsertResult[]> {
    if (rows.length === 0) return [];
    const sorted = [...rows].sort((a, b) => (a.identityKey < b.identityKey ? -1 : a.identityKey > b.identityKey ? 1 : 0));
    const results: { id: string; identity_key: string; opened: boolean }[] = await tx.query(
      `INSERT INTO cases (case_number, category_code, status, identity_key, identity, severity, township_code, grid_code, place_id,
                          handling_unit, held_reason, officer, device_id, lat, lng, first_seen_at, last_seen_at, occurrence_count,
                          latest_event_id, rule_id, rule_version, explanation, origin)
       SELECT 'CP-' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' || lpad(nextval('case_number_seq')::text, 6, '0'),
              t.category_code, 'detected', t.identity_key, t.identity::jsonb, t.severity, t.township_code, t.grid_code, t.place_id,
              t.handling_unit, t.held_reason, t.officer::jsonb, t.device_id, t.lat, t.lng, t.first_seen_at, t.last_seen_at, t.occurrence_count,
              t.latest_event_id, t.rule_id, t.rule_version, t.explanation::jsonb, 'machine'
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                     $11::text[], $12::float8[], $13::float8[], $14::timestamptz[], $15::timestamptz[], $16::int[], $17::bigint[], $18::text[], $19::int[], $20::text[])
              WITH ORDINALITY AS t(category_code, identity_key, identity, severity, township_code, grid_code, place_id, handling_unit, held_reason, officer,
                                   device_id, lat, lng, first_seen_at, last_seen_at, occurrence_count, latest_event_id, rule_id, rule_version, explanation, ord)
        ORDER BY t.ord
       ON CONFLICT (identity_key) WHERE grouping_open DO UPDATE SET
              occurrence_count = cases.occurrence_count + EXCLUDED.occurrence_count,
              first_seen_at = LEAST(cases.first_seen_at, EXCLUDED.first_seen_at),
              last_seen_at = GREATEST(cases.last_seen_at, EXCLUDED.last_seen_at),
              latest_event_id = CASE WHEN EXCLUDED.last_seen_at >= cases.last_seen_at THEN EXCLUDED.latest_event_id ELSE cases.latest_event_id END,
              updated_at = now()
       RETURNING id, identity_key, (xmax = 0) AS opened`,
      [
        sorted.map((r) => r.categoryCode),
        sorted.map((r) => r.identityKey),
        sorted.map((r) => JSON.stringify(r.identity)),
        sorted.map((r) => r.severity),
        sorted.map((r) => r.townshipCode ?? null),
        sorted.map((r) => r.gridCode ?? null),
        sorted.map((r) => r.placeId ?? null),
        sorted.map((r) => r.handlingUnit ?? null),
        sorted.map((r) => r.heldReason ?? null),
        sorted.map((r) => (r.officer ? JSON.stringify(r.officer) : null)),
        sorted.map((r) => r.deviceId),
        sorted.map((r) => r.lat ?? null),
        sorted.map((r) => r.lng ?? null),
        sorted.map((r) => r.firstSeenAt.toISOString()),
        sorted.map((r) => r.lastSeenAt.toISOString()),
        sorted.map((r) => r.events.length),
        sorted.map((r) => r.latestEventId),
        sorted.map((r) => r.ruleId),
        sorted.map((r) => r.ruleVersion),
        sorted.map((r) => JSON.stringify(r.explanation)),
      ],
    );
    const byKey = new Map(results.map((r) => [r.identity_key, r]));
    const caseIds: string[] = [];
    const eventIds: string[] = [];
    const occurredAts: string[] = [];
    for (const row of sorted) {
      const result = byKey.get(row.identityKey);
      if (!result) continue;
      for (const e of row.events) {
        caseIds.push(result.id);
        eventIds.push(e.id);
        occurredAts.push(e.occurredAt.toISOString());
      }
    }
    await tx.query(
      `INSERT INTO case_occurrences (case_id, event_id, occurred_at)
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[]) ON CONFLICT DO NOTHING`,
      [caseIds, eventIds, occurredAts],
    );
    return results.map((r) => ({ caseId: r.id, identityKey: r.identity_key, opened: r.opened }));
  }

  async insertDeadLetters(tx: EntityManager, rows: DeadLetterRow[]): Promise<void> {
    if (rows.length === 0) return;
    await tx.query(
      `INSERT INTO dead_letters (transport, source, topic, reason, detail, device_id, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[])`,
      [
        rows.map((r) => r.transport),
        rows.map((r) => r.source),
        rows.map((r) => r.topic),
        rows.map((r) => r.reason),
        rows.map((r) => r.detail),
        rows.map((r) => r.deviceId ?? null),
        rows.map((r) => r.payload),
      ],
    );
  }

  /** Delivered to listeners only when the transaction commits, so an alert never names an unsaved case. */
  async notifyAlerts(tx: EntityManager, payloads: object[]): Promise<void> {
    if (payloads.length === 0) return;
    await tx.query(`SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, [ALERT_CHANNEL, payloads.map((p) => JSON.stringify(p))]);
  }
}
