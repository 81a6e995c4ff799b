import { z } from 'zod';
import type { Box, CanonicalEvent, Detection, GeoPoint } from '../event/canonical-event';
import type { TrackingSettings } from './rule-set';

/**
 * Dwell ("a car stationary 10 minutes in a no-parking place") needs memory across events. That memory is
 * a `TrackState` per tracked object: plain JSON, so the worker stores it in a table and a restarted (or
 * another) worker continues the same clock. Every time in it is SOURCE time (the event's `occurredAt`),
 * never arrival time, so a replay of a 12-minute stream in seconds gives the same answer.
 *
 * Out-of-order rule (stated once, applied everywhere):
 * - an observation at or after the track's `lastSeenAt` is applied normally;
 * - one older by at most `tracking.lateToleranceSeconds` (default 120 s) is applied conservatively:
 *   it may fill a missing plate, and a late "moving" observation restarts the stationary clock at the
 *   track's latest observation; it never moves `lastSeenAt` back nor makes the clock start earlier,
 *   so a reordered stream confirms no earlier than the ordered one, at most one tolerance later;
 * - one older than that is ignored for dwell (state unchanged) and reported as suppressed `late-event`;
 *   rules without dwell still classify it normally (a late garbage photo is still garbage).
 * A track silent for more than `tracking.maxGapSeconds`, or observed after it ended, starts afresh.
 */

const isoTime = z.iso.datetime({ offset: true });

export const trackStateSchema = z
  .object({
    v: z.literal(1),
    key: z.string().min(1),
    deviceId: z.string().min(1),
    label: z.string().min(1),
    trackId: z.string().optional(),
    plate: z.string().optional(),
    firstSeenAt: isoTime,
    lastSeenAt: isoTime,
    /** Since when the object has not moved; absent while it moves. */
    stationarySince: isoTime.optional(),
    lastBox: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
    lastLocation: z.object({ lat: z.number(), lng: z.number() }).optional(),
    placeIds: z.array(z.string()),
    observations: z.number().int().nonnegative(),
    /** Rules this track has already produced an issue for, with the identity used (kept stable). */
    confirmed: z.record(z.string(), z.object({ at: isoTime, identity: z.record(z.string(), z.string()), identityKey: z.string() })),
    /** The source closed the track (Frigate `end`); the store may delete it once persisted. */
    endedAt: isoTime.optional(),
  })
  .strict();

export type TrackState = z.infer<typeof trackStateSchema>;

