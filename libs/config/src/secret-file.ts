import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Env } from './env';

/**
 * Secrets of one install (the embedded database's password, the JWT signing key, the first administrator's
 * password) live in files of their own under `SECRETS_DIR` (default `<DATA_DIR>/secrets`): the folder 0700,
 * each file 0600, written whole or not at all. A file anyone but its owner may read is refused, never used.
 */
export const SECRET_FILES = {
  postgresPassword: 'postgres-password',
  /** The throwaway password a new embedded cluster is created with, until it is replaced by `postgresPassword`. */
  postgresBootstrapPassword: 'postgres-bootstrap-password',
  jwtSecret: 'jwt-secret',
  initialAdminPassword: 'initial-admin-password',
} as const;

export function secretsDir(env: Pick<Env, 'DATA_DIR' | 'SECRETS_DIR'>): string {
  return resolve(env.SECRETS_DIR ?? join(env.DATA_DIR, 'secrets'));
}

/** A new random secret: `bytes` from the system's CSPRNG, base64url (no padding, safe in URLs and files). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export class InsecureSecretFileError extends Error {
  constructor(
    readonly path: string,
    mode: number,
  ) {
    super(`${path} may be read by other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); it holds a secret and is not used so. Run: chmod 600 ${path}`);
    this.name = 'InsecureSecretFileError';
  }
}

/** The secret in `path` (trailing whitespace removed), or undefined when there is no such file. */
export function readSecretFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) throw new InsecureSecretFileError(path, stat.mode);
    const value = readFileSync(fd, 'utf8').trim();
    if (value === '') throw new Error(`${path} is empty: delete it to have a new secret generated, or write the secret into it`);
    return value;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `value` to `path` (mode 0600, its folder created 0700): into a temporary file first, then moved in
 * place, so a reader never sees half a secret. Without `replace`, an existing file is kept and EEXIST is
 * thrown (two processes starting at once: the first one's secret wins); with it, the file is replaced.
 */
export function writeSecretFile(path: string, value: string, options: { replace?: boolean } = {}): void {
  ensureSecretsFolder(dirname(path));
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${value}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // link() never replaces an existing file: the atomic "create if absent" that rename() is not.
    if (options.replace) renameSync(temporary, path);
    else linkSync(temporary, path);
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      /* renamed: nothing left behind */
    }
  }
}

/** The secret in `path`; created with `generate()` when absent (`created` says so). */
export function readOrCreateSecretFile(path: string, generate: () => string = () => randomSecret()): { value: string; created: boolean } {
  const existing = readSecretFile(path);
  if (existing !== undefined) return { value: existing, created: false };
  const value = generate();
  try {
    writeSecretFile(path, value);
    return { value, created: true };
  } catch (err) {
    // Another process wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const theirs = readSecretFile(path);
    if (theirs === undefined) throw err;
    return { value: theirs, created: false };
  }
}

export function removeSecretFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The secrets folder itself is made 0700; folders above it (DATA_DIR) keep the usual mode (as root the `postgres` user must enter DATA_DIR). */
function ensureSecretsFolder(dir: string): void {
  mkdirSync(dirname(dir), { recursive: true });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
}
