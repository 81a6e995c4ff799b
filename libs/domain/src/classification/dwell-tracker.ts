import { z } from 'zod';
import type { Box, CanonicalEvent, Detection, GeoPoint } from '../event/canonical-event';
import type { TrackingSettings } from './rule-set';
import { isoInstant } from '../time/iso-instant';

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
 *
 * Proof of duration: besides the clocks, a state remembers WHICH events observed the object during each
 * counted period (`proof`): the event the clock started at (`first`) and a bounded sample of the events since,
 * so a dwell case can link the picture of the car at 21:00 as well as the one at 21:11 that crossed the
 * threshold. The presence period (from `firstSeenAt`) and the stationary period (from `stationarySince`) each
 * have their own trail, restarted whenever their clock restarts (fresh track, gap, ended track, movement).
 * Late observations (within tolerance) never enter a trail; a late "moving" one restarts the stationary trail
 * at the track's latest observation, exactly where it restarts the clock.
 */

const isoTime = z.iso.datetime({ offset: true });

/** Most events a trail's `sample` holds (besides `first`). */
export const DWELL_SAMPLE_MAX = 8;

const proofRefSchema = z.object({ eventId: z.string(), at: isoTime }).strict();

/**
 * The events of one counted period. `first` is the event the clock started at (its `at` equals the clock's
 * start); `sample` holds later events of the period in time order, at most `DWELL_SAMPLE_MAX`, at least
 * `spacingSeconds` apart from each other (and from `first`). The sample is thinned deterministically
 * (`extendTrail`) so that it stays spread over the whole period however long it lasts.
 */
export const dwellTrailSchema = z
  .object({
    first: proofRefSchema,
    sample: z.array(proofRefSchema).max(DWELL_SAMPLE_MAX),
    spacingSeconds: z.number().nonnegative(),
  })
  .strict();

export const trackProofSchema = z
  .object({
    /** The track's latest observation (at `lastSeenAt`): where a late "moving" observation restarts the stationary trail. */
    last: proofRefSchema,
    /** Presence period, from `firstSeenAt`. */
    seen: dwellTrailSchema.optional(),
    /** Stationary period, from `stationarySince`; absent while the object moves. */
    stationary: dwellTrailSchema.optional(),
  })
  .strict();

/** One event of a trail: the canonical event's `eventId` (with the track's device and `at` as occurredAt it names the stored event). */
export type ProofRef = z.infer<typeof proofRefSchema>;
export type DwellTrail = z.infer<typeof dwellTrailSchema>;
export type TrackProof = z.infer<typeof trackProofSchema>;

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
    /**
     * Which events observed the object during the counted periods (see "Proof of duration" above). Optional:
     * states stored before it existed still parse; their trails start at the next restart of a clock.
     */
    proof: trackProofSchema.optional(),
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
  /** The observing event's `eventId` (recorded in the track's proof of duration). */
  eventId: string;
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

export type ObserveOutcome = { kind: 'applied'; state: TrackState; restarted: boolean } | { kind: 'late'; state: TrackState; lateBySeconds: number };

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

const iso = isoInstant;
const ms = (isoText: string): number => Date.parse(isoText);

const startTrail = (ref: ProofRef): DwellTrail => ({ first: ref, sample: [], spacingSeconds: 0 });

/**
 * Adds an in-order observation to a trail's sample (pure). Deterministic thinning keeps the sample spread:
 * - an event is taken when it is at least `spacingSeconds` after the newest sampled event (or `first`), and is
 *   not that event again (one event observing a track twice is sampled once);
 * - when that makes the sample longer than `DWELL_SAMPLE_MAX`, every other entry is dropped counting back from
 *   the newest (kept), and so is the oldest (it is the closest to `first`, which already shows the start):
 *   of 9 entries the 3rd, 5th, 7th and 9th stay. `spacingSeconds` becomes the mean spacing of what is kept
 *   since `first` ((newest - first) / kept), so later events are taken at about the new spread.
 * Over a long period the sample therefore holds events from the whole period up to recent ones, roughly evenly
 * apart, and never more than `DWELL_SAMPLE_MAX` of them.
 */
export function extendTrail(trail: DwellTrail, ref: ProofRef): DwellTrail {
  const newest = trail.sample.length > 0 ? trail.sample[trail.sample.length - 1] : trail.first;
  if (newest.eventId === ref.eventId && newest.at === ref.at) return trail;
  const gapMs = ms(ref.at) - ms(newest.at);
  if (gapMs < 0 || gapMs < trail.spacingSeconds * 1000) return trail;
  const sample = [...trail.sample, ref];
  if (sample.length <= DWELL_SAMPLE_MAX) return { ...trail, sample };
  const kept = sample.filter((_, i) => i > 0 && (sample.length - 1 - i) % 2 === 0);
  const spanMs = ms(kept[kept.length - 1].at) - ms(trail.first.at);
  return { first: trail.first, sample: kept, spacingSeconds: Math.round(spanMs / kept.length) / 1000 };
}

