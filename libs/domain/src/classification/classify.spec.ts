import fc from 'fast-check';
import { classify, classifyBatch, ClassifyContext, placeIdsOf, trackKeysFor } from './classify';
import { DetectedIssue, identityKeyOf, identityOfKey, Suppression, suppressionKeyOf } from './detected-issue';
import { parseTrackState, TrackState } from './dwell-tracker';
import {
  ActiveInhibitor,
  DoNotDisturbLedger,
  doNotDisturbSubjectsOf,
  inhibitedAfterwards,
  mergeInhibitors,
  repeatsAfterwards,
  StoredOccurrence,
} from './suppression-policy';
import { at, context, event, frigateStream, jurisdiction, ruleSet } from '@test/fixtures/test-district.fixture';
import type { CanonicalEvent } from '../event/canonical-event';
import { applyDeviceRegister } from '../event/device-register';
import { adaptPhotoDetection } from '../imagery/photo-detection.adapter';

/** Runs a stream event by event like a worker would: state carried between calls. */
function run(
  events: CanonicalEvent[],
  ctx: ClassifyContext = context(),
): { issues: DetectedIssue[]; suppressed: Suppression[]; tracks: Map<string, TrackState> } {
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
    const r = classify(
      event({
        at: '2026-11-28T10:00:00+08:00',
        location: at.openT1East,
        detections: [
          { label: 'garbage', confidence: 0.4 },
          { label: 'cat', confidence: 1 },
        ],
      }),
      context(),
    );
    expect(r.issues).toEqual([]);
    expect(r.suppressed).toEqual([]);
  });

  it('holds an issue outside every township for an operator, identified by device', () => {
    const r = classify(
      event({ at: '2026-11-28T10:00:00+08:00', deviceId: 'CAM-X', location: at.outside, detections: [{ label: 'garbage', confidence: 0.9 }] }),
      context(),
    );
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
    const r = classify(
      event({
        at: '2026-11-28T10:00:00+08:00',
        location: at.openT1East,
        detections: [
          { label: 'garbage', confidence: 0.9 },
          { label: 'garbage', confidence: 0.7 },
        ],
      }),
      context(),
    );
    expect(r.issues).toHaveLength(1);
  });

  it('ignores an event Frigate flagged as a false positive (no issue, no track)', () => {
    const e = event({ at: '2026-11-28T10:00:00+08:00', location: at.openT1East, detections: [{ label: 'garbage', confidence: 0.9, trackId: 'x' }] });
    expect(classify({ ...e, attributes: { falsePositive: true } }, context())).toEqual({ issues: [], suppressed: [], tracks: [], inhibitors: [] });
    expect(classify({ ...e, attributes: { falsePositive: false } }, context()).issues).toHaveLength(1);
  });

  it('matches a Frigate sub label (person → vendor) like a label', () => {
    const e = event({
      at: '2026-11-28T23:00:00+08:00',
      deviceId: 'CAM-MARKET',
      source: 'frigate',
      zones: ['market'],
      detections: [{ label: 'person', confidence: 0.8, trackId: 'p1' }],
    });
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
    const restored = new Map(
      (JSON.parse(stored) as unknown[])
        .map((j) => parseTrackState(j))
        .filter((t): t is TrackState => t !== undefined)
        .map((t) => [t.key, t]),
    );
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

describe('classify: dwell proof (the first and the last picture of a dwell)', () => {
  // A car seen every few minutes (ANPR-like) in the no-parking street, 21:00 local onwards.
  const parked = (hhmm: string, stationary = true) =>
    event({
      at: `2026-11-28T${hhmm}:00+08:00`,
      eventId: `car-${hhmm}`,
      deviceId: 'CAM-PARK',
      zones: ['no_parking'],
      detections: [{ label: 'car', confidence: 0.9, plate: '粤A12345', stationary }],
    });

  it('the issue at 21:11 links the 21:00 event as the start of the dwell and samples 21:04 and 21:08', () => {
    const { issues } = run([parked('21:00'), parked('21:04'), parked('21:08'), parked('21:11')]);
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(issue.eventId).toBe('car-21:11');
    expect(issue.dwellProof).toEqual({
      first: { eventId: 'car-21:00', occurredAt: new Date('2026-11-28T21:00:00+08:00') },
      sample: [
        { eventId: 'car-21:04', occurredAt: new Date('2026-11-28T21:04:00+08:00') },
        { eventId: 'car-21:08', occurredAt: new Date('2026-11-28T21:08:00+08:00') },
        { eventId: 'car-21:11', occurredAt: new Date('2026-11-28T21:11:00+08:00') },
      ],
    });
    expect(issue.explanation.dwell).toEqual({
      requiredMinutes: 10,
      observedMinutes: 11,
      since: '2026-11-28T13:00:00.000Z',
      requireStationary: true,
      firstEventId: 'car-21:00',
      sampledEvents: 3,
    });
    expect(JSON.parse(JSON.stringify(issue.explanation))).toEqual(issue.explanation);
  });

  it('later occurrences of the confirmed track carry the proof too, with the same first event', () => {
    const { issues } = run([parked('21:00'), parked('21:04'), parked('21:08'), parked('21:11'), parked('21:13')]);
    expect(issues.map((i) => i.identityKey)).toEqual([
      'category=motor-parking|place=np-street|plate=粤A12345',
      'category=motor-parking|place=np-street|plate=粤A12345',
    ]);
    expect(issues[1].dwellProof?.first.eventId).toBe('car-21:00');
    expect(issues[1].dwellProof?.sample.map((e) => e.eventId)).toEqual(['car-21:04', 'car-21:08', 'car-21:11', 'car-21:13']);
  });

  it('a move at 21:05 restarts the proof with the clock', () => {
    const { issues } = run([parked('21:00'), parked('21:04'), parked('21:05', false), parked('21:06'), parked('21:10'), parked('21:14'), parked('21:16')]);
    expect(issues.map((i) => i.eventId)).toEqual(['car-21:16']);
    expect(issues[0].dwellProof?.first.eventId).toBe('car-21:06');
    expect(issues[0].dwellProof?.sample.map((e) => e.eventId)).toEqual(['car-21:10', 'car-21:14', 'car-21:16']);
    expect(issues[0].explanation.dwell).toMatchObject({ since: '2026-11-28T13:06:00.000Z', firstEventId: 'car-21:06' });
  });

  it('a Frigate stream: the proof starts at the event the stationary clock started at, bounded, the issue last', () => {
    const stream = frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes: 12 });
    const { issues } = run(stream);
    // stationary from the third message (10:00:10)
    expect(issues[0].dwellProof?.first).toEqual({ eventId: stream[2].eventId, occurredAt: stream[2].occurredAt });
    for (const i of issues) {
      expect(i.dwellProof?.sample.length).toBeLessThanOrEqual(9);
      expect(i.dwellProof?.sample.at(-1)?.eventId).toBe(i.eventId);
    }
    // the same, event by event or as one batch in reverse
    const batch = classifyBatch([...stream].reverse(), context());
    expect(batch.results.flatMap((r) => r.issues).map((i) => i.dwellProof)).toEqual(issues.map((i) => i.dwellProof));
  });

  it('a track stored before proofs existed still classifies; its issues carry no proof until the clock restarts', () => {
    const stream = frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes: 12 });
    const before = run(stream.slice(0, 72));
    const legacy = new Map(
      [...before.tracks.values()].map((t) => {
        const { proof: _proof, ...old } = JSON.parse(JSON.stringify(t)) as TrackState;
        return [t.key, parseTrackState(old) as TrackState];
      }),
    );
    const after = run(stream.slice(72), context({ tracks: legacy }));
    expect(after.issues[0].occurredAt.toISOString()).toBe('2026-11-28T02:10:10.000Z');
    expect(after.issues[0].dwellProof).toBeUndefined();
    expect(after.issues[0].explanation.dwell).not.toHaveProperty('firstEventId');
  });

  it('rules without dwell carry no proof', () => {
    const r = classify(event({ at: '2026-11-28T10:00:00+08:00', location: at.openT1East, detections: [{ label: 'garbage', confidence: 0.93 }] }), context());
    expect(r.issues[0].dwellProof).toBeUndefined();
  });
});

