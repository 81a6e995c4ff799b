import {
  caseGroupingOf,
  CaseOccurrenceOnRecord,
  earlierIssueCases,
  FirstIssueRecord,
  foldCaseGroupings,
  groupClassified,
  suppressionTallyOf,
  withdrawalsOfMuted,
} from './case-grouping';
import { classify, classifyBatch } from './classify';
import { identityOfKey, suppressionKeyOf } from './detected-issue';
import { ActiveInhibitor, DoNotDisturbRecord, doNotDisturbSubjectsOf, inhibitedAfterwards, inhibitionDetail, repeatsAfterwards } from './suppression-policy';
import { at, context, event, jurisdiction, ruleSet } from '@test/fixtures/test-district.fixture';
import type { CanonicalEvent } from '../event/canonical-event';

const GRID = '449901001001002';
const fire: ActiveInhibitor = {
  inhibitionId: 'fire-mutes',
  sourceCategory: 'fire-smoke',
  sourceIdentityKey: `category=fire-smoke|grid=${GRID}`,
  scope: 'grid',
  gridCode: GRID,
  from: new Date('2026-11-28T10:00:00+08:00'),
  until: new Date('2026-11-28T11:00:00+08:00'),
};

describe('case grouping: occurrences a later fire mutes are withdrawn', () => {
  const occurrence = (caseId: string, eventId: string, iso: string, identityKey = `category=exposed-garbage|grid=${GRID}`): CaseOccurrenceOnRecord => ({
    caseId,
    caseNumber: `CP-${caseId}`,
    identityKey,
    categoryCode: identityOfKey(identityKey).category,
    townshipCode: 'T1',
    ruleId: 'garbage',
    ruleVersion: 6,
    explanation: { rule: 'garbage', eventId: `src-${eventId}`, inhibitedAfterwards: true, withdrawn: { at: 'earlier' }, grid: { code: GRID } },
    eventId,
    sourceEventId: `src-${eventId}`,
    occurredAt: new Date(iso),
    deviceId: 'CAM-9',
  });
  const decidedAt = new Date('2026-11-28T03:00:00Z');

  it("a muted occurrence is one 'inhibited' suppression, its case one withdrawal naming why", () => {
    const o = occurrence('c1', 'ev-1', '2026-11-28T10:20:00+08:00');
    const { suppressions, withdrawals } = withdrawalsOfMuted([{ occurrence: o, inhibitor: fire }], ruleSet, decidedAt);
    const reason = `${inhibitionDetail(fire)}; stored before the inhibiting detection arrived, taken off case CP-c1 afterwards`;
    expect(suppressions).toEqual([
      {
        key: `inhibited|category=exposed-garbage|grid=${GRID}`,
        suppression: {
          reason: 'inhibited',
          detail: reason,
          reference: `fire-mutes category=fire-smoke|grid=${GRID}`,
          issue: {
            categoryCode: 'exposed-garbage',
            identityKey: `category=exposed-garbage|grid=${GRID}`,
            ruleId: 'garbage',
            ruleVersion: 6,
            deviceId: 'CAM-9',
            townshipCode: 'T1',
            occurredAt: o.occurredAt,
            // The occurrence's explanation, as the event it was, marks of earlier withdrawals dropped.
            explanation: {
              rule: 'garbage',
              eventId: 'src-ev-1',
              grid: { code: GRID },
              deviceId: 'CAM-9',
              occurredAt: o.occurredAt.toISOString(),
              takenOffCase: 'CP-c1',
            },
          },
        },
        count: 1,
        eventId: 'ev-1',
        firstAt: o.occurredAt,
      },
    ]);
    expect(withdrawals).toEqual([
      {
        caseId: 'c1',
        caseNumber: 'CP-c1',
        eventIds: ['ev-1'],
        reason,
        note: {
          at: decidedAt.toISOString(),
          by: 'classification',
          ruleVersion: ruleSet.version,
          reason,
          events: [
            { eventId: 'ev-1', sourceEventId: 'src-ev-1', occurredAt: o.occurredAt.toISOString(), inhibitor: `fire-mutes category=fire-smoke|grid=${GRID}` },
          ],
        },
      },
    ]);
    // The stored occurrence is left as it was.
    expect(o.explanation).toHaveProperty('inhibitedAfterwards', true);
  });

  it('several occurrences of one case are one withdrawal with all their events; each is its own suppression', () => {
    const occurrences = [
      occurrence('c1', 'ev-1', '2026-11-28T10:20:00+08:00'),
      occurrence('c2', 'ev-2', '2026-11-28T10:25:00+08:00', `category=street-occupation|grid=${GRID}`),
      occurrence('c1', 'ev-3', '2026-11-28T10:30:00+08:00'),
    ];
    const { suppressions, withdrawals } = withdrawalsOfMuted(
      occurrences.map((o) => ({ occurrence: o, inhibitor: fire })),
      ruleSet,
      decidedAt,
    );
    expect(suppressions.map((s) => [s.key, s.eventId, s.suppression.reason])).toEqual([
      [`inhibited|category=exposed-garbage|grid=${GRID}`, 'ev-1', 'inhibited'],
      [`inhibited|category=street-occupation|grid=${GRID}`, 'ev-2', 'inhibited'],
      [`inhibited|category=exposed-garbage|grid=${GRID}`, 'ev-3', 'inhibited'],
    ]);
    expect(withdrawals.map((w) => [w.caseId, w.eventIds])).toEqual([
      ['c1', ['ev-1', 'ev-3']],
      ['c2', ['ev-2']],
    ]);
    expect((withdrawals[0].note.events as Array<{ eventId: string }>).map((e) => e.eventId)).toEqual(['ev-1', 'ev-3']);
  });

  it("takes what inhibitedAfterwards found: an occurrence outside the fire's window stays on its case", () => {
    const stored = [occurrence('c1', 'ev-1', '2026-11-28T10:20:00+08:00'), occurrence('c1', 'ev-2', '2026-11-28T09:59:00+08:00')].map((o) => ({
      ...o,
      severity: 'medium' as const,
      gridCode: GRID,
      placeIds: [],
    }));
    const { withdrawals } = withdrawalsOfMuted(inhibitedAfterwards(stored, [fire], ruleSet), ruleSet, decidedAt);
    expect(withdrawals.map((w) => w.eventIds)).toEqual([['ev-1']]);
  });

  it('nothing muted, nothing withdrawn', () => {
    expect(withdrawalsOfMuted([], ruleSet, decidedAt)).toEqual({ suppressions: [], withdrawals: [] });
  });
});

