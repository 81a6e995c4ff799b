import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PreparedStatement, type SqlStep } from './prepared-statement';
import { ALERT_CHANNEL } from './ingest.repository';

/** A device whose health changed, as the watcher's alert and audit entry name it. */
export interface DeviceHealthChange {
  id: string;
  kind: string;
  name: string;
  townshipCode: string | null;
  lastSeenAt: Date;
}

export interface TrackPointRow {
  deviceId: string;
  /** Already thinned: truncated to the second (one point per device per second). */
  at: Date;
  lat: number;
  lng: number;
  height?: number;
  heading?: number;
  gatewayId?: string;
}

export interface StoredTrackPoint {
  at: Date;
  lat: number;
  lng: number;
  height: number | null;
  heading: number | null;
  gatewayId: string | null;
}

interface ChangeRow {
  id: string;
  kind: string;
  name: string;
  township_code: string | null;
  last_seen_at: Date;
}

const change = (r: ChangeRow): DeviceHealthChange => ({ id: r.id, kind: r.kind, name: r.name, townshipCode: r.township_code, lastSeenAt: r.last_seen_at });

/**
 * Device health: last seen (written once per ingest batch, inside its transaction), the offline/back transitions
 * (conditional UPDATE … RETURNING over rows locked with SKIP LOCKED, so with several workers each transition is
 * taken by exactly one), and drones' tracks. The locking SELECT is a MATERIALIZED CTE, so it runs once: joined as a
 * subquery, the planner may run it again for every row it scans (when statistics say the table is empty), each run
 * locking more rows, and the UPDATE would take more than its limit.
 */
// Every ingest batch runs these two (prepared once per connection, see PreparedStatement).
const LOCK_DEVICES_SEEN = new PreparedStatement('cp_lock_devices_seen', `SELECT 1 FROM devices WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE`);
const MARK_DEVICES_SEEN = new PreparedStatement(
  'cp_mark_devices_seen',
  `UPDATE devices d SET last_seen_at = greatest(d.last_seen_at, s.at)
     FROM unnest($1::text[], $2::timestamptz[]) AS s(id, at)
    WHERE d.id = s.id AND (d.last_seen_at IS NULL OR d.last_seen_at < s.at)`,
);

