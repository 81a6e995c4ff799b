import { alertAfterStore } from './latency';

describe('alertAfterStore', () => {
  it("gives each probe's time from its storing transaction's start to its alert, for the probes with both", () => {
    const alerts = new Map([
      ['fixed-1', 40],
      ['fixed-2', 180],
      ['fixed-3', 25], // no stored time read back: left out
    ]);
    const stored = new Map([
      ['fixed-1', 15],
      ['fixed-2', 160],
      ['fixed-4', 10], // stored, no alert (yet): left out
    ]);
    expect(alertAfterStore(alerts, stored)).toEqual([25, 20]);
  });

  it('is empty when nothing pairs', () => {
    expect(alertAfterStore(new Map([['a', 1]]), new Map([['b', 1]]))).toEqual([]);
  });
});
