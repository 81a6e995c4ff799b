import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CASE_EVENTS_SQL, CASES_EVENTS_SQL } from './case-events.sql';

/** An event not yet sealed, with its payload hash computed by the database. */
export interface UnsealedEventRow {
  eventId: string;
  deviceId: string;
  /** What tells a picture reference from a plain one (libs/domain/src/evidence/picture-requests.ts). */
  source: string;
  sourceEventId: string;
  attributes: Record<string, string | number | boolean>;
  detections: { label: string; confidence: number; trackId?: string }[];
  sha256: string;
  media: { kind: string; uri: string; sha256?: string }[];
  /** The device had passed legal and technical review (art. 41). */
  deviceReviewed: boolean;
}

export interface EvidenceItemRow {
  itemKey: string;
  kind: 'event' | 'media' | 'image' | 'after-photo';
  eventId: string | null;
  caseId: string | null;
  deviceId: string | null;
  uri: string | null;
  sha256: string | null;
  bytes: number | null;
  local: boolean;
  usableAsPenaltyEvidence: boolean | null;
  sealedAt: Date;
  auditSeq: number;
}

const UNSEALED_COLUMNS = `e.id::text AS "eventId", e.device_id AS "deviceId", e.source, e.source_event_id AS "sourceEventId", e.attributes, e.detections, encode(sha256(convert_to(e.raw_payload, 'UTF8')), 'hex') AS sha256, e.media,
  COALESCE(d.legal_review_passed AND d.technical_review_passed, false) AS "deviceReviewed"`;

/** A case's items: those of its events and dwell proof (by event, through the index) and its own (after-photos). */
const CASE_ITEMS = `SELECT x.* FROM evidence_items x JOIN case_occurrences o ON o.event_id = x.event_id WHERE o.case_id = $1
   UNION SELECT x.* FROM evidence_items x JOIN case_dwell_proof d ON d.event_id = x.event_id WHERE d.case_id = $1
   UNION SELECT x.* FROM evidence_items x WHERE x.case_id = $1
   ORDER BY id`;

/** An event of a case as its evidence view needs it. */
export interface CaseEvidenceEventRow {
  eventId: string;
  source: string;
  deviceId: string;
  occurredAt: Date;
  /** occurrence | first | sample */
  role: string;
  /** Where its position came from: event (GPS, the source's own), device (the register), none. */
  positionSource: 'event' | 'device' | 'none';
  deviceReviewed: boolean;
}

/** Appends `value` to the list kept under `key`, starting the list when there is none. */
function addTo<K, V>(lists: Map<K, V[]>, key: K, value: V): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}

/**
 * Sealed evidence (evidence_items). Callers hold the audit chain lock while they look for unsealed events
 * and insert their items, so two sealers never seal the same event.
 */
