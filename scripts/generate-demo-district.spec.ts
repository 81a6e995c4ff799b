import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify, ClassifyContext } from '../libs/domain/src/classification/classify';
import type { DetectedIssue } from '../libs/domain/src/classification/detected-issue';
import type { TrackState } from '../libs/domain/src/classification/dwell-tracker';
import { parseRoutingYaml, unownedCategories } from '../libs/domain/src/classification/routing-table';
import { parseRuleSetYaml } from '../libs/domain/src/classification/rule-set.parser';
import type { ActiveInhibitor } from '../libs/domain/src/classification/suppression-policy';
import type { CanonicalEvent, Detection, GeoPoint } from '../libs/domain/src/event/canonical-event';
import { buildJurisdiction, JurisdictionIndex } from '../libs/domain/src/geo/jurisdiction-index';
import { parseJurisdictionGeoJson } from '../libs/domain/src/geo/jurisdiction.parser';
import { EMERGENCY_RECORD_TYPES, FIRE_RECORD_TYPES, POLICE_RECORD_TYPES } from '../libs/domain/src/adapters/department-feed.adapter';
import { demoDistrictFiles, townshipCode } from './generate-demo-district';

/**
 * The SYNTHETIC demo district as committed under config/demo/: files are in sync with the generator,
 * parse cleanly, refer to each other correctly, and give the issue's acceptance outcomes.
 */
const dir = join(__dirname, '..', 'config', 'demo');
const read = (name: string): string => readFileSync(join(dir, name), 'utf8');

function must<T>(r: { ok: true; value: T } | { ok: false; errors: string[] }): T {
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
}

const townships = must(parseJurisdictionGeoJson(read('townships.geojson'), 'config/demo/townships.geojson', 'townships'));
const grids = must(parseJurisdictionGeoJson(read('grids.geojson'), 'config/demo/grids.geojson', 'grids'));
const places = must(parseJurisdictionGeoJson(read('places.geojson'), 'config/demo/places.geojson', 'places'));
const built = buildJurisdiction({ townships, grids, places });
if (!built.ok) throw new Error(built.errors.join('\n'));
const jurisdiction: JurisdictionIndex = built.jurisdiction;

const rules = parseRuleSetYaml(read('rules.yaml'), 'config/demo/rules.yaml', {
  placeIds: new Set(places.map((p) => p.id)),
  placeTypes: new Set(places.map((p) => p.type)),
});
if (!rules.ok) throw new Error(rules.errors.join('\n'));
const ruleSet = rules.ruleSet;
const routingParsed = parseRoutingYaml(read('routing.yaml'), 'config/demo/routing.yaml', {
  categories: new Set(ruleSet.categories.map((c) => c.code)),
  placeTypes: new Set(places.map((p) => p.type)),
});
if (!routingParsed.ok) throw new Error(routingParsed.errors.join('\n'));
const routing = routingParsed.routing;

/** The devices the lead places in devices.yaml (positions and zone → place mappings recommended here). */
const DEMO_DEVICES: Record<string, { location: GeoPoint; zones: Record<string, string> }> = {
  'DEMO-CAM-01': { location: { lat: 23.105, lng: 113.255 }, zones: {} },
  'CAM-PARK-01': { location: { lat: 23.1206, lng: 113.245 }, zones: { no_parking: 't01-yunxi-rd-no-parking', loading_bay: 't01-yunxi-rd-loading-bay' } },
  'CAM-MARKET-01': { location: { lat: 23.1258, lng: 113.256 }, zones: { market: 't01-lanting-night-market' } },
  'CAM-FIRE-01': { location: { lat: 23.11, lng: 113.257 }, zones: { fire_lane: 't01-hospital-fire-lane' } },
  'CAM-SHOP-01': { location: { lat: 23.1185, lng: 113.2463 }, zones: { frontage: 't01-fengwei-restaurant-frontage' } },
  'DRONE-01': { location: { lat: 23.085, lng: 113.31 }, zones: {} },
};

const T01 = townshipCode(1);

function ctx(): ClassifyContext {
  return {
    ruleSet,
    jurisdiction,
    routing,
    zoneToPlace: (deviceId, zone) => DEMO_DEVICES[deviceId]?.zones[zone],
    tracks: new Map(),
    activeInhibitors: [],
    doNotDisturbHistory: () => false,
  };
}

let n = 0;
function ev(deviceId: string, iso: string, detections: Detection[], extra: Partial<CanonicalEvent> = {}): CanonicalEvent {
  n += 1;
  return {
    eventId: `demo-${n}`,
    source: 'frigate',
    sourceKind: deviceId.startsWith('DRONE') ? 'drone' : 'camera',
    deviceId,
    occurredAt: new Date(iso),
    location: DEMO_DEVICES[deviceId]?.location,
    zones: [],
    detections,
    media: [],
    attributes: {},
    raw: '{}',
    ...extra,
  };
}

