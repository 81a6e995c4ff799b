import { ConcurrencyLimiter } from './concurrency-limiter';

const tick = () => new Promise((r) => setImmediate(r));

describe('ConcurrencyLimiter', () => {
  it('runs at most `limit` tasks at once, in arrival order, and releases on failure', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const started: number[] = [];
    const finish: Array<() => void> = [];
    const runs = [0, 1, 2, 3].map((i) =>
      limiter.run(
        () =>
          new Promise<number>((resolve, reject) => {
            started.push(i);
            finish[i] = () => (i === 1 ? reject(new Error('boom')) : resolve(i));
          }),
      ),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect([limiter.active, limiter.pending]).toEqual([2, 2]);
    finish[1]();
    await expect(runs[1]).rejects.toThrow('boom');
    await tick();
    expect(started).toEqual([0, 1, 2]);
    finish[0]();
    finish[2]();
    await tick();
    finish[3]();
    expect(await Promise.all([runs[0], runs[2], runs[3]])).toEqual([0, 2, 3]);
    expect([limiter.active, limiter.pending]).toEqual([0, 0]);
  });

  it('refuses a limit below 1', () => {
    expect(() => new ConcurrencyLimiter(0)).toThrow(RangeError);
  });
});
