import fc from 'fast-check';
import type { WorkingCalendar } from './working-calendar';
import { testCalendar } from '@test/fixtures/working-calendar.fixture';
import { addWorkingTime, deadlineStatus, isWorkingDay, workingTimeBetween } from './working-time';

/** The parts of config/calendar/cn-2026.yaml these tests use (State Council notice of 2025-11-04). */
const cal = testCalendar({
  name: 'test-cn-2026',
  holidays: [...range('2026-02', 15, 23), ...range('2026-09', 25, 27), ...range('2026-10', 1, 7)],
  makeupWorkdays: ['2026-02-14', '2026-02-28', '2026-09-20', '2026-10-10'],
});

/** Consecutive dates of one month: range('2026-10', 1, 3) = 2026-10-01 … 2026-10-03. */
function range(month: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d++) out.push(`${month}-${String(d).padStart(2, '0')}`);
  return out;
}

/** Local Beijing time → Date. */
const at = (local: string): Date => new Date(`${local}+08:00`);
const iso = (d: Date): string => {
  // Render back in +08:00 so failures read like the test.
  const local = new Date(d.getTime() + 480 * 60_000).toISOString();
  return `${local.slice(0, 16)}`;
};

describe('the test calendar', () => {
  it('holds the dates it claims', () => {
    expect(cal.holidays).toHaveLength(9 + 3 + 7);
    expect(cal.holidays).toEqual(expect.arrayContaining(['2026-02-15', '2026-02-23', '2026-10-01', '2026-10-07']));
  });
});

describe('isWorkingDay', () => {
  it.each([
    ['2026-03-02', true, 'an ordinary Monday'],
    ['2026-03-07', false, 'a Saturday'],
    ['2026-03-08', false, 'a Sunday'],
    ['2026-10-01', false, 'National Day (a Thursday)'],
    ['2026-10-07', false, 'the last day of the National Day holiday (a Wednesday)'],
    ['2026-10-10', true, 'a Saturday makeup working day'],
    ['2026-09-20', true, 'a Sunday makeup working day'],
    ['2026-02-14', true, 'the Saturday before Spring Festival (makeup)'],
    ['2026-02-16', false, "New Year's Eve (a Monday in the holiday)"],
  ])('%s is %s (%s)', (date, expected) => {
    expect(isWorkingDay(date, cal)).toBe(expected);
  });

  it('reads an instant in the calendar zone, not in UTC', () => {
    // 2026-10-09T16:30Z is 00:30 on Saturday 10 October in Beijing: a makeup working day.
    expect(isWorkingDay(new Date('2026-10-09T16:30:00Z'), cal)).toBe(true);
    // 2026-10-09T15:30Z is still Friday 9 October 23:30 in Beijing.
    expect(isWorkingDay(new Date('2026-10-09T15:30:00Z'), cal)).toBe(true);
    // 2026-09-30T16:00Z is 00:00 on National Day.
    expect(isWorkingDay(new Date('2026-09-30T16:00:00Z'), cal)).toBe(false);
  });

  it('refuses a string that is not a date', () => {
    expect(() => isWorkingDay('2026-02-30', cal)).toThrow(RangeError);
    expect(() => isWorkingDay('1 Oct', cal)).toThrow(RangeError);
  });
});

