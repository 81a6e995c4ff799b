/**
 * The benchmark's event stream, made with the simulator's generators: generic JSON events over MQTT from 100
 * bench cameras, covering every category of config/demo/rules.yaml that a camera can raise and every policy
 * that can keep a detection from becoming a case; and latency probes, each from a bench-only camera and
 * category never seen before, so each one opens a NEW case (alerts for updates of an open case are
 * coalesced, so only an opening alert belongs to exactly one event).
 *
 * The mix, in slots of a cycle of 4,000 events (each identity's slots spread evenly over the cycle; smoke in
 * bursts of five, so one batch holds many smoke detections of one grid cell, the case that wedged ingest in
 * issue 22), and what the demo rules make of it in the saturation stream's evening half hour:
 *
 * | role            | share | events                                                        | outcome |
 * |-----------------|------:|---------------------------------------------------------------|---------|
 * | grid            |  75 % | garbage / construction / banner / vendor at one point of each of 50 grid cells outside every place (200 identities) | exposed-garbage, illegal-construction, illegal-advertising, street-occupation cases; in the two burning cells the minor ones (all but construction) are inhibited |
 * | fire            |   3 % | smoke (fire one time in five) in two grid cells, three cameras each, bursts of 5 | fire-smoke cases; `fire-mutes-minor-in-grid` mutes minor issues of the cell for 60 min |
 * | night-market    |   4 % | vendors in the Lanting night market                           | street-occupation suppressed `allowed-window` (18:00–22:00) |
 * | permitted-works |   3 % | scaffold / construction / construction waste on the permitted riverside site | illegal-construction, exposed-garbage `silenced` (SYN-PERMIT-2026-017, until 2027-04-01) |
 * | no-parking      |   6 % | 6 cars / trucks, tracked, with plates, standing in the no-parking places (Yunxi Road, Lanting station) | motor-parking cases once stationary 10 min |
 * | loading-bay     |   2 % | 2 vans standing in the Yunxi Road loading bay                 | motor-parking suppressed `exemption` once the 10 min dwell is reached (grace 30 min) |
 * | passing         |   1 % | cars moving through the no-parking street, a new track every 10 observations | nothing (never stationary) |
 * | bicycle         |   3 % | 3 bicycles standing in the no-parking places                  | non-motor-parking cases once stationary 15 min (rule active 07:00–22:00) |
 * | fire-lane       |   2 % | 2 cars standing in the hospital fire lane                     | blocked-fire-lane case once stationary 3 min |
 * | frontage        |   1 % | garbage / banner at the Fengwei restaurant frontage (SYN-BIZ-0001) | first issue suppressed `do-not-disturb`, the repeats open cases |
 *
 * Department categories (incident-referral, and the department rules of the others) come only from the fire,
 * police and emergency feeds on Kafka: the saturation stream stays on MQTT, and the mixed-sources phase
 * covers the feeds.
 *
 * Times: the saturation stream is a district's evening half hour (`benchSourceClock`: source times spread
 * evenly over the most recent 30 minutes that lie inside 18:05–21:55 local, so the night-market window and
 * the bicycles' active window hold whenever the bench runs), published as fast as QoS 1 allows, like a
 * backlog drained after an outage; dwell is measured on those source times. The fixed load sends the same
 * mix dated now.
 */
import type { DeviceConfig, DistrictConfig } from '@app/config';
import { parseUtcOffset } from '@app/domain';
import { gridTargets, placePoint, SimTarget } from '../../scripts/simulator/district';
import { genericEvent, SimMessage } from '../../scripts/simulator/payloads';
import { mulberry32, plate } from '../../scripts/simulator/random';

/** Every label the stream carries. */
export const BENCH_LABELS = ['garbage', 'construction', 'banner', 'vendor', 'scaffold', 'smoke', 'fire', 'car', 'truck', 'bicycle'] as const;
export type BenchLabel = (typeof BENCH_LABELS)[number];
/** Labels of the grid detections and of the probes: a rule that needs no dwell, window, place or special source. */
export const GRID_LABELS = ['garbage', 'construction', 'banner', 'vendor'] as const satisfies readonly BenchLabel[];
/** The probes' labels (no fire: it inhibits; no dwell: a probe must open its case at once). */
export const PROBE_LABELS = GRID_LABELS;

/**
 * Cameras the stream comes from: a city's events come from many devices, and CloudPatrol limits each
 * device (DEVICE_EVENTS_PER_SECOND, default 1000/s with a burst of 10,000), so the stream is spread over
 * 100 bench-only cameras (their events carry a position, so the identity is still grid or place × category):
 * 0–79 watch the grid cells, 80–99 the places, the fires and the passing traffic.
 */
