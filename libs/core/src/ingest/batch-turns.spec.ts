import { BatchTurns } from './batch-turns';

const tick = () => new Promise((r) => setImmediate(r));

describe('BatchTurns', () => {
  it('lets the next batch insert once the previous has inserted, and classify once it is done', async () => {
    const turns = new BatchTurns();
    const first = turns.take();
    const second = turns.take();
    const log: string[] = [];
    void first.previousDone.then(() => log.push('first may classify'));
    void second.previousInserted.then(() => log.push('second may insert'));
    void second.previousDone.then(() => log.push('second may classify'));
    await tick();
    expect(log).toEqual(['first may classify']);
    first.inserted();
    await tick();
    expect(log).toEqual(['first may classify', 'second may insert']);
    first.done();
    await tick();
    expect(log).toEqual(['first may classify', 'second may insert', 'second may classify']);
  });

  it('does not hold the next batch when one fails before inserting', async () => {
    const turns = new BatchTurns();
    const failed = turns.take();
    const next = turns.take();
    let inserted = false;
    let classified = false;
    void next.previousInserted.then(() => (inserted = true));
    void next.previousDone.then(() => (classified = true));
    failed.done();
    await tick();
    expect([inserted, classified]).toEqual([true, true]);
  });

  it('keeps a chain of three in order', async () => {
    const turns = new BatchTurns();
    const [a, b, c] = [turns.take(), turns.take(), turns.take()];
    let cMayClassify = false;
    void c.previousDone.then(() => (cMayClassify = true));
    a.done();
    await tick();
    expect(cMayClassify).toBe(false); // b is still running
    b.done();
    await tick();
    expect(cMayClassify).toBe(true);
  });
});
