import { parseDeadlinePolicy, type DeadlinePolicy } from '../time/deadline-policy';
import { testCalendar } from '@test/fixtures/working-calendar.fixture';
import { deadlineFrom, stepDeadlineFor, stepDeadlineState } from './case-deadlines';

/** The 2026 National Day week, as in config/calendar/cn-2026.yaml. */
const cal = testCalendar({
  holidays: ['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07'],
  makeupWorkdays: ['2026-09-20', '2026-10-10'],
  covers: { from: '2026-01-01', to: '2026-12-31' },
});
const at = (local: string): Date => new Date(`${local}+08:00`);

function policy(): DeadlinePolicy {
  const r = parseDeadlinePolicy({
    version: 1,
    default: { review: { amount: 2, unit: 'working-hours' }, handle: { amount: 5, unit: 'working-days' }, verify: { amount: 2, unit: 'working-days' } },
    categories: {
      'exposed-garbage': { handle: { amount: 4, unit: 'working-hours' }, verify: { amount: 1, unit: 'working-days' } },
      'fire-smoke': { review: { amount: 0.1, unit: 'calendar-hours' } },
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

describe('step deadlines', () => {
  it('runs the review clock from detection, in working hours', () => {
    const d = stepDeadlineFor('detected', at('2026-09-11T17:00'), {}, 'exposed-garbage', policy(), cal);
    expect(d).toMatchObject({
      step: 'review',
      dueAt: at('2026-09-14T10:30'),
      limit: { amount: 2, unit: 'working-hours', source: 'default' },
      calendarCovered: true,
    });
  });

  it('uses the stored dispatch deadline while handling, so a send-back does not restart it', () => {
    const snapshot = { dispatchedAt: at('2026-09-30T16:00'), dueAt: at('2026-10-08T11:30') };
    expect(stepDeadlineFor('in_progress', at('2026-10-08T09:00'), snapshot, 'exposed-garbage', policy(), cal)).toMatchObject({
      step: 'handle',
      startedAt: snapshot.dispatchedAt,
      dueAt: snapshot.dueAt,
      limit: { amount: 4, unit: 'working-hours', source: 'category' },
    });
  });

  it('runs the verify clock from report-back, skipping the National Day holiday', () => {
    const d = stepDeadlineFor('reported', at('2026-09-30T17:00'), { reportedAt: at('2026-09-30T17:00') }, 'exposed-garbage', policy(), cal);
    expect(d?.dueAt).toEqual(at('2026-10-08T17:30'));
  });

  it('has no clock while registered, closed or rejected', () => {
    for (const s of ['registered', 'closed', 'rejected'] as const) expect(stepDeadlineFor(s, at('2026-10-08T09:00'), {}, 'x', policy(), cal)).toBeNull();
  });

  it('flags deadlines past the calendar the holidays are known for', () => {
    expect(deadlineFrom(at('2026-12-31T16:00'), 'exposed-garbage', 'verify', policy(), cal).calendarCovered).toBe(false);
    expect(deadlineFrom(at('2026-12-31T16:00'), 'fire-smoke', 'review', policy(), cal).calendarCovered).toBe(true);
  });

  it('is due soon in the last quarter of the working allowance and overdue after it', () => {
    const d = deadlineFrom(at('2026-09-30T16:00'), 'exposed-garbage', 'handle', policy(), cal);
    expect(d.dueAt).toEqual(at('2026-10-08T11:30'));
    // The whole holiday week uses none of the allowance.
    expect(stepDeadlineState(d, at('2026-10-05T12:00'), cal)).toBe('on-track');
    expect(stepDeadlineState(d, at('2026-10-08T10:00'), cal)).toBe('on-track');
    expect(stepDeadlineState(d, at('2026-10-08T10:31'), cal)).toBe('due-soon');
    expect(stepDeadlineState(d, at('2026-10-08T11:30'), cal)).toBe('due-soon');
    expect(stepDeadlineState(d, at('2026-10-08T11:31'), cal)).toBe('overdue');
  });

  it('measures wall-clock limits without the calendar', () => {
    const d = deadlineFrom(at('2026-10-03T10:00'), 'fire-smoke', 'review', policy(), cal);
    expect(d.dueAt).toEqual(at('2026-10-03T10:06'));
    expect(stepDeadlineState(d, at('2026-10-03T10:05'), cal)).toBe('due-soon');
    expect(stepDeadlineState(d, at('2026-10-03T10:07'), cal)).toBe('overdue');
  });
});