export const BENCH_CAMERAS = 100;
const GRID_CAMERAS = 80;
export const benchCameraId = (i: number): string => `BENCH-CAM-${String(i).padStart(3, '0')}`;
/** Probe event ids: `<prefix>-<publish ms>-<k>`; one prefix per phase. */
export const PROBE_PREFIX = { saturation: 'lsat', fixed: 'lfix' } as const;
export type ProbePhase = keyof typeof PROBE_PREFIX;

export const probeDeviceId = (i: number): string => `BENCH-PROBE-${String(i).padStart(4, '0')}`;

const camera = (id: string, name: string): DeviceConfig => ({
  id,
  kind: 'camera',
  name,
  ownerDepartment: 'city-management',
  aliases: [],
  zones: {},
  review: { legalReviewPassed: true, technicalReviewPassed: true, locationPublished: false },
});

/**
 * The bench-only cameras added to the demo district in the CloudPatrol process: the stream's cameras,
 * and the probe cameras (no position: a detection of theirs groups by device, a new identity per
 * device × category).
 */
export function benchDevices(probeCount: number): DeviceConfig[] {
  return [
    ...Array.from({ length: BENCH_CAMERAS }, (_, i) => camera(benchCameraId(i), `Bench stream camera ${i}`)),
    ...Array.from({ length: probeCount }, (_, i) => camera(probeDeviceId(i), `Bench latency probe camera ${i}`)),
  ];
}

/** What an identity stands for in the mix (see the table above). */
export type BenchRole = 'grid' | 'fire' | 'night-market' | 'permitted-works' | 'no-parking' | 'loading-bay' | 'passing' | 'bicycle' | 'fire-lane' | 'frontage';

/** One thing the stream reports about: a grid cell × label, a fire, a parked car, a market's vendors... */
export interface Identity {
  role: BenchRole;
  /** Where its detections are (the point sent with every event). */
  target: SimTarget;
  /** Labels its events carry, in turn. */
  labels: readonly BenchLabel[];
  /** Cameras that report it, in turn (one for a tracked object: a track belongs to one camera). */
  cameras: readonly string[];
  /** A tracked object: tracker id (a new one every `newTrackEvery` events when set), plate, standing still. */
  track?: { id: string; plate?: string; stationary: boolean; newTrackEvery?: number };
  /** Its events per cycle, `burst` of them one after the other. */
  weight: number;
  burst: number;
}

/** Places of config/demo/places.geojson the mix uses. */
const PLACE = {
  noParking: 't01-yunxi-rd-no-parking',
  loadingBay: 't01-yunxi-rd-loading-bay',
  nightMarket: 't01-lanting-night-market',
  fireLane: 't01-hospital-fire-lane',
  permittedSite: 't01-riverside-construction-site',
  frontage: 't01-fengwei-restaurant-frontage',
  stationNoParking: 't05-lanting-station-no-parking',
} as const;

/**
 * The stream's identities: `gridIdentities` grid cell × label identities (weight 15 each: 75 % of the stream
 * with the default 200) and the fixed set of place, fire and vehicle identities (1,000 slots: 25 %).
 */
