import {
  boxIou,
  DWELL_SAMPLE_MAX,
  dwellOf,
  dwellProofOf,
  DwellTrail,
  extendTrail,
  observeTrack,
  parseTrackState,
  TrackObservation,
  trackKeyOf,
  TrackState,
} from './dwell-tracker';
import { trackingSchema } from './rule-set';

const tracking = trackingSchema.parse({});
const t = (s: number) => new Date(Date.UTC(2026, 10, 28, 2, 0, s));
const obs = (s: number, extra: Partial<TrackObservation> = {}): TrackObservation => ({
  at: t(s),
  eventId: `e${s}`,
  deviceId: 'CAM',
  label: 'car',
  placeIds: ['p'],
  ended: false,
  ...extra,
});

function feed(observations: TrackObservation[]): TrackState {
  let state: TrackState | undefined;
  for (const o of observations) {
    const r = observeTrack(state, 'CAM#track:1', o, tracking);
    state = r.state;
  }
  if (!state) throw new Error('no state');
  return state;
}

describe('track keys', () => {
  it('prefers the tracker id, then the plate, per device', () => {
    expect(trackKeyOf({ deviceId: 'CAM' }, { trackId: 'x', plate: 'P' })).toBe('CAM#track:x');
    expect(trackKeyOf({ deviceId: 'CAM' }, { plate: 'P' })).toBe('CAM#plate:P');
    expect(trackKeyOf({ deviceId: 'CAM' }, {})).toBeUndefined();
  });
});

