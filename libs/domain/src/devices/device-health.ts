import type { DeviceKind } from '../event/canonical-event';

/**
 * Device health, from plain data: how long each kind of device may stay silent before it counts as offline, what
 * a device's health is from when it was last heard, and what one ingest batch says about who was heard. A silent
 * camera is a hole in the patrol: it must raise an alert, once, and its return another.
 */

/** Seconds of silence after which a device of this kind is offline; a kind not named is not watched. */
export type OfflineThresholds = Partial<Record<DeviceKind, number>>;

/**
 * Used when devices.yaml names none. A camera or NVR sends something (event or heartbeat) every few minutes; a dock
 * reports osd every few seconds while powered. An aircraft is switched off between flights and a department feed
 * is quiet for days, so those are not watched unless a device says otherwise.
 */
export const DEFAULT_OFFLINE_THRESHOLDS: Readonly<OfflineThresholds> = { camera: 600, nvr: 300, dock: 600, sensor: 1800 };

export type DeviceHealthState = 'online' | 'offline' | 'never-seen';

/** The device's own threshold (devices.yaml `offlineAfterSeconds`), else its kind's; undefined = not watched. */
export function offlineAfterSeconds(kind: string, own: number | undefined, thresholds: Readonly<OfflineThresholds>): number | undefined {
  if (own !== undefined) return own;
  return (thresholds as Record<string, number | undefined>)[kind];
}

/** True when the device has been silent for longer than its threshold at `now` (exactly the threshold is not yet). */
export function isSilent(lastSeenAt: Date, thresholdSeconds: number, now: Date): boolean {
  return now.getTime() - lastSeenAt.getTime() > thresholdSeconds * 1000;
}

/**
 * What the register shows, from what the watcher decided: offline from the moment it raised `device.offline`
 * until the device is heard again (then `offlineSince` is behind `lastSeenAt` and the watcher raises `device.back`).
 */
export function deviceHealthState(lastSeenAt: Date | null, offlineSince: Date | null): DeviceHealthState {
  if (lastSeenAt === null) return 'never-seen';
  if (offlineSince !== null && lastSeenAt.getTime() <= offlineSince.getTime()) return 'offline';
  return 'online';
}

/** A device heard in a batch, at a message's arrival time. */
export interface Sighting {
  deviceId: string;
  at: Date;
}

/** One row per device with its latest arrival, sorted by id (the order rows are locked in, so batches never deadlock). */
export function latestSightings(sightings: readonly Sighting[]): Sighting[] {
  const latest = new Map<string, Date>();
  for (const s of sightings) {
    const prev = latest.get(s.deviceId);
    if (prev === undefined || prev.getTime() < s.at.getTime()) latest.set(s.deviceId, s.at);
  }
  return [...latest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([deviceId, at]) => ({ deviceId, at }));
}

/** A position of a drone or dock from its osd frame. */
export interface TrackPoint {
  deviceId: string;
  at: Date;
  lat: number;
  lng: number;
  height?: number;
  heading?: number;
  gatewayId?: string;
}

/**
 * Thins positions to one per device per second of frame time (the first one of that second in the batch), with
 * the time truncated to the second: osd arrives several times a second, a map and a mark's placing need no more.
 */
export function thinTrack(points: readonly TrackPoint[]): TrackPoint[] {
  const kept = new Map<string, TrackPoint>();
  for (const p of points) {
    const second = Math.floor(p.at.getTime() / 1000) * 1000;
    const key = `${p.deviceId}\u0000${second}`;
    if (!kept.has(key)) kept.set(key, { ...p, at: new Date(second) });
  }
  return [...kept.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : a.at.getTime() - b.at.getTime()));
}