describe('addWorkingTime in hours', () => {
  it.each([
    ['inside one period', '2026-03-02T09:00', 2, '2026-03-02T11:00'],
    ['ending exactly at the lunch break stays at 12:00', '2026-03-02T09:00', 3, '2026-03-02T12:00'],
    ['ending exactly at close of business', '2026-03-02T13:30', 4, '2026-03-02T17:30'],
    ['over the lunch break', '2026-03-02T11:00', 2, '2026-03-02T14:30'],
    ['starting in the lunch break', '2026-03-02T12:30', 1, '2026-03-02T14:30'],
    ['starting exactly at 12:00', '2026-03-02T12:00', 0.5, '2026-03-02T14:00'],
    ['starting before office hours', '2026-03-02T07:15', 1, '2026-03-02T10:00'],
    ['starting after office hours', '2026-03-02T18:00', 1, '2026-03-03T10:00'],
    ['starting at close of business', '2026-03-02T17:30', 0.25, '2026-03-03T09:15'],
    ['a full working day', '2026-03-02T09:00', 7, '2026-03-02T17:30'],
    ['over a weekend (Friday 16:00 + 4 h)', '2026-03-06T16:00', 4, '2026-03-09T11:30'],
    ['starting on a Saturday', '2026-03-07T10:00', 4, '2026-03-09T14:30'],
    ['over the National Day holiday', '2026-09-30T16:00', 4, '2026-10-08T11:30'],
    ['into a Saturday makeup working day', '2026-10-09T17:00', 1, '2026-10-10T09:30'],
    ['on a Sunday makeup working day', '2026-09-20T09:00', 1, '2026-09-20T10:00'],
    ['from the makeup Saturday over Spring Festival', '2026-02-14T17:00', 1, '2026-02-24T09:30'],
    ['over a day boundary in UTC (Beijing 07:59)', '2026-03-03T07:59', 0.5, '2026-03-03T09:30'],
  ])('%s', (_name, start, hours, due) => {
    expect(iso(addWorkingTime(at(start), { hours }, cal))).toBe(due);
  });

  it('adds nothing for zero hours, even outside office hours', () => {
    const start = at('2026-03-07T10:00');
    expect(addWorkingTime(start, { hours: 0 }, cal).getTime()).toBe(start.getTime());
  });

  it('keeps seconds and milliseconds of the start', () => {
    expect(addWorkingTime(new Date('2026-03-02T01:00:30.500Z'), { hours: 1 }, cal).toISOString()).toBe('2026-03-02T02:00:30.500Z');
  });

  it.each([
    [{}, 'neither'],
    [{ hours: 1, days: 1 }, 'both'],
    [{ hours: -1 }, 'negative'],
    [{ hours: Number.NaN }, 'NaN'],
    [{ hours: Number.POSITIVE_INFINITY }, 'infinite'],
  ])('refuses %j (%s)', (amount, _why) => {
    expect(() => addWorkingTime(at('2026-03-02T09:00'), amount, cal)).toThrow(RangeError);
  });

  it('refuses an invalid start', () => {
    expect(() => addWorkingTime(new Date('nope'), { hours: 1 }, cal)).toThrow(RangeError);
  });

  it('stops instead of looping forever on a calendar without working days', () => {
    const never: WorkingCalendar = { ...cal, weekend: [0, 1, 2, 3, 4, 5, 6], makeupWorkdays: [] };
    expect(() => addWorkingTime(at('2026-03-02T09:00'), { hours: 1 }, never)).toThrow(/too few working/);
    expect(() => addWorkingTime(at('2026-03-02T09:00'), { days: 1 }, never)).toThrow(/too few working/);
  });
});

describe('addWorkingTime in days: the start day never counts; due at close of business of the Nth working day', () => {
  it.each([
    ['Friday 16:00 + 1 = Monday close of business', '2026-03-06T16:00', 1, '2026-03-09T17:30'],
    ['Monday before office hours + 1 = Tuesday (the start day is not counted)', '2026-03-02T08:00', 1, '2026-03-03T17:30'],
    ['Monday late evening + 1 = Tuesday', '2026-03-02T23:59', 1, '2026-03-03T17:30'],
    ['Saturday + 1 = Monday', '2026-03-07T10:00', 1, '2026-03-09T17:30'],
    ['Sunday + 1 = Monday', '2026-03-08T10:00', 1, '2026-03-09T17:30'],
    ['eve of National Day + 1 = 8 October', '2026-09-30T10:00', 1, '2026-10-08T17:30'],
    ['eve of National Day + 7 (penalty) counts the makeup Saturday', '2026-09-30T10:00', 7, '2026-10-15T17:30'],
    ['during the holiday + 1 = first day back', '2026-10-03T10:00', 1, '2026-10-08T17:30'],
    ['Friday before the makeup Saturday + 1 = that Saturday', '2026-10-09T10:00', 1, '2026-10-10T17:30'],
    ['Friday 13 February + 1 = the makeup Saturday 14 February', '2026-02-13T10:00', 1, '2026-02-14T17:30'],
    ['Friday 13 February + 2 = 24 February, after Spring Festival', '2026-02-13T10:00', 2, '2026-02-24T17:30'],
    ['Monday + 20 (demolition)', '2026-03-02T10:00', 20, '2026-03-30T17:30'],
  ])('%s', (_name, start, days, due) => {
    expect(iso(addWorkingTime(at(start), { days }, cal))).toBe(due);
  });

  it.each([0, -1, 1.5])('refuses %p days', (days) => {
    expect(() => addWorkingTime(at('2026-03-02T09:00'), { days }, cal)).toThrow(RangeError);
  });
});

