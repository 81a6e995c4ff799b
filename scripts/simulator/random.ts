/** Small seeded PRNG (mulberry32): the same seed gives the same stream, run after run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length) % items.length];

const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const PLATE_CHARS = `${PLATE_LETTERS}0123456789`;

/** A SYNTHETIC Guangdong-style plate, e.g. 粤A3K7Q2. */
export function plate(rand: () => number): string {
  let s = '粤' + pick(rand, PLATE_LETTERS.split(''));
  for (let i = 0; i < 5; i++) s += pick(rand, PLATE_CHARS.split(''));
  return s;
}
