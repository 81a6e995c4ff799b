import { BoundedYield, IngestPressure } from './ingest-pressure';

describe('IngestPressure', () => {
  const pressure = () => new IngestPressure({ env: { INGEST_BATCH_SIZE: 2000 } as never });

  const stored = (p: IngestPressure, size: number, at: number) => {
    p.batchStarted(size);
    p.batchEnded(size, at);
  };

  it('is calm until a batch at least half full is stored, and for half a second after the last one', () => {
    const p = pressure();
    expect(p.backlogged(0)).toBe(false);
    stored(p, 999, 10);
    expect(p.backlogged(10)).toBe(false);
    stored(p, 1000, 20);
    expect(p.backlogged(20)).toBe(true);
    expect(p.backlogged(519)).toBe(true);
    stored(p, 30, 400);
    expect(p.backlogged(520)).toBe(false);
  });

  it('stays backlogged while full batches keep coming', () => {
    const p = pressure();
    for (let t = 0; t <= 5000; t += 250) stored(p, 2000, t);
    expect(p.backlogged(5400)).toBe(true);
    expect(p.backlogged(5600)).toBe(false);
  });

  it('is backlogged while a full batch is being stored, however long it takes, and half a second after it ends', () => {
    const p = pressure();
    stored(p, 2000, 0);
    p.batchStarted(2000);
    p.batchStarted(2000);
    expect(p.backlogged(3000)).toBe(true);
    p.batchEnded(2000, 3000);
    expect(p.backlogged(3600)).toBe(true);
    p.batchEnded(2000, 4000);
    expect(p.backlogged(4499)).toBe(true);
    expect(p.backlogged(4500)).toBe(false);
  });

  it('a small batch in flight is no backlog, and a failed full batch counts as ended (its retry starts again)', () => {
    const p = pressure();
    p.batchStarted(10);
    expect(p.backlogged(0)).toBe(false);
    p.batchStarted(2000);
    p.batchEnded(2000, 100); // failed: the same messages come back as a new batch
    expect(p.backlogged(599)).toBe(true);
    expect(p.backlogged(600)).toBe(false);
    p.batchEnded(10, 700);
    expect(p.backlogged(700)).toBe(false);
  });
});

describe('BoundedYield', () => {
  it('waits while backlogged, at most the bound in a row, then runs once and may wait again', () => {
    const y = new BoundedYield(10_000);
    expect(y.waits(false, 0)).toBe(false);
    expect(y.waits(true, 100)).toBe(true);
    expect(y.waits(true, 10_099)).toBe(true);
    expect(y.waits(true, 10_100)).toBe(false);
    expect(y.waits(true, 10_350)).toBe(true);
    expect(y.waits(true, 20_349)).toBe(true);
    expect(y.waits(true, 20_350)).toBe(false);
  });

  it('a run begun while calm stops between rounds when a backlog starts; a run the bound forced goes on', () => {
    const y = new BoundedYield(10_000);
    expect(y.waits(false, 0)).toBe(false);
    expect(y.goesOn(false)).toBe(true);
    expect(y.goesOn(true)).toBe(false);
    expect(y.waits(true, 100)).toBe(true);
    expect(y.waits(true, 10_100)).toBe(false);
    expect(y.goesOn(true)).toBe(true);
    expect(y.waits(true, 10_200)).toBe(true);
    expect(y.waits(false, 10_300)).toBe(false);
    expect(y.goesOn(true)).toBe(false);
  });

  it('starts counting again after the backlog clears', () => {
    const y = new BoundedYield(10_000);
    expect(y.waits(true, 0)).toBe(true);
    expect(y.waits(false, 9_000)).toBe(false);
    expect(y.waits(true, 9_500)).toBe(true);
    expect(y.waits(true, 19_000)).toBe(true);
  });
});
