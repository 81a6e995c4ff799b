import type { CanonicalEvent, DeviceKind, Detection, EventSource, GeoPoint } from '../event/canonical-event';
import { JurisdictionIndex } from '../geo/jurisdiction-index';
import type { AreaGeometry, GridCell, Place, Township } from '../geo/jurisdiction.schema';
import type { ClassifyContext } from './classify';
import { RuleSet, RuleSetInput, ruleSetSchema } from './rule-set';
import { RoutingTable, routingTableSchema } from './routing-table';

/**
 * Plain-data fixtures for the classification specs: a tiny district of two townships (rectangles),
 * three grid cells and a handful of places, with rules exercising every feature.
 */

export const square = (west: number, south: number, east: number, north: number): AreaGeometry => ({
  type: 'Polygon',
  coordinates: [
    [
      [west, south],
      [east, south],
      [east, north],
      [west, north],
      [west, south],
    ],
  ],
});

export const townships: Township[] = [
  { code: 'T1', name: 'Township One', nameZh: '一镇', geometry: square(113.0, 23.0, 113.1, 23.1) },
  { code: 'T2', name: 'Township Two', nameZh: '二镇', geometry: square(113.1, 23.0, 113.2, 23.1) },
];

export const grids: GridCell[] = [
  { code: '449901001001001', townshipCode: 'T1', geometry: square(113.0, 23.0, 113.05, 23.1) },
  { code: '449901001001002', townshipCode: 'T1', officer: { id: 'OFF-2', name: 'Officer Two' }, geometry: square(113.05, 23.0, 113.1, 23.1) },
  { code: '449901002001001', townshipCode: 'T2', geometry: square(113.1, 23.0, 113.2, 23.1) },
];

export const places: Place[] = [
  { id: 'np-street', name: 'No-parking street', type: 'no-parking', townshipCode: 'T1', gridCode: '449901001001001', geometry: square(113.01, 23.01, 113.03, 23.02) },
  { id: 'bay', name: 'Loading bay', type: 'loading-bay', townshipCode: 'T1', gridCode: '449901001001001', geometry: square(113.015, 23.01, 113.02, 23.02) },
  { id: 'market', name: 'Night market', type: 'night-market', townshipCode: 'T1', gridCode: '449901001001002', geometry: square(113.06, 23.05, 113.08, 23.06) },
  { id: 'site', name: 'Construction site', type: 'construction-site', townshipCode: 'T2', gridCode: '449901002001001', geometry: square(113.15, 23.05, 113.16, 23.06) },
  {
    id: 'shop',
    name: 'Restaurant frontage',
    type: 'shopfront',
    townshipCode: 'T1',
    gridCode: '449901001001001',
    businessId: 'BIZ-1',
    geometry: square(113.04, 23.04, 113.045, 23.045),
  },
];

/** Points inside each place / area. */
export const at = {
  street: { lat: 23.015, lng: 113.025 },
  bay: { lat: 23.015, lng: 113.017 },
  market: { lat: 23.055, lng: 113.07 },
  site: { lat: 23.055, lng: 113.155 },
  shop: { lat: 23.042, lng: 113.042 },
  /** T1, east grid (with officer), no place. */
  openT1East: { lat: 23.08, lng: 113.07 },
  outside: { lat: 22.5, lng: 112.5 },
} satisfies Record<string, GeoPoint>;

export const jurisdiction = new JurisdictionIndex({ townships, grids, places });

