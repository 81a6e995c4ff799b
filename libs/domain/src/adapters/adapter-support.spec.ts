import fc from 'fast-check';
import { boundedId, checkSize, epochSecondsToDate, finiteNumber, geoPoint, parseDateTime, readJson } from './adapter-support';

describe('adapter support', () => {
  it('parses date-times with an offset, or without one in the given local offset', () => {
    expect(parseDateTime('2026-11-28T10:00:00+08:00')?.toISOString()).toBe('2026-11-28T02:00:00.000Z');
    expect(parseDateTime('2026-11-28T10:00:00.5Z')?.toISOString()).toBe('2026-11-28T10:00:00.500Z');
    expect(parseDateTime('2026-11-28T10:00:00+0800')?.toISOString()).toBe('2026-11-28T02:00:00.000Z');
    expect(parseDateTime('2026-11-28 10:00:00', '+08:00')?.toISOString()).toBe('2026-11-28T02:00:00.000Z');
    expect(parseDateTime('2026-11-28 10:00:00')).toBeUndefined();
    expect(parseDateTime('2026-11-28 10:00:00', '8')).toBeUndefined();
    expect(parseDateTime('2026-02-29T10:00:00Z')).toBeUndefined();
    expect(parseDateTime('2028-02-29T10:00:00Z')?.toISOString()).toBe('2028-02-29T10:00:00.000Z');
    expect(parseDateTime('2026-11-28T24:00:00Z')).toBeUndefined();
    expect(parseDateTime('yesterday')).toBeUndefined();
  });

  it('reads numbers sent as numbers or numeric strings, nothing else', () => {
    expect(finiteNumber(1.5)).toBe(1.5);
    expect(finiteNumber('+23.1100')).toBe(23.11);
    expect(finiteNumber('-91.40')).toBe(-91.4);
    expect(finiteNumber('')).toBeUndefined();
    expect(finiteNumber('0x10')).toBeUndefined();
    expect(finiteNumber(Infinity)).toBeUndefined();
    expect(finiteNumber(true)).toBeUndefined();
  });

  it('keeps real positions only', () => {
    expect(geoPoint(23.1, '113.2')).toEqual({ lat: 23.1, lng: 113.2 });
    expect(geoPoint(0, 0)).toBeUndefined();
    expect(geoPoint(91, 0)).toBeUndefined();
    expect(geoPoint(undefined, 1)).toBeUndefined();
  });

  it('refuses epoch values outside 2000..2100', () => {
    expect(epochSecondsToDate(1764295322.5)?.getTime()).toBe(1764295322500);
    expect(epochSecondsToDate(1764295322500)).toBeUndefined();
    expect(epochSecondsToDate(0)).toBeUndefined();
  });

  it('shortens long ids deterministically and leaves short ones alone', () => {
    expect(boundedId('abc')).toBe('abc');
    const long = 'k'.repeat(500);
    expect(boundedId(long)).toHaveLength(200);
    expect(boundedId(long)).toBe(boundedId(long));
    expect(boundedId(long)).not.toBe(boundedId(long + 'x'));
  });

  it('measures payload size in UTF-8 bytes', () => {
    expect(checkSize('中'.repeat(10), 30)).toBeUndefined();
    expect(checkSize('中'.repeat(11), 30)?.ok).toBe(false);
    expect(checkSize(new Uint8Array(31), 30)?.ok).toBe(false);
    expect(checkSize('x'.repeat(31), 30)?.ok).toBe(false);
    expect(readJson('{"a":1}', 100)).toMatchObject({ ok: true, value: { a: 1 } });
  });

  it('never reports a size under the limit as too large, or one over it as fine', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60, unit: 'grapheme' }), fc.integer({ min: 0, max: 200 }), (text, limit) => {
        const bytes = new TextEncoder().encode(text).length;
        return (checkSize(text, limit) === undefined) === bytes <= limit;
      }),
    );
  });
});