describe('classify: an event without position', () => {
  it('a drone photo without GPS is held as no-position (identified by device), never placed', () => {
    const drone = event({
      at: '2027-01-10T10:30:00+08:00',
      deviceId: 'DRONE-1',
      source: 'drone-upload',
      sourceKind: 'drone',
      detections: [{ label: 'garbage', confidence: 0.8 }],
    });
    const r = classify(drone, context());
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({
      identityKey: 'category=exposed-garbage|device=DRONE-1',
      heldReason: 'no-position',
      routing: { held: true, reason: 'no-position' },
    });
    expect(r.issues[0].routing).toMatchObject({ detail: expect.stringContaining('place it by hand') });
    expect(r.issues[0]).not.toHaveProperty('townshipCode');
    expect(r.issues[0]).not.toHaveProperty('location');
    expect(r.issues[0].explanation.routing).toEqual({ held: 'no-position', reason: expect.stringContaining('no GPS') });
  });

  it('zones that map to no place do not place it either; a mapped zone does', () => {
    const unmapped = classify(
      event({ at: '2027-01-10T10:00:00+08:00', deviceId: 'CAM-MARKET', zones: ['elsewhere'], detections: [{ label: 'garbage', confidence: 0.9 }] }),
      context(),
    );
    expect(unmapped.issues[0]).toMatchObject({ heldReason: 'no-position' });
    const mapped = classify(
      event({ at: '2027-01-10T10:00:00+08:00', deviceId: 'CAM-MARKET', zones: ['market'], detections: [{ label: 'garbage', confidence: 0.9 }] }),
      context(),
    );
    expect(mapped.issues[0]).toMatchObject({ handlingUnit: 'township-team:T1' });
  });

  it('a known position outside every township is still outside-every-township', () => {
    const r = classify(
      event({
        at: '2027-01-10T10:30:00+08:00',
        deviceId: 'DRONE-1',
        source: 'drone-upload',
        sourceKind: 'drone',
        location: at.outside,
        detections: [{ label: 'garbage', confidence: 0.8 }],
      }),
      context(),
    );
    expect(r.issues[0]).toMatchObject({ heldReason: 'outside-every-township' });
  });

  it("from upload to issue: a pilot mark on a photo without GPS is not placed at the drone's home, and is held", () => {
    const adapted = adaptPhotoDetection(
      JSON.stringify({
        photo: { sha256: 'b'.repeat(64), flightId: 'F-1', deviceId: 'DRONE-1', takenAt: '2027-01-10T10:30:00+08:00' },
        by: 'pilot',
        marks: [{ label: 'garbage' }],
      }),
    );
    if (!adapted.ok) throw new Error(adapted.rejection.detail);
    // the drone is registered at its home in Township One
    const gated = applyDeviceRegister(adapted.events[0], () => ({
      id: 'DRONE-1',
      kind: 'drone',
      status: 'active',
      location: at.openT1East,
      townshipCode: 'T1',
    }));
    if (!gated.ok) throw new Error(gated.rejection.detail);
    expect(gated.event.location).toBeUndefined();
    expect(gated.event.attributes.positionSource).toBe('none');
    expect(classify(gated.event, context()).issues[0]).toMatchObject({
      heldReason: 'no-position',
      identityKey: `category=exposed-garbage|device=DRONE-1|photo=${'b'.repeat(64)}`,
    });
  });

  it('two unplaced photos of one drone are two held cases: nobody knows they show the same place', () => {
    const keys = ['c', 'd'].map((x) => {
      const adapted = adaptPhotoDetection(
        JSON.stringify({
          photo: { sha256: x.repeat(64), flightId: 'F-1', deviceId: 'DRONE-1', takenAt: '2027-01-10T10:30:00+08:00' },
          by: 'pilot',
          marks: [{ label: 'garbage' }],
        }),
      );
      if (!adapted.ok) throw new Error(adapted.rejection.detail);
      const gated = applyDeviceRegister(adapted.events[0], () => ({ id: 'DRONE-1', kind: 'drone', status: 'active' }));
      if (!gated.ok) throw new Error(gated.rejection.detail);
      return classify(gated.event, context()).issues[0].identityKey;
    });
    expect(new Set(keys).size).toBe(2);
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

describe('classify: exemptions by geometry as well as zones (issue 17)', () => {
  const bayOnly = (minutes: number) => frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes, zones: ['loading_bay'] });
  /** A camera without zones whose event's point lies in the bay. */
  const pointInBay = (minutes: number) =>
    frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes, deviceId: 'CAM-POINT', trackId: 'pt-1', zones: [], location: at.bay });

  it('a car the camera reports in loading_bay only is in the no-parking street around it: exempt within the grace, recorded', () => {
    const { issues, suppressed } = run(bayOnly(12));
    expect(issues).toEqual([]);
    expect(suppressed.length).toBeGreaterThan(0);
    expect(new Set(suppressed.map((s) => s.reason))).toEqual(new Set(['exemption']));
    expect(suppressed[0]).toMatchObject({ reference: 'bay', detail: expect.stringContaining('within 30 min grace') as unknown });
    expect(suppressed[0].issue.identityKey).toBe('category=motor-parking|place=np-street');
  });

  it('after the grace it is the same case as with both zones reported', () => {
    const only = run(bayOnly(32)).issues;
    const both = run(frigateStream({ start: '2026-11-28T10:00:00+08:00', minutes: 32, zones: ['no_parking', 'loading_bay'] })).issues;
    expect(keys(only)).toEqual(['category=motor-parking|place=np-street']);
    expect(keys(only)).toEqual(keys(both));
    expect(only[0].occurredAt).toEqual(both[0].occurredAt);
    expect(only[0].explanation.exemption).toMatchObject({ graceMinutes: 30, placeId: 'bay' });
  });

  it('a car placed in the bay by its point alone is exempt the same way, then cased after the grace', () => {
    const within = run(pointInBay(12));
    expect(within.issues).toEqual([]);
    expect(new Set(within.suppressed.map((s) => s.reason))).toEqual(new Set(['exemption']));
    expect(within.suppressed[0].reference).toBe('bay');
    expect(keys(run(pointInBay(32)).issues)).toEqual(['category=motor-parking|place=np-street']);
  });

  it('zone and point give the same places to every policy', () => {
    const zone = { deviceId: 'CAM-PARK', zones: ['loading_bay'], location: undefined };
    const point = { deviceId: 'CAM-POINT', zones: [], location: at.bay };
    expect(placeIdsOf(zone, context())).toEqual(['bay', 'np-street']);
    expect(placeIdsOf(point, context())).toEqual(placeIdsOf(zone, context()));
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
    expect(r.suppressed[0].issue.explanation.window).toEqual({
      kind: 'allowed',
      window: '18:00–22:00 daily at type night-market',
      localTime: '2026-11-28 19:00 sat',
    });
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

  it("suppresses a listed business's minor first issue with the reason; a repeat (earlier issue in the window) is an issue", () => {
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
    expect(queries).toEqual([
      { subjectId: 'business:BIZ-1', placeIds: ['shop'], since: new Date('2026-08-30T02:00:00Z'), until: new Date('2026-11-28T02:00:00Z') },
    ]);
    const repeat = classify(garbage, context({ doNotDisturbHistory: () => true }));
    expect(repeat.issues).toHaveLength(1);
    expect(repeat.issues[0].explanation.doNotDisturb).toEqual({ subjectId: 'business:BIZ-1', earlierIssue: true, windowDays: 90 });
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
    const camera = event({
      at: '2027-01-10T10:00:00+08:00',
      deviceId: 'CAM-PARK',
      zones: ['no_parking'],
      location: { lat: 23.0205, lng: 113.02 },
      detections: [{ label: 'garbage', confidence: 0.9 }],
    });
    const drone = event({
      at: '2027-01-10T10:30:00+08:00',
      deviceId: 'DRONE-1',
      source: 'drone-upload',
      sourceKind: 'drone',
      location: { lat: 23.012, lng: 113.012 },
      detections: [{ label: 'garbage', confidence: 0.8 }],
    });
    const a = classify(camera, context()).issues[0];
    const b = classify(drone, context()).issues[0];
    expect(a.identityKey).toBe('category=exposed-garbage|place=np-street');
    expect(b.identityKey).toBe(a.identityKey);
    expect(a.explanation.place?.via).toBe('zone');
    expect(b.explanation.place?.via).toBe('geometry');
    expect([a.townshipCode, a.gridCode]).toEqual([b.townshipCode, b.gridCode]);
  });

  it('the most specific place wins for both sources (loading bay inside the street)', () => {
    const camera = event({
      at: '2027-01-10T10:00:00+08:00',
      deviceId: 'CAM-PARK',
      zones: ['no_parking', 'loading_bay'],
      detections: [{ label: 'garbage', confidence: 0.9 }],
    });
    const drone = event({
      at: '2027-01-10T10:00:00+08:00',
      deviceId: 'DRONE-1',
      sourceKind: 'drone',
      location: at.bay,
      detections: [{ label: 'garbage', confidence: 0.9 }],
    });
    expect(classify(camera, context()).issues[0].identityKey).toBe('category=exposed-garbage|place=bay');
    expect(classify(drone, context()).issues[0].identityKey).toBe('category=exposed-garbage|place=bay');
  });

  it('two devices in the same grid without a place share the grid identity', () => {
    const a = classify(
      event({ at: '2027-01-10T10:00:00+08:00', deviceId: 'A', location: at.openT1East, detections: [{ label: 'garbage', confidence: 0.9 }] }),
      context(),
    );
    const b = classify(
      event({ at: '2027-01-10T10:00:00+08:00', deviceId: 'B', location: { lat: 23.09, lng: 113.09 }, detections: [{ label: 'garbage', confidence: 0.9 }] }),
      context(),
    );
    expect(a.issues[0].identityKey).toBe(b.issues[0].identityKey);
  });

  it('an event without location takes township and grid from its zone place', () => {
    const r = classify(
      event({ at: '2027-01-10T10:00:00+08:00', deviceId: 'CAM-MARKET', zones: ['market'], detections: [{ label: 'garbage', confidence: 0.9 }] }),
      context(),
    );
    expect(r.issues[0]).toMatchObject({
      townshipCode: 'T1',
      gridCode: '449901001001002',
      placeId: 'market',
      handlingUnit: 'township-team:T1',
      officer: { id: 'OFF-2' },
    });
  });
});

describe('classify: do-not-disturb history counts suppressed first issues', () => {
  const shop = (iso: string, label = 'garbage') => event({ at: iso, location: at.shop, detections: [{ label, confidence: 0.9 }] });

  it('within one batch: the first minor issue is suppressed, every later one opens (or joins) a case', () => {
    const events = [shop('2026-11-28T10:00:00+08:00'), shop('2026-11-28T10:01:00+08:00'), shop('2026-11-28T10:30:00+08:00')];
    const b = classifyBatch(events, context());
    expect(b.results.map((r) => [r.issues.length, r.suppressed.map((s) => s.reason)])).toEqual([
      [0, ['do-not-disturb']],
      [1, []],
      [1, []],
    ]);
    expect(b.results[0].suppressed[0]).toMatchObject({ reference: 'business:BIZ-1' });
    expect(b.results[0].suppressed[0].detail).toContain('first issue');
    expect(b.results[1].issues[0].explanation.doNotDisturb).toEqual({ subjectId: 'business:BIZ-1', earlierIssue: true, windowDays: 90 });
  });

  it('a repeat is any minor issue of the business, not only the same category', () => {
    const b = classifyBatch([shop('2026-11-28T10:00:00+08:00', 'garbage'), shop('2026-11-28T11:00:00+08:00', 'vendor')], context());
    expect(b.results[0].suppressed.map((s) => s.reason)).toEqual(['do-not-disturb']);
    expect(b.results[1].issues.map((i) => i.categoryCode)).toEqual(['street-occupation']);
  });

  it('across batches: a stored suppressed first issue makes the next one a repeat; older than the window it does not', () => {
    const ledger = new DoNotDisturbLedger([{ at: new Date('2026-11-20T02:00:00Z'), subjectId: 'business:BIZ-1' }]);
    const ctx = context({ doNotDisturbHistory: ledger.history });
    expect(classifyBatch([shop('2026-11-28T10:00:00+08:00')], ctx).results[0].issues).toHaveLength(1);
    // 90-day window: a first issue from 91 days before is not history any more.
    expect(classifyBatch([shop('2027-02-19T10:00:00+08:00')], ctx).results[0].suppressed.map((s) => s.reason)).toEqual(['do-not-disturb']);
    // A stored case at one of the business's places counts too.
    const withCase = context({ doNotDisturbHistory: new DoNotDisturbLedger([{ at: new Date('2026-11-01T02:00:00Z'), placeId: 'shop' }]).history });
    expect(classifyBatch([shop('2026-11-28T10:00:00+08:00')], withCase).results[0].issues).toHaveLength(1);
  });

  it('issues at the same instant are not earlier than each other: both are first issues, whatever the order', () => {
    const a = shop('2026-11-28T10:00:00+08:00', 'garbage');
    const v = shop('2026-11-28T10:00:00+08:00', 'vendor');
    for (const order of [
      [a, v],
      [v, a],
    ]) {
      const b = classifyBatch(order, context());
      expect(b.results.flatMap((r) => r.issues)).toEqual([]);
      expect(b.results.flatMap((r) => r.suppressed.map((s) => s.reason))).toEqual(['do-not-disturb', 'do-not-disturb']);
    }
  });

  it('a serious issue at the business is a case and makes the next minor one a repeat', () => {
    const b = classifyBatch([shop('2026-11-28T10:00:00+08:00', 'scaffold'), shop('2026-11-28T10:05:00+08:00')], context());
    expect(b.results.map((r) => r.issues.map((i) => i.categoryCode))).toEqual([['illegal-construction'], ['exposed-garbage']]);
  });
});

describe('classify: inhibition does not depend on arrival order', () => {
  const grid = (iso: string, label: string, location = at.openT1East) => event({ at: iso, location, detections: [{ label, confidence: 0.9 }] });

  it('a fire later in the batch mutes minor detections with the same source time that arrived before it', () => {
    const vending = Array.from({ length: 3 }, () => grid('2026-11-28T14:30:00+08:00', 'vendor'));
    const before = grid('2026-11-28T14:29:59+08:00', 'vendor');
    const fire = grid('2026-11-28T14:30:00+08:00', 'fire');
    const b = classifyBatch([before, ...vending, fire], context());
    const byEvent = new Map(b.results.map((r) => [r.event, r]));
    expect(vending.map((e) => byEvent.get(e)?.suppressed.map((s) => s.reason))).toEqual([['inhibited'], ['inhibited'], ['inhibited']]);
    expect(byEvent.get(before)?.issues).toHaveLength(1);
    expect(byEvent.get(fire)?.issues.map((i) => i.categoryCode)).toEqual(['fire-smoke']);
    expect(b.inhibitors).toHaveLength(1);
  });

  it('keys an identity as it always has, whatever order its labels were set in (open cases are found by this key)', () => {
    const sortedJoin = (identity: Record<string, string>) =>
      Object.keys(identity)
        .sort()
        .map((k) => `${k}=${identity[k]}`)
        .join('|');
    expect(identityKeyOf({ plate: '粤A12345', category: 'motor-parking', place: 'np-street' })).toBe('category=motor-parking|place=np-street|plate=粤A12345');
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string(), { maxKeys: 7 }), (identity) => {
        expect(identityKeyOf(identity)).toBe(sortedJoin(identity));
      }),
    );
  });

  it('reads an identity back from its key', () => {
    const identity = { category: 'motor-parking', place: 'np-street', plate: '粤A12345' };
    expect(identityOfKey(identityKeyOf(identity))).toEqual(identity);
  });

  it('merges inhibitor windows of one source only where they overlap (the union is kept)', () => {
    const base = { inhibitionId: 'fire-mutes', sourceCategory: 'fire-smoke', sourceIdentityKey: 'k', scope: 'grid' as const, gridCode: 'G' };
    const w = (from: string, until: string): ActiveInhibitor => ({ ...base, from: new Date(from), until: new Date(until) });
    const input = [
      w('2026-11-28T13:00:00Z', '2026-11-28T14:00:00Z'),
      w('2026-11-28T10:00:00Z', '2026-11-28T11:00:00Z'),
      w('2026-11-28T10:30:00Z', '2026-11-28T11:30:00Z'),
    ];
    const merged = [w('2026-11-28T10:00:00Z', '2026-11-28T11:30:00Z'), w('2026-11-28T13:00:00Z', '2026-11-28T14:00:00Z')];
    expect(mergeInhibitors(input)).toEqual(merged);
    expect(mergeInhibitors([...input].reverse())).toEqual(merged);
  });

  it('takes stored occurrences off afterwards when an inhibitor covering them arrives later', () => {
    const fire = classifyBatch([grid('2026-11-28T10:00:00+08:00', 'fire')], context());
    const occ = (
      iso: string,
      categoryCode = 'exposed-garbage',
      severity: StoredOccurrence['severity'] = 'medium',
      gridCode = '449901001001002',
    ): StoredOccurrence => ({
      categoryCode,
      severity,
      occurredAt: new Date(iso),
      gridCode,
      townshipCode: 'T1',
      placeIds: [],
    });
    const stored = [
      occ('2026-11-28T10:20:00+08:00'),
      occ('2026-11-28T09:59:00+08:00'),
      occ('2026-11-28T11:01:00+08:00'),
      occ('2026-11-28T10:20:00+08:00', 'illegal-construction', 'high'),
      occ('2026-11-28T10:20:00+08:00', 'exposed-garbage', 'medium', '449901001001001'),
    ];
    const muted = inhibitedAfterwards(stored, fire.inhibitors, ruleSet);
    expect(muted.map((m) => m.occurrence)).toEqual([stored[0]]);
    expect(muted[0].inhibitor).toEqual(fire.inhibitors[0]);
  });
});

