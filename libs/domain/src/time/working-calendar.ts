import { z } from 'zod';
import { type ConfigParseResult, toConfigIssues } from './config-issues';

/**
 * A working calendar (config/calendar/*.yaml): office hours, the weekend, public holidays and China's
 * 调休 makeup working days. Deadlines in working hours / working days are computed against it.
 *
 * Time zone model: a fixed UTC offset (utcOffsetMinutes). China has had one offset (+08:00) and no
 * daylight saving since 1991, so this is exact for Asia/Shanghai and needs no Intl/ICU tz data.
 * `timeZone` is a label for people; it is checked against the offset for the zones we know.
 */

const MS_PER_MINUTE = 60_000;
export const MS_PER_DAY = 86_400_000;

const CLOCK = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "HH:MM" → minutes after local midnight. "24:00" is allowed as an end (shift until midnight). */
export function clockToMinutes(clock: string): number {
  if (!CLOCK.test(clock)) throw new RangeError(`not a time of day "HH:MM": ${clock}`);
  return Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
}

/** Days since 1970-01-01 for a civil date "YYYY-MM-DD", or null when it is not a real date. */
export function isoDateToDayNumber(date: string): number | null {
  const m = ISO_DATE.exec(date);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March: a round trip catches impossible dates.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / MS_PER_DAY;
}

export function dayNumberToIsoDate(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday, like Date#getDay. 1970-01-01 was a Thursday. */
export function weekdayOfDayNumber(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** Offsets of the zones people are likely to write; a mismatch is almost certainly a typo. */
const KNOWN_OFFSETS: Readonly<Record<string, number>> = {
  'Asia/Shanghai': 480,
  'Asia/Chongqing': 480,
  'Asia/Hong_Kong': 480,
  'Asia/Macau': 480,
  'Asia/Taipei': 480,
  UTC: 0,
  'Etc/UTC': 0,
};

const clockSchema = z.string().regex(CLOCK, 'a time of day "HH:MM" (24-hour, "24:00" allowed as an end)');
const isoDateSchema = z.string().refine((s) => isoDateToDayNumber(s) !== null, 'a real calendar date "YYYY-MM-DD"');

export const workPeriodSchema = z
  .object({ start: clockSchema, end: clockSchema })
  .strict()
  .refine((p) => !CLOCK.test(p.start) || !CLOCK.test(p.end) || clockToMinutes(p.start) < clockToMinutes(p.end), {
    message: 'end must be after start (periods cannot cross midnight)',
    path: ['end'],
  });

export const workingCalendarSchema = z
  .object({
    /** e.g. "cn-2026" */
    name: z.string().min(1),
    /** Where the dates come from (the official notice), so a reviewer can check them. */
    source: z.string().optional(),
    timeZone: z.string().min(1),
    utcOffsetMinutes: z.number().int().min(-720).max(840),
    /** Working periods of a working day, in local time, in order, not overlapping. */
    workdayHours: z.array(workPeriodSchema).min(1, 'at least one working period'),
    /** Weekdays off: 0 = Sunday … 6 = Saturday. */
    weekend: z.array(z.number().int().min(0).max(6)),
    /** Days off although they are weekdays (public holidays and their 调休 bridge days). */
    holidays: z.array(isoDateSchema).default([]),
    /** 调休: weekend days that are working days. */
    makeupWorkdays: z.array(isoDateSchema).default([]),
    /** The dates this calendar's holiday list is known for; outside it only the weekend rule applies. */
    covers: z.object({ from: isoDateSchema, to: isoDateSchema }).strict().optional(),
  })
  .strict()
  .superRefine((cal, ctx) => {
    const known = KNOWN_OFFSETS[cal.timeZone];
    if (known !== undefined && known !== cal.utcOffsetMinutes) {
      ctx.addIssue({ code: 'custom', path: ['utcOffsetMinutes'], message: `${cal.timeZone} is UTC${known >= 0 ? '+' : ''}${known / 60} (${known} minutes)` });
    }
    // zod 4 runs this even when fields above failed: only compare clocks that parsed.
    const minutes = (clock: string): number => (CLOCK.test(clock) ? clockToMinutes(clock) : Number.NaN);
    for (let i = 1; i < cal.workdayHours.length; i++) {
      if (minutes(cal.workdayHours[i].start) < minutes(cal.workdayHours[i - 1].end)) {
        ctx.addIssue({ code: 'custom', path: ['workdayHours', i, 'start'], message: 'periods must be in order and not overlap' });
      }
    }
    if (cal.weekend.length >= 7 && cal.makeupWorkdays.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['weekend'], message: 'every weekday is a weekend day: there would be no working days' });
    }
    duplicates(cal.weekend).forEach((i) => ctx.addIssue({ code: 'custom', path: ['weekend', i], message: 'listed twice' }));
    duplicates(cal.holidays).forEach((i) => ctx.addIssue({ code: 'custom', path: ['holidays', i], message: `${cal.holidays[i]} listed twice` }));
    duplicates(cal.makeupWorkdays).forEach((i) =>
      ctx.addIssue({ code: 'custom', path: ['makeupWorkdays', i], message: `${cal.makeupWorkdays[i]} listed twice` }),
    );

    const holidays = new Set(cal.holidays);
    const weekend = new Set(cal.weekend);
    cal.makeupWorkdays.forEach((date, i) => {
      if (holidays.has(date)) ctx.addIssue({ code: 'custom', path: ['makeupWorkdays', i], message: `${date} is also listed as a holiday` });
      const day = isoDateToDayNumber(date);
      // A makeup day on a normal weekday changes nothing: it is a typo for another date.
      if (day !== null && !weekend.has(weekdayOfDayNumber(day))) {
        ctx.addIssue({ code: 'custom', path: ['makeupWorkdays', i], message: `${date} is not a weekend day, so it cannot be a makeup working day` });
      }
    });

    if (cal.covers) {
      const { from, to } = cal.covers;
      if (from > to) ctx.addIssue({ code: 'custom', path: ['covers', 'to'], message: 'must not be before covers.from' });
      const outside = (list: readonly string[], key: 'holidays' | 'makeupWorkdays'): void =>
        list.forEach((date, i) => {
          if (date < from || date > to) ctx.addIssue({ code: 'custom', path: [key, i], message: `${date} is outside covers ${from}..${to}` });
        });
      outside(cal.holidays, 'holidays');
      outside(cal.makeupWorkdays, 'makeupWorkdays');
    }
  });

