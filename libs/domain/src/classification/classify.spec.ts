import { classify, classifyBatch, ClassifyContext, trackKeysFor } from './classify';
import type { DetectedIssue, Suppression } from './detected-issue';
import { parseTrackState, TrackState } from './dwell-tracker';
import type { ActiveInhibitor } from './suppression-policy';
import { at, context, event, frigateStream, ruleSet } from './test-district.fixture';
import type { CanonicalEvent } from '../event/canonical-event';

/** Runs a stream event by event like a worker would: state carried between calls. */
function run(events: CanonicalEvent[], ctx: ClassifyContext = context()): { issues: DetectedIssue[]; suppressed: Suppression[]; tracks: Map<string, TrackState> } {
  const tracks = new Map(ctx.tracks);
  const inhibitors: ActiveInhibitor[] = [...ctx.activeInhibitors];
  const issues: DetectedIssue[] = [];
  const suppressed: Suppression[] = [];
  for (const e of events) {
    const r = classify(e, { ...ctx, tracks, activeInhibitors: inhibitors });
    r.tracks.forEach((t) => tracks.set(t.key, t));
    inhibitors.push(...r.inhibitors);
    issues.push(...r.issues);
    suppressed.push(...r.suppressed);
  }
  return { issues, suppressed, tracks };
}

const keys = (issues: DetectedIssue[]): string[] => [...new Set(issues.map((i) => i.identityKey))];

describe('classify: detections without dwell', () => {
  it('turns a garbage detection above the threshold into one explained issue', () => {
    const r = classify(event({ at: '2026-11-28T10:00:00+08:00', location: at.openT1East, detections: [{ label: 'garbage', confidence: 0.93 }] }), context());
    expect(r.issues).toHaveLength(1);
    const issue = r.issues[0];
    expect(issue).toMatchObject({
      categoryCode: 'exposed-garbage',
      severity: 'medium',
      identity: { category: 'exposed-garbage', grid: '449901001001002' },
      identityKey: 'category=exposed-garbage|grid=449901001001002',
      ruleId: 'garbage',
      ruleVersion: 7,
      townshipCode: 'T1',
      gridCode: '449901001001002',
      officer: { id: 'OFF-2', name: 'Officer Two' },
      handlingUnit: 'township-team:T1',
    });
    expect(issue.explanation).toMatchObject({ rule: 'garbage', ruleVersion: 7, label: 'garbage', confidence: 0.93, minConfidence: 0.5, identityFrom: 'grid' });
    expect(issue.explanation.routing.reason).toContain('exposed-garbage × * → township-team');
    expect(JSON.parse(JSON.stringify(issue.explanation))).toEqual(issue.explanation);
  });

  it('ignores detections below the minimum confidence and unknown labels', () => {
    const r = classify(event({ at: '2026-11-28T10:00:00+08:00', location: at.openT1East, detections: [{ label: 'garbage', confidence: 0.4 }, { label: 'cat', confidence: 1 }] }), context());
    expect(r.issues).toEqual([]);
    expect(r.suppressed).toEqual([]);
  });

  it('holds an issue outside every township for an operator, identified by device', () => {
    const r = classify(event({ at: '2026-11-28T10:00:00+08:00', deviceId: 'CAM-X', location: at.outside, detections: [{ label: 'garbage', confidence: 0.9 }] }), context());
    expect(r.issues[0]).toMatchObject({ identityKey: 'category=exposed-garbage|device=CAM-X', heldReason: 'outside-every-township', routing: { held: true } });
    expect(r.issues[0].handlingUnit).toBeUndefined();
  });

  it('holds a category no unit owns', () => {
    const r = classify(event({ at: '2026-11-28T10:00:00+08:00', location: at.openT1East, detections: [{ label: 'mystery', confidence: 0.9 }] }), context());
    expect(r.issues[0]).toMatchObject({ heldReason: 'no-unit-owns-category' });
  });

  it('routes by place type: construction on a construction site goes to housing and construction', () => {
    const r = classify(event({ at: '2027-01-10T10:00:00+08:00', location: at.site, detections: [{ label: 'scaffold', confidence: 0.9 }] }), context());
    expect(r.issues[0]).toMatchObject({ placeId: 'site', handlingUnit: 'housing-construction', townshipCode: 'T2' });
  });

  it('reports one issue per identity even when several detections match', () => {
    const r = classify(event({ at: '2026-11-28T10:00:00+08:00', location: at.openT1East, detections: [{ label: 'garbage', confidence: 0.9 }, { label: 'garbage', confidence: 0.7 }] }), context());
    expect(r.issues).toHaveLength(1);
  });

  it('ignores an event Frigate flagged as a false positive (no issue, no track)', () => {
    const e = event({ at: '2026-11-28T10:00:00+08:00', location: at.openT1East, detections: [{ label: 'garbage', confidence: 0.9, trackId: 'x' }] });
    expect(classify({ ...e, attributes: { falsePositive: true } }, context())).toEqual({ issues: [], suppressed: [], tracks: [], inhibitors: [] });
    expect(classify({ ...e, attributes: { falsePositive: false } }, context()).issues).toHaveLength(1);
  });

  it('matches a Frigate sub label (person → vendor) like a label', () => {
    const e = event({ at: '2026-11-28T23:00:00+08:00', deviceId: 'CAM-MARKET', source: 'frigate', zones: ['market'], detections: [{ label: 'person', confidence: 0.8, trackId: 'p1' }] });
    expect(classify(e, context()).issues).toEqual([]);
    const r = classify({ ...e, attributes: { subLabel: 'vendor' } }, context());
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0].explanation).toMatchObject({ label: 'person', subLabel: 'vendor', rule: 'vending' });
  });

  it('respects sources: a rule limited to a source ignores others', () => {
    const ctx = context({
      ruleSet: { ...ruleSet, rules: ruleSet.rules.map((r) => (r.id === 'garbage' ? { ...r, sources: ['drone' as const] } : r)) },
    });
    const e = event({ at: '2026-11-28T10:00:00+08:00', location: at.openT1East, detections: [{ label: 'garbage', confidence: 0.9 }] });
    expect(classify(e, ctx).issues).toHaveLength(0);
    expect(classify({ ...e, sourceKind: 'drone' }, ctx).issues).toHaveLength(1);
  });
});