@Injectable()
export class DeviceHealthRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Steps of a group sent at once (`runInOrder`). One statement pair per batch, whatever its size: the devices heard (one row each, with the batch's latest
   * arrival) are locked in id order — two batches of different workers never wait on each other crosswise — and
   * last_seen_at only moves forward. `seen` must be sorted by id with one row per device (latestSightings).
   */
  markSeenSteps(seen: readonly { deviceId: string; at: Date }[]): SqlStep[] {
    if (seen.length === 0) return [];
    const ids = seen.map((s) => s.deviceId);
    // Sent together: the UPDATE runs after the locking SELECT has taken every row, in id order.
    return [
      { statement: LOCK_DEVICES_SEEN, values: [ids] },
      { statement: MARK_DEVICES_SEEN, values: [ids, seen.map((s) => s.at)] },
    ];
  }

  /** Track points, at most one per device per second: a point already kept for that second stays. A step (`runInOrder`). */
  appendTrackStep(points: readonly TrackPointRow[]): SqlStep | undefined {
    if (points.length === 0) return undefined;
    return {
      statement: `INSERT INTO device_track_points (device_id, at, lat, lng, height, heading, gateway_id)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::text[])
       ON CONFLICT (device_id, at) DO NOTHING`,
      values: [
        points.map((p) => p.deviceId),
        points.map((p) => p.at),
        points.map((p) => p.lat),
        points.map((p) => p.lng),
        points.map((p) => p.height ?? null),
        points.map((p) => p.heading ?? null),
        points.map((p) => p.gatewayId ?? null),
      ],
    };
  }

  /**
   * Active devices silent past their threshold at `now` and not yet held offline: marked offline (offline_since =
   * their last arrival) and returned, at most `limit`. A device's own threshold wins over its kind's; a device with
   * neither, or never heard, is not watched. Rows another worker holds are skipped (it is deciding them).
   */
  async markGoneSilent(
    tx: EntityManager,
    now: Date,
    thresholds: { kinds: ReadonlyMap<string, number>; devices: ReadonlyMap<string, number> },
    limit: number,
  ): Promise<(DeviceHealthChange & { offlineAfterSeconds: number })[]> {
    const rows: (ChangeRow & { seconds: number })[] = await tx
      .query(
        `WITH s AS MATERIALIZED (
         SELECT d2.id, coalesce(o.seconds, k.seconds) AS seconds
         FROM devices d2
         LEFT JOIN unnest($2::text[], $3::int[]) AS o(id, seconds) ON o.id = d2.id
         LEFT JOIN unnest($4::text[], $5::int[]) AS k(kind, seconds) ON k.kind = d2.kind
         WHERE d2.status = 'active' AND d2.offline_since IS NULL AND d2.last_seen_at IS NOT NULL
           AND coalesce(o.seconds, k.seconds) IS NOT NULL
           AND d2.last_seen_at < $1::timestamptz - make_interval(secs => coalesce(o.seconds, k.seconds))
         ORDER BY d2.id
         LIMIT $6
         FOR UPDATE OF d2 SKIP LOCKED
       )
       UPDATE devices d SET offline_since = d.last_seen_at
       FROM s
       WHERE d.id = s.id
       RETURNING d.id, d.kind, d.name, d.township_code, d.last_seen_at, s.seconds`,
        [now, [...thresholds.devices.keys()], [...thresholds.devices.values()], [...thresholds.kinds.keys()], [...thresholds.kinds.values()], limit],
      )
      .then((r: [(ChangeRow & { seconds: number })[], number]) => r[0]);
    return rows.map((r) => ({ ...change(r), offlineAfterSeconds: Number(r.seconds) }));
  }

  /** Devices held offline that were heard since: offline_since cleared and returned (with it), at most `limit`. */
  async markHeardAgain(tx: EntityManager, limit: number): Promise<(DeviceHealthChange & { offlineSince: Date })[]> {
    const rows: (ChangeRow & { was_offline_since: Date })[] = await tx
      .query(
        `WITH s AS MATERIALIZED (
         SELECT id, offline_since FROM devices
         WHERE offline_since IS NOT NULL AND last_seen_at > offline_since
         ORDER BY id
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       UPDATE devices d SET offline_since = NULL
       FROM s
       WHERE d.id = s.id
       RETURNING d.id, d.kind, d.name, d.township_code, d.last_seen_at, s.offline_since AS was_offline_since`,
        [limit],
      )
      .then((r: [(ChangeRow & { was_offline_since: Date })[], number]) => r[0]);
    return rows.map((r) => ({ ...change(r), offlineSince: r.was_offline_since }));
  }

  async notifyAlerts(tx: EntityManager, payloads: object[]): Promise<void> {
    if (payloads.length === 0) return;
    await tx.query(`SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, [ALERT_CHANNEL, payloads.map((p) => JSON.stringify(p))]);
  }

  /** A device's track between two instants, oldest first, at most `limit` points (and whether more were left). */
  async track(deviceId: string, from: Date, to: Date, limit: number): Promise<{ points: StoredTrackPoint[]; truncated: boolean }> {
    const rows: { at: Date; lat: number; lng: number; height: number | null; heading: number | null; gateway_id: string | null }[] =
      await this.dataSource.query(
        `SELECT at, lat, lng, height, heading, gateway_id FROM device_track_points
       WHERE device_id = $1 AND at >= $2 AND at < $3 ORDER BY at LIMIT $4`,
        [deviceId, from, to, limit + 1],
      );
    return {
      points: rows.slice(0, limit).map((r) => ({ at: r.at, lat: r.lat, lng: r.lng, height: r.height, heading: r.heading, gatewayId: r.gateway_id })),
      truncated: rows.length > limit,
    };
  }

  /** Deletes points older than `before`, at most `limit` at a time (the watcher runs it every scan). */
  async pruneTrack(before: Date, limit: number): Promise<number> {
    const r: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM device_track_points WHERE ctid IN (SELECT ctid FROM device_track_points WHERE at < $1 LIMIT $2)`,
      [before, limit],
    );
    return r[1];
  }
}
