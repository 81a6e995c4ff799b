import { adaptPhotoDetection } from './photo-detection.adapter';

const sha = 'a'.repeat(64);
const payload = (marks: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    photo: { sha256: sha, flightId: 'F-1', deviceId: 'DRONE-01', takenAt: '2026-11-28T10:00:00+08:00', position: { lat: 23.1, lng: 113.3 } },
    by: 'pilot',
    marks,
    ...extra,
  });

describe('photo detection adapter', () => {
  it('turns a pilot mark into a drone-upload event with the photo as evidence', () => {
    const r = adaptPhotoDetection(payload([{ label: 'illegal-construction', note: 'new shed on the roof' }]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const e = r.events[0];
    expect(e).toMatchObject({ source: 'drone-upload', sourceKind: 'drone', deviceId: 'DRONE-01', location: { lat: 23.1, lng: 113.3 } });
    expect(e.detections).toEqual([{ label: 'illegal-construction', confidence: 1 }]);
    expect(e.media).toEqual([{ kind: 'photo', uri: `photo:${sha}`, sha256: sha }]);
    expect(e.attributes).toMatchObject({ flightId: 'F-1', markedBy: 'pilot', note: 'new shed on the roof' });
    expect(e.occurredAt.toISOString()).toBe('2026-11-28T02:00:00.000Z');
  });

  it('gives the same marks the same event id and different marks another', () => {
    const id = (marks: unknown[]) => {
      const r = adaptPhotoDetection(payload(marks));
      return r.ok ? r.events[0].eventId : undefined;
    };
    expect(id([{ label: 'garbage' }])).toBe(id([{ label: 'garbage' }]));
    expect(id([{ label: 'garbage' }])).not.toBe(id([{ label: 'garbage', box: [1, 2, 3, 4] }]));
  });

  it.each([
    ['no marks', payload([])],
    ['confidence above 1', payload([{ label: 'x', confidence: 2 }])],
    ['a bad sha', payload([{ label: 'x' }]).replace(sha, 'xyz')],
    ['an unknown field', payload([{ label: 'x' }], { extra: true })],
  ])('refuses %s', (_name, body) => {
    const r = adaptPhotoDetection(body);
    expect(r.ok ? undefined : r.rejection.reason).toBe('invalid-schema');
  });
});
