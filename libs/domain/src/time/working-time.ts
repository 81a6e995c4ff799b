import { MS_PER_DAY, type WorkingCalendar, clockToMinutes, isoDateToDayNumber, localDayNumber, weekdayOfDayNumber } from './working-calendar';

/**
 * Deadline clocks that run in working time (数字城管 time limits: "within 4 working hours",
 * "within 7 working days"). Pure functions of instants and a WorkingCalendar; no clock is read here.
 *
 * Working hours: only time inside a working day's periods counts. A start outside them (evening,
 * lunch break, weekend, holiday) begins counting at the next period. Ending exactly at a period's
 * end gives that end (12:00), not the next period's start.
 *
 * Working days: the start day is never counted (as in PRC procedure: 期间开始之日不计算在内), whatever
 * the hour and whether or not it is itself a working day. N working days are due at the END of the
 * last working period of the Nth working day after the start day.
 *   Friday 16:00 + 1 working day = the next working day (Monday, or later after a holiday) at 17:30.
 *   Monday 08:00 + 1 working day = Tuesday 17:30 (Monday is the start day, even before office hours).
 */

export interface WorkingAmount {
  hours?: number;
  days?: number;
}

export const DEADLINE_STATUSES = ['on-track', 'due-soon', 'overdue'] as const;
export type DeadlineStatus = (typeof DEADLINE_STATUSES)[number];

/** When a deadline counts as due soon: a fixed remaining time, or a fraction of the whole allowance. */
export type DueSoonThreshold = { minutes: number } | { fraction: number; startedAt: Date };

const MS_PER_MINUTE = 60_000;
/** A calendar with no working day in ten years is broken; stop scanning rather than loop forever. */
const MAX_SCAN_DAYS = 3_660;

interface CompiledCalendar {
  offsetMs: number;
  /** [start, end) minutes after local midnight, sorted. */
  periods: ReadonlyArray<readonly [number, number]>;
  weekend: ReadonlySet<number>;
  holidays: ReadonlySet<number>;
  makeup: ReadonlySet<number>;
}

/**
 * A calendar is configuration: read once at start and never changed in place. Compiled once per calendar object, since
 * case intake and the deadline watch ask for thousands of deadlines and each compile parses every holiday date.
 */
const compiled = new WeakMap<WorkingCalendar, CompiledCalendar>();

function compile(cal: WorkingCalendar): CompiledCalendar {
  let c = compiled.get(cal);
  if (!c) compiled.set(cal, (c = compileCalendar(cal)));
  return c;
}

function compileCalendar(cal: WorkingCalendar): CompiledCalendar {
  const days = (list: readonly string[]): Set<number> => new Set(list.map(isoDateToDayNumber).filter((d): d is number => d !== null));
  return {
    offsetMs: cal.utcOffsetMinutes * MS_PER_MINUTE,
    periods: cal.workdayHours.map((p) => [clockToMinutes(p.start), clockToMinutes(p.end)] as const).sort((a, b) => a[0] - b[0]),
    weekend: new Set(cal.weekend),
    holidays: days(cal.holidays),
    makeup: days(cal.makeupWorkdays),
  };
}

function isWorkingDayNumber(day: number, c: CompiledCalendar): boolean {
  // 调休 wins over the weekend; a listed holiday wins over an ordinary weekday.
  if (c.makeup.has(day)) return true;
  if (c.holidays.has(day)) return false;
  return !c.weekend.has(weekdayOfDayNumber(day));
}

/** The day's working periods as UTC epoch-ms [start, end). */
function periodsOfDay(day: number, c: CompiledCalendar): Array<readonly [number, number]> {
  const midnightUtc = day * MS_PER_DAY - c.offsetMs;
  return c.periods.map(([s, e]) => [midnightUtc + s * MS_PER_MINUTE, midnightUtc + e * MS_PER_MINUTE] as const);
}

/** A working day in the calendar's zone. A string is read as a local civil date "YYYY-MM-DD". */
export function isWorkingDay(date: Date | string, cal: WorkingCalendar): boolean {
  const c = compile(cal);
  if (typeof date === 'string') {
    const day = isoDateToDayNumber(date);
    if (day === null) throw new RangeError(`not a date "YYYY-MM-DD": ${date}`);
    return isWorkingDayNumber(day, c);
  }
  return isWorkingDayNumber(localDayNumber(date.getTime(), cal.utcOffsetMinutes), c);
}

