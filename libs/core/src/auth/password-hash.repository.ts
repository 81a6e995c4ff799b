import { Injectable } from '@nestjs/common';
import { ConcurrencyLimiter } from '@app/imagery';
import bcrypt from 'bcrypt';

/**
 * Hashes at once, at most: half of libuv's default pool of four threads, which also does the process's file reads and
 * writes and its photo resizing. A burst of sign-ins (a shift change, a fleet of devices reconnecting) queues here.
 */
export const PASSWORD_HASHES_AT_ONCE = 2;

/**
 * bcrypt hashes of passwords (accounts and devices). The native addon computes them on libuv's thread pool: a
 * cost-12 comparison is ~0.35 s of CPU, and done on the main thread (bcryptjs) it held ingest, PUBACKs and alerts
 * for up to ~0.6 s while four operators signed in at once (bench: the default start's sign-in stall).
 * The format is bcrypt's own: hashes stored by bcryptjs ($2b$, and $2a$ from its older versions) verify unchanged.
 */
@Injectable()
export class PasswordHashRepository {
  private readonly limiter = new ConcurrencyLimiter(PASSWORD_HASHES_AT_ONCE);

  hash(plain: string, cost: number): Promise<string> {
    return this.limiter.run(() => bcrypt.hash(plain, cost));
  }

  /** False for a wrong password and for a stored value that is not a bcrypt hash. */
  matches(plain: string, hash: string): Promise<boolean> {
    return this.limiter.run(() => bcrypt.compare(plain, hash));
  }
}
