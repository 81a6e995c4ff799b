import { readDistrictInstant } from './district-instant';

const CST = 8 * 60;

describe('readDistrictInstant', () => {
  it('reads a date alone as the start of that day in the district (+08:00), not UTC', () => {
    expect(readDistrictInstant('2026-12-04', CST)?.toISOString()).toBe('2026-12-03T16:00:00.000Z');
    expect(readDistrictInstant('2026-01-01', CST)?.toISOString()).toBe('2025-12-31T16:00:00.000Z');
  });

  it('takes an instant with its offset as written', () => {
    expect(readDistrictInstant('2026-12-04T09:30:00+08:00', CST)?.toISOString()).toBe('2026-12-04T01:30:00.000Z');
    expect(readDistrictInstant('2026-12-04T00:00:00Z', CST)?.toISOString()).toBe('2026-12-04T00:00:00.000Z');
  });

  it('refuses days that do not exist and instants without an offset', () => {
    expect(readDistrictInstant('2026-02-30', CST)).toBeNull();
    expect(readDistrictInstant('2026-13-01', CST)).toBeNull();
    expect(readDistrictInstant('2026-12-04T09:30:00', CST)).toBeNull();
    expect(readDistrictInstant('yesterday', CST)).toBeNull();
  });

  it('follows the calendar offset it is given', () => {
    expect(readDistrictInstant('2026-12-04', 0)?.toISOString()).toBe('2026-12-04T00:00:00.000Z');
  });
});
