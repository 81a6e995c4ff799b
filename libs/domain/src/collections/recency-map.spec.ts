import fc from 'fast-check';
import { RecencyMap } from './recency-map';

/** The model: keys oldest first, as a plain array. */
type Op = { kind: 'set' | 'touch' | 'delete'; key: number; value: number } | { kind: 'drop' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('set' as const, 'touch' as const, 'delete' as const), key: fc.integer({ min: 0, max: 30 }), value: fc.integer() }),
  fc.constant({ kind: 'drop' as const }),
);

describe('RecencyMap', () => {
  it('drops the least recently added or touched entry, as a list kept in that order would, whatever came before', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const map = new RecencyMap<number, number>();
        const order: number[] = [];
        const values = new Map<number, number>();
        for (const o of ops) {
          switch (o.kind) {
            case 'set':
              if (!values.has(o.key)) order.push(o.key);
              values.set(o.key, o.value);
              map.set(o.key, o.value);
              break;
            case 'touch':
              if (values.has(o.key)) order.splice(order.indexOf(o.key), 1);
              order.push(o.key);
              values.set(o.key, o.value);
              map.touch(o.key, o.value);
              break;
            case 'delete':
              expect(map.delete(o.key)).toBe(values.delete(o.key));
              if (order.includes(o.key)) order.splice(order.indexOf(o.key), 1);
              break;
            case 'drop': {
              const oldest = order.shift();
              expect(map.dropOldest()).toEqual(oldest === undefined ? undefined : [oldest, values.get(oldest)]);
              if (oldest !== undefined) values.delete(oldest);
              break;
            }
          }
          expect(map.size).toBe(order.length);
        }
        for (const key of order) expect([map.has(key), map.get(key)]).toEqual([true, values.get(key)]);
      }),
      { numRuns: 500 },
    );
  });

  it('emptied, filled again and emptied again: every entry comes back out once, oldest first', () => {
    const map = new RecencyMap<string, number>();
    expect(map.dropOldest()).toBeUndefined();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1000; i++) map.set(`k${i}`, round);
      map.touch('k0', round + 10);
      const out: string[] = [];
      for (let e = map.dropOldest(); e !== undefined; e = map.dropOldest()) out.push(e[0]);
      expect(out).toEqual([...Array.from({ length: 999 }, (_, i) => `k${i + 1}`), 'k0']);
      expect(map.size).toBe(0);
    }
  });

  it('a full memory that takes a new key and drops its oldest, 300,000 times over, keeps exactly the newest keys in order', () => {
    const capacity = 1000;
    const map = new RecencyMap<number, number>();
    for (let i = 0; i < 300_000; i++) {
      map.set(i, i);
      while (map.size > capacity) map.dropOldest();
    }
    const kept: number[] = [];
    for (let e = map.dropOldest(); e !== undefined; e = map.dropOldest()) kept.push(e[0]);
    expect(kept).toEqual(Array.from({ length: capacity }, (_, i) => 299_000 + i));
  });
});