describe('case grouping: a do-not-disturb first issue that an earlier issue arriving later makes a repeat', () => {
  const subjects = doNotDisturbSubjectsOf(ruleSet, jurisdiction);
  const garbageAtShop = event({
    at: '2026-11-28T10:00:00+08:00',
    eventId: 'shop-garbage',
    location: at.shop,
    detections: [{ label: 'garbage', confidence: 0.9 }],
  });
  const [suppressed] = classify(garbageAtShop, context()).suppressed;
  const first: FirstIssueRecord = {
    key: suppressionKeyOf(suppressed),
    subjectId: 'business:BIZ-1',
    identityKey: suppressed.issue.identityKey,
    categoryCode: suppressed.issue.categoryCode,
    ruleId: suppressed.issue.ruleId,
    ruleVersion: suppressed.issue.ruleVersion,
    deviceId: suppressed.issue.deviceId,
    townshipCode: suppressed.issue.townshipCode,
    at: suppressed.issue.occurredAt,
    eventId: 'stored-shop-garbage',
    explanation: suppressed.issue.explanation,
  };
  const batch: DoNotDisturbRecord[] = [
    { at: new Date('2026-11-28T09:00:00+08:00'), placeId: 'shop' },
    { at: new Date('2026-11-28T09:30:00+08:00'), subjectId: 'business:BIZ-1' },
    // Not earlier, or not the subject's: never the issue it repeats.
    { at: new Date('2026-11-28T10:00:00+08:00'), placeId: 'shop' },
    { at: new Date('2026-11-28T09:45:00+08:00'), placeId: 'market' },
  ];

  it('becomes a case row marked earlierIssue, a repeat of the latest earlier issue, and its suppression is superseded', () => {
    expect(suppressed.reason).toBe('do-not-disturb');
    const repeats = repeatsAfterwards([first], batch, subjects, ruleSet.doNotDisturb.windowDays);
    expect(repeats).toEqual([first]);
    const { cases, superseded } = earlierIssueCases(repeats, batch, subjects, ruleSet);
    const issue = suppressed.issue;
    expect(cases).toEqual([
      {
        identityKey: issue.identityKey,
        identity: issue.identity,
        categoryCode: 'exposed-garbage',
        severity: 'medium',
        townshipCode: 'T1',
        gridCode: issue.gridCode,
        placeId: 'shop',
        handlingUnit: issue.explanation.routing.unit,
        heldReason: issue.explanation.routing.held,
        officer: undefined,
        deviceId: issue.deviceId,
        lat: at.shop.lat,
        lng: at.shop.lng,
        firstSeenAt: issue.occurredAt,
        lastSeenAt: issue.occurredAt,
        latestEventId: 'stored-shop-garbage',
        ruleId: 'garbage',
        ruleVersion: ruleSet.version,
        explanation: {
          ...issue.explanation,
          doNotDisturb: {
            subjectId: 'business:BIZ-1',
            earlierIssue: true,
            windowDays: 90,
            repeatOf: { at: '2026-11-28T01:30:00.000Z', note: 'an earlier issue of the subject arrived after this one was suppressed as the first' },
          },
        },
        events: [{ id: 'stored-shop-garbage', occurredAt: issue.occurredAt }],
      },
    ]);
    expect(superseded).toEqual([
      {
        key: first.key,
        eventId: 'stored-shop-garbage',
        note: {
          subjectId: 'business:BIZ-1',
          sourceEventId: 'shop-garbage',
          occurredAt: '2026-11-28T02:00:00.000Z',
          earlierIssueAt: '2026-11-28T01:30:00.000Z',
          identityKey: issue.identityKey,
          ruleVersion: ruleSet.version,
        },
      },
    ]);
  });

  it('an explanation without do-not-disturb details names the subject and window from the rule set', () => {
    const bare: FirstIssueRecord = { ...first, explanation: {} };
    const { cases, superseded } = earlierIssueCases([bare], batch, subjects, ruleSet);
    expect(cases[0].severity).toBe('medium');
    expect(cases[0].identity).toEqual(identityOfKey(first.identityKey));
    expect(cases[0].explanation).toEqual({
      doNotDisturb: {
        subjectId: 'business:BIZ-1',
        windowDays: 90,
        earlierIssue: true,
        repeatOf: { at: '2026-11-28T01:30:00.000Z', note: 'an earlier issue of the subject arrived after this one was suppressed as the first' },
      },
    });
    expect(superseded[0].note).toMatchObject({ sourceEventId: undefined, earlierIssueAt: '2026-11-28T01:30:00.000Z' });
  });
});

