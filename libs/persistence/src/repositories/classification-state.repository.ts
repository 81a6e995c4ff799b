import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ActiveInhibitor, Suppression, TrackState } from '@app/domain';

/**
 * State classification reads and writes inside the ingest transaction: dwell tracks (locked so two
 * workers never race on the same object), inhibitors, suppressions and do-not-disturb history.
 */
@Injectable()
export class ClassificationStateRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Locks the tracks a batch will touch (advisory locks in sorted order, so concurrent workers queue
   * instead of deadlocking) and returns their stored states.
   */
  async lockTracks(tx: EntityManager, keys: string[]): Promise<Map<string, unknown>> {
    const states = new Map<string, unknown>();
    if (keys.length === 0) return states;
    const sorted = [...keys].sort();
    // A function scan over the sorted array takes the locks in array order.
    await tx.query(`SELECT count(pg_advisory_xact_lock(hashtextextended(k, 7))) FROM unnest($1::text[]) AS k`, [sorted]);
    const rows: { track_key: string; state: unknown }[] = await tx.query(`SELECT track_key, state FROM track_states WHERE track_key = ANY($1)`, [sorted]);
    for (const r of rows) states.set(r.track_key, r.state);
    return states;
  }

  async saveTracks(tx: EntityManager, tracks: TrackState[]): Promise<void> {
    if (tracks.length === 0) return;
    await tx.query(
      `INSERT INTO track_states (track_key, device_id, state, last_seen_at, ended_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[], $5::timestamptz[])
       ON CONFLICT (track_key) DO UPDATE SET state = EXCLUDED.state, last_seen_at = EXCLUDED.last_seen_at, ended_at = EXCLUDED.ended_at`,
      [
        tracks.map((t) => t.key),
        tracks.map((t) => t.deviceId),
        tracks.map((t) => JSON.stringify(t)),
        tracks.map((t) => t.lastSeenAt),
        tracks.map((t) => t.endedAt ?? null),
      ],
    );
  }

  /** Inhibitors whose window overlaps [from, to] (source times of the batch). */
  async activeInhibitors(tx: EntityManager, from: Date, to: Date): Promise<ActiveInhibitor[]> {
    const rows: {
      inhibition_id: string;
      source_category: string;
      source_identity_key: string;
      scope: ActiveInhibitor['scope'];
      place_id: string | null;
      grid_code: string | null;
      township_code: string | null;
      from_at: Date;
      until_at: Date;
    }[] = await tx.query(`SELECT * FROM inhibitors WHERE until_at >= $1 AND from_at <= $2`, [from, to]);
    return rows.map((r) => ({
      inhibitionId: r.inhibition_id,
      sourceCategory: r.source_category,
      sourceIdentityKey: r.source_identity_key,
      scope: r.scope,
      placeId: r.place_id ?? undefined,
      gridCode: r.grid_code ?? undefined,
      townshipCode: r.township_code ?? undefined,
      from: r.from_at,
      until: r.until_at,
    }));
  }

  async saveInhibitors(tx: EntityManager, inhibitors: ActiveInhibitor[]): Promise<void> {
    if (inhibitors.length === 0) return;
    await tx.query(
      `INSERT INTO inhibitors (inhibition_id, source_category, source_identity_key, scope, place_id, grid_code, township_code, from_at, until_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[])
       ON CONFLICT (inhibition_id, source_identity_key) DO UPDATE
         SET from_at = LEAST(inhibitors.from_at, EXCLUDED.from_at), until_at = GREATEST(inhibitors.until_at, EXCLUDED.until_at)`,
      [
        inhibitors.map((i) => i.inhibitionId),
        inhibitors.map((i) => i.sourceCategory),
        inhibitors.map((i) => i.sourceIdentityKey),
        inhibitors.map((i) => i.scope),
        inhibitors.map((i) => i.placeId ?? null),
        inhibitors.map((i) => i.gridCode ?? null),
        inhibitors.map((i) => i.townshipCode ?? null),
        inhibitors.map((i) => i.from),
        inhibitors.map((i) => i.until),
      ],
    );
  }

  /** Suppressed detections, counted per (reason, identity) like cases, so a silenced site is one row. */
  async saveSuppressions(tx: EntityManager, rows: { key: string; suppression: Suppression; count: number; eventId: string }[]): Promise<void> {
    if (rows.length === 0) return;
    const sorted = [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    await tx.query(
      `INSERT INTO suppressions (suppression_key, reason, detail, reference, category_code, identity_key, rule_id, rule_version, device_id, township_code,
                                 count, first_seen_at, last_seen_at, latest_event_id, explanation)
       SELECT t.key, t.reason, t.detail, t.reference, t.category, t.identity_key, t.rule_id, t.rule_version, t.device_id, t.township, t.count, t.at, t.at, t.event_id, t.explanation::jsonb
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[], $11::int[], $12::timestamptz[], $13::bigint[], $14::text[])
              AS t(key, reason, detail, reference, category, identity_key, rule_id, rule_version, device_id, township, count, at, event_id, explanation)
       ON CONFLICT (suppression_key) DO UPDATE SET
         count = suppressions.count + EXCLUDED.count,
         detail = EXCLUDED.detail,
         first_seen_at = LEAST(suppressions.first_seen_at, EXCLUDED.first_seen_at),
         last_seen_at = GREATEST(suppressions.last_seen_at, EXCLUDED.last_seen_at),
         latest_event_id = EXCLUDED.latest_event_id`,
      [
        sorted.map((r) => r.key),
        sorted.map((r) => r.suppression.reason),
        sorted.map((r) => r.suppression.detail),
        sorted.map((r) => r.suppression.reference ?? null),
        sorted.map((r) => r.suppression.issue.categoryCode),
        sorted.map((r) => r.suppression.issue.identityKey),
        sorted.map((r) => r.suppression.issue.ruleId),
        sorted.map((r) => r.suppression.issue.ruleVersion),
        sorted.map((r) => r.suppression.issue.deviceId),
        sorted.map((r) => r.suppression.issue.townshipCode ?? null),
        sorted.map((r) => r.count),
        sorted.map((r) => r.suppression.issue.occurredAt),
        sorted.map((r) => r.eventId),
        sorted.map((r) => JSON.stringify(r.suppression.issue.explanation)),
      ],
    );
  }

  /** For the do-not-disturb rule: when each of these places last had a case. */
  async lastCaseTimes(tx: EntityManager, placeIds: string[]): Promise<Map<string, Date>> {
    if (placeIds.length === 0) return new Map();
    const rows: { place_id: string; at: Date }[] = await tx.query(
      `SELECT place_id, max(first_seen_at) AS at FROM cases WHERE place_id = ANY($1) GROUP BY place_id`,
      [placeIds],
    );
    return new Map(rows.map((r) => [r.place_id, r.at]));
  }

  async saveTelemetry(tx: EntityManager, rows: { deviceId: string; at: Date; lat?: number; lng?: number; telemetry: object }[]): Promise<void> {
    if (rows.length === 0) return;
    // Keep only the newest per device within the batch, and never go back in time.
    const latest = new Map<string, (typeof rows)[number]>();
    for (const r of rows) if (!latest.has(r.deviceId) || latest.get(r.deviceId)!.at < r.at) latest.set(r.deviceId, r);
    const list = [...latest.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
    await tx.query(
      `INSERT INTO device_telemetry (device_id, at, lat, lng, telemetry, updated_at)
       SELECT t.*, now() FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::jsonb[]) AS t
       ON CONFLICT (device_id) DO UPDATE SET at = EXCLUDED.at, lat = EXCLUDED.lat, lng = EXCLUDED.lng, telemetry = EXCLUDED.telemetry, updated_at = now()
       WHERE device_telemetry.at <= EXCLUDED.at`,
      [list.map((r) => r.deviceId), list.map((r) => r.at), list.map((r) => r.lat ?? null), list.map((r) => r.lng ?? null), list.map((r) => JSON.stringify(r.telemetry))],
    );
  }

  async recordRuleSetVersion(tx: EntityManager, version: number, sha256: string, content: string): Promise<void> {
    await tx.query(`INSERT INTO rule_set_versions (version, sha256, content) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING`, [version, sha256, content]);
  }

  async ruleSetVersion(sha256: string): Promise<{ version: number; sha256: string; content: string; loadedAt: Date } | undefined> {
    const rows: { version: number; sha256: string; content: string; loaded_at: Date }[] = await this.dataSource.query(
      `SELECT version, sha256, content, loaded_at FROM rule_set_versions WHERE sha256 = $1`,
      [sha256],
    );
    return rows[0] && { version: rows[0].version, sha256: rows[0].sha256, content: rows[0].content, loadedAt: rows[0].loaded_at };
  }

  async ruleSetHistory(): Promise<{ version: number; sha256: string; loadedAt: Date }[]> {
    const rows: { version: number; sha256: string; loaded_at: Date }[] = await this.dataSource.query(
      `SELECT version, sha256, loaded_at FROM rule_set_versions ORDER BY id DESC LIMIT 200`,
    );
    return rows.map((r) => ({ version: r.version, sha256: r.sha256, loadedAt: r.loaded_at }));
  }
}