export function benchIdentities(district: DistrictConfig, gridIdentities = 200): Identity[] {
  const targets = gridTargets(district, 7);
  const perLabel = Math.ceil(gridIdentities / GRID_LABELS.length);
  const cells = targets.slice(0, perLabel);
  const out: Identity[] = [];
  GRID_LABELS.forEach((label, l) =>
    cells.forEach((target, g) =>
      out.push({ role: 'grid', target, labels: [label], cameras: [benchCameraId((l * perLabel + g) % GRID_CAMERAS)], weight: 15, burst: 1 }),
    ),
  );
  out.splice(gridIdentities);

  const cam = (i: number): string => benchCameraId(GRID_CAMERAS + i);
  const at = (placeId: string, fx: number, fy: number, outside: string[] = []): SimTarget => placePoint(district, placeId, fx, fy, outside);
  const rand = mulberry32(22);
  const vehicle = (role: BenchRole, id: string, label: BenchLabel, target: SimTarget, cameraIndex: number, weight = 40): Identity => ({
    role,
    target,
    labels: [label],
    cameras: [cam(cameraIndex)],
    track: { id, ...(label !== 'bicycle' && { plate: plate(rand) }), stationary: true },
    weight,
    burst: 1,
  });
  const outsideBay = [PLACE.loadingBay];

  // Two burning cells, among the grid cells of the stream (so their minor issues are inhibited) and away
  // from every configured place (whose outcomes the other roles are about).
  const placeGrids = new Set(district.places.map((p) => p.gridCode).filter((g): g is string => g !== undefined));
  const fireCells = cells.filter((t) => !placeGrids.has(t.gridCode));
  if (fireCells.length < 2) throw new Error('the district has fewer than two grid cells without places for the fires');
  const fires = [fireCells[Math.floor(fireCells.length / 3)], fireCells[Math.floor((2 * fireCells.length) / 3)]];
  fires.forEach((target, f) =>
    out.push({
      role: 'fire',
      target,
      labels: ['smoke', 'smoke', 'fire', 'smoke', 'smoke'],
      cameras: [cam(3 * f), cam(3 * f + 1), cam(3 * f + 2)],
      weight: 60,
      burst: 5,
    }),
  );

  out.push(
    { role: 'night-market', target: at(PLACE.nightMarket, 0.3, 0.5), labels: ['vendor'], cameras: [cam(6), cam(7)], weight: 80, burst: 1 },
    { role: 'night-market', target: at(PLACE.nightMarket, 0.7, 0.5), labels: ['vendor'], cameras: [cam(7), cam(6)], weight: 80, burst: 1 },
    {
      role: 'permitted-works',
      target: at(PLACE.permittedSite, 0.4, 0.4),
      labels: ['scaffold', 'construction'],
      cameras: [cam(8), cam(9)],
      weight: 80,
      burst: 1,
    },
    { role: 'permitted-works', target: at(PLACE.permittedSite, 0.6, 0.6), labels: ['garbage'], cameras: [cam(9)], weight: 40, burst: 1 },
    vehicle('no-parking', 'yunxi-car-1', 'car', at(PLACE.noParking, 0.1, 0.5, outsideBay), 10),
    vehicle('no-parking', 'yunxi-car-2', 'car', at(PLACE.noParking, 0.2, 0.5, outsideBay), 10),
    vehicle('no-parking', 'yunxi-truck-3', 'truck', at(PLACE.noParking, 0.75, 0.5, outsideBay), 11),
    vehicle('no-parking', 'yunxi-car-4', 'car', at(PLACE.noParking, 0.9, 0.5, outsideBay), 11),
    vehicle('no-parking', 'station-car-1', 'car', at(PLACE.stationNoParking, 0.3, 0.5), 12),
    vehicle('no-parking', 'station-car-2', 'car', at(PLACE.stationNoParking, 0.6, 0.5), 12),
    vehicle('loading-bay', 'bay-van-1', 'truck', at(PLACE.loadingBay, 0.3, 0.5), 13),
    vehicle('loading-bay', 'bay-van-2', 'car', at(PLACE.loadingBay, 0.7, 0.5), 13),
    {
      role: 'passing',
      target: at(PLACE.noParking, 0.5, 0.3, outsideBay),
      labels: ['car'],
      cameras: [cam(14)],
      track: { id: 'yunxi-passing', stationary: false, newTrackEvery: 10 },
      weight: 40,
      burst: 1,
    },
    vehicle('bicycle', 'yunxi-bike-1', 'bicycle', at(PLACE.noParking, 0.3, 0.7, outsideBay), 15),
    vehicle('bicycle', 'yunxi-bike-2', 'bicycle', at(PLACE.noParking, 0.35, 0.7, outsideBay), 15),
    vehicle('bicycle', 'station-bike-1', 'bicycle', at(PLACE.stationNoParking, 0.8, 0.5), 16),
    vehicle('fire-lane', 'fire-lane-car-1', 'car', at(PLACE.fireLane, 0.5, 0.3), 17),
    vehicle('fire-lane', 'fire-lane-car-2', 'car', at(PLACE.fireLane, 0.5, 0.7), 17),
    { role: 'frontage', target: at(PLACE.frontage, 0.5, 0.5), labels: ['garbage', 'banner'], cameras: [cam(18)], weight: 40, burst: 1 },
  );
  return out;
}

/** Per cycle position: which identity, and which of its events in the cycle. */
interface Slots {
  cycle: number;
  slots: { identity: number; k: number }[];
}

const slotCache = new WeakMap<readonly Identity[], Slots>();

/**
 * The cycle: each identity's events at evenly spaced positions (bursts at evenly spaced positions, their
 * events one after the other), identities phased apart so they interleave.
 */
function slotsOf(identities: readonly Identity[]): Slots {
  const hit = slotCache.get(identities);
  if (hit) return hit;
  const cycle = identities.reduce((sum, id) => sum + id.weight, 0);
  const entries: { at: number; identity: number; k: number }[] = [];
  identities.forEach((id, n) => {
    const bursts = Math.ceil(id.weight / id.burst);
    const phase = (n * 0.618033988749895) % 1;
    for (let k = 0; k < id.weight; k++) entries.push({ at: ((Math.floor(k / id.burst) + phase) * cycle) / bursts, identity: n, k });
  });
  entries.sort((a, b) => a.at - b.at || a.identity - b.identity || a.k - b.k);
  const slots: Slots = { cycle, slots: entries.map(({ identity, k }) => ({ identity, k })) };
  slotCache.set(identities, slots);
  return slots;
}

