import { BoundedYield, IngestPressure } from './ingest-pressure';

describe('IngestPressure', () => {
  const pressure = () => new IngestPressure({ env: { INGEST_BATCH_SIZE: 2000 } as never });

  it('is calm until a batch at least half full is stored, and for half a second after the last one', () => {
    const p = pressure();
    expect(p.backlogged(0)).toBe(false);
    p.batchStored(999, 10);
    expect(p.backlogged(10)).toBe(false);
    p.batchStored(1000, 20);
    expect(p.backlogged(20)).toBe(true);
    expect(p.backlogged(519)).toBe(true);
    p.batchStored(30, 400);
    expect(p.backlogged(520)).toBe(false);
  });

  it('stays backlogged while full batches keep coming', () => {
    const p = pressure();
    for (let t = 0; t <= 5000; t += 250) p.batchStored(2000, t);
    expect(p.backlogged(5400)).toBe(true);
    expect(p.backlogged(5600)).toBe(false);
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

  it('starts counting again after the backlog clears', () => {
    const y = new BoundedYield(10_000);
    expect(y.waits(true, 0)).toBe(true);
    expect(y.waits(false, 9_000)).toBe(false);
    expect(y.waits(true, 9_500)).toBe(true);
    expect(y.waits(true, 19_000)).toBe(true);
  });
});
