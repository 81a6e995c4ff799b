import { IngestProgress } from './ingest-progress';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('IngestProgress', () => {
  it('is not stalled while batches commit, however long it runs', () => {
    const c = clock();
    const p = new IngestProgress({ stallMs: 30_000, failuresToStall: 3 }, c.now);
    for (let i = 0; i < 100; i++) {
      p.attempted('mqtt');
      c.advance(1000);
      p.committed('mqtt');
    }
    expect(p.report()).toEqual([expect.objectContaining({ transport: 'mqtt', stalled: false, failuresInARow: 0 })]);
  });

  it('is stalled when the same batch keeps failing, naming the error', () => {
    const c = clock();
    const p = new IngestProgress({ stallMs: 30_000, failuresToStall: 3 }, c.now);
    for (let i = 0; i < 3; i++) {
      p.attempted('kafka');
      p.failed('kafka', new Error('ON CONFLICT DO UPDATE command cannot affect row a second time'));
    }
    const [k] = p.report();
    expect(k.stalled).toBe(true);
    expect(k.reason).toMatch(/3 batch attempts in a row failed: ON CONFLICT/);
    p.attempted('kafka');
    p.committed('kafka');
    expect(p.report()[0].stalled).toBe(false);
  });

  it('is stalled when messages wait and nothing commits for longer than the limit', () => {
    const c = clock();
    const p = new IngestProgress({ stallMs: 30_000, failuresToStall: 3 }, c.now);
    p.backlog('mqtt', 500);
    c.advance(29_000);
    expect(p.report()[0].stalled).toBe(false);
    c.advance(2000);
    expect(p.report()[0]).toEqual(
      expect.objectContaining({ stalled: true, waiting: 500, reason: expect.stringMatching(/nothing committed for 31 s with 500 waiting/) }),
    );
  });

  it('an idle transport with nothing waiting is never stalled', () => {
    const c = clock();
    const p = new IngestProgress({ stallMs: 1000, failuresToStall: 3 }, c.now);
    p.attempted('http');
    p.committed('http');
    p.backlog('http', 0);
    c.advance(3_600_000);
    expect(p.report()[0].stalled).toBe(false);
  });

  it('a batch in flight (a hung transaction) counts as waiting work', () => {
    const c = clock();
    const p = new IngestProgress({ stallMs: 1000, failuresToStall: 3 }, c.now);
    p.attempted('http');
    c.advance(1500);
    expect(p.report()[0]).toEqual(expect.objectContaining({ stalled: true, waiting: 1 }));
  });
});