export type WorkingCalendar = z.output<typeof workingCalendarSchema>;
export type WorkPeriod = z.output<typeof workPeriodSchema>;

/** Validate a parsed YAML/JSON document; errors carry paths such as "holidays[3]". */
export function parseWorkingCalendar(data: unknown): ConfigParseResult<WorkingCalendar> {
  const r = workingCalendarSchema.safeParse(data);
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: toConfigIssues(r.error) };
}

/** The local civil date ("YYYY-MM-DD") of an instant in the calendar's zone. */
export function localDateOf(instant: Date, cal: Pick<WorkingCalendar, 'utcOffsetMinutes'>): string {
  return dayNumberToIsoDate(localDayNumber(instant.getTime(), cal.utcOffsetMinutes));
}

export function localDayNumber(utcMs: number, utcOffsetMinutes: number): number {
  return Math.floor((utcMs + utcOffsetMinutes * MS_PER_MINUTE) / MS_PER_DAY);
}

/**
 * Whether the holiday list is known for this instant's local date. Deadlines past `covers.to` are still
 * computed (weekends only); callers should warn, because next year's holidays are not in the file yet.
 * A calendar without `covers` claims nothing and always answers true.
 */
export function calendarCovers(cal: WorkingCalendar, instant: Date): boolean {
  if (!cal.covers) return true;
  const date = localDateOf(instant, cal);
  return date >= cal.covers.from && date <= cal.covers.to;
}

function duplicates<T>(list: readonly T[]): number[] {
  const seen = new Set<T>();
  const out: number[] = [];
  list.forEach((v, i) => {
    if (seen.has(v)) out.push(i);
    seen.add(v);
  });
  return out;
}
