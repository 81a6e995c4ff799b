import { testCalendar } from '@test/fixtures/working-calendar.fixture';
import {
  type DueCaseRecord,
  closureFigures,
  falsePositiveRate,
  falsePositiveRates,
  median,
  medianTimeToClose,
  overdueMinutes,
  reviewOutcomeOf,
} from './case-figures';

const d = (s: string): Date => new Date(`${s}+08:00`);
const march = { from: d('2026-03-01T00:00'), to: d('2026-04-01T00:00') };
const april = { from: d('2026-04-01T00:00'), to: d('2026-05-01T00:00') };

describe('closureFigures', () => {
  const records: Array<DueCaseRecord & { name: string }> = [
    { name: 'closed on time', dueAt: d('2026-03-10T17:30'), closedAt: d('2026-03-09T10:00') },
    { name: 'closed exactly at the deadline', dueAt: d('2026-03-11T17:30'), closedAt: d('2026-03-11T17:30') },
    { name: 'closed late in the window', dueAt: d('2026-03-12T17:30'), closedAt: d('2026-03-13T09:00') },
    { name: 'overdue and still open', dueAt: d('2026-03-20T17:30'), closedAt: null },
    { name: 'due in March, closed late in April', dueAt: d('2026-03-31T17:30'), closedAt: d('2026-04-02T10:00') },
    { name: 'closed early in March, due in April', dueAt: d('2026-04-03T17:30'), closedAt: d('2026-03-30T10:00') },
    { name: 'open, due in April', dueAt: d('2026-04-10T17:30') },
    { name: 'never dispatched: no deadline', dueAt: null, closedAt: d('2026-03-05T10:00') },
    { name: 'due in February', dueAt: d('2026-02-27T17:30'), closedAt: d('2026-02-26T10:00') },
  ];

  it('counts due, closed and closed on time for a month', () => {
    expect(closureFigures(records, march)).toEqual({
      due: 6,
      closed: 4,
      closedOnTime: 3,
      open: 2,
      pending: 0,
      closureRate: 4 / 6,
      onTimeClosureRate: 3 / 6,
    });
  });

  it('counts each case in exactly one of adjacent windows', () => {
    const feb = { from: d('2026-02-01T00:00'), to: march.from };
    const total = [feb, march, april].reduce((n, w) => n + closureFigures(records, w).due, 0);
    expect(total).toBe(records.filter((r) => r.dueAt).length);
    expect(closureFigures(records, april)).toMatchObject({ due: 1, closed: 0, closedOnTime: 0, open: 1 });
  });

  it('uses a half-open window', () => {
    const atEnd = [{ dueAt: march.to }];
    const atStart = [{ dueAt: march.from }];
    expect(closureFigures(atEnd, march).due).toBe(0);
    expect(closureFigures(atStart, march).due).toBe(1);
  });

  it('counts only deadlines that have passed by now: an open case due later this week is pending, not late', () => {
    const week = { from: d('2026-12-01T00:00'), to: d('2026-12-08T00:00') };
    const now = d('2026-12-04T09:00');
    const thisWeek = [
      { dueAt: d('2026-12-02T17:30'), closedAt: d('2026-12-02T10:00') },
      { dueAt: d('2026-12-03T17:30'), closedAt: d('2026-12-03T11:00') },
      { dueAt: d('2026-12-07T17:30'), closedAt: null },
    ];
    expect(closureFigures(thisWeek, week, now)).toEqual({
      due: 2,
      closed: 2,
      closedOnTime: 2,
      open: 0,
      pending: 1,
      closureRate: 1,
      onTimeClosureRate: 1,
    });
    // Once the deadline passes with the case still open, it is missed.
    expect(closureFigures(thisWeek, week, d('2026-12-07T18:00'))).toMatchObject({ due: 3, closedOnTime: 2, open: 1, pending: 0, onTimeClosureRate: 2 / 3 });
    // Closed early, ahead of a deadline still to come: met.
    expect(closureFigures([{ dueAt: d('2026-12-07T17:30'), closedAt: d('2026-12-03T10:00') }], week, now)).toMatchObject({
      due: 1,
      closedOnTime: 1,
      pending: 0,
    });
  });

  it('gives null rates, not 0 or 100 %, when nothing was due', () => {
    expect(closureFigures([], march)).toEqual({ due: 0, closed: 0, closedOnTime: 0, open: 0, pending: 0, closureRate: null, onTimeClosureRate: null });
  });
});