describe('classify: dwell (a car in a no-parking place)', () => {
  it('a car stationary 12 minutes gives issues with one identity (one case) once 10 minutes are reached', () => {
    const stream = frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes: 12, plate: '粤A12345' });
    const { issues } = run(stream);
    expect(keys(issues)).toEqual(['category=motor-parking|place=np-street|plate=粤A12345']);
    // stationary from 10:00:10, so the first issue is at 10:10:10
    expect(issues[0].occurredAt.toISOString()).toBe('2026-11-28T02:10:10.000Z');
    expect(issues[0]).toMatchObject({ placeId: 'np-street', gridCode: '449901001001001', townshipCode: 'T1', handlingUnit: 'township-team:T1' });
    expect(issues[0].explanation.dwell).toMatchObject({ requiredMinutes: 10, since: '2026-11-28T02:00:10.000Z', requireStationary: true });
    expect(issues[0].explanation.place).toEqual({ id: 'np-street', name: 'No-parking street', type: 'no-parking', via: 'zone' });
  });

  it('a car parked 5 minutes gives nothing, and records no suppression noise', () => {
    const { issues, suppressed } = run(frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes: 5, end: true }));
    expect(issues).toEqual([]);
    expect(suppressed).toEqual([]);
  });

  it('a car outside any no-parking place gives nothing however long it stays', () => {
    const { issues } = run(frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes: 20, zones: ['driveway'] }));
    expect(issues).toEqual([]);
  });

  it('movement resets the clock', () => {
    const first = frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes: 8 });
    // moves at 10:08:05 (not stationary), then stands still again for 8 minutes
    const second = frigateStream({ start: '2026-11-28T10:08:05+08:00', minutes: 8 }).map((e, i) => (i === 0 ? { ...e, phase: 'update' as const } : e));
    const { issues, tracks } = run([...first, ...second]);
    expect(issues).toEqual([]);
    expect([...tracks.values()][0].stationarySince).toBe('2026-11-28T02:08:15.000Z');
  });

  it('keeps dwell across a worker restart: state serialised to JSON and restored', () => {
    const stream = frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes: 12 });
    const before = run(stream.slice(0, 72)); // first 6 minutes
    expect(before.issues).toEqual([]);
    const stored = JSON.stringify([...before.tracks.values()]);
    // ... the worker restarts ...
    const restored = new Map((JSON.parse(stored) as unknown[]).map((j) => parseTrackState(j)).filter((t): t is TrackState => t !== undefined).map((t) => [t.key, t]));
    const after = run(stream.slice(72), context({ tracks: restored }));
    expect(keys(after.issues)).toEqual(['category=motor-parking|place=np-street']);
    expect(after.issues[0].occurredAt.toISOString()).toBe('2026-11-28T02:10:10.000Z');
  });

  it('measures source time: a 12-minute stream delivered in one batch gives the same as one by one', () => {
    const stream = frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes: 12 });
    const single = run(stream).issues.map((i) => [i.identityKey, i.occurredAt.toISOString()]);
    const batch = classifyBatch([...stream].reverse(), context());
    expect(batch.results.flatMap((r) => r.issues).map((i) => [i.identityKey, i.occurredAt.toISOString()])).toEqual(single);
    expect(batch.tracks).toHaveLength(1);
  });

  it('keeps the first identity of a track when the plate is read only later (no second case)', () => {
    const stream = frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes: 12 });
    const late = stream.map((e, i) => (i > 130 ? { ...e, detections: e.detections.map((d) => ({ ...d, plate: '粤B99999' })) } : e));
    expect(keys(run(late).issues)).toEqual(['category=motor-parking|place=np-street']);
  });

  it('a track without tracker id or plate cannot dwell: recorded as no-track', () => {
    const e = event({ at: '2026-11-28T10:00:00+08:00', location: at.street, sourceKind: 'drone', detections: [{ label: 'car', confidence: 0.9 }] });
    const r = classify(e, context());
    expect(r.issues).toEqual([]);
    expect(r.suppressed.map((s) => s.reason)).toEqual(['no-track']);
  });

  it('a Frigate end closes the track; a new object id starts over', () => {
    const { tracks } = run(frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes: 2, end: true }));
    expect([...tracks.values()][0].endedAt).toBe('2026-11-28T02:02:00.000Z');
  });

  it('tracks only labels a dwell rule needs (and names them for prefetching)', () => {
    const events = [
      event({ at: '2026-11-28T10:00:00+08:00', deviceId: 'CAM-PARK', zones: ['no_parking'], detections: [{ label: 'car', confidence: 0.9, trackId: 'a' }] }),
      event({ at: '2026-11-28T10:00:00+08:00', deviceId: 'CAM-PARK', detections: [{ label: 'person', confidence: 0.9, trackId: 'b' }] }),
    ];
    expect(trackKeysFor(events, ruleSet)).toEqual(['CAM-PARK#track:a']);
    expect(classifyBatch(events, context()).tracks.map((t) => t.key)).toEqual(['CAM-PARK#track:a']);
  });
});

