import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { foldCaseGroupings, isoInstant } from '@app/domain';
import type { CanonicalEvent, CaseGrouping } from '@app/domain';
import { insertDeadLetterRowsStep } from './dead-letter.repository';
import { EventsDocument } from './events-document';
import { jsonbArray } from './jsonb-document';
import { PreparedStatement, runInOrder, runPrepared, type SqlStep } from './prepared-statement';
import { plainArrayLiteral } from './sql-array';

export interface DeadLetterRow {
  transport: 'mqtt' | 'kafka' | 'http';
  source: string;
  topic: string;
  reason: string;
  detail: string;
  deviceId?: string;
  /** The device the transport authenticated, when one did (a replay holds the message to it again). */
  authenticatedDeviceId?: string;
  payload: Buffer;
}

/** One issue (or several of one identity) to add to its open case, or to open a case with (grouping's output). */
export type CaseUpsertRow = CaseGrouping;

export interface CaseUpsertResult {
  caseId: string;
  identityKey: string;
  opened: boolean;
}

export interface CaseUpsert {
  cases: CaseUpsertResult[];
  /**
   * The statement to send next, first of the transaction's last steps: the opened cases' numbers, every case's
   * occurrences and `alerts`, notified on `ALERT_CHANNEL` when the transaction commits.
   */
  readonly recordGrowth: (alerts: readonly object[]) => SqlStep | undefined;
}

export const ALERT_CHANNEL = 'cloudpatrol_alerts';

/** Events per slice of the insert's document (see insertEvents). */
const DOCUMENT_SLICE = 250;
/** Guesses at a document's bytes per row (the bench stream: ~1,500 per case). */
const CASE_ROW_BYTES = 2048;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// The statements of every ingest batch, prepared once per connection (see PreparedStatement).
const INSERT_EVENTS = new PreparedStatement(
  'cp_insert_events',
  `INSERT INTO events (source, source_event_id, source_kind, device_id, occurred_at, lat, lng, zones, detections, media, attributes, phase, raw_payload)
       SELECT r->>0, r->>1, r->>2, r->>3, (r->>4)::timestamptz, (r->>5)::float8, (r->>6)::float8, r->7, r->8, r->9, r->10, r->>11,
              convert_from(substring($2::bytea FROM (r->>12)::int FOR (r->>13)::int), 'UTF8')
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, ord)
        ORDER BY t.ord
       ON CONFLICT (source, device_id, source_event_id, occurred_at) DO NOTHING
       RETURNING id, source, device_id, source_event_id, round(extract(epoch FROM occurred_at) * 1000)::bigint::text AS occurred_ms`,
);
const UPSERT_CASES = new PreparedStatement(
  'cp_upsert_cases',
  `WITH pinned AS (SELECT DISTINCT ON (version) version, sha256 FROM rule_set_activations WHERE version = ANY($2::int[]) ORDER BY version, id DESC)
       INSERT INTO cases (case_number, category_code, status, identity_key, identity, severity, township_code, grid_code, place_id,
                          handling_unit, held_reason, officer, device_id, lat, lng, first_seen_at, last_seen_at, occurrence_count,
                          latest_event_id, rule_id, rule_version, rule_set_sha256, explanation, origin)
       SELECT 'unnumbered:' || gen_random_uuid(),
              t.category_code, 'detected', t.identity_key, t.identity, t.severity, t.township_code, t.grid_code, t.place_id,
              t.handling_unit, t.held_reason, t.officer, t.device_id, t.lat, t.lng, t.first_seen_at, t.last_seen_at, t.occurrence_count,
              t.latest_event_id, t.rule_id, t.rule_version, pinned.sha256, t.explanation, 'machine'
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (category_code text, identity_key text, identity jsonb, severity text, township_code text, grid_code text,
                                                          place_id text, handling_unit text, held_reason text, officer jsonb, device_id text, lat float8, lng float8,
                                                          first_seen_at timestamptz, last_seen_at timestamptz, occurrence_count int, latest_event_id bigint,
                                                          rule_id text, rule_version int, explanation jsonb))
              WITH ORDINALITY AS t(category_code, identity_key, identity, severity, township_code, grid_code, place_id, handling_unit, held_reason, officer,
                                   device_id, lat, lng, first_seen_at, last_seen_at, occurrence_count, latest_event_id, rule_id, rule_version, explanation, ord)
         LEFT JOIN pinned ON pinned.version = t.rule_version
        ORDER BY t.ord
       ON CONFLICT (identity_key) WHERE grouping_open DO UPDATE SET
              occurrence_count = cases.occurrence_count + EXCLUDED.occurrence_count,
              first_seen_at = LEAST(cases.first_seen_at, EXCLUDED.first_seen_at),
              last_seen_at = GREATEST(cases.last_seen_at, EXCLUDED.last_seen_at),
              latest_event_id = CASE WHEN EXCLUDED.last_seen_at >= cases.last_seen_at THEN EXCLUDED.latest_event_id ELSE cases.latest_event_id END,
              updated_at = now()
       RETURNING id, identity_key, (xmax = 0) AS opened`,
);
/**
 * What follows a batch's case upsert, in one statement: the opened cases numbered CP-<local day>-<000001..> in order of
 * first detection from the day's counter (UTC+8, the same day boundary as ever; the counter row is touched only when
 * a case opened), every case's occurrences, and the live alerts, delivered when the transaction commits. Each part
 * writes its own table and none reads what another writes, so they may run in any order within the statement.
 */