describe('case grouping: a classified batch for the stores', () => {
  const parked = (hhmm: string) =>
    event({
      at: `2026-11-28T${hhmm}:00+08:00`,
      eventId: `car-${hhmm}`,
      deviceId: 'CAM-PARK',
      zones: ['no_parking'],
      detections: [{ label: 'car', confidence: 0.9, plate: '粤A12345', stationary: true }],
    });
  const garbage = (hhmm: string) =>
    event({ at: `2026-11-28T${hhmm}:00+08:00`, eventId: `garbage-${hhmm}`, location: at.openT1East, detections: [{ label: 'garbage', confidence: 0.9 }] });
  const vendingAtMarket = event({
    at: '2026-11-28T19:00:00+08:00',
    eventId: 'vendor-19:00',
    location: at.market,
    detections: [{ label: 'vendor', confidence: 0.9 }],
  });
  const shopGarbage = event({
    at: '2026-11-28T12:00:00+08:00',
    eventId: 'shop-garbage',
    location: at.shop,
    detections: [{ label: 'garbage', confidence: 0.9 }],
  });
  const events = [parked('21:00'), parked('21:04'), parked('21:08'), parked('21:11'), garbage('10:00'), garbage('10:05'), vendingAtMarket, shopGarbage];
  const storedId = (e: CanonicalEvent) => `stored-${e.eventId}`;
  const { results } = classifyBatch(events, context());
  const grouped = groupClassified(results, storedId);

  it('one case row per identity: the first issue, every occurrence with its stored event, in the batch order', () => {
    const issues = results.flatMap((r) => r.issues.map((issue) => ({ issue, event: r.event })));
    expect(issues.map((i) => i.event.eventId)).toEqual(['garbage-10:00', 'garbage-10:05', 'car-21:11']);
    const [first, second, car] = issues.map(({ issue, event: e }) => caseGroupingOf(issue, storedId(e)));
    expect(grouped.cases).toEqual([
      { ...first, lastSeenAt: second.lastSeenAt, latestEventId: second.latestEventId, events: [...first.events, ...second.events] },
      car,
    ]);
    expect(grouped.cases.map((c) => [c.identityKey, c.latestEventId, c.events])).toEqual([
      [
        `category=exposed-garbage|grid=${GRID}`,
        'stored-garbage-10:05',
        [
          { id: 'stored-garbage-10:00', occurredAt: new Date('2026-11-28T10:00:00+08:00') },
          { id: 'stored-garbage-10:05', occurredAt: new Date('2026-11-28T10:05:00+08:00') },
        ],
      ],
      [
        'category=motor-parking|place=np-street|plate=粤A12345',
        'stored-car-21:11',
        [{ id: 'stored-car-21:11', occurredAt: new Date('2026-11-28T21:11:00+08:00') }],
      ],
    ]);
    // The explanation is the first issue's.
    expect(grouped.cases[0].explanation.eventId).toBe('garbage-10:00');
  });

  it('folds case rows by identity: first row kept, occurrences in order, earliest first seen, latest last seen (a later row wins a tie)', () => {
    const issue = results.find((r) => r.event.eventId === 'garbage-10:00')!.issues[0];
    const row = (id: string, first: string, last: string) => ({
      ...caseGroupingOf(issue, id),
      firstSeenAt: new Date(first),
      lastSeenAt: new Date(last),
      events: [{ id, occurredAt: new Date(last) }],
    });
    const other = { ...row('o1', '2026-11-28T09:00:00Z', '2026-11-28T09:00:00Z'), identityKey: 'other' };
    const a = row('a', '2026-11-28T10:00:00Z', '2026-11-28T10:00:00Z');
    const b = row('b', '2026-11-28T08:00:00Z', '2026-11-28T11:00:00Z');
    const c = row('c', '2026-11-28T10:30:00Z', '2026-11-28T11:00:00Z');
    const d = row('d', '2026-11-28T09:30:00Z', '2026-11-28T10:45:00Z');
    const folded = foldCaseGroupings([a, other, b, c, d]);
    expect(folded.map((r) => r.identityKey)).toEqual([a.identityKey, 'other']);
    expect(folded[0]).toEqual({
      ...a,
      firstSeenAt: b.firstSeenAt,
      lastSeenAt: c.lastSeenAt,
      latestEventId: 'c',
      events: [...a.events, ...b.events, ...c.events, ...d.events],
    });
    expect(folded[1]).toEqual(other);
    // The input rows are left as they were, and folding again changes nothing.
    expect(a.events).toEqual([{ id: 'a', occurredAt: new Date('2026-11-28T10:00:00Z') }]);
    expect(foldCaseGroupings(folded)).toEqual(folded);
    expect(foldCaseGroupings([...foldCaseGroupings([a, other, b]), c, d])).toEqual(folded);
  });

  it('a case row is the issue, its routing decision in the explanation', () => {
    const issue = results.find((r) => r.event.eventId === 'garbage-10:00')!.issues[0];
    expect(caseGroupingOf(issue, 'stored-1')).toEqual({
      identityKey: issue.identityKey,
      identity: issue.identity,
      categoryCode: 'exposed-garbage',
      severity: issue.severity,
      townshipCode: 'T1',
      gridCode: GRID,
      placeId: undefined,
      handlingUnit: issue.handlingUnit,
      heldReason: issue.heldReason,
      officer: { id: 'OFF-2', name: 'Officer Two' },
      deviceId: issue.deviceId,
      lat: at.openT1East.lat,
      lng: at.openT1East.lng,
      firstSeenAt: issue.occurredAt,
      lastSeenAt: issue.occurredAt,
      latestEventId: 'stored-1',
      ruleId: 'garbage',
      ruleVersion: ruleSet.version,
      explanation: { ...issue.explanation, routing: issue.routing },
      events: [{ id: 'stored-1', occurredAt: issue.occurredAt }],
    });
  });

  it('each suppression a tally under its suppressionKeyOf, counted once, from its stored event', () => {
    const suppressed = results.flatMap((r) => r.suppressed.map((s) => ({ s, event: r.event })));
    expect(suppressed.map(({ s }) => s.reason).sort()).toEqual(['allowed-window', 'do-not-disturb']);
    expect(grouped.suppressions).toEqual(
      suppressed.map(({ s, event: e }) => ({ key: suppressionKeyOf(s), suppression: s, count: 1, eventId: storedId(e), firstAt: s.issue.occurredAt })),
    );
    expect(grouped.suppressions.map((t) => t.key)).toContain('allowed-window|category=street-occupation|place=market');
    expect(grouped.suppressions.find((t) => t.suppression.reason === 'do-not-disturb')?.key).toContain(':shop-garbage@');
    expect(suppressionTallyOf('k', suppressed[0].s, 'id')).toEqual({
      key: 'k',
      suppression: suppressed[0].s,
      count: 1,
      eventId: 'id',
      firstAt: suppressed[0].s.issue.occurredAt,
    });
  });

  it('dwell proofs only for the issues that carry one, by the source identity of the event', () => {
    const dwell = results.find((r) => r.event.eventId === 'car-21:11')!.issues[0];
    expect(dwell.dwellProof).toBeDefined();
    expect(grouped.dwellProofs).toEqual([{ identityKey: dwell.identityKey, source: 'cloudpatrol', deviceId: 'CAM-PARK', proof: dwell.dwellProof }]);
  });

  it('an empty batch groups to nothing', () => {
    expect(groupClassified([], storedId)).toEqual({ suppressions: [], cases: [], dwellProofs: [] });
  });
});
