import { boxIou, dwellOf, observeTrack, parseTrackState, TrackObservation, trackKeyOf, TrackState } from './dwell-tracker';
import { trackingSchema } from './rule-set';

const tracking = trackingSchema.parse({});
const t = (s: number) => new Date(Date.UTC(2026, 10, 28, 2, 0, s));
const obs = (s: number, extra: Partial<TrackObservation> = {}): TrackObservation => ({ at: t(s), deviceId: 'CAM', label: 'car', placeIds: ['p'], ended: false, ...extra });

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