describe('medianTimeToClose', () => {
  const cal = testCalendar();

  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('measures wall-clock minutes, skipping cases not closed or with a close before the start', () => {
    const records = [
      { startedAt: d('2026-03-02T09:00'), closedAt: d('2026-03-02T10:00') },
      { startedAt: d('2026-03-02T09:00'), closedAt: d('2026-03-02T11:00') },
      { startedAt: d('2026-03-02T09:00'), closedAt: d('2026-03-02T19:00') },
      { startedAt: d('2026-03-02T09:00'), closedAt: null },
      { startedAt: null, closedAt: d('2026-03-02T09:00') },
      { startedAt: d('2026-03-02T09:00'), closedAt: d('2026-03-02T08:00') },
    ];
    expect(medianTimeToClose(records)).toBe(120);
  });

  it('measures working minutes with a calendar', () => {
    // Friday 17:00 → Monday 09:30 is 60 working minutes, though 64.5 hours on the clock.
    const records = [{ startedAt: d('2026-03-06T17:00'), closedAt: d('2026-03-09T09:30') }];
    expect(medianTimeToClose(records, { calendar: cal })).toBe(60);
    expect(medianTimeToClose(records)).toBe(64.5 * 60);
  });

  it('keeps to cases closed inside the window', () => {
    const records = [
      { startedAt: d('2026-03-30T09:00'), closedAt: d('2026-03-30T09:10') },
      { startedAt: d('2026-03-31T09:00'), closedAt: d('2026-04-01T09:00') },
    ];
    expect(medianTimeToClose(records, { window: march })).toBe(10);
    expect(medianTimeToClose(records, { window: april })).toBe(24 * 60);
    expect(medianTimeToClose([], { window: april })).toBeNull();
  });
});

describe('reviewOutcomeOf', () => {
  const t = d('2026-03-02T09:00');
  it.each([
    ['an unreviewed detection', { status: 'detected', origin: 'machine', reviewedAt: null }, null],
    ['a registered detection', { status: 'registered', origin: 'machine', reviewedAt: t }, 'registered'],
    ['a detection that went on to be closed', { status: 'closed', origin: 'machine', reviewedAt: t }, 'registered'],
    ['a rejected detection', { status: 'rejected', origin: 'machine', reviewedAt: t }, 'rejected'],
    ['a manual case, rejected', { status: 'rejected', origin: 'manual', reviewedAt: null }, null],
  ] as const)('%s', (_name, snapshot, outcome) => {
    expect(reviewOutcomeOf(snapshot)).toBe(outcome);
  });
});

describe('false-positive rate', () => {
  const records = [
    { outcome: 'rejected' as const, ruleIds: ['parking-dwell'], deviceIds: ['CAM-01'] },
    { outcome: 'registered' as const, ruleIds: ['parking-dwell'], deviceIds: ['CAM-01'] },
    { outcome: 'registered' as const, ruleIds: ['parking-dwell'], deviceIds: ['CAM-02'] },
    { outcome: 'rejected' as const, ruleIds: ['garbage-exposed'], deviceIds: ['CAM-02', 'DRONE-1', 'CAM-02'] },
    { outcome: null, ruleIds: ['garbage-exposed'], deviceIds: ['CAM-03'] },
    { outcome: 'registered' as const },
  ];

  it('is rejected / reviewed over all reviewed cases', () => {
    expect(falsePositiveRate(records)).toEqual({ key: 'all', reviewed: 5, rejected: 2, rate: 0.4 });
    expect(falsePositiveRate([]).rate).toBeNull();
    expect(falsePositiveRate([{ outcome: null }])).toEqual({ key: 'all', reviewed: 0, rejected: 0, rate: null });
  });

  it('is given per rule, worst first', () => {
    expect(falsePositiveRates(records, 'rule')).toEqual([
      { key: 'garbage-exposed', reviewed: 1, rejected: 1, rate: 1 },
      { key: 'parking-dwell', reviewed: 3, rejected: 1, rate: 1 / 3 },
    ]);
  });

  it('is given per device, charging every device in a merged case once', () => {
    expect(falsePositiveRates(records, 'device')).toEqual([
      { key: 'DRONE-1', reviewed: 1, rejected: 1, rate: 1 },
      { key: 'CAM-01', reviewed: 2, rejected: 1, rate: 0.5 },
      { key: 'CAM-02', reviewed: 2, rejected: 1, rate: 0.5 },
    ]);
  });

  it('orders equal rates by volume, then by key', () => {
    const rows = falsePositiveRates(
      [
        { outcome: 'registered', deviceIds: ['B'] },
        { outcome: 'registered', deviceIds: ['A'] },
        { outcome: 'registered', deviceIds: ['C'] },
        { outcome: 'registered', deviceIds: ['C'] },
      ],
      'device',
    );
    expect(rows.map((r) => r.key)).toEqual(['C', 'A', 'B']);
  });
});

describe('overdueMinutes', () => {
  it('gives how long an open case is past its deadline, and null when closed or not yet due', () => {
    const now = d('2026-12-04T09:00');
    expect(overdueMinutes({ dueAt: d('2026-12-03T17:30') }, now)).toBe(15 * 60 + 30);
    expect(overdueMinutes({ dueAt: d('2026-12-05T17:30') }, now)).toBeNull();
    expect(overdueMinutes({ dueAt: d('2026-12-03T17:30'), closedAt: d('2026-12-04T08:00') }, now)).toBeNull();
  });
});
