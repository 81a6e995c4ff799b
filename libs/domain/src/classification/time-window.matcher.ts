import { RuleTimeWindow, Weekday, WEEKDAYS } from './rule-set';

/**
 * Local time for rule windows is the source's event time shifted by a fixed UTC offset from the rules
 * file (default +08:00). A fixed offset, not a tz database name: China has no daylight saving, and a
 * fixed offset keeps the library free of host time-zone data, so a replay anywhere gives the same answer.
 */

export function parseUtcOffset(offset: string): number {
  const m = /^([+-])(\d\d):(\d\d)$/.exec(offset);
  if (!m) throw new Error(`not a UTC offset: "${offset}"`);
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

export interface LocalClock {
  /** 0..1439 */
  minuteOfDay: number;
  weekday: Weekday;
  /** `YYYY-MM-DD HH:MM ddd`, for explanations. */
  text: string;
}

const MINUTE_MS = 60_000;
const DAY_MINUTES = 1_440;

/**
 * A class, not an object literal with a getter: every classified event makes one, and a literal with an accessor
 * allocates a closure and an accessor pair each time (with the Date it shifted, `localClock` was 1.4 % of the ingest
 * thread in the bench's profile, issue 20).
 */
class ShiftedClock implements LocalClock {
  readonly minuteOfDay: number;
  readonly weekday: Weekday;

  constructor(private readonly shiftedMs: number) {
    const minutes = Math.floor(shiftedMs / MINUTE_MS);
    const days = Math.floor(minutes / DAY_MINUTES);
    this.minuteOfDay = minutes - days * DAY_MINUTES;
    // Day 0, 1970-01-01, was a Thursday; WEEKDAYS starts on Monday.
    this.weekday = WEEKDAYS[(((days + 3) % 7) + 7) % 7];
  }

  // Only explanations read it, and only when a window applied: built on use.
  get text(): string {
    return `${new Date(this.shiftedMs).toISOString().slice(0, 16).replace('T', ' ')} ${this.weekday}`;
  }
}

export function localClock(at: Date, offsetMinutes: number): LocalClock {
  return new ShiftedClock(at.getTime() + offsetMinutes * MINUTE_MS);
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const previousDay = (d: Weekday): Weekday => WEEKDAYS[(WEEKDAYS.indexOf(d) + 6) % 7];

/** Is the local time inside the window? `to` is exclusive: 18:00–22:00 allows 21:59, not 22:00. */
export function windowContainsTime(window: Pick<RuleTimeWindow, 'from' | 'to' | 'days'>, clock: LocalClock): boolean {
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const dayOk = (d: Weekday): boolean => !window.days || window.days.includes(d);
  const m = clock.minuteOfDay;
  if (from < to) return m >= from && m < to && dayOk(clock.weekday);
  // Wraps midnight: the part after midnight belongs to the day the window started.
  return (m >= from && dayOk(clock.weekday)) || (m < to && dayOk(previousDay(clock.weekday)));
}

/** A window restricted to places only counts for detections in one of them. */
export function windowAppliesToPlaces(window: Pick<RuleTimeWindow, 'places' | 'placeTypes'>, places: ReadonlyArray<{ id: string; type: string }>): boolean {
  if (!window.places && !window.placeTypes) return true;
  return places.some((p) => window.places?.includes(p.id) === true || window.placeTypes?.includes(p.type) === true);
}

export function describeWindow(window: RuleTimeWindow): string {
  const where = [...(window.places ?? []), ...(window.placeTypes ?? []).map((t) => `type ${t}`)];
  return [`${window.from}–${window.to}`, window.days ? window.days.join(',') : 'daily', where.length ? `at ${where.join(', ')}` : ''].filter(Boolean).join(' ');
}
