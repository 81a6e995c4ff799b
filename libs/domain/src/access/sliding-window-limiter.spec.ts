import { SlidingWindowLimiter } from './sliding-window-limiter';

describe('sliding-window limiter', () => {
  it('allows max hits per window per key, then refuses until the oldest hit leaves the window', () => {
    const l = new SlidingWindowLimiter({ max: 3, windowMs: 1000, capacity: 100 });
    expect([l.take('a', 0), l.take('a', 10), l.take('a', 20), l.take('a', 30)]).toEqual([true, true, true, false]);
    expect(l.take('b', 30)).toBe(true);
    expect(l.retryAfterMs('a', 30)).toBe(970);
    expect(l.take('a', 999)).toBe(false);
    expect(l.take('a', 1001)).toBe(true);
    expect(l.take('a', 1002)).toBe(false);
  });

  it('a refused attempt is not counted: the key is free once its counted hits leave the window', () => {
    const l = new SlidingWindowLimiter({ max: 2, windowMs: 100, capacity: 10 });
    l.take('a', 0);
    l.take('a', 1);
    for (let t = 2; t < 100; t++) expect(l.take('a', t)).toBe(false);
    expect(l.take('a', 102)).toBe(true);
  });

  it('bounded: a spray of fresh keys evicts the least recently seen keys below their limit, never a refused key', () => {
    const l = new SlidingWindowLimiter({ max: 2, windowMs: 60_000, capacity: 100 });
    l.take('attacker', 0);
    l.take('attacker', 1);
    expect(l.take('attacker', 2)).toBe(false);
    l.take('quiet', 3);
    for (let i = 0; i < 10_050; i++) {
      l.take(`127.0.${i >> 8}.${i & 255}`, 4 + i);
      expect(l.size).toBeLessThanOrEqual(200);
    }
    expect(l.take('attacker', 20_000)).toBe(false);
    expect(l.count('quiet', 20_000)).toBe(0); // evicted, one at a time
    expect(l.count('127.0.39.65', 20_000)).toBe(1); // the latest are kept
  });

  it('refused keys have their own bounded table: the least recently refused goes first', () => {
    const l = new SlidingWindowLimiter({ max: 1, windowMs: 60_000, capacity: 3 });
    for (const k of ['a', 'b', 'c', 'd']) l.take(k, 0);
    expect(['a', 'b', 'c', 'd'].map((k) => l.allows(k, 1))).toEqual([true, false, false, false]);
    expect(l.size).toBe(3);
  });

  it('record counts failures after the fact; allows reads without counting', () => {
    const l = new SlidingWindowLimiter({ max: 2, windowMs: 100, capacity: 10 });
    expect(l.allows('c', 0)).toBe(true);
    expect(l.record('c', 0)).toBe(1);
    expect(l.record('c', 1)).toBe(2);
    expect(l.allows('c', 2)).toBe(false);
    expect(l.record('c', 3)).toBe(2);
    expect(l.allows('c', 100)).toBe(false); // the two latest (1 and 3) are still in the window
    expect(l.allows('c', 102)).toBe(true);
  });

  it('refuses nonsense limits', () => {
    expect(() => new SlidingWindowLimiter({ max: 0, windowMs: 1, capacity: 1 })).toThrow(RangeError);
  });
});
