import { describeWindow, localClock, parseUtcOffset, windowAppliesToPlaces, windowContainsTime } from './time-window.matcher';

const clockAt = (iso: string, offset = '+08:00') => localClock(new Date(iso), parseUtcOffset(offset));

describe('local time windows', () => {
  it('parses fixed UTC offsets', () => {
    expect(parseUtcOffset('+08:00')).toBe(480);
    expect(parseUtcOffset('-03:30')).toBe(-210);
    expect(() => parseUtcOffset('Asia/Shanghai')).toThrow();
  });

  it('shifts source time to local clock and weekday', () => {
    const clock = clockAt('2026-11-28T15:30:00Z');
    expect({ minuteOfDay: clock.minuteOfDay, weekday: clock.weekday, text: clock.text }).toEqual({
      minuteOfDay: 23 * 60 + 30,
      weekday: 'sat',
      text: '2026-11-28 23:30 sat',
    });
    expect(clockAt('2026-11-28T16:30:00Z').weekday).toBe('sun');
  });

  it('agrees with the calendar on every weekday, around midnight, at both signs of offset and before 1970', () => {
    for (const iso of [
      '2026-11-23T15:59:59.999Z',
      '2026-11-23T16:00:00Z',
      '2026-11-29T23:59:00Z',
      '1969-12-31T15:59:00Z',
      '1969-12-31T16:00:00Z',
      '1961-03-05T01:02:00Z',
    ]) {
      for (const offset of ['+08:00', '-03:30', '+00:00']) {
        const shifted = new Date(new Date(iso).getTime() + parseUtcOffset(offset) * 60_000);
        const clock = clockAt(iso, offset);
        expect([clock.minuteOfDay, clock.weekday]).toEqual([
          shifted.getUTCHours() * 60 + shifted.getUTCMinutes(),
          ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][shifted.getUTCDay()],
        ]);
      }
    }
  });

  it('includes from and excludes to', () => {
    const w = { from: '18:00', to: '22:00' };
    expect(windowContainsTime(w, clockAt('2026-11-28T18:00:00+08:00'))).toBe(true);
    expect(windowContainsTime(w, clockAt('2026-11-28T21:59:00+08:00'))).toBe(true);
    expect(windowContainsTime(w, clockAt('2026-11-28T22:00:00+08:00'))).toBe(false);
    expect(windowContainsTime(w, clockAt('2026-11-28T17:59:00+08:00'))).toBe(false);
    expect(windowContainsTime({ from: '00:00', to: '24:00' }, clockAt('2026-11-28T23:59:00+08:00'))).toBe(true);
  });

  it('wraps past midnight; days are the day the window starts', () => {
    const w = { from: '22:00', to: '06:00', days: ['fri' as const] };
    expect(windowContainsTime(w, clockAt('2026-11-27T23:00:00+08:00'))).toBe(true); // Friday night
    expect(windowContainsTime(w, clockAt('2026-11-28T05:00:00+08:00'))).toBe(true); // Saturday early, started Friday
    expect(windowContainsTime(w, clockAt('2026-11-28T23:00:00+08:00'))).toBe(false); // Saturday night
    expect(windowContainsTime(w, clockAt('2026-11-27T05:00:00+08:00'))).toBe(false); // Friday early, started Thursday
  });

  it('limits a window to places when it names them', () => {
    const market = [{ id: 'm', type: 'night-market' }];
    expect(windowAppliesToPlaces({}, [])).toBe(true);
    expect(windowAppliesToPlaces({ placeTypes: ['night-market'] }, market)).toBe(true);
    expect(windowAppliesToPlaces({ places: ['m'] }, market)).toBe(true);
    expect(windowAppliesToPlaces({ placeTypes: ['night-market'] }, [])).toBe(false);
  });

  it('describes a window for explanations', () => {
    expect(describeWindow({ from: '18:00', to: '22:00', days: ['sat', 'sun'], placeTypes: ['night-market'] })).toBe('18:00–22:00 sat,sun at type night-market');
  });
});
