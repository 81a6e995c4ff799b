import { frigateRequestOf, mqttSnapshotWindows, nextAttemptAt, retryDelayMs, stepAfter, whyNotApi, type ApiAttempt } from './picture-fetch.service';

const T0 = new Date('2026-11-28T02:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const MIN = 60_000;

describe('picture fetch back-off', () => {
  it('waits 2 s after the first attempt, doubling to at most 60 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(retryDelayMs)).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000]);
    expect(retryDelayMs(0)).toBe(2_000);
  });

  it('never schedules past the give-up time: the last try happens then', () => {
    expect(nextAttemptAt(T0, 1, at(10 * MIN))).toEqual(at(2_000));
    expect(nextAttemptAt(at(9 * MIN + 30_000), 7, at(10 * MIN))).toEqual(at(10 * MIN));
    // Already past it: now (the caller settles instead of waiting).
    expect(nextAttemptAt(at(11 * MIN), 3, at(10 * MIN))).toEqual(at(11 * MIN));
  });

  it('an API that never answers is asked a bounded number of times, then the fallback is final at the give-up time', () => {
    const giveUpAt = at(10 * MIN);
    const failing: ApiAttempt = { kind: 'failed', retryable: true, detail: 'GET … answered HTTP 503' };
    let now = T0;
    const times: number[] = [];
    for (let attempts = 1; attempts < 100; attempts++) {
      times.push(now.getTime() - T0.getTime());
      const step = stepAfter(failing, now, giveUpAt, attempts);
      if (step.do === 'fallback') {
        expect(step.final).toBe(true);
        break;
      }
      expect(step.at.getTime()).toBeGreaterThan(now.getTime());
      now = step.at;
    }
    // 0, 2, 6, 14, 30, 62, 122, 182, … 542 s, then 600 s (the give-up time itself): 15 attempts.
    expect(times.slice(0, 7)).toEqual([0, 2_000, 6_000, 14_000, 30_000, 62_000, 122_000]);
    expect(times[times.length - 1]).toBe(10 * MIN);
    expect(times).toHaveLength(15);
  });
});

describe('what follows an attempt without an API picture', () => {
  const giveUpAt = at(10 * MIN);

  it('a retryable failure asks the API again until the give-up time, then falls back for good', () => {
    const failed: ApiAttempt = { kind: 'failed', retryable: true, detail: 'HTTP 404' };
    expect(stepAfter(failed, T0, giveUpAt, 1)).toEqual({ do: 'retry-api', at: at(2_000) });
    expect(stepAfter(failed, at(10 * MIN), giveUpAt, 16)).toEqual({ do: 'fallback', final: true, at: at(10 * MIN) });
  });

  it('without an API address the MQTT snapshot is looked for at once, and waited for until the give-up time', () => {
    expect(stepAfter({ kind: 'no-api' }, T0, giveUpAt, 1)).toEqual({ do: 'fallback', final: false, at: at(2_000) });
    expect(stepAfter({ kind: 'no-api' }, at(10 * MIN + 1), giveUpAt, 9)).toMatchObject({ do: 'fallback', final: true });
  });

  it('a failure that asking again cannot mend falls back at once, still waiting for a snapshot until the give-up time', () => {
    const forbidden: ApiAttempt = { kind: 'failed', retryable: false, detail: 'HTTP 401' };
    expect(stepAfter(forbidden, T0, giveUpAt, 1)).toEqual({ do: 'fallback', final: false, at: at(2_000) });
  });

  it('a picture the pipeline refused is an answer: the fallback, or missing with the reason now', () => {
    expect(stepAfter({ kind: 'refused', detail: 'not-an-image: …' }, T0, giveUpAt, 1)).toEqual({ do: 'fallback', final: true, at: at(2_000) });
  });

  it('says in words why the API picture is not used', () => {
    expect(whyNotApi({ kind: 'no-api' }, 1, 'CAM-PARK-01')).toMatch(/^no Frigate API address is registered for CAM-PARK-01 or its NVR/);
    expect(whyNotApi({ kind: 'failed', retryable: true, detail: 'GET http://nvr/api/events/x/snapshot.jpg answered HTTP 503' }, 16, 'C')).toBe(
      "Frigate's API gave no picture in 16 attempts (last: GET http://nvr/api/events/x/snapshot.jpg answered HTTP 503)",
    );
    expect(whyNotApi({ kind: 'failed', retryable: false, detail: 'x' }, 1, 'C')).toBe("Frigate's API gave no picture in 1 attempt (last: x)");
    expect(whyNotApi({ kind: 'refused', detail: 'truncated: cut short' }, 2, 'C')).toBe("Frigate's API sent a picture that was refused (truncated: cut short)");
  });
});

describe('the MQTT snapshot fallback', () => {
  it('looks around the event first, then up to ten minutes after it', () => {
    expect(mqttSnapshotWindows(T0)).toEqual([
      { from: at(-MIN), to: at(MIN) },
      { from: at(-MIN), to: at(10 * MIN) },
    ]);
  });
});

describe('fetch requests', () => {
  it('reads a Frigate request, and says why a row cannot be fetched', () => {
    const request = { frigateEventId: '1764295322.417655-7ykq2c', camera: 'yunxi_rd_east', label: 'car' };
    expect(frigateRequestOf({ origin: 'frigate-api', request })).toEqual(request);
    expect(frigateRequestOf({ origin: 'frigate-api', request: { camera: 'c', label: 'car' } })).toBe(
      'the picture request names no Frigate event id, camera and label',
    );
    expect(frigateRequestOf({ origin: 'frigate-api', request: { ...request, label: 7 } })).toBe(
      'the picture request names no Frigate event id, camera and label',
    );
    expect(frigateRequestOf({ origin: 'dji-upload', request })).toBe('no fetcher for pictures of origin "dji-upload"');
  });
});
