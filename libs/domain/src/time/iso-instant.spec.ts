import fc from 'fast-check';
import { isoInstant } from './iso-instant';

describe('isoInstant', () => {
  // Every millisecond from year 0 to 9999 and beyond, ±8.64e15 being the limits of a Date.
  const anyInstant = fc.integer({ min: -8.64e15, max: 8.64e15 });

  it('writes what toISOString writes, for any instant, in any order of days', () => {
    fc.assert(
      fc.property(fc.array(anyInstant, { minLength: 1, maxLength: 20 }), (instants) => {
        for (const ms of instants) expect(isoInstant(new Date(ms))).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  it('writes every millisecond of one day as toISOString does (the day is taken from the last call)', () => {
    const day = Date.UTC(2026, 11, 5);
    for (let ms = day - 1500; ms < day + 86_400_000 + 1500; ms += 9973) expect(isoInstant(new Date(ms))).toBe(new Date(ms).toISOString());
  });

  it('refuses an invalid date as toISOString does', () => {
    expect(() => isoInstant(new Date(Number.NaN))).toThrow(RangeError);
  });
});
