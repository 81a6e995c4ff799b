import { LoginThrottle } from './login-throttle';

describe('login throttle', () => {
  it('allows max attempts per window per client, then refuses until the window moves on', () => {
    const t = new LoginThrottle(3, 1000, 10_000);
    expect([t.take('a', 0), t.take('a', 10), t.take('a', 20), t.take('a', 30)]).toEqual([true, true, true, false]);
    expect(t.take('b', 30)).toBe(true);
    expect(t.take('a', 1015)).toBe(true);
  });

  it('names when a refused client may try again: when its oldest counted attempt leaves the window', () => {
    const t = new LoginThrottle(3, 1000, 10_000);
    expect(t.retryAt('a', 0).getTime()).toBe(0);
    for (const at of [0, 10, 20]) t.take('a', at);
    expect(t.take('a', 30)).toBe(false);
    expect(t.retryAt('a', 30).getTime()).toBe(1000);
    expect(t.take('a', 999)).toBe(false);
    expect(t.take('a', 1001)).toBe(true);
  });

  it('a spray of other addresses does not reset a refused client (bounded, oldest evicted)', () => {
    const t = new LoginThrottle(2, 60_000, 1000);
    t.take('a', 0);
    t.take('a', 1);
    expect(t.take('a', 2)).toBe(false);
    for (let i = 0; i < 20_000; i++) {
      t.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 3);
      if (i % 500 === 0) expect(t.take('a', 3)).toBe(false);
    }
    expect(t.take('a', 4)).toBe(false);
  });
});
