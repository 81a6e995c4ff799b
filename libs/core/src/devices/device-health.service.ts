import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Actor } from '@app/domain';
import { latestSightings, offlineAfterSeconds, type Sighting, thinTrack, type TrackPoint } from '@app/domain/devices/device-health';
import { AuditLogRepository, DeviceHealthRepository, DeviceRepository, type SqlStep } from '@app/persistence';
import { Clock } from '../case-loop/clock';
import { LOGGER, type Logger } from '../observability/logger';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';

/** Transitions one scan takes at most (the rest are taken by the next scan). */
const SCAN_LIMIT = 500;
/** Track points are kept this long, then pruned by the watcher (a bounded delete per scan). */
const TRACK_RETENTION_DAYS = 90;
const PRUNE_LIMIT = 10_000;
/** A track request covers at most this long, and answers at most this many points (one per second: 6 hours). */
const TRACK_MAX_RANGE_MS = 7 * 86_400_000;
const TRACK_MAX_POINTS = 21_600;
const TRACK_DEFAULT_RANGE_MS = 86_400_000;

/** `device.offline` / `device.back` as the worker notifies them (the alert service streams them as they are). */
export interface DeviceHealthNotice {
  type: 'device.offline' | 'device.back';
  device: {
    id: string;
    kind: string;
    name: string;
    townshipCode: string | null;
    lastSeenAt: string;
    /** device.offline: the threshold it passed. */
    offlineAfterSeconds?: number;
    /** device.back: how long it was silent (from its last arrival before the silence to its return). */
    silentSeconds?: number;
  };
}

export interface DeviceHealthScan {
  offline: number;
  back: number;
  pruned: number;
}

export interface DeviceTrackView {
  deviceId: string;
  from: string;
  to: string;
  points: { at: string; lat: number; lng: number; height: number | null; heading: number | null; gatewayId: string | null }[];
  /** More points than one answer carries: ask again from the last point's time. */
  truncated: boolean;
}

/**
 * Device health. Ingest records who was heard (last_seen_at, once per batch in its transaction) and drones' tracks;
 * the watcher, in worker processes, raises `device.offline` once when a watched device passes its threshold and
 * `device.back` once when it is heard again — on the live alert stream (pg_notify) and in the audit log. Each
 * transition is a conditional UPDATE … RETURNING over rows locked with SKIP LOCKED: with several workers exactly
 * one raises it, and a transition rolls back with its alert and audit entry.
 */
@Injectable()
export class DeviceHealthService {
  constructor(
    private readonly repo: DeviceHealthRepository,
    private readonly devices: DeviceRepository,
    private readonly audit: AuditLogRepository,
    private readonly clock: Clock,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The seconds of silence after which the device is offline (its own, else its kind's); null = not watched. */
  offlineAfterSeconds(device: { id: string; kind: string }): number | null {
    const own = this.runtime.district.devices.find((d) => d.id === device.id)?.offlineAfterSeconds;
    return offlineAfterSeconds(device.kind, own, this.runtime.district.deviceOfflineAfterSeconds) ?? null;
  }

  /**
   * For the ingest batch's transaction, to send with its other last steps: the batch's track points (thinned to one
   * per second) and every registered device the batch heard (one row each, its latest arrival). Three statements at
   * most, whatever the batch's size.
   */
  batchSteps(sightings: readonly Sighting[], track: readonly TrackPoint[]): (SqlStep | undefined)[] {
    return [this.repo.appendTrackStep(thinTrack(track)), ...this.repo.markSeenSteps(latestSightings(sightings))];
  }

  /** One watch: devices heard again, then devices gone silent; then old track points pruned. */
  async scan(now: Date = this.clock.now()): Promise<DeviceHealthScan> {
    const kinds = new Map(Object.entries(this.runtime.district.deviceOfflineAfterSeconds).filter((e): e is [string, number] => e[1] !== undefined));
    const own = new Map(this.runtime.district.devices.flatMap((d) => (d.offlineAfterSeconds === undefined ? [] : [[d.id, d.offlineAfterSeconds] as const])));
    const result = await this.repo.transaction(async (tx) => {
      const back = await this.repo.markHeardAgain(tx, SCAN_LIMIT);
      const gone = await this.repo.markGoneSilent(tx, now, { kinds, devices: own }, SCAN_LIMIT);
      const notices: DeviceHealthNotice[] = [];
      for (const d of back) {
        const silentSeconds = Math.round((d.lastSeenAt.getTime() - d.offlineSince.getTime()) / 1000);
        const device = { id: d.id, kind: d.kind, name: d.name, townshipCode: d.townshipCode, lastSeenAt: d.lastSeenAt.toISOString(), silentSeconds };
        await this.audit.append(tx, { at: now, actorId: null, actorRole: 'system', action: 'device.back', caseId: null, data: { deviceId: d.id, ...device } });
        notices.push({ type: 'device.back', device });
      }
      for (const d of gone) {
        const device = {
          id: d.id,
          kind: d.kind,
          name: d.name,
          townshipCode: d.townshipCode,
          lastSeenAt: d.lastSeenAt.toISOString(),
          offlineAfterSeconds: d.offlineAfterSeconds,
        };
        await this.audit.append(tx, {
          at: now,
          actorId: null,
          actorRole: 'system',
          action: 'device.offline',
          caseId: null,
          data: { deviceId: d.id, ...device },
        });
        notices.push({ type: 'device.offline', device });
      }
      await this.repo.notifyAlerts(tx, notices);
      return { offline: gone.length, back: back.length };
    });
    const pruned = await this.repo.pruneTrack(new Date(now.getTime() - TRACK_RETENTION_DAYS * 86_400_000), PRUNE_LIMIT);
    if (result.offline > 0 || result.back > 0) this.logger.info({ ...result }, 'device health changed');
    return { ...result, pruned };
  }

  /** A drone's or dock's track between `from` and `to` (default: the last 24 hours), oldest first. */
  async track(_actor: Actor, id: string, range: { from?: string; to?: string }): Promise<DeviceTrackView> {
    const to = range.to ? new Date(range.to) : this.clock.now();
    const from = range.from ? new Date(range.from) : new Date(to.getTime() - TRACK_DEFAULT_RANGE_MS);
    if (!(from < to)) throw new BadRequestException('from must be before to');
    if (to.getTime() - from.getTime() > TRACK_MAX_RANGE_MS) throw new BadRequestException('a track covers at most 7 days: ask for a shorter range');
    if (!(await this.devices.findById(id))) throw new NotFoundException(`device ${id} not found`);
    const { points, truncated } = await this.repo.track(id, from, to, TRACK_MAX_POINTS);
    return {
      deviceId: id,
      from: from.toISOString(),
      to: to.toISOString(),
      points: points.map((p) => ({ ...p, at: p.at.toISOString() })),
      truncated,
    };
  }
}
