import { classify } from './classify';
import { diffReplay, groupIssuesByIdentity, renderReplayDiff, replayEvents } from './replay-diff';
import { at, context, event, frigateStream } from '@test/fixtures/test-district.fixture';

const garbage = (iso: string, location = at.openT1East) => event({ at: iso, location, detections: [{ label: 'garbage', confidence: 0.9 }] });

describe('groupIssuesByIdentity', () => {
  it('folds issues of one identity, keeping the latest evidence', () => {
    const issues = ['2026-11-28T10:05:00+08:00', '2026-11-28T10:00:00+08:00', '2026-11-28T10:10:00+08:00'].flatMap(
      (t) => classify(garbage(t), context()).issues,
    );
    const groups = groupIssuesByIdentity(issues);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({
      occurrences: 3,
      firstAt: new Date('2026-11-28T02:00:00Z'),
      lastAt: new Date('2026-11-28T02:10:00Z'),
      ruleIds: ['garbage'],
    });
    expect(groups[0].latest.occurredAt).toEqual(new Date('2026-11-28T02:10:00Z'));
  });
});

describe('replay', () => {
  const ctx = context();
  const range = { from: new Date('2026-11-28T02:00:00Z'), to: new Date('2026-11-28T03:00:00Z') };

  it('re-runs a stream with fresh state and keeps issues inside the range', () => {
    const events = [...frigateStream({ start: '2026-11-28T09:55:00+08:00', minutes: 20 }), garbage('2026-11-28T09:30:00+08:00')];
    const r = replayEvents(events, { ...ctx, ...range });
    expect([...new Set(r.issues.map((i) => i.identityKey))]).toEqual(['category=motor-parking|place=np-street']);
  });

  it('diffs candidate issues against the cases that were opened', () => {
    const candidate = [
      ...classify(garbage('2026-11-28T10:00:00+08:00'), ctx).issues,
      ...classify(garbage('2026-11-28T10:01:00+08:00'), ctx).issues,
      ...classify(garbage('2026-11-28T10:00:00+08:00', at.street), ctx).issues,
    ];
    const diff = diffReplay(
      [
        { identityKey: 'category=exposed-garbage|grid=449901001001002', caseId: 'c-1' },
        { identityKey: 'category=motor-parking|place=np-street', caseId: 'c-2' },
      ],
      candidate,
    );
    expect(diff.wouldOpen.map((e) => e.identityKey)).toEqual(['category=exposed-garbage|place=np-street']);
    expect(diff.wouldMerge).toHaveLength(1);
    expect(diff.wouldMerge[0]).toMatchObject({
      identityKey: 'category=exposed-garbage|grid=449901001001002',
      occurrences: 2,
      caseIds: ['c-1'],
      handlingUnit: 'township-team:T1',
    });
    expect(diff.wouldNotOpen).toEqual([{ identityKey: 'category=motor-parking|place=np-street', caseIds: ['c-2'] }]);
    const text = renderReplayDiff(diff);
    expect(text.split('\n')[0]).toMatch(/^outcome\s+identity\s+occurrences/);
    expect(text).toContain('would open      category=exposed-garbage|place=np-street');
    expect(text).toContain('would not open  category=motor-parking|place=np-street');
    expect(text.trim().split('\n').pop()).toBe('would open 1, would merge 1, would not open 1');
  });
});