describe('calendars asked many times (each calendar object is compiled once)', () => {
  it('answers from each calendar object by its own holidays, whichever was asked first', () => {
    const noHolidays = testCalendar({ name: 'test-no-holidays', holidays: [], makeupWorkdays: [] });
    const start = at('2026-09-30T10:00');
    for (let round = 0; round < 3; round++) {
      expect(iso(addWorkingTime(start, { days: 1 }, cal))).toBe('2026-10-08T17:30');
      expect(iso(addWorkingTime(start, { days: 1 }, noHolidays))).toBe('2026-10-01T17:30');
      expect(isWorkingDay('2026-10-01', cal)).toBe(false);
      expect(isWorkingDay('2026-10-01', noHolidays)).toBe(true);
    }
  });
});

describe('workingTimeBetween (minutes)', () => {
  it.each([
    ['inside one period', '2026-03-02T09:00', '2026-03-02T10:00', 60],
    ['a whole working day', '2026-03-02T00:00', '2026-03-03T00:00', 420],
    ['lunch break is not counted', '2026-03-02T11:00', '2026-03-02T14:30', 120],
    ['over a weekend', '2026-03-06T16:00', '2026-03-09T10:00', 150],
    ['a whole week', '2026-03-02T00:00', '2026-03-09T00:00', 5 * 420],
    ['the National Day week is empty', '2026-09-30T17:30', '2026-10-08T09:00', 0],
    ['a makeup Sunday counts', '2026-09-19T00:00', '2026-09-21T00:00', 420],
    ['equal instants', '2026-03-02T10:00', '2026-03-02T10:00', 0],
  ])('%s', (_name, a, b, minutes) => {
    expect(workingTimeBetween(at(a), at(b), cal)).toBe(minutes);
  });

  it('is negative when the end is before the start', () => {
    expect(workingTimeBetween(at('2026-03-02T10:00'), at('2026-03-02T09:00'), cal)).toBe(-60);
  });

  it('keeps fractions of a minute', () => {
    expect(workingTimeBetween(at('2026-03-02T09:00'), new Date(at('2026-03-02T09:00').getTime() + 30_000), cal)).toBe(0.5);
  });

  it('measures exactly the hours that addWorkingTime added, from any start in 2026', () => {
    const t2026 = at('2026-01-01T00:00').getTime();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 364 * 24 * 60 }), fc.integer({ min: 1, max: 400 }), (minuteOfYear, quarters) => {
        const start = new Date(t2026 + minuteOfYear * 60_000);
        const hours = quarters / 4;
        const due = addWorkingTime(start, { hours }, cal);
        expect(workingTimeBetween(start, due, cal)).toBeCloseTo(hours * 60, 6);
        // And the due instant is inside working time (the clock never stops in a gap).
        expect(workingTimeBetween(new Date(due.getTime() - 60_000), due, cal)).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('deadlineStatus', () => {
  const due = at('2026-03-09T09:30');

  it('is overdue only strictly after the due instant', () => {
    expect(deadlineStatus(due, new Date(due.getTime() + 1))).toBe('overdue');
    expect(deadlineStatus(due, due)).toBe('due-soon');
  });

  it('uses 60 wall-clock minutes by default', () => {
    expect(deadlineStatus(due, at('2026-03-09T08:30'))).toBe('due-soon');
    expect(deadlineStatus(due, at('2026-03-09T08:29'))).toBe('on-track');
  });

  it('with a calendar counts working minutes: Friday evening is already close to Monday 09:30', () => {
    const fridayEvening = at('2026-03-06T18:00');
    expect(deadlineStatus(due, fridayEvening, { minutes: 60 })).toBe('on-track');
    expect(deadlineStatus(due, fridayEvening, { minutes: 60 }, cal)).toBe('due-soon');
  });

  it('supports a fraction of the allowance', () => {
    const startedAt = at('2026-03-02T09:00');
    const dueAt = at('2026-03-02T17:30'); // 420 working minutes, 510 wall-clock minutes
    expect(deadlineStatus(dueAt, at('2026-03-02T15:00'), { fraction: 0.25, startedAt })).toBe('on-track');
    expect(deadlineStatus(dueAt, at('2026-03-02T16:00'), { fraction: 0.25, startedAt })).toBe('due-soon');
    // 105 of 420 working minutes left at 15:45: exactly 25 %.
    expect(deadlineStatus(dueAt, at('2026-03-02T15:45'), { fraction: 0.25, startedAt }, cal)).toBe('due-soon');
    expect(deadlineStatus(dueAt, at('2026-03-02T15:44'), { fraction: 0.25, startedAt }, cal)).toBe('on-track');
  });

  it('treats an empty allowance as due soon', () => {
    const t = at('2026-03-02T10:00');
    expect(deadlineStatus(t, t, { fraction: 0.1, startedAt: t })).toBe('due-soon');
  });
});
