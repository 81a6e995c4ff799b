import fc from 'fast-check';
import { FifoQueue, MicroBatcher } from './micro-batcher';

describe('MicroBatcher', () => {
  it('stores parallel submissions in few batches, each item answered with its own result', async () => {
    const batches: number[][] = [];
    const b = new MicroBatcher<number, string>({
      maxBatch: 10,
      maxWaiting: 1000,
      run: async (items) => {
        batches.push(items);
        await new Promise((r) => setTimeout(r, 5));
        return items.map((i) => `stored ${i}`);
      },
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const s = b.submit(i);
        if (!s.accepted) throw new Error('refused');
        return s.result;
      }),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => `stored ${i}`));
    expect(batches.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(batches.length).toBe(5);
    expect(b.waiting).toBe(0);
  });

  it('never runs more than `concurrency` batches at once', async () => {
    let running = 0;
    let most = 0;
    const b = new MicroBatcher<number, number>({
      maxBatch: 1,
      maxWaiting: 100,
      concurrency: 2,
      run: async (items) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 2));
        running--;
        return items;
      },
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => (b.submit(i) as { result: Promise<number> }).result));
    expect(most).toBe(2);
  });

  it('fails every item of a failed batch and keeps going with the next', async () => {
    let calls = 0;
    const b = new MicroBatcher<number, number>({
      maxBatch: 100,
      maxWaiting: 100,
      concurrency: 1,
      run: (items) => (++calls === 1 ? Promise.reject(new Error('database down')) : Promise.resolve(items)),
    });
    const first = [b.submit(1), b.submit(2)].map((s) => (s as { result: Promise<number> }).result);
    await expect(Promise.all(first)).rejects.toThrow('database down');
    await expect((b.submit(3) as { result: Promise<number> }).result).resolves.toBe(3);
  });

  it('refuses at once beyond maxWaiting', () => {
    const b = new MicroBatcher<number, number>({ maxBatch: 10, maxWaiting: 2, run: () => new Promise(() => undefined) });
    expect(b.submit(1).accepted).toBe(true);
    expect(b.submit(2).accepted).toBe(true);
    expect(b.submit(3).accepted).toBe(false);
  });

  it('makes room for waiting callers as batches end, first come first served, as many as a batch freed', async () => {
    const releases: (() => void)[] = [];
    const b = new MicroBatcher<number, number>({
      maxBatch: 2,
      maxWaiting: 2,
      concurrency: 1,
      run: (items) => new Promise((resolve) => releases.push(() => resolve(items))),
    });
    const first = [b.submit(1), b.submit(2)].map((s) => (s as { result: Promise<number> }).result);
    expect(b.submit(3).accepted).toBe(false);
    const woken: string[] = [];
    const waiters = ['a', 'b', 'c'].map((name) => b.room().then(() => woken.push(name)));
    await new Promise((r) => setImmediate(r));
    expect(woken).toEqual([]);
    releases.shift()?.();
    await Promise.all(first);
    await new Promise((r) => setImmediate(r));
    // The batch of two ended: two of the three waiters may go, in the order they came.
    expect(woken).toEqual(['a', 'b']);
    b.stopWaiting();
    await Promise.all(waiters);
    expect(woken).toEqual(['a', 'b', 'c']);
  });

  it('has room at once while fewer than maxWaiting are queued or running', async () => {
    const b = new MicroBatcher<number, number>({ maxBatch: 10, maxWaiting: 2, run: () => new Promise(() => undefined) });
    b.submit(1);
    await expect(b.room()).resolves.toBeUndefined();
  });
});

describe('FifoQueue', () => {
  it('gives items back in the order they came, whatever the mix of pushes and shifts (an array as the reference)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.constant(-1), fc.integer({ min: -3000, max: -2 }))), (steps) => {
        const queue = new FifoQueue<number>();
        const reference: number[] = [];
        let next = 0;
        const taken: (number | undefined)[] = [];
        const expected: (number | undefined)[] = [];
        for (const step of steps) {
          // A positive step pushes that many items, a negative one shifts that many (past the end included).
          if (step > 0) {
            for (let k = 0; k < step; k++, next++) {
              queue.push(next);
              reference.push(next);
            }
          } else {
            for (let k = 0; k < -step; k++) {
              taken.push(queue.shift());
              expected.push(reference.shift());
            }
          }
          if (queue.size !== reference.length) return false;
        }
        expect(taken).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('is empty once every item is taken, and takes new ones after', () => {
    const queue = new FifoQueue<string>();
    for (let k = 0; k < 5000; k++) queue.push(`w${k}`);
    for (let k = 0; k < 5000; k++) expect(queue.shift()).toBe(`w${k}`);
    expect(queue.size).toBe(0);
    expect(queue.shift()).toBeUndefined();
    queue.push('again');
    expect(queue.shift()).toBe('again');
  });
});
