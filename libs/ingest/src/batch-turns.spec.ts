import { BatchTurns } from './batch-turns';

const tick = () => new Promise((r) => setImmediate(r));

describe('BatchTurns', () => {
  it('lets the next batch open once the previous has inserted, and classify once it is done', async () => {
    const turns = new BatchTurns();
    const first = turns.take();
    const second = turns.take();
    const log: string[] = [];
    void first.mayOpen.then(() => log.push('first may open'));
    void first.previousDone.then(() => log.push('first may classify'));
    void second.mayOpen.then(() => log.push('second may open'));
    void second.previousDone.then(() => log.push('second may classify'));
    await tick();
    expect(log.sort()).toEqual(['first may classify', 'first may open']);
    first.inserted();
    await tick();
    expect(log.sort()).toEqual(['first may classify', 'first may open', 'second may open']);
    first.done();
    await tick();
    expect(log.sort()).toEqual(['first may classify', 'first may open', 'second may classify', 'second may open']);
  });

  it('does not hold the next batch when one fails before inserting', async () => {
    const turns = new BatchTurns();
    const failed = turns.take();
    const next = turns.take();
    let opened = false;
    let classified = false;
    void next.mayOpen.then(() => (opened = true));
    void next.previousDone.then(() => (classified = true));
    failed.done();
    await tick();
    expect(opened).toBe(true);
    expect(classified).toBe(true);
  });

  it('keeps at most `depth` transactions open: the third batch waits for the first to commit, not only for the second to insert', async () => {
    const turns = new BatchTurns(2);
    const [a, b, c] = [turns.take(), turns.take(), turns.take()];
    let cOpen = false;
    void c.mayOpen.then(() => (cOpen = true));
    a.inserted();
    b.inserted();
    await tick();
    expect(cOpen).toBe(false); // a and b are both open
    a.done();
    await tick();
    expect(cOpen).toBe(true);
  });

  it('with depth 1 runs batches strictly one after another', async () => {
    const turns = new BatchTurns(1);
    const [a, b] = [turns.take(), turns.take()];
    let bOpen = false;
    void b.mayOpen.then(() => (bOpen = true));
    a.inserted();
    await tick();
    expect(bOpen).toBe(false);
    a.done();
    await tick();
    expect(bOpen).toBe(true);
  });

  it('never lets a later turn open before an earlier one, over many turns finishing in order', async () => {
    const turns = new BatchTurns(2);
    const all = Array.from({ length: 20 }, () => turns.take());
    const opened: number[] = [];
    all.forEach((t, i) => void t.mayOpen.then(() => opened.push(i)));
    for (const t of all) {
      await tick();
      t.inserted();
      await tick();
      t.done();
    }
    await tick();
    expect(opened).toEqual(all.map((_, i) => i));
  });
});