/**
 * The outcome of a stream stored the way the worker stores it, in plain data: batches classified with the
 * stored inhibitors and do-not-disturb history; inhibitors started by a batch take stored occurrences back off
 * their cases (a case left with none is withdrawn); first issues stored before an earlier issue of their
 * business arrived become case occurrences; suppressions counted per key (`suppressionKeyOf`).
 */
class StoredOutcome {
  private readonly cases: Array<{ identityKey: string; open: boolean; occurrences: Map<string, StoredOccurrence & { eventId: string }> }> = [];
  private readonly suppressions = new Map<string, { count: number; first: number; last: number }>();
  private readonly firsts: Array<{ key: string; subjectId: string; at: Date; issue: DetectedIssue; event: CanonicalEvent }> = [];
  private inhibitors: ActiveInhibitor[] = [];
  private readonly ledger = new DoNotDisturbLedger();

  ingest(batch: CanonicalEvent[]): void {
    const ctx = context({ activeInhibitors: this.inhibitors, doNotDisturbHistory: this.ledger.history });
    const r = classifyBatch(batch, ctx);
    const live = this.cases.flatMap((c) => [...c.occurrences.values()].map((o) => ({ ...o, case: c })));
    for (const { occurrence, inhibitor } of inhibitedAfterwards(live, r.inhibitors, ruleSet)) {
      occurrence.case.occurrences.delete(occurrence.eventId);
      if (occurrence.case.occurrences.size === 0) occurrence.case.open = false;
      this.count(`inhibited|${occurrence.case.identityKey}`, occurrence.occurredAt);
      expect(inhibitor.sourceCategory).toBe('fire-smoke');
    }
    this.inhibitors = [...this.inhibitors, ...r.inhibitors];
    const subjects = doNotDisturbSubjectsOf(ruleSet, jurisdiction);
    for (const f of repeatsAfterwards(this.firsts, r.doNotDisturb, subjects, ruleSet.doNotDisturb.windowDays)) {
      this.firsts.splice(this.firsts.indexOf(f), 1);
      this.suppressions.delete(f.key);
      this.addIssue(f.issue, f.event, ctx);
    }
    for (const { event: e, issues, suppressed } of r.results) {
      for (const s of suppressed) {
        this.count(suppressionKeyOf(s), s.issue.occurredAt);
        if (s.reason === 'do-not-disturb' && s.reference) {
          this.ledger.add({ at: s.issue.occurredAt, subjectId: s.reference });
          this.firsts.push({ key: suppressionKeyOf(s), subjectId: s.reference, at: s.issue.occurredAt, issue: s.issue, event: e });
        }
      }
      for (const i of issues) this.addIssue(i, e, ctx);
    }
  }