describe('observeTrack', () => {
  it('starts the stationary clock at the first stationary observation and keeps it', () => {
    const s = feed([obs(0, { stationary: false }), obs(5, { stationary: true }), obs(600, { stationary: true })]);
    // 600 s after a 5 s observation is beyond maxGap (300 s): restarted
    expect(s.stationarySince).toBe(t(600).toISOString());
    const s2 = feed([obs(0, { stationary: false }), obs(5, { stationary: true }), obs(60, { stationary: true }), obs(120, { stationary: true })]);
    expect(s2.stationarySince).toBe(t(5).toISOString());
    expect(dwellOf(s2, true, t(120)).seconds).toBe(115);
    expect(dwellOf(s2, false, t(120)).seconds).toBe(120);
  });

  it('a moving observation clears the clock', () => {
    const s = feed([obs(0, { stationary: true }), obs(60, { stationary: false })]);
    expect(s.stationarySince).toBeUndefined();
    expect(dwellOf(s, true, t(60))).toEqual({ seconds: 0 });
  });

  it('compares boxes when the source has no stationary flag', () => {
    expect(boxIou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(boxIou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
    const still = feed([obs(0, { box: [0, 0, 100, 100] }), obs(30, { box: [1, 1, 101, 101] })]);
    expect(still.stationarySince).toBe(t(0).toISOString());
    const moved = feed([obs(0, { box: [0, 0, 100, 100] }), obs(30, { box: [60, 0, 160, 100] })]);
    expect(moved.stationarySince).toBeUndefined();
  });

  it('remembers a plate once read and marks the end of a track', () => {
    const s = feed([obs(0, { plate: '粤A1' }), obs(5), obs(10, { ended: true })]);
    expect(s.plate).toBe('粤A1');
    expect(s.endedAt).toBe(t(10).toISOString());
    const reopened = observeTrack(s, s.key, obs(20), tracking);
    expect(reopened).toMatchObject({ kind: 'applied', restarted: true, state: { firstSeenAt: t(20).toISOString(), observations: 1 } });
  });

  it('ignores observations older than the tolerance', () => {
    const s = feed([obs(0, { stationary: true }), obs(200, { stationary: true })]);
    const r = observeTrack(s, s.key, obs(60, { stationary: false }), tracking);
    expect(r).toEqual({ kind: 'late', state: s, lateBySeconds: 140 });
  });

  it('applies slightly late observations without rewinding', () => {
    const s = feed([obs(0, { stationary: true }), obs(100, { stationary: true })]);
    const r = observeTrack(s, s.key, obs(50, { stationary: true, plate: 'P' }), tracking);
    expect(r.kind).toBe('applied');
    expect(r.state).toMatchObject({ lastSeenAt: t(100).toISOString(), stationarySince: t(0).toISOString(), plate: 'P', observations: 3 });
  });

  it('restores a stored state from JSON and rejects anything else', () => {
    const s = feed([obs(0, { stationary: true, box: [1, 2, 3, 4], location: { lat: 23, lng: 113 } }), obs(5)]);
    expect(parseTrackState(JSON.stringify(s))).toEqual(s);
    expect(parseTrackState(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(parseTrackState('{"v":2}')).toBeUndefined();
    expect(parseTrackState('not json')).toBeUndefined();
  });
});

describe('proof of duration (which events observed the counted period)', () => {
  // 21:00 local = 13:00Z; minutes after 21:00.
  const m = (minutes: number) => new Date(Date.UTC(2026, 10, 28, 13, minutes, 0));
  const parked = (minutes: number, extra: Partial<TrackObservation> = {}): TrackObservation => ({
    at: m(minutes),
    eventId: `evt-21:${String(minutes).padStart(2, '0')}`,
    deviceId: 'CAM',
    label: 'car',
    plate: '粤A1',
    stationary: true,
    placeIds: ['p'],
    ended: false,
    ...extra,
  });
  // ANPR-like events minutes apart: a gap allowance long enough for them.
  const slow = { ...tracking, maxGapSeconds: 900 };
  const feedSlow = (observations: TrackObservation[], from?: TrackState): TrackState => {
    let state = from;
    for (const o of observations) state = observeTrack(state, 'CAM#plate:粤A1', o, slow).state;
    if (!state) throw new Error('no state');
    return state;
  };
  const ids = (refs: Array<{ eventId: string }>) => refs.map((r) => r.eventId);

  it('the car parked 21:00–21:11: the 21:11 proof starts at the 21:00 event and samples 21:04 and 21:08', () => {
    const s = feedSlow([parked(0), parked(4), parked(8), parked(11)]);
    expect(s.stationarySince).toBe(m(0).toISOString());
    expect(s.proof?.stationary?.first).toEqual({ eventId: 'evt-21:00', at: m(0).toISOString() });
    expect(ids(s.proof?.stationary?.sample ?? [])).toEqual(['evt-21:04', 'evt-21:08', 'evt-21:11']);
    const proof = dwellProofOf(s, true, { eventId: 'evt-21:11', at: m(11) });
    expect(proof).toEqual({
      first: { eventId: 'evt-21:00', occurredAt: m(0) },
      sample: [
        { eventId: 'evt-21:04', occurredAt: m(4) },
        { eventId: 'evt-21:08', occurredAt: m(8) },
        { eventId: 'evt-21:11', occurredAt: m(11) },
      ],
    });
    // presence has its own trail, here the same events
    expect(dwellProofOf(s, false, { eventId: 'evt-21:11', at: m(11) })).toEqual(proof);
  });

  it('a move at 21:05 restarts the stationary proof; presence keeps its first event', () => {
    const s = feedSlow([parked(0), parked(4), parked(5, { stationary: false }), parked(6), parked(8), parked(11)]);
    expect(s.stationarySince).toBe(m(6).toISOString());
    const proof = dwellProofOf(s, true, { eventId: 'evt-21:11', at: m(11) });
    expect(proof?.first).toEqual({ eventId: 'evt-21:06', occurredAt: m(6) });
    expect(ids(proof?.sample ?? [])).toEqual(['evt-21:08', 'evt-21:11']);
    const presence = dwellProofOf(s, false, { eventId: 'evt-21:11', at: m(11) });
    expect(presence?.first.eventId).toBe('evt-21:00');
    expect(ids(presence?.sample ?? [])).toEqual(['evt-21:04', 'evt-21:05', 'evt-21:06', 'evt-21:08', 'evt-21:11']);
    // while it moves there is no stationary trail at all
    const moving = feedSlow([parked(0), parked(5, { stationary: false })]);
    expect(moving.proof?.stationary).toBeUndefined();
    expect(dwellProofOf(moving, true, { eventId: 'evt-21:05', at: m(5) })).toBeUndefined();
  });

  it('a gap or an ended track restarts both trails with the clock', () => {
    const gap = feedSlow([parked(0), parked(4), parked(30)]);
    expect(gap.proof?.seen?.first.eventId).toBe('evt-21:30');
    expect(gap.proof?.stationary).toEqual({ first: { eventId: 'evt-21:30', at: m(30).toISOString() }, sample: [], spacingSeconds: 0 });
    const ended = feedSlow([parked(0), parked(4, { ended: true }), parked(6)]);
    expect(ended.proof?.seen?.first.eventId).toBe('evt-21:06');
    expect(ended.proof?.stationary?.first.eventId).toBe('evt-21:06');
  });

  it('1,000 observations keep the sample bounded, ordered and spread from early on to recent', () => {
    let state: TrackState | undefined;
    for (let i = 0; i < 1000; i++) {
      state = observeTrack(state, 'CAM#track:1', obs(i * 5, { stationary: true, eventId: `e${i}` }), tracking).state;
      const sample = state.proof?.stationary?.sample ?? [];
      expect(sample.length).toBeLessThanOrEqual(DWELL_SAMPLE_MAX);
    }
    const trail = state?.proof?.stationary as DwellTrail;
    expect(trail.first.eventId).toBe('e0');
    const times = trail.sample.map((r) => Date.parse(r.at) - t(0).getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(trail.sample.length).toBeGreaterThanOrEqual(DWELL_SAMPLE_MAX / 2);
    // over the whole period: `first` at its start, then something from its first quarter, the newest within a spacing of the end
    const end = 999 * 5 * 1000;
    expect(times[0]).toBeLessThanOrEqual(end / 4);
    expect(end - times[times.length - 1]).toBeLessThanOrEqual(trail.spacingSeconds * 1000);
    // spread: no two neighbours closer than a sixteenth of the period (the 5 s stream is not crowded in)
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThan(end / 16);
    // the proof adds its own event last and stays bounded
    const proof = dwellProofOf(state as TrackState, true, { eventId: 'e999', at: t(999 * 5) });
    expect(proof?.sample.at(-1)).toEqual({ eventId: 'e999', occurredAt: t(999 * 5) });
    expect(proof?.sample.length).toBeLessThanOrEqual(DWELL_SAMPLE_MAX + 1);
    expect(new Set(ids(proof?.sample ?? [])).size).toBe(proof?.sample.length);
  });

  it('thins deterministically: every other entry back from the newest (and the oldest) dropped, then the mean spacing', () => {
    let trail: DwellTrail = { first: { eventId: 'f', at: t(0).toISOString() }, sample: [], spacingSeconds: 0 };
    for (let i = 1; i <= DWELL_SAMPLE_MAX; i++) trail = extendTrail(trail, { eventId: `s${i}`, at: t(i * 10).toISOString() });
    expect(trail.sample).toHaveLength(DWELL_SAMPLE_MAX);
    trail = extendTrail(trail, { eventId: 's9', at: t(90).toISOString() });
    expect(ids(trail.sample)).toEqual(['s3', 's5', 's7', 's9']);
    expect(trail.spacingSeconds).toBe(22.5); // 90 s since first / 4 kept
    // closer than the spacing to the newest: not taken; far enough: taken
    expect(extendTrail(trail, { eventId: 'near', at: t(100).toISOString() })).toBe(trail);
    const far = extendTrail(trail, { eventId: 'far', at: t(113).toISOString() });
    expect(ids(far.sample)).toEqual(['s3', 's5', 's7', 's9', 'far']);
    // the same event twice is sampled once
    expect(extendTrail(far, { eventId: 'far', at: t(113).toISOString() })).toBe(far);
  });

  it('late observations never move the first event, nor enter the sample', () => {
    const s = feedSlow([parked(0), parked(4), parked(8)]);
    // 60 s late, stationary: applied, proof unchanged
    const late = observeTrack(s, s.key, parked(7, { eventId: 'late-21:07' }), slow);
    expect(late.kind).toBe('applied');
    expect(late.state.proof).toEqual(s.proof);
    // late and moving while counted: the clock restarts at the latest observation (21:08), and so does the proof
    const moved = observeTrack(s, s.key, parked(7, { eventId: 'late-moving', stationary: false }), slow);
    expect(moved.state.stationarySince).toBe(m(8).toISOString());
    expect(moved.state.proof?.stationary).toEqual({ first: { eventId: 'evt-21:08', at: m(8).toISOString() }, sample: [], spacingSeconds: 0 });
    expect(moved.state.proof?.seen).toEqual(s.proof?.seen);
    // a late event's own proof only has what was sampled before it, then itself
    const proof = dwellProofOf(s, true, { eventId: 'late-21:07', at: m(7) });
    expect(ids(proof?.sample ?? [])).toEqual(['evt-21:04', 'late-21:07']);
    expect(proof?.first.eventId).toBe('evt-21:00');
  });

  it('a state stored without proof still parses and works; its trails start at the next clock restart', () => {
    const { proof: _proof, ...legacy } = feedSlow([parked(0), parked(4)]);
    const restored = parseTrackState(JSON.stringify(legacy));
    expect(restored).toEqual(legacy);
    const next = feedSlow([parked(8), parked(11)], restored);
    expect(next).toMatchObject({ stationarySince: m(0).toISOString(), observations: 4, proof: { last: { eventId: 'evt-21:11' } } });
    expect(dwellOf(next, true, m(11)).seconds).toBe(660);
    // no invented first event: the period's start is unknown to this state
    expect(next.proof?.stationary).toBeUndefined();
    expect(dwellProofOf(next, true, { eventId: 'evt-21:11', at: m(11) })).toBeUndefined();
    // after a move the stationary trail starts again, complete
    const after = feedSlow([parked(12, { stationary: false }), parked(13), parked(20)], next);
    expect(dwellProofOf(after, true, { eventId: 'evt-21:20', at: m(20) })?.first.eventId).toBe('evt-21:13');
    // a late move on a legacy state changes the clock but invents no proof
    const lateMove = observeTrack(restored, 'CAM#plate:粤A1', parked(3, { stationary: false }), slow);
    expect(lateMove.state.proof).toBeUndefined();
    // and a state with a proof round-trips through JSON
    expect(parseTrackState(JSON.stringify(after))).toEqual(after);
  });
});