@Injectable()
export class EvidenceRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Takes up to `limit` events off the sealing queue, oldest first, and returns those not sealed yet (an event
   * of a case that was opened or reviewed meanwhile is sealed already). Inside the sealing transaction: if it
   * rolls back, the events stay queued. `taken` tells the caller whether more may be waiting.
   */
  async takeUnsealedEvents(tx: EntityManager, limit: number): Promise<{ taken: number; rows: UnsealedEventRow[] }> {
    // A CTE around DELETE … RETURNING: TypeORM answers a bare one with [rows, count]. The locked ids are taken
    // once, as an array (an init plan): written `IN (SELECT … LIMIT … FOR UPDATE SKIP LOCKED)`, the planner may
    // run the subquery again for every queued row (a semi join, when statistics say the queue is empty, as right
    // after a burst was sealed), each run locking the next rows: it took the whole queue, not `limit`, in seconds.
    const taken: { id: string }[] = await tx.query(
      `WITH taken AS (
         DELETE FROM evidence_queue
          WHERE event_id = ANY (ARRAY(SELECT event_id FROM evidence_queue ORDER BY event_id LIMIT $1 FOR UPDATE SKIP LOCKED))
         RETURNING event_id)
       SELECT event_id::text AS id FROM taken`,
      [limit],
    );
    if (taken.length === 0) return { taken: 0, rows: [] };
    const rows: UnsealedEventRow[] = await tx.query(
      `SELECT ${UNSEALED_COLUMNS}
         FROM events e LEFT JOIN devices d ON d.id = e.device_id
        WHERE e.id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM evidence_items x WHERE x.item_key = 'event:' || e.id::text)
        ORDER BY e.id`,
      [taken.map((t) => t.id)],
    );
    return { taken: taken.length, rows };
  }

  async unsealedEventsOfCase(tx: EntityManager, caseId: string): Promise<UnsealedEventRow[]> {
    return tx.query(
      `SELECT ${UNSEALED_COLUMNS}
         FROM (${CASE_EVENTS_SQL}) o
         JOIN events e ON e.id = o.event_id LEFT JOIN devices d ON d.id = e.device_id
        WHERE NOT EXISTS (SELECT 1 FROM evidence_items x WHERE x.item_key = 'event:' || e.id::text)
        ORDER BY e.id`,
      [caseId],
    );
  }

  /**
   * The events of these cases (occurrences and dwell proof), each with the cases it belongs to, through the case
   * index: read once per intake round for the two batch reads below. They name the event ids, so they are planned
   * for the events really asked for (a new case has one or two), not for the average case's dozens, which made a
   * parallel hash join over every event (60-110 ms per intake round at the bench's fixed load instead of a few ms).
   */
  async casesOfEvents(tx: EntityManager, caseIds: readonly string[]): Promise<Map<string, string[]>> {
    const casesOfEvent = new Map<string, string[]>();
    if (caseIds.length === 0) return casesOfEvent;
    const pairs: { caseId: string; eventId: string }[] = await tx.query(
      `SELECT o.case_id::text AS "caseId", o.event_id::text AS "eventId" FROM (${CASES_EVENTS_SQL}) o`,
      [caseIds],
    );
    for (const { caseId, eventId } of pairs) addTo(casesOfEvent, eventId, caseId);
    return casesOfEvent;
  }

  /** `unsealedEventsOfCase` for many cases (their events from `casesOfEvents`): each case's events in id order, by case. */
  async unsealedEventsOfCases(tx: EntityManager, casesOfEvent: ReadonlyMap<string, readonly string[]>): Promise<Map<string, UnsealedEventRow[]>> {
    const out = new Map<string, UnsealedEventRow[]>();
    if (casesOfEvent.size === 0) return out;
    const rows: UnsealedEventRow[] = await tx.query(
      `SELECT ${UNSEALED_COLUMNS}
         FROM events e LEFT JOIN devices d ON d.id = e.device_id
        WHERE e.id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM evidence_items x WHERE x.item_key = 'event:' || e.id::text)
        ORDER BY e.id`,
      [[...casesOfEvent.keys()]],
    );
    for (const row of rows) for (const caseId of casesOfEvent.get(row.eventId) ?? []) addTo(out, caseId, row);
    return out;
  }

  /** The events of a case, its occurrences and its dwell proof, oldest first. */
  async eventsOfCase(caseId: string): Promise<CaseEvidenceEventRow[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT e.id::text AS "eventId", e.source, e.device_id AS "deviceId", e.occurred_at AS "occurredAt", ce.role,
              e.attributes->>'positionSource' AS "positionSource", e.lat IS NOT NULL AS "hasLocation",
              COALESCE(d.legal_review_passed AND d.technical_review_passed, false) AS "deviceReviewed"
         FROM (${CASE_EVENTS_SQL}) ce
         JOIN events e ON e.id = ce.event_id LEFT JOIN devices d ON d.id = e.device_id
        ORDER BY e.occurred_at, e.id`,
      [caseId],
    );
    return rows.map((r) => ({
      eventId: String(r.eventId),
      source: String(r.source),
      deviceId: String(r.deviceId),
      occurredAt: r.occurredAt as Date,
      role: String(r.role),
      // Events stored before positions were attributed: a stored position is taken as the event's own.
      positionSource:
        r.positionSource === 'event' || r.positionSource === 'device' || r.positionSource === 'none' ? r.positionSource : r.hasLocation ? 'event' : 'none',
      deviceReviewed: Boolean(r.deviceReviewed),
    }));
  }

  /** Items already sealed for a case's events (payloads and their media). */
  async sealedItemsOfCase(tx: EntityManager, caseId: string): Promise<EvidenceItemRow[]> {
    return this.mapItems(await tx.query(CASE_ITEMS, [caseId]));
  }

  /** `sealedItemsOfCase` for many cases (their events from `casesOfEvents`): each case's items (of its events, and its own) in id order, by case. */
  async sealedItemsOfCases(
    tx: EntityManager,
    caseIds: readonly string[],
    casesOfEvent: ReadonlyMap<string, readonly string[]>,
  ): Promise<Map<string, EvidenceItemRow[]>> {
    const out = new Map<string, EvidenceItemRow[]>();
    if (caseIds.length === 0) return out;
    const rows: Record<string, unknown>[] = await tx.query(
      `SELECT x.* FROM evidence_items x WHERE x.event_id = ANY($1::bigint[])
       UNION SELECT x.* FROM evidence_items x WHERE x.case_id = ANY($2::uuid[])
       ORDER BY id`,
      [[...casesOfEvent.keys()], caseIds],
    );
    const asked = new Set(caseIds);
    for (const item of this.mapItems(rows)) {
      const owners = new Set(item.eventId === null ? [] : (casesOfEvent.get(item.eventId) ?? []));
      if (item.caseId !== null && asked.has(item.caseId)) owners.add(item.caseId);
      for (const owner of owners) addTo(out, owner, item);
    }
    return out;
  }

  async insertItems(tx: EntityManager, items: EvidenceItemRow[]): Promise<void> {
    if (items.length === 0) return;
    // One JSON document, not twelve arrays: the sealer writes one row per stored event, and pg's quoting of array
    // elements allocated several strings per value (as for the events themselves, ingest.repository.ts).
    await tx.query(
      `INSERT INTO evidence_items (item_key, kind, event_id, case_id, device_id, uri, sha256, bytes, local, usable_as_penalty_evidence, sealed_at, audit_seq)
       SELECT t.item_key, t.kind, t.event_id, t.case_id, t.device_id, t.uri, t.sha256, t.bytes, t.local, t.usable_as_penalty_evidence, t.sealed_at, t.audit_seq
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (item_key text, kind text, event_id bigint, case_id uuid, device_id text, uri text, sha256 text, bytes bigint,
                                                          local boolean, usable_as_penalty_evidence boolean, sealed_at timestamptz, audit_seq bigint))
              WITH ORDINALITY AS t(item_key, kind, event_id, case_id, device_id, uri, sha256, bytes, local, usable_as_penalty_evidence, sealed_at, audit_seq, ord)
        ORDER BY t.ord`,
      [
        JSON.stringify(
          items.map((i) => ({
            item_key: i.itemKey,
            kind: i.kind,
            event_id: i.eventId,
            case_id: i.caseId,
            device_id: i.deviceId,
            uri: i.uri,
            sha256: i.sha256,
            bytes: i.bytes,
            local: i.local,
            usable_as_penalty_evidence: i.usableAsPenaltyEvidence,
            sealed_at: i.sealedAt.toISOString(),
            audit_seq: i.auditSeq,
          })),
        ),
      ],
    );
  }

  async itemsOfCase(caseId: string): Promise<EvidenceItemRow[]> {
    return this.mapItems(await this.dataSource.query(CASE_ITEMS, [caseId]));
  }

  private mapItems(rows: Record<string, unknown>[]): EvidenceItemRow[] {
    return rows.map((r) => ({
      itemKey: String(r.item_key),
      kind: r.kind as EvidenceItemRow['kind'],
      eventId: r.event_id === null ? null : String(r.event_id as string),
      caseId: (r.case_id as string | null) ?? null,
      deviceId: (r.device_id as string | null) ?? null,
      uri: (r.uri as string | null) ?? null,
      sha256: (r.sha256 as string | null) ?? null,
      bytes: r.bytes === null ? null : Number(r.bytes),
      local: Boolean(r.local),
      usableAsPenaltyEvidence: (r.usable_as_penalty_evidence as boolean | null) ?? null,
      sealedAt: r.sealed_at as Date,
      auditSeq: Number(r.audit_seq),
    }));
  }
}