  private addIssue(i: DetectedIssue, e: CanonicalEvent, ctx: ClassifyContext): void {
    let c = this.cases.find((x) => x.open && x.identityKey === i.identityKey);
    if (!c) this.cases.push((c = { identityKey: i.identityKey, open: true, occurrences: new Map() }));
    c.occurrences.set(e.eventId, { ...i, eventId: e.eventId, placeIds: placeIdsOf(e, ctx) });
    if (i.placeId) this.ledger.add({ at: i.occurredAt, placeId: i.placeId });
  }

  private count(key: string, at: Date): void {
    const s = this.suppressions.get(key);
    const t = at.getTime();
    if (!s) this.suppressions.set(key, { count: 1, first: t, last: t });
    else {
      s.count++;
      s.first = Math.min(s.first, t);
      s.last = Math.max(s.last, t);
    }
  }

  /** Live cases as their occurrence event ids, and the suppressions: what an operator would see. */
  outcome(): { cases: string[][]; suppressions: Array<[string, { count: number; first: number; last: number }]> } {
    return {
      cases: this.cases
        .filter((c) => c.occurrences.size > 0)
        .map((c) => [...c.occurrences.keys()].sort())
        .sort((a, b) => (a.join() < b.join() ? -1 : 1)),
      suppressions: [...this.suppressions.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    };
  }
}

/** Feeds `events` to a fresh store in `order`, cut after every index where `cuts` says so. */
function storeInBatches(events: CanonicalEvent[], order: number[], cuts: boolean[]): StoredOutcome {
  const store = new StoredOutcome();
  let batch: CanonicalEvent[] = [];
  order.forEach((index, k) => {
    batch.push(events[index]);
    if (cuts[k] || k === order.length - 1) {
      store.ingest(batch);
      batch = [];
    }
  });
  return store;
}

function storeInOrder(events: CanonicalEvent[]): StoredOutcome {
  const store = new StoredOutcome();
  store.ingest([...events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime()));
  return store;
}

describe('classify: order-independence properties', () => {
  const LABELS = ['fire', 'garbage', 'vendor', 'scaffold'] as const;
  const streamItem = fc.record({
    label: fc.constantFrom(...LABELS, 'garbage', 'vendor'),
    minute: fc.integer({ min: 0, max: 240 }),
    where: fc.constantFrom('open', 'market'),
  });
  /** A stream of one grid (open ground and the night market in it) from 16:30 local, minute resolution so times collide. */
  const toEvents = (items: Array<{ label: string; minute: number; where: string }>, prefix: string) =>
    items.map((it, i) =>
      event({
        eventId: `${prefix}-${i}`,
        at: new Date(Date.parse('2026-11-28T16:30:00+08:00') + it.minute * 60_000),
        location: it.where === 'market' ? at.market : at.openT1East,
        deviceId: `CAM-${i % 3}`,
        detections: [{ label: it.label, confidence: 0.9 }],
      }),
    );
  const shuffledInBatches = fc
    .array(streamItem, { minLength: 1, maxLength: 40 })
    .chain((items) =>
      fc.tuple(
        fc.constant(items),
        fc.shuffledSubarray([...items.keys()], { minLength: items.length, maxLength: items.length }),
        fc.array(fc.boolean(), { minLength: items.length, maxLength: items.length }),
      ),
    );

  it('one batch in any arrival order gives the same issues and suppressions (fires, minor issues, the do-not-disturb shop)', () => {
    const withShop = fc.record({
      label: fc.constantFrom(...LABELS),
      minute: fc.integer({ min: 0, max: 120 }),
      where: fc.constantFrom('open', 'market', 'shop', 'shopGrid'),
    });
    fc.assert(
      fc.property(
        fc
          .array(withShop, { minLength: 1, maxLength: 30 })
          .chain((items) => fc.tuple(fc.constant(items), fc.shuffledSubarray([...items.keys()], { minLength: items.length, maxLength: items.length }))),
        ([items, order]) => {
          const events = items.map((it, i) =>
            event({
              eventId: `b-${i}`,
              at: new Date(Date.parse('2026-11-28T10:00:00+08:00') + it.minute * 60_000),
              location: { open: at.openT1East, market: at.market, shop: at.shop, shopGrid: { lat: 23.06, lng: 113.02 } }[it.where],
              detections: [{ label: it.label, confidence: 0.9 }],
            }),
          );
          const summary = (events: CanonicalEvent[]) => {
            const b = classifyBatch(events, context());
            return {
              decisions: b.results
                .flatMap((r) => [
                  ...r.issues.map((i) => `${r.event.eventId} issue ${i.identityKey}`),
                  ...r.suppressed.map((s) => `${r.event.eventId} ${s.reason} ${s.issue.identityKey} ${s.reference}`),
                ])
                .sort(),
              inhibitors: b.inhibitors,
            };
          };
          expect(summary(order.map((i) => events[i]))).toEqual(summary(events));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a stream shuffled and cut into batches gives the same live cases and suppressions as in order', () => {
    fc.assert(
      fc.property(shuffledInBatches, ([items, order, cuts]) => {
        const events = toEvents(items, 'p');
        expect(storeInBatches(events, order, cuts).outcome()).toEqual(storeInOrder(events).outcome());
      }),
      { numRuns: 300 },
    );
  });

  it("do-not-disturb: a business's issues shuffled and cut into batches give the same cases and first issues as in order", () => {
    // Days 0–80 (inside the 90-day window), some on the same instant: which is first is decided by source time only.
    const shopItem = fc.record({ label: fc.constantFrom('garbage', 'vendor', 'scaffold'), day: fc.integer({ min: 0, max: 80 }), noon: fc.boolean() });
    fc.assert(
      fc.property(
        fc
          .array(shopItem, { minLength: 1, maxLength: 25 })
          .chain((items) =>
            fc.tuple(
              fc.constant(items),
              fc.shuffledSubarray([...items.keys()], { minLength: items.length, maxLength: items.length }),
              fc.array(fc.boolean(), { minLength: items.length, maxLength: items.length }),
            ),
          ),
        ([items, order, cuts]) => {
          const events = items.map((it, i) =>
            event({
              eventId: `d-${i}`,
              at: new Date(Date.parse('2026-01-05T09:00:00+08:00') + it.day * 86_400_000 + (it.noon ? 3 * 3_600_000 : 0)),
              location: at.shop,
              detections: [{ label: it.label, confidence: 0.9 }],
            }),
          );
          const expected = storeInOrder(events).outcome();
          expect(storeInBatches(events, order, cuts).outcome()).toEqual(expected);
          // In order exactly the issues at the earliest instant are suppressed as first issues, unless a serious one is among them.
          const firstAt = Math.min(...events.map((e) => e.occurredAt.getTime()));
          const earliest = events.filter((e) => e.occurredAt.getTime() === firstAt);
          const dnd = expected.suppressions.filter(([key]) => key.startsWith('do-not-disturb|'));
          expect(dnd.length).toBe(earliest.filter((e) => e.detections[0].label !== 'scaffold').length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the bug as found: a fire at 14:30 arriving after vending records of 14:00–14:59 takes those from 14:30 on off their case', () => {
    const vending = Array.from({ length: 60 }, (_, m) =>
      event({
        eventId: `v-${m}`,
        at: new Date(Date.parse('2026-11-28T14:00:00+08:00') + m * 60_000),
        location: at.openT1East,
        detections: [{ label: 'vendor', confidence: 1 }],
      }),
    );
    const fire = event({ eventId: 'fire-1430', at: '2026-11-28T14:30:00+08:00', location: at.openT1East, detections: [{ label: 'fire', confidence: 1 }] });
    const late = new StoredOutcome();
    late.ingest(vending);
    late.ingest([fire]);
    const first = new StoredOutcome();
    first.ingest([fire]);
    first.ingest(vending);
    const expected = {
      cases: [
        ['fire-1430'],
        vending
          .slice(0, 30)
          .map((e) => e.eventId)
          .sort(),
      ].sort((a, b) => (a.join() < b.join() ? -1 : 1)),
      suppressions: [
        [
          'inhibited|category=street-occupation|grid=449901001001002',
          { count: 30, first: Date.parse('2026-11-28T14:30:00+08:00'), last: Date.parse('2026-11-28T14:59:00+08:00') },
        ],
      ],
    };
    expect(late.outcome()).toEqual(expected);
    expect(first.outcome()).toEqual(expected);
  });
});