describe('classify: out-of-order and late events', () => {
  const stream = frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes: 12 });

  it('applies slightly out-of-order events (within 120 s) and still opens exactly one case', () => {
    const shuffled = [...stream];
    for (let i = 0; i + 1 < shuffled.length; i += 7) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1], shuffled[i]];
    const { issues, suppressed } = run(shuffled);
    expect(keys(issues)).toEqual(['category=motor-parking|place=np-street']);
    expect(suppressed.filter((s) => s.reason === 'late-event')).toEqual([]);
  });

  it('ignores an event older than the tolerance for dwell and reports it as late-event', () => {
    const { tracks } = run(stream.slice(0, 100)); // up to 10:08:15
    const late = event({
      at: '2026-11-28T10:01:00+08:00',
      deviceId: 'CAM-PARK',
      source: 'frigate',
      zones: ['no_parking'],
      detections: [{ label: 'car', confidence: 0.9, trackId: 'obj-1', stationary: false }],
    });
    const r = classify(late, context({ tracks }));
    expect(r.issues).toEqual([]);
    expect(r.tracks).toEqual([]); // state unchanged: nothing to store
    expect(r.suppressed).toHaveLength(1);
    expect(r.suppressed[0]).toMatchObject({ reason: 'late-event', issue: { identityKey: 'category=motor-parking|place=np-street' } });
    expect(r.suppressed[0].detail).toContain('tolerance 120 s');
  });

  it('a late "moving" observation within tolerance restarts the clock conservatively', () => {
    const { tracks } = run(stream.slice(0, 100)); // last seen 10:08:15, stationary since 10:00:10
    const late = event({
      at: '2026-11-28T10:07:30+08:00',
      deviceId: 'CAM-PARK',
      source: 'frigate',
      zones: ['no_parking'],
      detections: [{ label: 'car', confidence: 0.9, trackId: 'obj-1', stationary: false }],
    });
    const r = classify(late, context({ tracks }));
    expect(r.tracks[0]).toMatchObject({ stationarySince: '2026-11-28T02:08:15.000Z', lastSeenAt: '2026-11-28T02:08:15.000Z' });
  });

  it('a late garbage photo is still garbage: rules without dwell ignore lateness', () => {
    const r = classify(event({ at: '2026-11-20T10:00:00+08:00', location: at.openT1East, detections: [{ label: 'garbage', confidence: 0.9 }] }), context());
    expect(r.issues).toHaveLength(1);
  });
});

