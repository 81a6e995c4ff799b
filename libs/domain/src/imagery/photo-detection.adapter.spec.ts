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

  describe('identity: one event per photo and label', () => {
    const events = (marks: unknown[], by: 'pilot' | 'detector' = 'pilot', sha256 = sha) => {
      const r = adaptPhotoDetection(payload(marks, { by }).replace(sha, sha256));
      if (!r.ok) throw new Error(r.rejection.detail);
      return r.events;
    };
    const ids = (marks: unknown[], by: 'pilot' | 'detector' = 'pilot', sha256 = sha) => events(marks, by, sha256).map((e) => e.eventId);

    it('gives a re-mark of the same photo and label the same id, with or without a note, a new note or a moved box', () => {
      const first = ids([{ label: 'garbage' }]);
      expect(first).toEqual([`photo:${sha}:pilot:garbage`]);
      expect(ids([{ label: 'garbage' }])).toEqual(first);
      expect(ids([{ label: 'garbage', note: 'bags by the kerb' }])).toEqual(first);
      expect(ids([{ label: 'garbage', note: 'more bags since yesterday' }])).toEqual(first);
      expect(ids([{ label: 'garbage', box: [1, 2, 3, 4], confidence: 0.8 }])).toEqual(first);
    });

    it('makes another label on the same photo, or the same label on another photo, another event', () => {
      expect(ids([{ label: 'garbage' }, { label: 'illegal-construction' }])).toEqual([`photo:${sha}:pilot:garbage`, `photo:${sha}:pilot:illegal-construction`]);
      expect(ids([{ label: 'garbage' }], 'pilot', 'b'.repeat(64))).not.toEqual(ids([{ label: 'garbage' }]));
    });

    it('keeps several marks of one label together as one event with all their boxes and notes', () => {
      const [e, ...rest] = events([
        { label: 'garbage', box: [1, 1, 2, 2], note: 'left pile' },
        { label: 'garbage', box: [5, 5, 6, 6], note: 'right pile' },
      ]);
      expect(rest).toEqual([]);
      expect(e.detections).toEqual([
        { label: 'garbage', confidence: 1, box: [1, 1, 2, 2] },
        { label: 'garbage', confidence: 1, box: [5, 5, 6, 6] },
      ]);
      expect(e.attributes.note).toBe('left pile | right pile');
    });

    it('keeps a pilot mark apart from a detector mark of the same label (a confirmation is not a repeat)', () => {
      expect(ids([{ label: 'garbage' }], 'detector')).not.toEqual(ids([{ label: 'garbage' }], 'pilot'));
    });
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
