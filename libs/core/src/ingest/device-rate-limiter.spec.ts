import { DeviceRateLimiter } from './device-rate-limiter';

describe('device rate limiter', () => {
  it('lets a burst through, then the sustained rate, per device', () => {
    const l = new DeviceRateLimiter(10, 3);
    expect([0, 0, 0, 0].map(() => l.take('cam', 0))).toEqual([true, true, true, false]);
    expect(l.take('other', 0)).toBe(true);
    expect(l.take('cam', 100)).toBe(true); // 0.1 s refills one token at 10/s
    expect(l.take('cam', 100)).toBe(false);
  });

  it('does not take a backlog of events spread over source time for a flood', () => {
    const l = new DeviceRateLimiter(10, 3);
    // 100 events, one every 0.2 s of source time, all arriving at once after an outage.
    expect(Array.from({ length: 100 }, (_, i) => l.take('cam', i * 200)).every(Boolean)).toBe(true);
  });

  it('lets late events refill nothing', () => {
    const l = new DeviceRateLimiter(10, 2);
    expect([l.take('cam', 10_000), l.take('cam', 10_000), l.take('cam', 0), l.take('cam', 5_000)]).toEqual([true, true, false, false]);
  });

  it('is off at rate 0', () => {
    const l = new DeviceRateLimiter(0, 0);
    expect(Array.from({ length: 1000 }, () => l.take('cam', 0)).every(Boolean)).toBe(true);
  });
});