const RECORD_CASE_GROWTH = new PreparedStatement(
  'cp_record_case_growth',
  `WITH counter AS (INSERT INTO case_number_days (day, last)
                        SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date, cardinality($1::uuid[]) WHERE cardinality($1::uuid[]) > 0
                        ON CONFLICT (day) DO UPDATE SET last = case_number_days.last + EXCLUDED.last RETURNING day, last),
            numbered AS (SELECT o.id, (counter.last - cardinality($1::uuid[]) + o.ord)::text AS n, counter.day
                           FROM unnest($1::uuid[]) WITH ORDINALITY AS o(id, ord), counter),
            named AS (UPDATE cases c SET case_number = 'CP-' || to_char(numbered.day, 'YYYYMMDD') || '-' || lpad(numbered.n, greatest(6, length(numbered.n)), '0')
                        FROM numbered WHERE c.id = numbered.id),
            occurred AS (INSERT INTO case_occurrences (case_id, event_id, occurred_at)
                           SELECT * FROM unnest($2::uuid[], $3::bigint[], $4::timestamptz[]) ON CONFLICT DO NOTHING)
       SELECT count(pg_notify($5, p)) AS notified FROM unnest($6::text[]) AS p`,
);
const NOTIFY_ALERTS = new PreparedStatement('cp_notify_alerts', `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`);

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

  /**
   * Inserts new events; one whose identity (source, device, source_event_id, occurred_at) is already stored is
   * skipped. Returns the ids of rows inserted, by input index.
   */
  async insertEvents(tx: EntityManager, events: CanonicalEvent[]): Promise<Map<number, string>> {
    const inserted = new Map<number, string>();
    if (events.length === 0) return inserted;
    // One JSON document rather than thirteen arrays: JSON.stringify is native, the nested values arrive as jsonb
    // without a second encoding, and pg's array-literal escaping cost twice the CPU (measured, 500-row batches).
    // Built in slices, the event loop turning between them: the batch before this one classifies and commits on
    // this thread meanwhile, and each of its statements should go out as soon as PostgreSQL answers the last.
    // Written event by event as bytes (JsonbArrayWriter): sent as one string, a 3,000-event document cost 25–28 ms to
    // build and encode, against 5–10 ms. The raw payloads go beside it as bytes (EventsDocument).
    const document = new EventsDocument(events.length);
    for (let i = 0; i < events.length; i++) {
      if (i > 0 && i % DOCUMENT_SLICE === 0) await yieldToEventLoop();
      document.add(events[i]);
    }
    const rows = await runPrepared<{ id: string; source: string; device_id: string; source_event_id: string; occurred_ms: string }>(
      tx,
      INSERT_EVENTS,
      document.parameters(),
    );
    // The first occurrence of an identity in the batch is the one stored; later copies are duplicates. Times are
    // compared in epoch milliseconds (what a JS Date holds), never through a driver's date parsing.
    const identity = (source: string, deviceId: string, eventId: string, occurredMs: string) => `${source}\u0000${deviceId}\u0000${eventId}\u0000${occurredMs}`;
    const indexOf = new Map<string, number>();
    events.forEach((e, i) => {
      const key = identity(e.source, e.deviceId, e.eventId, String(e.occurredAt.getTime()));
      if (!indexOf.has(key)) indexOf.set(key, i);
    });
    for (const r of rows) inserted.set(indexOf.get(identity(r.source, r.device_id, r.source_event_id, r.occurred_ms)) as number, String(r.id));
    return inserted;
  }

  /**
   * Opens a case per new identity, or adds occurrences to the open case with that identity.
   * The partial unique index on open identities makes this safe with several workers; rows are
   * sorted by identity so two batches lock in the same order and never deadlock.
   *
   * `sendFirst` goes in the same round trip, ahead of the upsert (`runInOrder`): the batch's other writes that need
   * no answer. What must follow the upsert's answer comes back as `recordGrowth`, one statement for the caller to send first
   * of its last steps. Case numbers are given only to the cases this statement really opened (a detection joining an
   * open case takes none), by raising the day's counter row by that count in this transaction, so a rolled-back batch
   * gives its numbers back and concurrent batches queue on the row (held until commit: take no other lock after it
   * that a batch could hold before it). The rules text is pinned by the newest activation of the row's rule version
   * (one version, one text: RuleSetService refuses anything else).
   */
  async upsertCases(tx: EntityManager, rows: CaseUpsertRow[], sendFirst: readonly (SqlStep | undefined)[] = []): Promise<CaseUpsert> {
    if (rows.length === 0) {
      await runInOrder(tx, sendFirst);
      return { cases: [], recordGrowth: (alerts) => (alerts.length === 0 ? undefined : recordCaseGrowth([], [], [], [], alerts)) };
    }
    const sorted = foldCaseGroupings(rows).sort((a, b) => (a.identityKey < b.identityKey ? -1 : a.identityKey > b.identityKey ? 1 : 0));
    // A placeholder number, unique and never committed: the opened rows are numbered by `recordGrowth`, in this transaction.
    const upsert: SqlStep = {
      statement: UPSERT_CASES,
      values: [
        jsonbArray(
          sorted.map((r) => ({
            category_code: r.categoryCode,
            identity_key: r.identityKey,
            identity: r.identity,
            severity: r.severity,
            township_code: r.townshipCode ?? null,
            grid_code: r.gridCode ?? null,
            place_id: r.placeId ?? null,
            handling_unit: r.handlingUnit ?? null,
            held_reason: r.heldReason ?? null,
            officer: r.officer ?? null,
            device_id: r.deviceId,
            lat: r.lat ?? null,
            lng: r.lng ?? null,
            first_seen_at: r.firstSeenAt.toISOString(),
            last_seen_at: r.lastSeenAt.toISOString(),
            occurrence_count: r.events.length,
            latest_event_id: r.latestEventId,
            rule_id: r.ruleId,
            rule_version: r.ruleVersion,
            explanation: r.explanation,
          })),
          CASE_ROW_BYTES,
        ),
        [...new Set(sorted.map((r) => r.ruleVersion))],
      ],
    };
    const answers = await runInOrder(tx, [...sendFirst, upsert]);
    const results = answers[answers.length - 1] as { id: string; identity_key: string; opened: boolean }[];
    const byKey = new Map(results.map((r) => [r.identity_key, r]));
    // Numbered in order of first detection.
    const opened = sorted
      .flatMap((r) => {
        const result = byKey.get(r.identityKey);
        return result?.opened ? [{ id: result.id, firstSeenAt: r.firstSeenAt }] : [];
      })
      .sort((a, b) => a.firstSeenAt.getTime() - b.firstSeenAt.getTime() || (a.id < b.id ? -1 : 1))
      .map((o) => o.id);
    const caseIds: string[] = [];
    const eventIds: string[] = [];
    const occurredAts: string[] = [];
    for (const row of sorted) {
      const result = byKey.get(row.identityKey);
      if (!result) continue;
      for (const e of row.events) {
        caseIds.push(result.id);
        eventIds.push(e.id);
        occurredAts.push(isoInstant(e.occurredAt));
      }
    }
    return {
      cases: results.map((r) => ({ caseId: r.id, identityKey: r.identity_key, opened: r.opened })),
      recordGrowth: (alerts) => recordCaseGrowth(opened, caseIds, eventIds, occurredAts, alerts),
    };
  }

  /** Sends a group of steps at once, in order (`runInOrder`): one round trip for all of them. */
  async sendInOrder(tx: EntityManager, steps: readonly (SqlStep | undefined)[]): Promise<void> {
    await runInOrder(tx, steps);
  }

  /** Keeps dead letters in the batch's transaction; `kafkaTopic` (Kafka configured): their records go to the outbox too. */
  async insertDeadLetters(tx: EntityManager, rows: DeadLetterRow[], kafkaTopic?: string): Promise<void> {
    await runInOrder(tx, [insertDeadLetterRowsStep(rows, kafkaTopic)]);
  }

  /** `insertDeadLetters` as a step of a group sent at once; nothing when there are no rows. */
  insertDeadLettersStep(rows: DeadLetterRow[], kafkaTopic?: string): SqlStep | undefined {
    return insertDeadLetterRowsStep(rows, kafkaTopic);
  }

  /** Delivered to listeners only when the transaction commits, so an alert never names an unsaved case. */
  async notifyAlerts(tx: EntityManager, payloads: object[]): Promise<void> {
    if (payloads.length === 0) return;
    await runPrepared(tx, NOTIFY_ALERTS, [ALERT_CHANNEL, payloads.map((p) => JSON.stringify(p))]);
  }
}

function recordCaseGrowth(
  openedInOrder: readonly string[],
  caseIds: readonly string[],
  eventIds: readonly string[],
  occurredAts: readonly string[],
  alerts: readonly object[],
): SqlStep {
  return {
    statement: RECORD_CASE_GROWTH,
    values: [
      openedInOrder,
      plainArrayLiteral(caseIds),
      plainArrayLiteral(eventIds),
      plainArrayLiteral(occurredAts),
      ALERT_CHANNEL,
      alerts.map((a) => JSON.stringify(a)),
    ],
  };
}
