import { plainArrayLiteral } from './sql-array';

describe('plainArrayLiteral', () => {
  it('joins ids, UUIDs, ISO times and numbers into one literal', () => {
    expect(plainArrayLiteral(['12', '7'])).toBe('{12,7}');
    expect(plainArrayLiteral(['0b7c1c2e-5d1f-4b8e-9a51-3f1d2c4b5a69'])).toBe('{0b7c1c2e-5d1f-4b8e-9a51-3f1d2c4b5a69}');
    expect(plainArrayLiteral(['2026-12-04T21:33:39.472Z', '2026-12-04T21:33:39+08:00'])).toBe('{2026-12-04T21:33:39.472Z,2026-12-04T21:33:39+08:00}');
    expect(plainArrayLiteral([1, 2.5, -3])).toBe('{1,2.5,-3}');
  });

  it('leaves anything that would need quoting to pg (the array comes back as an array)', () => {
    for (const odd of ['a b', 'x,y', '{1}', 'say "hi"', 'back\\slash', '', 'NULL', 'null', 'évent']) {
      expect(plainArrayLiteral(['1', odd])).toEqual(['1', odd]);
    }
    expect(plainArrayLiteral([1, Number.NaN])).toEqual([1, Number.NaN]);
  });

  it('writes an empty array as the empty literal', () => {
    expect(plainArrayLiteral([])).toBe('{}');
  });
});
