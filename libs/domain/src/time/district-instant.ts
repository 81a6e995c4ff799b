/**
 * Reading a period bound typed by a person. A date alone ("2026-12-04") means the district's day, which
 * starts at 00:00 local time (+08:00), not at 00:00 UTC (08:00 in the district): read as UTC, a week's
 * figures would take in eight hours of the day before and drop eight hours of the last day.
 * A full instant must carry its offset ("2026-12-04T09:00:00+08:00" or "…Z") and is taken as written.
 */
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** null when the text is neither a real calendar date nor an instant with an offset. */
export function readDistrictInstant(text: string, utcOffsetMinutes: number): Date | null {
  const date = DATE_ONLY.exec(text);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const utcMidnight = Date.UTC(y, m - 1, d);
    const check = new Date(utcMidnight);
    // 2026-02-30 is not a day.
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return null;
    return new Date(utcMidnight - utcOffsetMinutes * 60_000);
  }
  if (!INSTANT.test(text)) return null;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? null : at;
}
