import fc from 'fast-check';
import { DeviceRateLimiter, type RateLimitOptions } from './device-rate-limiter';

const NOW = Date.parse('2026-12-03T08:00:00Z');
const SECOND = 1000;
const YEAR = 365 * 24 * 3600 * SECOND;
/** 5 events/s with a burst of 10: windows of 2 s of the device's own time, 10 events each. */
const OPTIONS: RateLimitOptions = { ratePerSecond: 5, burst: 10, futureToleranceSeconds: 300 };

interface Sent {
  key: string;
  eventMs: number;
  arrivalMs: number;
}

const allowedOf = (l: DeviceRateLimiter, device: string, events: readonly Sent[]): boolean[] =>
  events.map((e) => l.take(device, e.key, e.eventMs, e.arrivalMs).allowed);
const count = (flags: boolean[]): number => flags.filter(Boolean).length;

describe('device rate limiter', () => {
  it('lets a burst through, then holds a device to its rate in its own time; other devices are not touched', () => {
    const l = new DeviceRateLimiter(OPTIONS);
    const flood = Array.from({ length: 60 }, (_, i) => ({ key: `flood-${i}`, eventMs: NOW, arrivalMs: NOW }));
    expect(count(allowedOf(l, 'cam', flood))).toBe(10);
    expect(l.take('other', 'calm-1', NOW, NOW)).toEqual({ allowed: true });
    // 100 events per second of the device's own time for 10 s: held to 5/s (10 per 2 s window).
    const loop = Array.from({ length: 1000 }, (_, i) => ({ key: `loop-${i}`, eventMs: NOW + 60 * SECOND + i * 10, arrivalMs: NOW + 70 * SECOND }));
    expect(count(allowedOf(l, 'cam', loop))).toBe(50);
  });

  it('takes a backlog drained at once after an outage, its times spread over the outage, for what it is', () => {
    const l = new DeviceRateLimiter(OPTIONS);
    // An hour offline at 4 events/s of its own time, then all 14,400 arrive within the same second.
    const backlog = Array.from({ length: 14_400 }, (_, i) => ({ key: `b-${i}`, eventMs: NOW - 3600 * SECOND + i * 250, arrivalMs: NOW }));
    expect(count(allowedOf(l, 'cam', backlog))).toBe(14_400);
  });

  it('issue 23: one event dated a year ahead, then 10,200 normal events 17 s apart sent fast: all stored, the odd one flagged', () => {
    const l = new DeviceRateLimiter(OPTIONS);
    const odd = l.take('cam', 'odd', NOW + YEAR, NOW);
    expect(odd.allowed).toBe(true);
    expect(odd.aheadBySeconds).toBeCloseTo(YEAR / SECOND, 0);
    const normal = Array.from({ length: 10_200 }, (_, i) => l.take('cam', `n-${i}`, NOW - 10_200 * 17 * SECOND + i * 17 * SECOND, NOW + i));
    expect(normal.filter((d) => d.allowed)).toHaveLength(10_200);
    expect(normal.filter((d) => d.aheadBySeconds !== undefined)).toHaveLength(0);
  });

  it('lets a platform back-fill older records after a live one', () => {
    const l = new DeviceRateLimiter(OPTIONS);
    expect(l.take('feed', 'live', NOW, NOW).allowed).toBe(true);
    const older = Array.from({ length: 500 }, (_, i) => ({ key: `old-${i}`, eventMs: NOW - (i + 1) * 2 * SECOND, arrivalMs: NOW + SECOND }));
    expect(count(allowedOf(l, 'feed', older))).toBe(500);
  });

  describe('issue 17: a re-sent backlog is judged by its arrival rate, a flood still is limited', () => {
    // The shipped defaults: 1000/s with a burst of 10,000 (windows of 10 s), 300 s tolerance.
    const DEFAULTS: RateLimitOptions = { ratePerSecond: 1000, burst: 10_000, futureToleranceSeconds: 300 };
    const START = Date.parse('2026-12-03T08:00:00Z');
    /** 30,001 events 1 ms apart in the device's own time (30 s of its clock), ids prefixed. */
    const stream = (prefix: string, arrivalMs: (i: number) => number): Sent[] =>
      Array.from({ length: 30_001 }, (_, i) => ({ key: `${prefix}-${i}`, eventMs: START + i, arrivalMs: arrivalMs(i) }));

    it('stores a second stream of 30,001 events over the same time range, re-sent an hour later at the configured rate', () => {
      const l = new DeviceRateLimiter(DEFAULTS);
      // Live: arrives as it happens, 1000/s.
      expect(
        count(
          allowedOf(
            l,
            'cam',
            stream('live', (i) => START + i),
          ),
        ),
      ).toBe(30_001);
      // The backlog re-sent (new ids, same own times) an hour later, at 1000/s of arrival: every own-time window is full.
      expect(
        count(
          allowedOf(
            l,
            'cam',
            stream('again', (i) => START + 3600 * SECOND + i),
          ),
        ),
      ).toBe(30_001);
    });

    it('holds the same re-send pushed all within one second to the burst (a flood in arrival time)', () => {
      const l = new DeviceRateLimiter(DEFAULTS);
      expect(
        count(
          allowedOf(
            l,
            'cam',
            stream('live', (i) => START + i),
          ),
        ),
      ).toBe(30_001);
      const flood = allowedOf(
        l,
        'cam',
        stream('flood', (i) => START + 3600 * SECOND + Math.floor(i / 31)),
      );
      // 10,000 in the window of arrival time, plus one: the live stream left room in its last own-time window (1 of 10,000).
      expect(count(flood)).toBe(10_001);
      // Once the arrival window turns, the re-send gets the next 10 s worth (and again the one own-time place left).
      expect(
        count(
          allowedOf(
            l,
            'cam',
            stream('later', () => START + 3610 * SECOND),
          ),
        ),
      ).toBe(10_001);
    });

    it('gives a live flood (own time = arrival) no second budget: 30,001 events in one second keep 10,000', () => {
      const l = new DeviceRateLimiter(DEFAULTS);
      const live = Array.from({ length: 30_001 }, (_, i) => ({ key: `l-${i}`, eventMs: START + Math.floor(i / 31), arrivalMs: START + Math.floor(i / 31) }));
      expect(count(allowedOf(l, 'cam', live))).toBe(10_000);
    });

    it("a re-sent backlog never takes the budget of the device's normal or far-ahead events", () => {
      const l = new DeviceRateLimiter(OPTIONS);
      const old = (prefix: string) => Array.from({ length: 10 }, (_, i) => ({ key: `${prefix}-${i}`, eventMs: NOW - 3600 * SECOND, arrivalMs: NOW }));
      expect(count(allowedOf(l, 'cam', old('first')))).toBe(10); // own-time window of an hour ago
      expect(count(allowedOf(l, 'cam', old('again')))).toBe(10); // its arrival window
      expect(count(allowedOf(l, 'cam', old('third')))).toBe(0); // both full: a flood
      // Live events arriving now and events dated a day ahead still have their own budgets.
      expect(
        count(
          allowedOf(
            l,
            'cam',
            Array.from({ length: 12 }, (_, i) => ({ key: `now-${i}`, eventMs: NOW, arrivalMs: NOW })),
          ),
        ),
      ).toBe(10);
      expect(
        count(
          allowedOf(
            l,
            'cam',
            Array.from({ length: 12 }, (_, i) => ({ key: `ahead-${i}`, eventMs: NOW + 86_400 * SECOND, arrivalMs: NOW })),
          ),
        ),
      ).toBe(10);
      // A replay charge released gives its arrival window back.
      l.release('cam', 'again-0');
      expect(l.take('cam', 'fourth', NOW - 3600 * SECOND, NOW).allowed).toBe(true);
    });
  });

  it('never charges a retry: a wedge retrying the same 300 fire detections (20/s) keeps every one', () => {
    const l = new DeviceRateLimiter({ ratePerSecond: 20, burst: 40, futureToleranceSeconds: 300 });
    const fire = Array.from({ length: 300 }, (_, i) => ({ key: `fire-${i}`, eventMs: NOW + i * 50, arrivalMs: NOW + i * 50 }));
    // Each attempt fails to commit and gives its charges back (what ingest does) ...
    for (let attempt = 0; attempt < 160; attempt++) {
      expect(count(allowedOf(l, 'smoke', fire))).toBe(300);
      for (const e of fire) l.release('smoke', e.key);
    }
    // ... and a batch delivered again without a release (a commit whose acknowledgement was lost) is not charged twice.
    for (let attempt = 0; attempt < 3; attempt++) expect(count(allowedOf(l, 'smoke', fire))).toBe(300);
    expect(l.memoryInUse.charges).toBe(300);
  });

  it('gives a released charge back once, and ignores a release of what was never charged', () => {
    const l = new DeviceRateLimiter(OPTIONS);
    const ten = Array.from({ length: 10 }, (_, i) => ({ key: `e-${i}`, eventMs: NOW, arrivalMs: NOW }));
    expect(count(allowedOf(l, 'cam', ten))).toBe(10);
    expect(l.take('cam', 'e-10', NOW, NOW).allowed).toBe(false);
    l.release('cam', 'never-charged');
    l.release('other', 'e-0');
    expect(l.take('cam', 'e-11', NOW, NOW).allowed).toBe(false);
    l.release('cam', 'e-0');
    l.release('cam', 'e-0');
    expect(l.take('cam', 'e-12', NOW, NOW).allowed).toBe(true);
    expect(l.take('cam', 'e-13', NOW, NOW).allowed).toBe(false);
  });

  it('judges events dated too far ahead by their arrival, in a budget of their own', () => {
    const l = new DeviceRateLimiter(OPTIONS);
    // Within the tolerance: believed, not flagged.
    expect(l.take('cam', 'soon', NOW + 299 * SECOND, NOW)).toEqual({ allowed: true });
    // A clock a day ahead flooding: held to the rate by arrival time, every one flagged.
    const ahead = Array.from({ length: 40 }, (_, i) => l.take('cam', `a-${i}`, NOW + 86_400 * SECOND + i, NOW + 500));
    expect(ahead.filter((d) => d.allowed)).toHaveLength(10);
    expect(ahead.every((d) => d.aheadBySeconds !== undefined && d.aheadBySeconds > 86_399)).toBe(true);
    // The normal budget of the same window is untouched: 9 more (10 minus "soon") of the device's own time.
    const normal = Array.from({ length: 12 }, (_, i) => ({ key: `n-${i}`, eventMs: NOW + 299 * SECOND, arrivalMs: NOW + 600 }));
    expect(count(allowedOf(l, 'cam', normal))).toBe(9);
    // Later arrivals open new windows of arrival time for the clock that runs ahead.
    expect(l.take('cam', 'a-late', NOW + 86_400 * SECOND, NOW + 10 * SECOND).allowed).toBe(true);
  });

  it('is off at rate 0, and still flags a date from the future', () => {
    const l = new DeviceRateLimiter({ ratePerSecond: 0, burst: 1, futureToleranceSeconds: 300 });
    expect(l.enabled).toBe(false);
    expect(Array.from({ length: 1000 }, (_, i) => l.take('cam', `k-${i}`, NOW, NOW).allowed).every(Boolean)).toBe(true);
    expect(l.take('cam', 'ahead', NOW + 301 * SECOND, NOW)).toEqual({ allowed: true, aheadBySeconds: 301 });
    expect(l.memoryInUse).toEqual({ devices: 0, windows: 0, charges: 0 });
  });

  it('admits at least one second of the rate per window, since sources report whole seconds', () => {
    const l = new DeviceRateLimiter({ ratePerSecond: 100, burst: 10, futureToleranceSeconds: 300 });
    const sameSecond = Array.from({ length: 150 }, (_, i) => ({ key: `s-${i}`, eventMs: NOW, arrivalMs: NOW }));
    expect(count(allowedOf(l, 'cam', sameSecond))).toBe(100);
  });

  it('keeps its memory bounded under a spray of device ids and a spray of timestamps', () => {
    const memory = { maxWindowsPerDevice: 50, maxWindows: 500, maxCharges: 300 };
    const l = new DeviceRateLimiter(OPTIONS, memory);
    for (let i = 0; i < 5000; i++) l.take(`spray-${i}`, 'k', NOW, NOW);
    for (let i = 0; i < 5000; i++) l.take('cam', `t-${i}`, NOW - i * 7919 * SECOND, NOW);
    const used = l.memoryInUse;
    expect(used.windows).toBeLessThanOrEqual(500);
    expect(used.devices).toBeLessThanOrEqual(500);
    expect(used.charges).toBeLessThanOrEqual(300);
    // The device flooding right now is the one remembered: its window still refuses.
    const flood = Array.from({ length: 20 }, (_, i) => ({ key: `f-${i}`, eventMs: NOW, arrivalMs: NOW }));
    expect(count(allowedOf(l, 'cam', flood))).toBe(10);
  });

  describe('properties', () => {
    /** A device's events: event times from a few seconds (so windows fill), some dated far ahead of their arrival. */
    const events = fc
      .array(
        fc.record({
          eventOffset: fc.integer({ min: 0, max: 12_000 }),
          arrivalOffset: fc.integer({ min: 0, max: 12_000 }),
          ahead: fc.boolean(),
        }),
        { maxLength: 300 },
      )
      .map((raw) =>
        raw.map((r, i): Sent => ({
          key: `e-${i}`,
          eventMs: NOW + r.eventOffset + (r.ahead ? 3600 * SECOND : 0),
          arrivalMs: NOW + r.arrivalOffset,
        })),
      );

    it("allows the same number of a device's events whatever order they arrive in", () => {
      fc.assert(
        fc.property(
          events.chain((es) => fc.tuple(fc.constant(es), fc.shuffledSubarray(es, { minLength: es.length, maxLength: es.length }))),
          ([inOrder, shuffled]) => {
            expect(count(allowedOf(new DeviceRateLimiter(OPTIONS), 'cam', shuffled))).toBe(count(allowedOf(new DeviceRateLimiter(OPTIONS), 'cam', inOrder)));
          },
        ),
      );
    });

    it('gives a retry the same decision without a second charge, whether or not the failed batch released it', () => {
      fc.assert(
        fc.property(events, fc.array(fc.boolean(), { minLength: 300, maxLength: 300 }), fc.boolean(), (es, retried, released) => {
          const once = allowedOf(new DeviceRateLimiter(OPTIONS), 'cam', es);
          const l = new DeviceRateLimiter(OPTIONS);
          const withRetries = es.map((e, i) => {
            const first = l.take('cam', e.key, e.eventMs, e.arrivalMs).allowed;
            if (!retried[i]) return first;
            if (released) l.release('cam', e.key);
            const again = l.take('cam', e.key, e.eventMs, e.arrivalMs).allowed;
            expect(again).toBe(first);
            return again;
          });
          expect(withRetries).toEqual(once);
          // No extra charge: what is left of the budget is what the single pass left.
          const probe = Array.from({ length: 40 }, (_, i) => ({ key: `p-${i}`, eventMs: NOW + i * 300, arrivalMs: NOW + i * 300 }));
          const fresh = new DeviceRateLimiter(OPTIONS);
          allowedOf(fresh, 'cam', es);
          expect(allowedOf(l, 'cam', probe)).toEqual(allowedOf(fresh, 'cam', probe));
        }),
      );
    });

    it('never lets events dated far ahead move or drain the budget of normal events', () => {
      fc.assert(
        fc.property(events, events, (normal, odd) => {
          const ahead = odd.map((e, i) => ({ ...e, key: `odd-${i}`, eventMs: e.arrivalMs + 400 * SECOND + (e.eventMs - NOW) * 1000 }));
          const normalOnly = normal.filter((e) => e.eventMs - e.arrivalMs <= 300 * SECOND);
          const alone = allowedOf(new DeviceRateLimiter(OPTIONS), 'cam', normalOnly);
          const l = new DeviceRateLimiter(OPTIONS);
          const mixed: boolean[] = [];
          normalOnly.forEach((e, i) => {
            if (ahead[i]) expect(l.take('cam', ahead[i].key, ahead[i].eventMs, ahead[i].arrivalMs).aheadBySeconds).toBeGreaterThan(300);
            mixed.push(l.take('cam', e.key, e.eventMs, e.arrivalMs).allowed);
          });
          expect(mixed).toEqual(alone);
        }),
      );
    });

    it('holds any flood to the rate over the span of its own time (or of its arrival, when dated ahead)', () => {
      fc.assert(
        fc.property(events, (es) => {
          const allowed = count(allowedOf(new DeviceRateLimiter(OPTIONS), 'cam', es));
          // Both clocks span at most 12 s: at most 7 windows of 2 s each, 10 events a window, per clock.
          expect(allowed).toBeLessThanOrEqual(2 * 7 * 10);
          const windowsHit = (times: number[]) => new Set(times.map((t) => Math.floor(t / (2 * SECOND)))).size;
          const believed = es.filter((e) => e.eventMs - e.arrivalMs <= 300 * SECOND);
          const flagged = es.filter((e) => e.eventMs - e.arrivalMs > 300 * SECOND);
          expect(allowed).toBeLessThanOrEqual(10 * (windowsHit(believed.map((e) => e.eventMs)) + windowsHit(flagged.map((e) => e.arrivalMs))));
        }),
      );
    });

    it('stays within its memory bounds whatever is taken and released', () => {
      const memory = { maxWindowsPerDevice: 8, maxWindows: 20, maxCharges: 30 };
      const op = fc.record({
        device: fc.integer({ min: 0, max: 9 }),
        key: fc.integer({ min: 0, max: 60 }),
        eventOffset: fc.integer({ min: -100_000, max: 100_000 }),
        release: fc.boolean(),
      });
      fc.assert(
        fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
          const l = new DeviceRateLimiter(OPTIONS, memory);
          for (const o of ops) {
            if (o.release) l.release(`d-${o.device}`, `k-${o.key}`);
            else l.take(`d-${o.device}`, `k-${o.key}`, NOW + o.eventOffset, NOW);
            const used = l.memoryInUse;
            expect(used.windows).toBeGreaterThanOrEqual(0);
            expect(used.windows).toBeLessThanOrEqual(memory.maxWindows);
            expect(used.devices).toBeLessThanOrEqual(memory.maxWindows);
            expect(used.charges).toBeLessThanOrEqual(memory.maxCharges);
          }
        }),
      );
    });
  });
});
