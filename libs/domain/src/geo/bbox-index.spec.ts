import fc from 'fast-check';
import { BboxIndex } from './bbox-index';

describe('BboxIndex', () => {
  it('finds exactly the boxes a brute-force scan finds', () => {
    const box = fc.tuple(
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 0, max: 80 }),
      fc.integer({ min: 0, max: 80 }),
    );
    fc.assert(
      fc.property(fc.array(box, { maxLength: 300 }), box, (boxes, q) => {
        const index = new BboxIndex(4);
        for (const [x, y, w, h] of boxes) index.add(x, y, x + w, y + h);
        index.finish();
        const [qx, qy, qw, qh] = q;
        const expected = boxes
          .map((b, i) => ({ b, i }))
          .filter(({ b: [x, y, w, h] }) => x <= qx + qw && y <= qy + qh && x + w >= qx && y + h >= qy)
          .map(({ i }) => i);
        expect(index.search(qx, qy, qx + qw, qy + qh)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('works empty and refuses misuse', () => {
    const empty = new BboxIndex();
    expect(() => empty.search(0, 0, 1, 1)).toThrow();
    empty.finish();
    expect(empty.search(0, 0, 1, 1)).toEqual([]);
    expect(() => empty.add(0, 0, 1, 1)).toThrow();
  });
});
