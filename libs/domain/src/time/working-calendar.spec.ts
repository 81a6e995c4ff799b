import fc from 'fast-check';
import { calendarCovers, clockToMinutes, isoDateToDayNumber, localDateOf, parseWorkingCalendar, weekdayOfDayNumber } from './working-calendar';

const valid = {
  name: 'cn-2026',
  timeZone: 'Asia/Shanghai',
  utcOffsetMinutes: 480,
  workdayHours: [
    { start: '09:00', end: '12:00' },
    { start: '13:30', end: '17:30' },
  ],
  weekend: [6, 0],
  holidays: ['2026-10-01', '2026-10-02'],
  makeupWorkdays: ['2026-10-10'],
  covers: { from: '2026-01-01', to: '2026-12-31' },
};

function errorsOf(data: unknown): Array<{ path: string; message: string }> {
  const r = parseWorkingCalendar(data);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

describe('parseWorkingCalendar', () => {
  it('accepts a valid calendar', () => {
    const r = parseWorkingCalendar(valid);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.holidays).toEqual(['2026-10-01', '2026-10-02']);
  });

  it('defaults the holiday and makeup lists to empty', () => {
    const { holidays: _h, makeupWorkdays: _m, covers: _c, ...rest } = valid;
    const r = parseWorkingCalendar(rest);
    expect(r.ok && r.value.holidays.length === 0 && r.value.makeupWorkdays.length === 0).toBe(true);
  });

  it.each([
    ['a time that is not HH:MM', { workdayHours: [{ start: '9:00', end: '12:00' }] }, 'workdayHours[0].start'],
    ['an end before the start', { workdayHours: [{ start: '13:00', end: '12:00' }] }, 'workdayHours[0].end'],
    [
      'overlapping periods',
      {
        workdayHours: [
          { start: '09:00', end: '12:00' },
          { start: '11:30', end: '17:00' },
        ],
      },
      'workdayHours[1].start',
    ],
    ['no working period', { workdayHours: [] }, 'workdayHours'],
    ['an impossible date', { holidays: ['2026-10-01', '2026-02-30'] }, 'holidays[1]'],
    ['a date in another format', { holidays: ['2026/10/01'] }, 'holidays[0]'],
    ['a holiday listed twice', { holidays: ['2026-10-01', '2026-10-01'] }, 'holidays[1]'],
    ['a makeup day that is a weekday', { makeupWorkdays: ['2026-10-09'] }, 'makeupWorkdays[0]'],
    ['a makeup day that is also a holiday', { holidays: ['2026-10-10'], makeupWorkdays: ['2026-10-10'] }, 'makeupWorkdays[0]'],
    ['a weekday number out of range', { weekend: [6, 7] }, 'weekend[1]'],
    ['the wrong offset for Asia/Shanghai', { utcOffsetMinutes: 420 }, 'utcOffsetMinutes'],
    ['a date outside the covered range', { holidays: ['2027-01-01'] }, 'holidays[0]'],
    ['covers ending before it starts', { covers: { from: '2026-12-31', to: '2026-01-01' }, holidays: [], makeupWorkdays: [] }, 'covers.to'],
    ['an unknown key', { timezone: 'Asia/Shanghai' }, ''],
    ['a missing name', { name: undefined }, 'name'],
  ])('names the path of %s', (_name, patch, path) => {
    const errors = errorsOf({ ...valid, ...patch });
    expect(errors.map((e) => e.path)).toContain(path);
    expect(errors.every((e) => e.message.length > 0)).toBe(true);
  });

  it('accepts 24:00 as the end of a shift and an unknown zone with any offset', () => {
    const r = parseWorkingCalendar({ ...valid, timeZone: 'Asia/Kathmandu', utcOffsetMinutes: 345, workdayHours: [{ start: '00:00', end: '24:00' }] });
    expect(r.ok).toBe(true);
  });

  it('answers with errors, never throws, whatever the document holds', () => {
    const field = fc.oneof(fc.anything(), fc.constantFrom('9:00', '25:00', '2026-02-30', 'x'), fc.array(fc.anything()));
    fc.assert(
      fc.property(
        fc.record(
          {
            workdayHours: fc.oneof(field, fc.array(fc.record({ start: field, end: field }))),
            holidays: field,
            makeupWorkdays: field,
            weekend: field,
            covers: field,
          },
          { requiredKeys: [] },
        ),
        (patch) => {
          expect(() => parseWorkingCalendar({ ...valid, ...patch })).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a document that is not an object', () => {
    expect(errorsOf(null)[0].path).toBe('');
    expect(errorsOf('cn-2026').length).toBeGreaterThan(0);
  });
});

describe('calendar helpers', () => {
  it('converts clocks and dates', () => {
    expect(clockToMinutes('13:30')).toBe(810);
    expect(clockToMinutes('24:00')).toBe(1440);
    expect(() => clockToMinutes('25:00')).toThrow(RangeError);
    expect(isoDateToDayNumber('1970-01-02')).toBe(1);
    expect(isoDateToDayNumber('2026-02-29')).toBeNull();
    expect(isoDateToDayNumber('2028-02-29')).not.toBeNull();
    expect(weekdayOfDayNumber(isoDateToDayNumber('2026-10-01') ?? Number.NaN)).toBe(4); // Thursday
    expect(weekdayOfDayNumber(-1)).toBe(3); // 1969-12-31, a Wednesday
  });

  it('gives the local date of an instant', () => {
    expect(localDateOf(new Date('2026-09-30T16:00:00Z'), { utcOffsetMinutes: 480 })).toBe('2026-10-01');
    expect(localDateOf(new Date('2026-09-30T15:59:59Z'), { utcOffsetMinutes: 480 })).toBe('2026-09-30');
  });

  it('tells whether the holiday list covers an instant', () => {
    const r = parseWorkingCalendar(valid);
    if (!r.ok) throw new Error('valid calendar');
    expect(calendarCovers(r.value, new Date('2026-12-31T15:59:00Z'))).toBe(true);
    expect(calendarCovers(r.value, new Date('2026-12-31T16:00:00Z'))).toBe(false); // 2027-01-01 in Beijing
    expect(calendarCovers({ ...r.value, covers: undefined }, new Date('2030-01-01T00:00:00Z'))).toBe(true);
  });
});
