import { LOCKOUT, LoginLockout } from './login-lockout';

describe('LoginLockout', () => {
  it('locks a (username, address) pair after five failures, not the account everywhere', () => {
    const l = new LoginLockout();
    const t = 1_000_000;
    for (let i = 0; i < LOCKOUT.threshold - 1; i++) expect(l.failure('ann', '10.0.0.9', t).lockedUntil).toBeUndefined();
    expect(l.failure('ann', '10.0.0.9', t).lockedUntil).toBe(t + LOCKOUT.baseMs);
    expect(l.lockedUntil('ann', '10.0.0.9', t + 1)).toBe(t + LOCKOUT.baseMs);
    expect(l.lockedUntil('ann', '10.0.0.1', t + 1)).toBeUndefined();
    expect(l.lockedUntil('bob', '10.0.0.9', t + 1)).toBeUndefined();
    expect(l.lockedUntil('ann', '10.0.0.9', t + LOCKOUT.baseMs)).toBeUndefined();
  });

  it('doubles the lock with each further failure, up to the maximum, and forgets after a success', () => {
    const l = new LoginLockout();
    let t = 0;
    for (let i = 0; i < LOCKOUT.threshold; i++) l.failure('ann', 'a', t);
    const locks: number[] = [];
    for (let i = 0; i < 6; i++) {
      t += LOCKOUT.maxMs;
      locks.push(l.failure('ann', 'a', t).lockedUntil! - t);
    }
    expect(locks).toEqual([2, 4, 8, 15, 15, 15].map((m) => Math.min(m * 60_000, LOCKOUT.maxMs)));
    l.success('ann', 'a');
    expect(l.failure('ann', 'a', t).lockedUntil).toBeUndefined();
  });

  it('starts afresh after a long quiet', () => {
    const l = new LoginLockout();
    for (let i = 0; i < LOCKOUT.threshold - 1; i++) l.failure('ann', 'a', 0);
    expect(l.failure('ann', 'a', LOCKOUT.forgetMs + 1).failures).toBe(1);
  });
});
