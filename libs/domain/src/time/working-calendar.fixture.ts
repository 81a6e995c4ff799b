import type { WorkingCalendar } from './working-calendar';

/**
 * A test calendar shaped like config/calendar/cn-2026.yaml (Beijing time, office hours 09:00–12:00 and
 * 13:30–17:30, Saturday and Sunday off); each test names only the holidays and makeup days it needs.
 */
export function testCalendar(days: Partial<Pick<WorkingCalendar, 'holidays' | 'makeupWorkdays' | 'name' | 'covers'>> = {}): WorkingCalendar {
  return {
    name: days.name ?? 'test',
    timeZone: 'Asia/Shanghai',
    utcOffsetMinutes: 480,
    workdayHours: [
      { start: '09:00', end: '12:00' },
      { start: '13:30', end: '17:30' },
    ],
    weekend: [6, 0],
    holidays: days.holidays ?? [],
    makeupWorkdays: days.makeupWorkdays ?? [],
    ...(days.covers && { covers: days.covers }),
  };
}
