import { LoginThrottle } from './login-throttle';

describe('login throttle', () => {
  it('allows max attempts per window per client, then refuses until the window moves on', () => {
    const t = new LoginThrottle(3, 1000);
    expect([t.take('a', 0), t.take('a', 10), t.take('a', 20), t.take('a', 30)]).toEqual([true, true, true, false]);
    expect(t.take('b', 30)).toBe(true);
    expect(t.take('a', 1015)).toBe(true);
  });
});
