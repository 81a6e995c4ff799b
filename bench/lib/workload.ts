/**
 * The benchmark's event stream, made with the simulator's generators: generic JSON events from 100
 * cameras about 200 distinct identities (50 grid cells × 4 categories, points outside every configured
 * place), so grouping is exercised as in production (many updates per open case); and latency probes,
 * each from a bench-only camera and category never seen before, so each one opens a NEW case (alerts
 * for updates of an open case are coalesced, so only an opening alert belongs to exactly one event).
 */
import type { DeviceConfig, DistrictConfig } from '@app/config';
import { gridTargets, SimTarget } from '../../scripts/simulator/district';
import { genericEvent, SimMessage } from '../../scripts/simulator/payloads';

/** Labels with a rule that needs no dwell, window or special source in the demo rules (no fire: it inhibits). */
export const BENCH_LABELS = ['garbage', 'construction', 'banner', 'vendor'] as const;
/**
 * Cameras the stream comes from: a city's events come from many devices, and CloudPatrol limits each
 * device (DEVICE_EVENTS_PER_SECOND, default 1000/s with a burst of 10,000), so the stream is spread over
 * 100 bench-only cameras (their events carry a position, so the identity is still grid × category).
 */
export const BENCH_CAMERAS = 100;
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

export interface Identity {
  target: SimTarget;
  label: (typeof BENCH_LABELS)[number];
}

/** Up to `count` identities: grid cells × labels. */
export function benchIdentities(district: DistrictConfig, count = 200): Identity[] {
  const targets = gridTargets(district, 7);
  const perLabel = Math.ceil(count / BENCH_LABELS.length);
  const out: Identity[] = [];
  for (const label of BENCH_LABELS) for (const target of targets.slice(0, perLabel)) out.push({ target, label });
  return out.slice(0, count);
}

/** Event `i` of a run: identity i mod |identities|, camera i mod BENCH_CAMERAS. */
export function identityEvent(identities: readonly Identity[], eventId: string, i: number, at: Date): SimMessage {
  const id = identities[i % identities.length];
  return genericEvent({ eventId, deviceId: benchCameraId(i % BENCH_CAMERAS), occurredAt: at, label: id.label, confidence: 0.9, location: { lat: id.target.lat, lng: id.target.lng }, kind: 'garbage' });
}

/**
 * Probe `k` (0 ≤ k < 4 × devices, unique over the whole run): device k mod devices, label k div devices,
 * so each probe is a new identity; the publish time (ms) is in its event id.
 */
export function probeEvent(phase: ProbePhase, k: number, devices: number, at: Date): SimMessage {
  if (k >= devices * BENCH_LABELS.length) throw new RangeError(`probe ${k} would reuse an identity (only ${devices} probe devices)`);
  const label = BENCH_LABELS[Math.floor(k / devices) % BENCH_LABELS.length];
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
