import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CASE_EVENTS_SQL, CASES_EVENTS_SQL } from './case-events.sql';
import type { SqlStep } from './prepared-statement';
import { ADVISORY_LOCKS } from '../advisory-locks';

/** A stored picture's catalogue entry (`pictures`). Keys are relative to the photo store. */
export interface PictureRow {
  sha256: string;
  bytes: number;
  format: string;
  width: number;
  height: number;
  originalKey: string;
  thumbKey: string;
  previewKey: string;
  quality: Record<string, unknown>;
  qualityVerdict: string;
  metadata: Record<string, unknown>;
}

/** One picture slot of an event, as the ingest path records it. */
export interface EventPictureInsert {
  eventId: string;
  slot: number;
  origin: string;
  status: 'pending' | 'present' | 'missing';
  sha256: string | null;
  capturedAt: Date;
  matchKey: string | null;
  request: Record<string, unknown>;
  nextAttemptAt: Date | null;
  giveUpAt: Date | null;
  detail: string | null;
}

/** A pending fetch handed to the fetcher (leased: nobody else takes it until `nextAttemptAt`). */
export interface DuePicture {
  id: string;
  eventId: string;
  deviceId: string;
  origin: string;
  request: Record<string, unknown>;
  attempts: number;
  capturedAt: Date;
  giveUpAt: Date | null;
}

export type PictureSettlement =
  | { status: 'present'; sha256: string; origin?: string; detail?: string }
  | { status: 'missing'; detail: string }
  | { status: 'pending'; detail: string; nextAttemptAt: Date };

/** A present picture not sealed yet, with what sealing needs. */
export interface UnsealedPictureRow {
  id: string;
  eventId: string;
  deviceId: string;
  slot: number;
  sha256: string;
  originalKey: string;
  bytes: number;
  deviceReviewed: boolean;
}

/** A picture slot of one of a case's events, with its catalogue entry and what the reviewer must know. */
export interface CasePictureRow {
  id: string;
  eventId: string;
  slot: number;
  origin: string;
  status: 'pending' | 'present' | 'missing';
  sha256: string | null;
  capturedAt: Date;
  detail: string | null;
  attempts: number;
  /** occurrence | first | sample (dwell proof) */
  role: string;
  picture: PictureRow | null;
}

const PICTURE_COLUMNS = `p.sha256, p.bytes, p.format, p.width, p.height, p.original_key AS "originalKey", p.thumb_key AS "thumbKey", p.preview_key AS "previewKey",
  p.quality, p.quality_verdict AS "qualityVerdict", p.metadata`;

/**
 * Pictures as evidence: the catalogue, each event's picture slots, pictures that arrive before their event, and
 * a case's dwell proof. A picture sent separately from its event is linked by a match key under a transaction
 * advisory lock on that key, so an event and its picture stored at the same moment by two transactions always
 * meet: whichever commits second sees the other.
 */