export const ruleSetInput: RuleSetInput = {
  version: 7,
  categories: [
    { code: 'motor-parking', name: 'Motor parking', nameZh: '机动车乱停放', family: '街面秩序', severity: 'medium', identityIncludesPlate: true },
    { code: 'exposed-garbage', name: 'Exposed garbage', nameZh: '暴露垃圾', family: '市容环境', severity: 'medium' },
    { code: 'street-occupation', name: 'Street occupation', nameZh: '占道经营', family: '街面秩序', severity: 'medium' },
    { code: 'illegal-construction', name: 'Illegal construction', nameZh: '乱搭乱建', family: '施工管理', severity: 'high' },
    { code: 'fire-smoke', name: 'Fire / smoke', nameZh: '火情烟雾', family: '突发事件', severity: 'critical' },
    { code: 'illegal-advertising', name: 'Illegal advertising', nameZh: '违法广告', family: '宣传广告', severity: 'low' },
    { code: 'orphan', name: 'Nobody owns this', nameZh: '无主', family: '其他', severity: 'low' },
  ],
  rules: [
    { id: 'garbage', category: 'exposed-garbage', labels: ['garbage'], minConfidence: 0.5 },
    {
      id: 'parking',
      category: 'motor-parking',
      labels: ['car', 'truck'],
      minConfidence: 0.6,
      placeTypes: ['no-parking'],
      dwell: { minutes: 10 },
      exemptions: [{ placeTypes: ['loading-bay'], graceMinutes: 30, reason: 'loading bay' }],
    },
    {
      id: 'vending',
      category: 'street-occupation',
      labels: ['vendor'],
      minConfidence: 0.6,
      timeWindows: { allowed: [{ from: '18:00', to: '22:00', placeTypes: ['night-market'] }] },
    },
    { id: 'construction', category: 'illegal-construction', labels: ['scaffold'], minConfidence: 0.6 },
    { id: 'fire', category: 'fire-smoke', labels: ['fire', 'fire_alarm'], minConfidence: 0.6 },
    {
      id: 'banner-daytime',
      category: 'illegal-advertising',
      labels: ['banner'],
      minConfidence: 0.6,
      timeWindows: { active: [{ from: '08:00', to: '20:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] }] },
    },
    { id: 'orphan', category: 'orphan', labels: ['mystery'], minConfidence: 0.1 },
  ],
  silences: [
    {
      id: 'permit-1',
      from: '2026-11-01T00:00:00+08:00',
      to: '2026-12-01T00:00:00+08:00',
      reason: 'permitted works',
      reference: 'PERMIT-1',
      categories: ['illegal-construction', 'exposed-garbage'],
      places: ['site'],
    },
  ],
  doNotDisturb: { windowDays: 90, entries: [{ businessId: 'BIZ-1', name: 'Restaurant' }] },
  inhibitions: [{ id: 'fire-mutes', sourceCategories: ['fire-smoke'], scope: 'grid', minutes: 60 }],
};

export const ruleSet: RuleSet = ruleSetSchema.parse(ruleSetInput);

export const routing: RoutingTable = routingTableSchema.parse({
  version: 1,
  units: [
    { code: 'township-team', name: 'Township team', perTownship: true },
    { code: 'fire-brigade', name: 'Fire brigade' },
    { code: 'housing-construction', name: 'Housing and construction' },
  ],
  responsibilities: [
    { category: 'illegal-construction', placeType: 'construction-site', unit: 'housing-construction' },
    { category: 'illegal-construction', placeType: '*', unit: 'township-team' },
    { category: 'motor-parking', placeType: '*', unit: 'township-team' },
    { category: 'exposed-garbage', placeType: '*', unit: 'township-team' },
    { category: 'street-occupation', placeType: '*', unit: 'township-team' },
    { category: 'illegal-advertising', placeType: '*', unit: 'township-team' },
    { category: 'fire-smoke', placeType: '*', unit: 'fire-brigade' },
  ],
});

const ZONES: Record<string, Record<string, string>> = {
  'CAM-PARK': { no_parking: 'np-street', loading_bay: 'bay' },
  'CAM-MARKET': { market: 'market' },
  'CAM-SITE': { site: 'site' },
};

export function context(overrides: Partial<ClassifyContext> = {}): ClassifyContext {
  return {
    ruleSet,
    jurisdiction,
    routing,
    zoneToPlace: (deviceId, zone) => ZONES[deviceId]?.[zone],
    tracks: new Map(),
    activeInhibitors: [],
    doNotDisturbHistory: () => false,
    ...overrides,
  };
}

let seq = 0;

export function event(input: {
  at: string | Date;
  deviceId?: string;
  source?: EventSource;
  sourceKind?: DeviceKind;
  location?: GeoPoint;
  zones?: string[];
  detections: Detection[];
  phase?: CanonicalEvent['phase'];
  eventId?: string;
}): CanonicalEvent {
  seq += 1;
  return {
    eventId: input.eventId ?? `e-${seq}`,
    source: input.source ?? 'cloudpatrol',
    sourceKind: input.sourceKind ?? 'camera',
    deviceId: input.deviceId ?? 'CAM-1',
    occurredAt: typeof input.at === 'string' ? new Date(input.at) : input.at,
    ...(input.location && { location: input.location }),
    zones: input.zones ?? [],
    detections: input.detections,
    media: [],
    ...(input.phase && { phase: input.phase }),
    attributes: {},
    raw: '{}',
  };
}

/**
 * A Frigate-like stream for one object: an update every `everySeconds` for `minutes`, moving for the
 * first `movingSeconds`, then `stationary: true`; the last message is `end` when `end` is set.
 */
export function frigateStream(input: {
  start: string;
  minutes: number;
  everySeconds?: number;
  movingSeconds?: number;
  deviceId?: string;
  trackId?: string;
  label?: string;
  zones?: string[];
  plate?: string;
  location?: GeoPoint;
  end?: boolean;
}): CanonicalEvent[] {
  const every = input.everySeconds ?? 5;
  const moving = input.movingSeconds ?? 10;
  const t0 = new Date(input.start).getTime();
  const out: CanonicalEvent[] = [];
  for (let s = 0; s <= input.minutes * 60; s += every) {
    const last = s + every > input.minutes * 60;
    out.push(
      event({
        at: new Date(t0 + s * 1000),
        deviceId: input.deviceId ?? 'CAM-PARK',
        source: 'frigate',
        zones: input.zones ?? ['no_parking'],
        ...(input.location && { location: input.location }),
        phase: s === 0 ? 'start' : last && input.end ? 'end' : 'update',
        detections: [
          {
            label: input.label ?? 'car',
            confidence: 0.9,
            trackId: input.trackId ?? 'obj-1',
            stationary: s >= moving,
            box: [100, 100, 200, 180],
            ...(input.plate && { plate: input.plate }),
          },
        ],
      }),
    );
  }
  return out;
}