function stream(deviceId: string, startIso: string, minutes: number, zones: string[], detection: Partial<Detection> = {}): CanonicalEvent[] {
  const t0 = Date.parse(startIso);
  const out: CanonicalEvent[] = [];
  for (let s = 0; s <= minutes * 60; s += 4) {
    out.push(
      ev(
        deviceId,
        new Date(t0 + s * 1000).toISOString(),
        [{ label: 'car', confidence: 0.88, trackId: '1764300000.123-abc', stationary: s >= 12, box: [410, 300, 620, 460], ...detection }],
        {
          zones,
          phase: s === 0 ? 'start' : 'update',
        },
      ),
    );
  }
  return out;
}

function run(events: CanonicalEvent[]): { issues: DetectedIssue[]; reasons: string[] } {
  const tracks = new Map<string, TrackState>();
  const inhibitors: ActiveInhibitor[] = [];
  const issues: DetectedIssue[] = [];
  const reasons: string[] = [];
  for (const e of events) {
    const r = classify(e, { ...ctx(), tracks, activeInhibitors: inhibitors });
    r.tracks.forEach((t) => tracks.set(t.key, t));
    inhibitors.push(...r.inhibitors);
    issues.push(...r.issues);
    reasons.push(...r.suppressed.map((s) => s.reason));
  }
  return { issues, reasons };
}

const identities = (issues: DetectedIssue[]): string[] => [...new Set(issues.map((i) => i.identityKey))];

describe('SYNTHETIC demo district files', () => {
  it('are what the generator produces', () => {
    for (const [name, text] of Object.entries(demoDistrictFiles())) expect(read(name)).toBe(text);
  });

  it('has 13 townships with 4 grid cells each, 15-digit grid codes, and some officers', () => {
    expect(townships).toHaveLength(13);
    expect(grids).toHaveLength(52);
    for (const t of townships) expect(grids.filter((g) => g.townshipCode === t.code)).toHaveLength(4);
    expect(grids.every((g) => /^449901\d{9}$/.test(g.code))).toBe(true);
    expect(grids.filter((g) => g.officer).length).toBeGreaterThan(0);
    expect(read('townships.geojson')).toContain('SYNTHETIC');
  });

  it('locates the centre of every grid cell in that cell and its township', () => {
    for (const g of grids) {
      const ring = g.geometry.type === 'Polygon' ? g.geometry.coordinates[0] : g.geometry.coordinates[0][0];
      const centre = { lng: (ring[0][0] + ring[2][0]) / 2, lat: (ring[0][1] + ring[2][1]) / 2 };
      const r = jurisdiction.locate(centre);
      expect([r.township?.code, r.grid?.code]).toEqual([g.townshipCode, g.code]);
    }
  });

  it('places every demo device inside township 01 or another township, and every place in its grid', () => {
    expect(jurisdiction.locate(DEMO_DEVICES['DEMO-CAM-01'].location)).toMatchObject({ township: { code: T01 }, grid: { code: `${T01}002002` }, places: [] });
    for (const d of Object.values(DEMO_DEVICES)) expect(jurisdiction.locate(d.location).township).toBeDefined();
    for (const p of places) {
      const ring = p.geometry.type === 'Polygon' ? p.geometry.coordinates[0] : p.geometry.coordinates[0][0];
      const r = jurisdiction.locate({ lng: (ring[0][0] + ring[2][0]) / 2, lat: (ring[0][1] + ring[2][1]) / 2 });
      expect([r.township?.code, r.grid?.code]).toEqual([p.townshipCode, p.gridCode]);
    }
  });

  it('has a rule and a handling unit for every category', () => {
    for (const c of ruleSet.categories) expect(ruleSet.rules.some((r) => r.category === c.code)).toBe(true);
    expect(
      unownedCategories(
        routing,
        ruleSet.categories.map((c) => c.code),
      ),
    ).toEqual([]);
  });
});