describe('classify: exemptions (loading bay grace)', () => {
  const inBay = (minutes: number) => frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes, zones: ['no_parking', 'loading_bay'] });

  it('a car in the loading bay for 12 minutes is exempt (within 30 min grace) and the exemption is recorded', () => {
    const { issues, suppressed } = run(inBay(12));
    expect(issues).toEqual([]);
    expect(suppressed.length).toBeGreaterThan(0);
    expect(new Set(suppressed.map((s) => s.reason))).toEqual(new Set(['exemption']));
    expect(suppressed[0].detail).toContain('within 30 min grace');
    expect(suppressed[0].reference).toBe('bay');
  });

  it('after the grace the car is an issue of the no-parking place', () => {
    const { issues } = run(inBay(32));
    expect(keys(issues)).toEqual(['category=motor-parking|place=np-street']);
    expect(issues[0].occurredAt.toISOString()).toBe('2026-11-28T02:30:10.000Z');
    expect(issues[0].explanation.exemption).toMatchObject({ graceMinutes: 30, placeId: 'bay' });
  });
});

describe('classify: time windows', () => {
  const vendor = (time: string) =>
    event({ at: `2026-11-28T${time}:00+08:00`, deviceId: 'CAM-MARKET', zones: ['market'], detections: [{ label: 'vendor', confidence: 0.8 }] });

  it('a vendor at 19:00 in the night-market window gives no issue (recorded as allowed)', () => {
    const r = classify(vendor('19:00'), context());
    expect(r.issues).toEqual([]);
    expect(r.suppressed).toHaveLength(1);
    expect(r.suppressed[0]).toMatchObject({ reason: 'allowed-window' });
    expect(r.suppressed[0].issue.explanation.window).toEqual({ kind: 'allowed', window: '18:00–22:00 daily at type night-market', localTime: '2026-11-28 19:00 sat' });
  });

  it('a vendor at 23:00 gives one issue; 22:00 is already outside (end exclusive)', () => {
    expect(classify(vendor('23:00'), context()).issues).toHaveLength(1);
    expect(classify(vendor('22:00'), context()).issues).toHaveLength(1);
    expect(classify(vendor('21:59'), context()).issues).toHaveLength(0);
  });

  it('the allowance only applies at the night market, not elsewhere', () => {
    const r = classify(event({ at: '2026-11-28T19:00:00+08:00', location: at.openT1East, detections: [{ label: 'vendor', confidence: 0.8 }] }), context());
    expect(r.issues).toHaveLength(1);
  });

  it('uses source time and the configured offset, not the host clock', () => {
    // 13:30 UTC = 21:30 at +08:00 (allowed) but 22:30 at +09:00 (not allowed)
    const e = event({ at: '2026-11-28T13:30:00Z', deviceId: 'CAM-MARKET', zones: ['market'], detections: [{ label: 'vendor', confidence: 0.8 }] });
    expect(classify(e, context()).issues).toHaveLength(0);
    expect(classify(e, context({ ruleSet: { ...ruleSet, timezone: '+09:00' } })).issues).toHaveLength(1);
  });

  it('an active window limits when a rule applies at all (weekday daytime banners)', () => {
    const banner = (iso: string) => event({ at: iso, location: at.openT1East, detections: [{ label: 'banner', confidence: 0.9 }] });
    expect(classify(banner('2026-11-27T10:00:00+08:00'), context()).issues).toHaveLength(1); // Friday
    const saturday = classify(banner('2026-11-28T10:00:00+08:00'), context());
    expect(saturday.issues).toHaveLength(0);
    expect(saturday.suppressed).toHaveLength(0);
    expect(classify(banner('2026-11-27T21:00:00+08:00'), context()).issues).toHaveLength(0);
  });
});

