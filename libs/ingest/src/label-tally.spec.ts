import { LabelTally } from './label-tally';

describe('LabelTally', () => {
  it('gives each pair once with the sum of its counts, pairs that share a value kept apart', () => {
    const tally = new LabelTally();
    tally.add('mqtt', 'cloudpatrol');
    tally.add('kafka', 'cloudpatrol');
    tally.add('mqtt', 'cloudpatrol', 2);
    tally.add('mqtt', 'frigate');
    const seen: [string, string, number][] = [];
    tally.forEach((a, b, n) => seen.push([a, b, n]));
    expect(seen.sort()).toEqual([
      ['kafka', 'cloudpatrol', 1],
      ['mqtt', 'cloudpatrol', 3],
      ['mqtt', 'frigate', 1],
    ]);
  });

  it('gives nothing when nothing was counted', () => {
    const each = jest.fn();
    new LabelTally().forEach(each);
    expect(each).not.toHaveBeenCalled();
  });
});