describe('SYNTHETIC demo district: acceptance outcomes', () => {
  it('DEMO-CAM-01 garbage ≥ 0.5 → one exposed-garbage issue in township 01', () => {
    const { issues } = run([ev('DEMO-CAM-01', '2026-11-28T10:00:00+08:00', [{ label: 'garbage', confidence: 0.93 }], { source: 'cloudpatrol' })]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      categoryCode: 'exposed-garbage',
      identityKey: `category=exposed-garbage|grid=${T01}002002`,
      townshipCode: T01,
      gridCode: `${T01}002002`,
      officer: { id: 'SYN-OFF-0104' },
      handlingUnit: `township-team:${T01}`,
    });
  });

  it('a car parked 12 minutes in the no-parking zone → exactly one disorderly-parking case, explained', () => {
    const { issues } = run(stream('CAM-PARK-01', '2026-11-28T10:00:00+08:00', 12, ['no_parking']));
    expect(identities(issues)).toEqual(['category=motor-parking|place=t01-yunxi-rd-no-parking']);
    expect(issues[0]).toMatchObject({
      townshipCode: T01,
      gridCode: `${T01}001001`,
      officer: { id: 'SYN-OFF-0101' },
      handlingUnit: `township-team:${T01}`,
      ruleId: 'motor-parking-no-parking-place',
      ruleVersion: 1,
    });
    expect(issues[0].explanation.dwell).toMatchObject({ requiredMinutes: 10, requireStationary: true });
    expect(issues[0].explanation.routing.reason).toBe('motor-parking × * → township-team (routing v1)');
  });

  it('a car parked 5 minutes → none; in the loading bay 12 minutes → none (grace)', () => {
    expect(run(stream('CAM-PARK-01', '2026-11-28T10:00:00+08:00', 5, ['no_parking'])).issues).toEqual([]);
    const bay = run(stream('CAM-PARK-01', '2026-11-28T10:00:00+08:00', 12, ['no_parking', 'loading_bay']));
    expect(bay.issues).toEqual([]);
    expect(new Set(bay.reasons)).toEqual(new Set(['exemption']));
  });

  it('a vendor at the night market at 19:00 → none, at 23:00 → one', () => {
    const vendor = (time: string) => ev('CAM-MARKET-01', `2026-11-28T${time}:00+08:00`, [{ label: 'vendor', confidence: 0.8 }], { zones: ['market'] });
    expect(run([vendor('19:00')])).toEqual({ issues: [], reasons: ['allowed-window'] });
    const late = run([vendor('23:00')]).issues;
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ categoryCode: 'street-occupation', placeId: 't01-lanting-night-market', handlingUnit: `township-team:${T01}` });
  });

  it('permitted works on the riverside site are silenced; a drone photo elsewhere is not', () => {
    const photo = (location: GeoPoint) =>
      ev('DRONE-01', '2026-12-05T10:00:00+08:00', [{ label: 'scaffold', confidence: 0.9 }], { source: 'drone-upload', location });
    expect(run([photo({ lat: 23.105, lng: 113.241 })]).reasons).toEqual(['silenced']);
    expect(run([photo({ lat: 23.078, lng: 113.315 })]).issues[0]).toMatchObject({
      placeId: 't09-zhuyuan-construction-site',
      handlingUnit: 'housing-construction',
    });
  });

  it('a fire mutes minor detections in its grid; a listed restaurant gets no case for a first minor issue', () => {
    const fire = ev('DEMO-CAM-01', '2026-11-28T10:00:00+08:00', [{ label: 'smoke', confidence: 0.9 }]);
    const garbage = ev('DEMO-CAM-01', '2026-11-28T10:10:00+08:00', [{ label: 'garbage', confidence: 0.9 }]);
    const r = run([fire, garbage]);
    expect(r.issues.map((i) => [i.categoryCode, i.handlingUnit])).toEqual([['fire-smoke', 'fire-brigade']]);
    expect(r.reasons).toEqual(['inhibited']);
    const shop = run([ev('CAM-SHOP-01', '2026-11-28T10:00:00+08:00', [{ label: 'garbage', confidence: 0.9 }], { zones: ['frontage'] })]);
    expect(shop).toEqual({ issues: [], reasons: ['do-not-disturb'] });
  });

  it('every department feed record type maps to a category', () => {
    const labels = new Set(ruleSet.rules.flatMap((r) => r.labels));
    for (const t of [...FIRE_RECORD_TYPES, ...POLICE_RECORD_TYPES, ...EMERGENCY_RECORD_TYPES]) expect([t, labels.has(t)]).toEqual([t, true]);
  });

  it('department feeds route to the department', () => {
    const feed = (label: string, source: CanonicalEvent['source']) =>
      run([ev('FIRE-PLATFORM', '2026-11-28T10:00:00+08:00', [{ label, confidence: 1 }], { source, sourceKind: 'feed', location: { lat: 23.09, lng: 113.3 } })])
        .issues[0];
    expect(feed('blocked_fire_exit', 'fire')).toMatchObject({ categoryCode: 'blocked-fire-lane', handlingUnit: 'fire-brigade' });
    expect(feed('flooding', 'emergency')).toMatchObject({ categoryCode: 'incident-referral', handlingUnit: 'township-team:449901009' });
    expect(feed('illegal_vending', 'police')).toMatchObject({ categoryCode: 'street-occupation' });
    expect(feed('illegal_parking', 'police')).toMatchObject({ categoryCode: 'motor-parking' });
    expect(feed('flooding', 'fire')).toBeUndefined();
  });
});