@Injectable()
export class PictureRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async catalogue(rows: readonly PictureRow[], tx: EntityManager | DataSource = this.dataSource): Promise<void> {
    if (rows.length === 0) return;
    await tx.query(
      `INSERT INTO pictures (sha256, bytes, format, width, height, original_key, thumb_key, preview_key, quality, quality_verdict, metadata)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::text[], $11::jsonb[])
       ON CONFLICT (sha256) DO NOTHING`,
      [
        rows.map((r) => r.sha256),
        rows.map((r) => r.bytes),
        rows.map((r) => r.format),
        rows.map((r) => r.width),
        rows.map((r) => r.height),
        rows.map((r) => r.originalKey),
        rows.map((r) => r.thumbKey),
        rows.map((r) => r.previewKey),
        rows.map((r) => JSON.stringify(r.quality)),
        rows.map((r) => r.qualityVerdict),
        rows.map((r) => JSON.stringify(r.metadata)),
      ],
    );
  }

  async find(sha256: string): Promise<PictureRow | undefined> {
    const rows: PictureRow[] = await this.dataSource.query(`SELECT ${PICTURE_COLUMNS} FROM pictures p WHERE p.sha256 = $1`, [sha256]);
    return rows[0] ? mapPicture(rows[0]) : undefined;
  }

  /**
   * The picture slots of events just stored (inside their transaction), then the links to pictures that came
   * before them. A slot already recorded (a redelivered event) is left as it is.
   */
  async insertEventPictures(tx: EntityManager, rows: readonly EventPictureInsert[]): Promise<void> {
    if (rows.length === 0) return;
    await tx.query(
      `INSERT INTO event_pictures (event_id, slot, origin, status, sha256, captured_at, match_key, request, next_attempt_at, give_up_at, detail)
       SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::jsonb[], $9::timestamptz[], $10::timestamptz[], $11::text[])
       ON CONFLICT (event_id, slot) DO NOTHING`,
      [
        rows.map((r) => r.eventId),
        rows.map((r) => r.slot),
        rows.map((r) => r.origin),
        rows.map((r) => r.status),
        rows.map((r) => r.sha256),
        rows.map((r) => r.capturedAt.toISOString()),
        rows.map((r) => r.matchKey),
        rows.map((r) => JSON.stringify(r.request)),
        rows.map((r) => r.nextAttemptAt?.toISOString() ?? null),
        rows.map((r) => r.giveUpAt?.toISOString() ?? null),
        rows.map((r) => r.detail),
      ],
    );
    const keys = [...new Set(rows.map((r) => r.matchKey).filter((k): k is string => k !== null))].sort();
    if (keys.length === 0) return;
    await this.lockKeys(tx, keys);
    await tx.query(
      `UPDATE event_pictures ep
          SET status = CASE WHEN a.sha256 IS NULL THEN 'missing' ELSE 'present' END, sha256 = a.sha256, detail = a.detail, next_attempt_at = NULL, updated_at = now()
         FROM (SELECT DISTINCT ON (match_key) match_key, sha256, detail FROM picture_arrivals WHERE match_key = ANY($1::text[]) ORDER BY match_key, received_at DESC, id DESC) a
        WHERE ep.match_key = a.match_key AND ep.status = 'pending' AND ep.event_id = ANY($2::bigint[])`,
      [keys, [...new Set(rows.filter((r) => r.matchKey !== null).map((r) => r.eventId))]],
    );
  }

  /**
   * A picture sent separately (stored already, or refused with `detail`): links the pending slots waiting for its
   * key, and is kept as an arrival for an event still to come (or, for Frigate's MQTT snapshots, as a fallback).
   * Returns how many slots it completed.
   */
  async arrive(a: {
    matchKey: string;
    origin: string;
    deviceId: string | null;
    sha256: string | null;
    detail: string | null;
    receivedAt: Date;
  }): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      await this.lockKeys(tx, [a.matchKey]);
      await tx.query(`INSERT INTO picture_arrivals (match_key, origin, device_id, sha256, detail, received_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
        a.matchKey,
        a.origin,
        a.deviceId,
        a.sha256,
        a.detail,
        a.receivedAt.toISOString(),
      ]);
      const linked: { id: string }[] = await tx.query(
        `WITH linked AS (
           UPDATE event_pictures SET status = $2, sha256 = $3, detail = $4, next_attempt_at = NULL, updated_at = now()
            WHERE match_key = $1 AND status = 'pending' RETURNING id)
         SELECT id::text AS id FROM linked`,
        [a.matchKey, a.sha256 === null ? 'missing' : 'present', a.sha256, a.detail],
      );
      return linked.length;
    });
  }

  /** The latest picture that arrived under a key within [from, to] (Frigate's MQTT snapshot fallback). */
  async latestArrival(matchKey: string, from: Date, to: Date): Promise<{ sha256: string; receivedAt: Date } | undefined> {
    const rows: { sha256: string; receivedAt: Date }[] = await this.dataSource.query(
      `SELECT sha256, received_at AS "receivedAt" FROM picture_arrivals
        WHERE match_key = $1 AND sha256 IS NOT NULL AND received_at BETWEEN $2 AND $3 ORDER BY received_at DESC, id DESC LIMIT 1`,
      [matchKey, from.toISOString(), to.toISOString()],
    );
    return rows[0];
  }

  /** Leases up to `limit` due fetches until `leaseUntil`, counting the attempt; a crashed fetcher's lease runs out. */
  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<DuePicture[]> {
    return this.dataSource.query(
      `WITH due AS (
         SELECT id FROM event_pictures WHERE status = 'pending' AND next_attempt_at IS NOT NULL AND next_attempt_at <= $1
          ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE event_pictures ep SET next_attempt_at = $2, attempts = ep.attempts + 1, updated_at = now() FROM due WHERE ep.id = due.id
         RETURNING ep.id, ep.event_id, ep.origin, ep.request, ep.attempts, ep.captured_at, ep.give_up_at)
       SELECT c.id::text AS id, c.event_id::text AS "eventId", e.device_id AS "deviceId", c.origin, c.request, c.attempts,
              c.captured_at AS "capturedAt", c.give_up_at AS "giveUpAt"
         FROM claimed c JOIN events e ON e.id = c.event_id ORDER BY c.id`,
      [now.toISOString(), leaseUntil.toISOString(), limit],
    );
  }

  /**
   * Several slots' outcomes in one statement (one commit, not one per slot: a fetcher retrying an NVR that does not
   * answer would otherwise sync the WAL once per slot). Only slots still pending change. A pending outcome keeps the
   * slot pending with its next attempt; present and missing end it.
   */
  async settleMany(settlements: readonly { id: string; outcome: PictureSettlement }[]): Promise<void> {
    if (settlements.length === 0) return;
    const sorted = [...settlements].sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
    await this.dataSource.query(
      `UPDATE event_pictures ep
          SET status = s.status, sha256 = COALESCE(s.sha256, ep.sha256), origin = COALESCE(s.origin, ep.origin), detail = s.detail,
              next_attempt_at = s.next_attempt_at, updated_at = now()
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS s(id, status, sha256, origin, detail, next_attempt_at)
        WHERE ep.id = s.id AND ep.status = 'pending'`,
      [
        sorted.map((s) => s.id),
        sorted.map((s) => s.outcome.status),
        sorted.map((s) => (s.outcome.status === 'present' ? s.outcome.sha256 : null)),
        sorted.map((s) => (s.outcome.status === 'present' ? (s.outcome.origin ?? null) : null)),
        sorted.map((s) => s.outcome.detail ?? null),
        sorted.map((s) => (s.outcome.status === 'pending' ? s.outcome.nextAttemptAt.toISOString() : null)),
      ],
    );
  }

  /** Slots waiting for bytes sent separately that never came: recorded missing, with what was waited for. */
  async expireWaiting(now: Date): Promise<number> {
    const rows: { id: string }[] = await this.dataSource.query(
      `WITH expired AS (
         UPDATE event_pictures SET status = 'missing', updated_at = now(),
                detail = COALESCE(detail || '; ', '') || 'the picture did not arrive by ' || to_char(give_up_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
          WHERE status = 'pending' AND next_attempt_at IS NULL AND give_up_at IS NOT NULL AND give_up_at <= $1 RETURNING id)
       SELECT id::text AS id FROM expired`,
      [now.toISOString()],
    );
    return rows.length;
  }

  /** Present pictures not sealed yet (inside the sealing transaction, which holds the chain lock). */
  async takeUnsealed(tx: EntityManager, limit: number): Promise<UnsealedPictureRow[]> {
    return this.mapUnsealed(
      await tx.query(
        `SELECT ep.id::text AS id, ep.event_id::text AS "eventId", e.device_id AS "deviceId", ep.slot, ep.sha256, p.original_key AS "originalKey", p.bytes,
                COALESCE(d.legal_review_passed AND d.technical_review_passed, false) AS "deviceReviewed"
           FROM event_pictures ep JOIN events e ON e.id = ep.event_id JOIN pictures p ON p.sha256 = ep.sha256 LEFT JOIN devices d ON d.id = e.device_id
          WHERE ep.status = 'present' AND NOT ep.sealed ORDER BY ep.id LIMIT $1 FOR UPDATE OF ep SKIP LOCKED`,
        [limit],
      ),
    );
  }

  /** Present pictures of a case's events (and dwell proof) not sealed yet. */
  async unsealedOfCase(tx: EntityManager, caseId: string): Promise<UnsealedPictureRow[]> {
    return this.mapUnsealed(
      await tx.query(
        `SELECT ep.id::text AS id, ep.event_id::text AS "eventId", e.device_id AS "deviceId", ep.slot, ep.sha256, p.original_key AS "originalKey", p.bytes,
                COALESCE(d.legal_review_passed AND d.technical_review_passed, false) AS "deviceReviewed"
           FROM (${CASE_EVENTS_SQL}) ce JOIN event_pictures ep ON ep.event_id = ce.event_id JOIN events e ON e.id = ep.event_id
           JOIN pictures p ON p.sha256 = ep.sha256 LEFT JOIN devices d ON d.id = e.device_id
          WHERE ep.status = 'present' AND NOT ep.sealed ORDER BY ep.id FOR UPDATE OF ep`,
        [caseId],
      ),
    );
  }

  /** `unsealedOfCase` for many cases in one statement: each case's rows in `ep.id` order, by case. */
  async unsealedOfCases(tx: EntityManager, caseIds: readonly string[]): Promise<Map<string, UnsealedPictureRow[]>> {
    const out = new Map<string, UnsealedPictureRow[]>();
    if (caseIds.length === 0) return out;
    const rows: Record<string, unknown>[] = await tx.query(
      `SELECT ce.case_id::text AS "caseId", ep.id::text AS id, ep.event_id::text AS "eventId", e.device_id AS "deviceId", ep.slot, ep.sha256,
              p.original_key AS "originalKey", p.bytes, COALESCE(d.legal_review_passed AND d.technical_review_passed, false) AS "deviceReviewed"
         FROM (${CASES_EVENTS_SQL}) ce JOIN event_pictures ep ON ep.event_id = ce.event_id JOIN events e ON e.id = ep.event_id
         JOIN pictures p ON p.sha256 = ep.sha256 LEFT JOIN devices d ON d.id = e.device_id
        WHERE ep.status = 'present' AND NOT ep.sealed ORDER BY ce.case_id, ep.id FOR UPDATE OF ep`,
      [caseIds],
    );
    const mapped = this.mapUnsealed(rows);
    rows.forEach((r, i) => {
      const list = out.get(String(r.caseId)) ?? [];
      list.push(mapped[i]);
      out.set(String(r.caseId), list);
    });
    return out;
  }

  async markSealed(tx: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await tx.query(`UPDATE event_pictures SET sealed = true WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /** Every picture slot of a case's events and dwell proof, oldest first. */
  async picturesOfCase(caseId: string): Promise<CasePictureRow[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ep.id::text AS id, ep.event_id::text AS "eventId", ep.slot, ep.origin, ep.status, ep.sha256, ep.captured_at AS "capturedAt", ep.detail, ep.attempts,
              ce.role, p.sha256 AS p_sha256, p.bytes AS p_bytes, p.format AS p_format, p.width AS p_width, p.height AS p_height, p.original_key AS p_original_key,
              p.thumb_key AS p_thumb_key, p.preview_key AS p_preview_key, p.quality AS p_quality, p.quality_verdict AS p_quality_verdict, p.metadata AS p_metadata
         FROM (${CASE_EVENTS_SQL}) ce JOIN event_pictures ep ON ep.event_id = ce.event_id LEFT JOIN pictures p ON p.sha256 = ep.sha256
        ORDER BY ep.captured_at, ep.event_id, ep.slot`,
      [caseId],
    );
    return rows.map((r) => ({
      id: String(r.id),
      eventId: String(r.eventId),
      slot: Number(r.slot),
      origin: String(r.origin),
      status: r.status as CasePictureRow['status'],
      sha256: (r.sha256 as string | null) ?? null,
      capturedAt: r.capturedAt as Date,
      detail: (r.detail as string | null) ?? null,
      attempts: Number(r.attempts),
      role: String(r.role),
      picture:
        r.p_sha256 === null || r.p_sha256 === undefined
          ? null
          : mapPicture({
              sha256: r.p_sha256 as string,
              bytes: r.p_bytes as number,
              format: r.p_format as string,
              width: r.p_width as number,
              height: r.p_height as number,
              originalKey: r.p_original_key as string,
              thumbKey: r.p_thumb_key as string,
              previewKey: r.p_preview_key as string,
              quality: r.p_quality as Record<string, unknown>,
              qualityVerdict: r.p_quality_verdict as string,
              metadata: r.p_metadata as Record<string, unknown>,
            }),
    }));
  }

  /**
   * The picture, when it is one of the case's (a picture of its events or dwell proof, or an after-photo reported
   * on it): what scoping a read needs.
   */
  async pictureOfCase(caseId: string, sha256: string): Promise<PictureRow | undefined> {
    const rows: PictureRow[] = await this.dataSource.query(
      `SELECT ${PICTURE_COLUMNS} FROM pictures p
        WHERE p.sha256 = $2 AND (
          EXISTS (SELECT 1 FROM (${CASE_EVENTS_SQL}) ce JOIN event_pictures ep ON ep.event_id = ce.event_id WHERE ep.sha256 = p.sha256 AND ep.status = 'present')
          OR EXISTS (SELECT 1 FROM evidence_items x WHERE x.case_id = $1 AND x.kind = 'after-photo' AND x.sha256 = p.sha256))`,
      [caseId, sha256],
    );
    return rows[0] ? mapPicture(rows[0]) : undefined;
  }

  /**
   * The events proving a dwell's duration (first, sample), linked to their case. Named by their source identity
   * (the classifier knows no database ids); events stored in this transaction are found too. A step of a group
   * sent at once (`runInOrder`); nothing when there are no rows.
   */
  insertDwellProofStep(
    rows: readonly { caseId: string; source: string; deviceId: string; sourceEventId: string; occurredAt: Date; role: 'first' | 'sample' }[],
  ): SqlStep | undefined {
    if (rows.length === 0) return undefined;
    return {
      statement: `INSERT INTO case_dwell_proof (case_id, event_id, role, occurred_at)
       SELECT DISTINCT ON (v.case_id, e.id) v.case_id, e.id, v.role, e.occurred_at
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[]) AS v(case_id, source, device_id, source_event_id, occurred_at, role)
         JOIN events e ON e.source = v.source AND e.device_id = v.device_id AND e.source_event_id = v.source_event_id AND e.occurred_at = v.occurred_at
        ORDER BY v.case_id, e.id, v.role
       ON CONFLICT (case_id, event_id) DO NOTHING`,
      values: [
        rows.map((r) => r.caseId),
        rows.map((r) => r.source),
        rows.map((r) => r.deviceId),
        rows.map((r) => r.sourceEventId),
        rows.map((r) => r.occurredAt.toISOString()),
        rows.map((r) => r.role),
      ],
    };
  }

  /** Transaction advisory locks on match keys, in a fixed order (callers pass them sorted) so two never wait on each other. */
  private async lockKeys(tx: EntityManager, keys: readonly string[]): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(${PICTURE_LOCK_SPACE}, hashtext(s.k)) FROM (SELECT k FROM unnest($1::text[]) AS k ORDER BY k) s`, [keys]);
  }

  private mapUnsealed(rows: Record<string, unknown>[]): UnsealedPictureRow[] {
    return rows.map((r) => ({
      id: String(r.id),
      eventId: String(r.eventId),
      deviceId: String(r.deviceId),
      slot: Number(r.slot),
      sha256: String(r.sha256),
      originalKey: String(r.originalKey),
      bytes: Number(r.bytes),
      deviceReviewed: Boolean(r.deviceReviewed),
    }));
  }
}

/** The first key of the two-key advisory locks taken on match keys (other locks in the project use one key). */
const PICTURE_LOCK_SPACE = ADVISORY_LOCKS.pictureSpace;

function mapPicture(r: PictureRow): PictureRow {
  return { ...r, bytes: Number(r.bytes), width: Number(r.width), height: Number(r.height) };
}