function fresh(key: string, obs: TrackObservation, tracking: TrackingSettings): TrackState {
  const at = iso(obs.at);
  const ref: ProofRef = { eventId: obs.eventId, at };
  const stationary = isStationary(obs, undefined, tracking);
  return {
    v: 1,
    key,
    deviceId: obs.deviceId,
    label: obs.label,
    ...(obs.trackId !== undefined && { trackId: obs.trackId }),
    ...(obs.plate !== undefined && { plate: obs.plate }),
    firstSeenAt: at,
    lastSeenAt: at,
    ...(stationary && { stationarySince: at }),
    ...(obs.box && { lastBox: obs.box }),
    ...(obs.location && { lastLocation: obs.location }),
    placeIds: [...obs.placeIds],
    observations: 1,
    confirmed: {},
    ...(obs.ended && { endedAt: at }),
    proof: { last: ref, seen: startTrail(ref), ...(stationary && { stationary: startTrail(ref) }) },
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
    const movedWhileCounted = !isStationary(obs, undefined, tracking) && previous.stationarySince !== undefined && at >= ms(previous.stationarySince);
    return {
      kind: 'applied',
      restarted: false,
      state: {
        ...previous,
        ...(previous.plate === undefined && obs.plate !== undefined && { plate: obs.plate }),
        ...(movedWhileCounted && { stationarySince: previous.lastSeenAt }),
        observations: previous.observations + 1,
        ...(obs.ended && previous.endedAt === undefined && { endedAt: previous.lastSeenAt }),
        ...(movedWhileCounted && previous.proof && { proof: lateRestart(previous.proof, previous.lastSeenAt) }),
      },
    };
  }
  const stationary = isStationary(obs, previous.lastBox, tracking);
  const { stationarySince: _since, endedAt: _ended, proof: _proof, ...rest } = previous;
  const stationarySince = stationary ? (previous.stationarySince ?? iso(obs.at)) : undefined;
  const ref: ProofRef = { eventId: obs.eventId, at: iso(obs.at) };
  // A trail goes on only while its clock does; one missing (a state stored before proofs existed) stays missing
  // until its clock restarts, rather than pretending an arbitrary later event started the period.
  const seen = previous.proof?.seen && extendTrail(previous.proof.seen, ref);
  const stationaryTrail = !stationary
    ? undefined
    : previous.stationarySince === undefined
      ? startTrail(ref)
      : previous.proof?.stationary && extendTrail(previous.proof.stationary, ref);
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
      proof: { last: ref, ...(seen && { seen }), ...(stationaryTrail && { stationary: stationaryTrail }) },
    },
  };
}

/** A late "moving" observation restarts the stationary clock at the latest observation: so does its trail. */
function lateRestart(proof: TrackProof, lastSeenAt: string): TrackProof {
  const { stationary: _stationary, ...rest } = proof;
  return ms(proof.last.at) === ms(lastSeenAt) ? { ...rest, stationary: startTrail(proof.last) } : rest;
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

/** One event of a dwell proof, as an issue carries it. */
export interface DwellProofEvent {
  eventId: string;
  occurredAt: Date;
}

/**
 * The events proving how long an object dwelt: `first` is the event its counted period started at, `sample`
 * later events of the period in time order, the last being the event at hand (the issue's own event); at
 * most `DWELL_SAMPLE_MAX + 1` entries.
 */
export interface DwellProof {
  first: DwellProofEvent;
  sample: DwellProofEvent[];
}

/**
 * The proof for the clock `dwellOf` measures, as seen by the event `at` (source time) with id `eventId`.
 * Undefined when the state holds no trail for that clock (a state stored before proofs existed) or the trail
 * is not the clock's (defensive: both restart together).
 */
export function dwellProofOf(state: TrackState, requireStationary: boolean, event: { eventId: string; at: Date }): DwellProof | undefined {
  const since = requireStationary ? state.stationarySince : state.firstSeenAt;
  const trail = requireStationary ? state.proof?.stationary : state.proof?.seen;
  if (since === undefined || !trail || ms(trail.first.at) !== ms(since)) return undefined;
  const at = event.at.getTime();
  const own = (r: ProofRef): boolean => r.eventId === event.eventId && ms(r.at) === at;
  const toEvent = (r: ProofRef): DwellProofEvent => ({ eventId: r.eventId, occurredAt: new Date(r.at) });
  // A late event (within tolerance) sees only what was sampled before its own time.
  const before = trail.sample.filter((r) => ms(r.at) <= at && !own(r)).map(toEvent);
  const sample = own(trail.first) ? before : [...before, { eventId: event.eventId, occurredAt: event.at }];
  return { first: toEvent(trail.first), sample };
}