describe('classify: silences, do-not-disturb and inhibition', () => {
  it('silences permitted works on the construction site between from and to', () => {
    const scaffold = (iso: string) => event({ at: iso, location: at.site, sourceKind: 'drone', detections: [{ label: 'scaffold', confidence: 0.9 }] });
    const r = classify(scaffold('2026-11-28T10:00:00+08:00'), context());
    expect(r.issues).toEqual([]);
    expect(r.suppressed[0]).toMatchObject({ reason: 'silenced', reference: 'permit-1 PERMIT-1' });
    expect(r.suppressed[0].detail).toContain('permitted works');
    expect(classify(scaffold('2026-12-01T00:00:00+08:00'), context()).issues).toHaveLength(1);
  });

  it('suppresses a listed business\'s minor first issue with the reason, but not a repeat', () => {
    const garbage = event({ at: '2026-11-28T10:00:00+08:00', location: at.shop, detections: [{ label: 'garbage', confidence: 0.9 }] });
    const queries: unknown[] = [];
    const first = classify(
      garbage,
      context({
        doNotDisturbHistory: (q) => {
          queries.push(q);
          return false;
        },
      }),
    );
    expect(first.issues).toEqual([]);
    expect(first.suppressed[0]).toMatchObject({ reason: 'do-not-disturb', reference: 'business:BIZ-1' });
    expect(first.suppressed[0].detail).toContain('first issue');
    expect(queries).toEqual([{ subjectId: 'business:BIZ-1', placeIds: ['shop'], since: new Date('2026-08-30T02:00:00Z'), until: new Date('2026-11-28T02:00:00Z') }]);
    const repeat = classify(garbage, context({ doNotDisturbHistory: () => true }));
    expect(repeat.issues).toHaveLength(1);
    expect(repeat.issues[0].explanation.doNotDisturb).toEqual({ subjectId: 'business:BIZ-1', earlierCase: true, windowDays: 90 });
  });

  it('never suppresses a serious issue of a listed business', () => {
    const fire = event({ at: '2026-11-28T10:00:00+08:00', location: at.shop, detections: [{ label: 'fire', confidence: 0.9 }] });
    expect(classify(fire, context()).issues).toHaveLength(1);
  });

  it('a fire in a grid mutes minor detections there for 60 minutes, and says so', () => {
    const fire = event({ at: '2026-11-28T10:00:00+08:00', location: at.openT1East, detections: [{ label: 'fire', confidence: 0.9 }] });
    const f = classify(fire, context());
    expect(f.issues[0]).toMatchObject({ categoryCode: 'fire-smoke', handlingUnit: 'fire-brigade' });
    expect(f.inhibitors).toEqual([
      {
        inhibitionId: 'fire-mutes',
        sourceCategory: 'fire-smoke',
        sourceIdentityKey: 'category=fire-smoke|grid=449901001001002',
        scope: 'grid',
        gridCode: '449901001001002',
        from: new Date('2026-11-28T02:00:00Z'),
        until: new Date('2026-11-28T03:00:00Z'),
      },
    ]);
    const garbage = (iso: string, location = at.openT1East) => event({ at: iso, location, detections: [{ label: 'garbage', confidence: 0.9 }] });
    const muted = classify(garbage('2026-11-28T10:20:00+08:00'), context({ activeInhibitors: f.inhibitors }));
    expect(muted.issues).toEqual([]);
    expect(muted.suppressed[0]).toMatchObject({ reason: 'inhibited', reference: 'fire-mutes category=fire-smoke|grid=449901001001002' });
    // later than 60 minutes, before the fire, or in another grid: not muted
    expect(classify(garbage('2026-11-28T11:01:00+08:00'), context({ activeInhibitors: f.inhibitors })).issues).toHaveLength(1);
    expect(classify(garbage('2026-11-28T09:59:00+08:00'), context({ activeInhibitors: f.inhibitors })).issues).toHaveLength(1);
    expect(classify(garbage('2026-11-28T10:20:00+08:00', at.street), context({ activeInhibitors: f.inhibitors })).issues).toHaveLength(1);
    // a high-severity category is not muted
    const scaffold = event({ at: '2026-11-28T10:20:00+08:00', location: at.openT1East, detections: [{ label: 'scaffold', confidence: 0.9 }] });
    expect(classify(scaffold, context({ activeInhibitors: f.inhibitors })).issues).toHaveLength(1);
  });

  it('a fire and garbage in the same photo: the fire mutes the garbage whatever the order', () => {
    const both = event({
      at: '2026-11-28T10:00:00+08:00',
      location: at.openT1East,
      detections: [
        { label: 'garbage', confidence: 0.9 },
        { label: 'fire', confidence: 0.9 },
      ],
    });
    const r = classify(both, context());
    expect(r.issues.map((i) => i.categoryCode)).toEqual(['fire-smoke']);
    expect(r.suppressed.map((s) => s.reason)).toEqual(['inhibited']);
  });

  it('inhibitors flow through a batch', () => {
    const events = [
      event({ at: '2026-11-28T10:05:00+08:00', location: at.openT1East, detections: [{ label: 'garbage', confidence: 0.9 }] }),
      event({ at: '2026-11-28T10:00:00+08:00', location: at.openT1East, detections: [{ label: 'fire', confidence: 0.9 }] }),
    ];
    const b = classifyBatch(events, context());
    expect(b.results.map((r) => r.issues.length)).toEqual([1, 0]);
    expect(b.inhibitors).toHaveLength(1);
  });
});