/** Restores a stored state; undefined when the row is not a valid state of this version (start afresh). */
export function parseTrackState(json: unknown): TrackState | undefined {
  const r = trackStateSchema.safeParse(typeof json === 'string' ? safeJson(json) : json);
  return r.success ? r.data : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Which tracked object a detection is about: the source's tracker id, else the plate, per device.
 * Undefined when neither exists (a single drone photo): such detections cannot have dwell.
 */
export function trackKeyOf(event: Pick<CanonicalEvent, 'deviceId'>, detection: Pick<Detection, 'trackId' | 'plate'>): string | undefined {
  if (detection.trackId) return `${event.deviceId}#track:${detection.trackId}`;
  if (detection.plate) return `${event.deviceId}#plate:${detection.plate}`;
  return undefined;
}

export interface TrackObservation {
  at: Date;
  deviceId: string;
  label: string;
  trackId?: string;
  plate?: string;
  /** The source's own judgement (Frigate `stationary`); absent → boxes are compared. */
  stationary?: boolean;
  box?: Box;
  location?: GeoPoint;
  placeIds: readonly string[];
  /** The source closed the track with this observation (Frigate `end`). */
  ended: boolean;
}

export type ObserveOutcome =
  | { kind: 'applied'; state: TrackState; restarted: boolean }
  | { kind: 'late'; state: TrackState; lateBySeconds: number };

export function boxIou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const area = (x: Box): number => Math.max(0, x[2] - x[0]) * Math.max(0, x[3] - x[1]);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * The source's flag wins; otherwise overlapping boxes mean "not moved". Without either we cannot see
 * movement and treat the object as stationary: sources without boxes or flags (an ANPR camera seeing
 * the same plate for 10 minutes) still measure presence.
 */
function isStationary(obs: TrackObservation, previousBox: Box | undefined, tracking: TrackingSettings): boolean {
  if (obs.stationary !== undefined) return obs.stationary;
  if (obs.box && previousBox) return boxIou(obs.box, previousBox) >= tracking.stationaryIou;
  return true;
}

const iso = (d: Date): string => d.toISOString();
const ms = (isoText: string): number => Date.parse(isoText);

function fresh(key: string, obs: TrackObservation, tracking: TrackingSettings): TrackState {
  const at = iso(obs.at);
  return {
    v: 1,
    key,
    deviceId: obs.deviceId,
    label: obs.label,
    ...(obs.trackId !== undefined && { trackId: obs.trackId }),
    ...(obs.plate !== undefined && { plate: obs.plate }),
    firstSeenAt: at,
    lastSeenAt: at,
    ...(isStationary(obs, undefined, tracking) && { stationarySince: at }),
    ...(obs.box && { lastBox: obs.box }),
    ...(obs.location && { lastLocation: obs.location }),
    placeIds: [...obs.placeIds],
    observations: 1,
    confirmed: {},
    ...(obs.ended && { endedAt: at }),
  };
}

/** Applies one observation to a track's state (pure: returns a new state). */
export function observeTrack(previous: TrackState | undefined, key: string, obs: TrackObservation, tracking: TrackingSettings): ObserveOutcome {
  const at = obs.at.getTime();
  if (!previous) return { kind: 'applied', state: fresh(key, obs, tracking), restarted: false };
  const last = ms(previous.lastSeenAt);
  const endedBefore = previous.endedAt !== undefined && at > ms(previous.endedAt);
  if (endedBefore || at - last > tracking.maxGapSeconds * 1000) {
    return { kind: 'applied', state: fresh(key, obs, tracking), restarted: true };
  }
  if (at < last) {
    const lateBySeconds = (last - at) / 1000;
    if (lateBySeconds > tracking.lateToleranceSeconds) return { kind: 'late', state: previous, lateBySeconds };
    // Within tolerance: never rewind, never start the clock earlier (see the rule above).
    const movedWhileCounted =
      !isStationary(obs, undefined, tracking) && previous.stationarySince !== undefined && at >= ms(previous.stationarySince);
    return {
      kind: 'applied',
      restarted: false,
      state: {
        ...previous,
        ...(previous.plate === undefined && obs.plate !== undefined && { plate: obs.plate }),
        ...(movedWhileCounted && { stationarySince: previous.lastSeenAt }),
        observations: previous.observations + 1,
        ...(obs.ended && previous.endedAt === undefined && { endedAt: previous.lastSeenAt }),
      },
    };
  }
  const stationary = isStationary(obs, previous.lastBox, tracking);
  const { stationarySince: _since, endedAt: _ended, ...rest } = previous;
  const stationarySince = stationary ? (previous.stationarySince ?? iso(obs.at)) : undefined;
  return {
    kind: 'applied',
    restarted: false,
    state: {
      ...rest,
      label: obs.label,
      ...((obs.plate ?? previous.plate) !== undefined && { plate: obs.plate ?? previous.plate }),
      lastSeenAt: iso(obs.at),
      ...(stationarySince !== undefined && { stationarySince }),
      ...((obs.box ?? previous.lastBox) && { lastBox: obs.box ?? previous.lastBox }),
      ...((obs.location ?? previous.lastLocation) && { lastLocation: obs.location ?? previous.lastLocation }),
      placeIds: [...obs.placeIds],
      observations: previous.observations + 1,
      ...(obs.ended ? { endedAt: iso(obs.at) } : previous.endedAt !== undefined && { endedAt: previous.endedAt }),
    },
  };
}

export interface DwellMeasure {
  /** Start of the counted period (stationary since, or first seen when movement does not matter). */
  since?: string;
  seconds: number;
}

/** How long the object has dwelt at `at` (source time). */
export function dwellOf(state: TrackState, requireStationary: boolean, at: Date): DwellMeasure {
  const since = requireStationary ? state.stationarySince : state.firstSeenAt;
  if (since === undefined) return { seconds: 0 };
  return { since, seconds: Math.max(0, (at.getTime() - ms(since)) / 1000) };
}
