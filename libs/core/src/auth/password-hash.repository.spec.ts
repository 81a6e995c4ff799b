import bcryptjs from 'bcryptjs';
import { stat } from 'node:fs/promises';
import { PASSWORD_HASHES_AT_ONCE, PasswordHashRepository } from './password-hash.repository';

// Held to bcryptjs, which made every hash stored before this repository: both must keep verifying each other's.
describe('PasswordHashRepository', () => {
  const hasher = new PasswordHashRepository();
  const passwords = ['correct horse battery staple', '巡查-密码-😀', 'é'.repeat(40), 'nul\u0000inside', ''];

  it.each(passwords)('verifies a hash bcryptjs stored, and bcryptjs verifies its hash (%j)', async (password) => {
    const stored = bcryptjs.hashSync(password, 4);
    expect(await hasher.matches(password, stored)).toBe(true);
    expect(await hasher.matches(`x${password}`, stored)).toBe(false);
    const made = await hasher.hash(password, 4);
    expect(made).toMatch(/^\$2b\$04\$/);
    expect(bcryptjs.compareSync(password, made)).toBe(true);
    expect(bcryptjs.compareSync(`x${password}`, made)).toBe(false);
  });

  it('verifies the $2a$ hashes of older bcryptjs versions', async () => {
    const stored = bcryptjs.hashSync('secret', bcryptjs.genSaltSync(4).replace('$2b$', '$2a$'));
    expect(stored.startsWith('$2a$')).toBe(true);
    expect(await hasher.matches('secret', stored)).toBe(true);
    expect(await hasher.matches('Secret', stored)).toBe(false);
  });

  it('does not take a password cut at a NUL for the whole one', async () => {
    const made = await hasher.hash('abc\u0000xyz', 4);
    expect(await hasher.matches('abc', made)).toBe(false);
    expect(await hasher.matches('abc\u0000xyz', made)).toBe(true);
  });

  it('hashes at the cost asked for', async () => {
    expect(bcryptjs.getRounds(await hasher.hash('secret', 5))).toBe(5);
  });

  it('answers false, without throwing, for a stored value that is not a bcrypt hash', async () => {
    for (const stored of ['', 'nonsense', '$2b$04$short']) expect(await hasher.matches('secret', stored)).toBe(false);
  });

  it('leaves the main thread free while it works', async () => {
    // Counted in event-loop turns, not time: bcryptjs's comparison at cost 10 runs in chunks of up to 100 ms on this
    // thread (a turn or two in all); on the thread pool the loop goes on turning the whole time.
    const stored = bcryptjs.hashSync('secret', 10);
    let turns = 0;
    let done = false;
    const turn = (): void => {
      turns++;
      if (!done) setImmediate(turn);
    };
    setImmediate(turn);
    const matched = await hasher.matches('secret', stored).finally(() => (done = true));
    expect(matched).toBe(true);
    expect(turns).toBeGreaterThan(50);
  });

  it('leaves the rest of the thread pool to file reads while sign-ins queue', async () => {
    const poolSize = 4; // libuv's default: neither the service nor its tests set UV_THREADPOOL_SIZE
    expect(PASSWORD_HASHES_AT_ONCE).toBeLessThan(poolSize);
    const stored = bcryptjs.hashSync('secret', 11);
    let finished = 0;
    const signIns = Array.from({ length: poolSize }, () => hasher.matches('secret', stored).finally(() => finished++));
    // One turn of the event loop: every sign-in that may start has handed its hash to the pool.
    await new Promise(setImmediate);
    // Unlimited, the sign-ins would take every pool thread and this read would wait for one of them to end.
    await stat(__filename);
    expect(finished).toBe(0);
    expect(await Promise.all(signIns)).toEqual(Array(poolSize).fill(true));
  });
});
