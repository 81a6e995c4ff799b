import { type MachineMicrosPerEvent, microsLeftAt } from './cpu';

const burst: MachineMicrosPerEvent = { cores: 2, cloudPatrol: 113, postgresBackends: 56, broker: 30, benchClient: 40, other: 25, steal: 5, idle: 10 };

describe('microsLeftAt', () => {
  it('leaves what the cores have per event at the rate, less the parts CloudPatrol does not own', () => {
    // 2 cores at 10,000 events/s: 200 µs an event; broker 30, bench 40, kernel 25, stolen 5 leave 100.
    expect(microsLeftAt(10_000, burst)).toBe(100);
  });

  it('goes negative where the rest of the machine alone needs more than the rate allows', () => {
    // 20,000 events/s: 100 µs an event, and the parts CloudPatrol does not own take 100.
    expect(microsLeftAt(20_000, burst)).toBe(0);
    expect(microsLeftAt(25_000, burst)).toBe(-20);
  });
});