/** Event `i` of a run: which identity it is about and which of that identity's events it is (0, 1, ...). */
export function identityOf(identities: readonly Identity[], i: number): { identity: Identity; ordinal: number } {
  const { cycle, slots } = slotsOf(identities);
  const slot = slots[i % cycle];
  const identity = identities[slot.identity];
  return { identity, ordinal: Math.floor(i / cycle) * identity.weight + slot.k };
}

/** Event `i` of a run (identity by the cycle of shares above; camera and label in turn), dated `at`. */
export function identityEvent(identities: readonly Identity[], eventId: string, i: number, at: Date): SimMessage {
  const { identity: id, ordinal } = identityOf(identities, i);
  const t = id.track;
  return genericEvent({
    eventId,
    deviceId: id.cameras[ordinal % id.cameras.length],
    occurredAt: at,
    label: id.labels[ordinal % id.labels.length],
    confidence: 0.9,
    location: { lat: id.target.lat, lng: id.target.lng },
    kind: 'generic',
    ...(t && {
      trackId: t.newTrackEvery ? `${t.id}-${Math.floor(ordinal / t.newTrackEvery)}` : t.id,
      ...(t.plate !== undefined && { plate: t.plate }),
      stationary: t.stationary,
    }),
  });
}

/** Source minutes the saturation stream covers. */
export const SOURCE_MINUTES = 30;
const DAY_MS = 86_400_000;
/** The stream's half hour lies inside this local evening stretch (minutes of the day): night market open, bicycles counted. */
const EVENING = { firstStart: 18 * 60 + 5, lastEnd: 21 * 60 + 55 };

/**
 * Source times of an `events`-event saturation stream: spread evenly over the most recent `SOURCE_MINUTES`
 * that end at least a minute before `now` and lie inside 18:05–21:55 in the rules' time zone (today's
 * evening when the bench runs in one, else the last evening's 21:25–21:55). Never ahead of `now`.
 */
export function benchSourceClock(district: DistrictConfig, events: number, now = new Date()): (i: number) => Date {
  const offsetMs = parseUtcOffset(district.ruleSet.timezone) * 60_000;
  const spanMs = SOURCE_MINUTES * 60_000;
  const latest = now.getTime() - 60_000;
  const local = latest + offsetMs;
  const dayStart = Math.floor(local / DAY_MS) * DAY_MS;
  const minute = (local - dayStart) / 60_000;
  let endLocal: number;
  if (minute >= EVENING.firstStart + SOURCE_MINUTES && minute <= EVENING.lastEnd) endLocal = local;
  else endLocal = (minute > EVENING.lastEnd ? dayStart : dayStart - DAY_MS) + EVENING.lastEnd * 60_000;
  const start = endLocal - offsetMs - spanMs;
  const n = Math.max(1, events);
  return (i) => new Date(start + Math.floor((i * spanMs) / n));
}

/**
 * Probe `k` (0 ≤ k < 4 × devices, unique over the whole run): device k mod devices, label k div devices,
 * so each probe is a new identity; the publish time (ms) is in its event id.
 */
export function probeEvent(phase: ProbePhase, k: number, devices: number, at: Date): SimMessage {
  if (k >= devices * PROBE_LABELS.length) throw new RangeError(`probe ${k} would reuse an identity (only ${devices} probe devices)`);
  const label = PROBE_LABELS[Math.floor(k / devices) % PROBE_LABELS.length];
  return genericEvent({ eventId: `${PROBE_PREFIX[phase]}-${at.getTime()}-${k}`, deviceId: probeDeviceId(k % devices), occurredAt: at, label, confidence: 0.9 });
}

/** The phase and publish time embedded in a probe's event id, or undefined for other ids. */
export function parseProbe(eventId: string): { phase: ProbePhase; publishedAt: number } | undefined {
  const m = /^(lsat|lfix)-(\d{13})-\d+$/.exec(eventId);
  if (!m) return undefined;
  return { phase: m[1] === PROBE_PREFIX.saturation ? 'saturation' : 'fixed', publishedAt: Number(m[2]) };
}

/** Publish time embedded in an event id `<word>-<13-digit ms>-<n>` (probes, naive fixed-load events). */
export function publishedAtOf(eventId: string): number | undefined {
  const m = /^[a-z]+-(\d{13})-\d+$/.exec(eventId);
  return m ? Number(m[1]) : undefined;
}