/**
 * The instant `amount` of working time after `start`. Exactly one of hours / days.
 * Hours may be fractional (0.5 = 30 working minutes); days must be a positive whole number.
 */
export function addWorkingTime(start: Date, amount: WorkingAmount, cal: WorkingCalendar): Date {
  const { hours, days } = amount;
  if ((hours === undefined) === (days === undefined)) throw new RangeError('give exactly one of hours or days');
  const c = compile(cal);
  const t0 = start.getTime();
  if (!Number.isFinite(t0)) throw new RangeError('start is not a valid date');
  const firstDay = localDayNumber(t0, cal.utcOffsetMinutes);

  if (days !== undefined) {
    if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a positive whole number, got ${days}`);
    let counted = 0;
    for (let day = firstDay + 1; day <= firstDay + MAX_SCAN_DAYS; day++) {
      if (isWorkingDayNumber(day, c) && ++counted === days) {
        const periods = periodsOfDay(day, c);
        return new Date(periods[periods.length - 1][1]);
      }
    }
    throw new RangeError('the calendar has too few working days to reach this deadline');
  }

  if (hours === undefined || !Number.isFinite(hours) || hours < 0) throw new RangeError(`hours must be a finite number >= 0, got ${hours}`);
  let remaining = Math.round(hours * 60 * MS_PER_MINUTE);
  if (remaining === 0) return new Date(t0);
  for (let day = firstDay; day <= firstDay + MAX_SCAN_DAYS; day++) {
    if (!isWorkingDayNumber(day, c)) continue;
    for (const [ps, pe] of periodsOfDay(day, c)) {
      if (pe <= t0) continue;
      const from = Math.max(ps, t0);
      const available = pe - from;
      // `<=` so that a deadline landing exactly on a period's end stays there (12:00, not 13:30).
      if (remaining <= available) return new Date(from + remaining);
      remaining -= available;
    }
  }
  throw new RangeError('the calendar has too few working hours to reach this deadline');
}

/** Working minutes between two instants (negative when b is before a; fractional below a minute). */
export function workingTimeBetween(a: Date, b: Date, cal: WorkingCalendar): number {
  const ta = a.getTime();
  const tb = b.getTime();
  if (!Number.isFinite(ta) || !Number.isFinite(tb)) throw new RangeError('not a valid date');
  if (tb < ta) return -workingTimeBetween(b, a, cal);
  const c = compile(cal);
  let ms = 0;
  const last = localDayNumber(tb, cal.utcOffsetMinutes);
  for (let day = localDayNumber(ta, cal.utcOffsetMinutes); day <= last; day++) {
    if (!isWorkingDayNumber(day, c)) continue;
    for (const [ps, pe] of periodsOfDay(day, c)) {
      const overlap = Math.min(pe, tb) - Math.max(ps, ta);
      if (overlap > 0) ms += overlap;
    }
  }
  return ms / MS_PER_MINUTE;
}

/**
 * Where a deadline stands at `now`. Overdue strictly after dueAt (due at 17:30 means by 17:30).
 * With a calendar the remaining time is measured in working minutes, so a case due Monday 09:30 is
 * already "due soon" on Friday evening; without one, in wall-clock minutes.
 */
export function deadlineStatus(dueAt: Date, now: Date, threshold: DueSoonThreshold = { minutes: 60 }, cal?: WorkingCalendar): DeadlineStatus {
  if (now.getTime() > dueAt.getTime()) return 'overdue';
  const span = (from: Date, to: Date): number => (cal ? workingTimeBetween(from, to, cal) : (to.getTime() - from.getTime()) / MS_PER_MINUTE);
  const remaining = span(now, dueAt);
  if ('minutes' in threshold) return remaining <= threshold.minutes ? 'due-soon' : 'on-track';
  const total = span(threshold.startedAt, dueAt);
  if (total <= 0) return 'due-soon';
  return remaining / total <= threshold.fraction ? 'due-soon' : 'on-track';
}