describe('classify: cross-source identity', () => {
  it('a camera zone and a drone photo of the same place and category share one identity', () => {
    const camera = event({ at: '2027-01-10T10:00:00+08:00', deviceId: 'CAM-PARK', zones: ['no_parking'], location: { lat: 23.0205, lng: 113.02 }, detections: [{ label: 'garbage', confidence: 0.9 }] });
    const drone = event({ at: '2027-01-10T10:30:00+08:00', deviceId: 'DRONE-1', source: 'drone-upload', sourceKind: 'drone', location: { lat: 23.012, lng: 113.012 }, detections: [{ label: 'garbage', confidence: 0.8 }] });
    const a = classify(camera, context()).issues[0];
    const b = classify(drone, context()).issues[0];
    expect(a.identityKey).toBe('category=exposed-garbage|place=np-street');
    expect(b.identityKey).toBe(a.identityKey);
    expect(a.explanation.place?.via).toBe('zone');
    expect(b.explanation.place?.via).toBe('geometry');
    expect([a.townshipCode, a.gridCode]).toEqual([b.townshipCode, b.gridCode]);
  });

  it('the most specific place wins for both sources (loading bay inside the street)', () => {
    const camera = event({ at: '2027-01-10T10:00:00+08:00', deviceId: 'CAM-PARK', zones: ['no_parking', 'loading_bay'], detections: [{ label: 'garbage', confidence: 0.9 }] });
    const drone = event({ at: '2027-01-10T10:00:00+08:00', deviceId: 'DRONE-1', sourceKind: 'drone', location: at.bay, detections: [{ label: 'garbage', confidence: 0.9 }] });
    expect(classify(camera, context()).issues[0].identityKey).toBe('category=exposed-garbage|place=bay');
    expect(classify(drone, context()).issues[0].identityKey).toBe('category=exposed-garbage|place=bay');
  });

  it('two devices in the same grid without a place share the grid identity', () => {
    const a = classify(event({ at: '2027-01-10T10:00:00+08:00', deviceId: 'A', location: at.openT1East, detections: [{ label: 'garbage', confidence: 0.9 }] }), context());
    const b = classify(event({ at: '2027-01-10T10:00:00+08:00', deviceId: 'B', location: { lat: 23.09, lng: 113.09 }, detections: [{ label: 'garbage', confidence: 0.9 }] }), context());
    expect(a.issues[0].identityKey).toBe(b.issues[0].identityKey);
  });

  it('an event without location takes township and grid from its zone place', () => {
    const r = classify(event({ at: '2027-01-10T10:00:00+08:00', deviceId: 'CAM-MARKET', zones: ['market'], detections: [{ label: 'garbage', confidence: 0.9 }] }), context());
    expect(r.issues[0]).toMatchObject({ townshipCode: 'T1', gridCode: '449901001001002', placeId: 'market', handlingUnit: 'township-team:T1', officer: { id: 'OFF-2' } });
  });
});
