import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';

/**
 * Where photo bytes live. Content-addressed: an original's key is its SHA-256, so a retried upload lands on the
 * same key and `exists` answers "already have it". Local disk by default; an S3-compatible store implements the
 * same five calls (see libs/imagery/README.md).
 */
export interface PhotoStorage {
  /** Streams `source` to `key`; the object appears whole or not at all. */
  putStream(key: string, source: AsyncIterable<Uint8Array> | Readable, options?: PutOptions): Promise<StoredObject>;
  put(key: string, data: Uint8Array, options?: PutOptions): Promise<StoredObject>;
  /** Rejects with PhotoNotFoundError when the key is absent. */
  get(key: string): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  /** Deleting an absent key is not an error. */
  delete(key: string): Promise<void>;
}

export interface PutOptions {
  /** Refuse (PhotoTooLargeError) once more than this many bytes arrive; nothing is stored. */
  maxBytes?: number;
  /** Refuse (PhotoIntegrityError) when the bytes hash differently; nothing is stored. */
  expectedSha256?: string;
}

export interface StoredObject {
  key: string;
  bytes: number;
  /** Lower-case hex SHA-256 of exactly the stored bytes. */
  sha256: string;
}

export class PhotoNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no stored object at "${key}"`);
    this.name = 'PhotoNotFoundError';
  }
}

export class PhotoTooLargeError extends Error {
  constructor(
    readonly key: string,
    readonly maxBytes: number,
  ) {
    super(`"${key}" is larger than ${maxBytes} bytes`);
    this.name = 'PhotoTooLargeError';
  }
}

export class PhotoIntegrityError extends Error {
  constructor(
    readonly key: string,
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(`"${key}" hashes to ${actualSha256}, expected ${expectedSha256}`);
    this.name = 'PhotoIntegrityError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------------------

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
export const ORIGINAL_EXTENSIONS = ['jpg', 'png', 'tif', 'webp'] as const;
export type OriginalExtension = (typeof ORIGINAL_EXTENSIONS)[number];
export const DERIVATIVE_KINDS = ['thumb', 'preview'] as const;
export type DerivativeKind = (typeof DERIVATIVE_KINDS)[number];
export type DerivativeFormat = 'webp' | 'jpeg';

/** sharp's format name → the extension an original is stored under. */
export function originalExtension(format: string): OriginalExtension | undefined {
  switch (format) {
    case 'jpeg':
    case 'jpg':
      return 'jpg';
    case 'png':
      return 'png';
    case 'tiff':
    case 'tif':
      return 'tif';
    case 'webp':
      return 'webp';
    default:
      return undefined;
  }
}

/** `originals/ab/cd/<sha256>.jpg`: two levels of fan-out keep directories (and S3 prefixes) small. */
export function originalKey(sha256: string, extension: OriginalExtension = 'jpg'): string {
  assertSha256(sha256);
  return `originals/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}.${extension}`;
}

/** `derivatives/<sha256>/thumb.webp`: derivatives are named by the original they came from. */
export function derivativeKey(sha256: string, kind: DerivativeKind, format: DerivativeFormat = 'webp'): string {
  assertSha256(sha256);
  return `derivatives/${sha256}/${kind}.${format === 'jpeg' ? 'jpg' : 'webp'}`;
}

function assertSha256(sha256: string): void {
  if (!SHA256_PATTERN.test(sha256)) throw new TypeError(`not a lower-case hex SHA-256: "${sha256}"`);
}

const KEY_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Keys are relative, slash-separated, no `..`, no leading dot: they map onto a file path safely. */
export function assertValidKey(key: string): void {
  const segments = key.split('/');
  if (key.length === 0 || key.length > 512 || segments.some((s) => !KEY_SEGMENT.test(s) || s.includes('..'))) {
    throw new TypeError(`invalid storage key "${key}"`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Local disk
// ---------------------------------------------------------------------------------------------------------

const INCOMING_DIR = '.incoming';

/**
 * Files under `rootDir`, one per key. Writes go to `rootDir/.incoming/<uuid>` (same file system), are fsync'd,
 * then renamed into place and the directory fsync'd: a crash leaves either the old state or the complete file,
 * never a torn one under a real key. Re-putting a key replaces it atomically, so a retry is harmless.
 */
export class LocalDiskPhotoStorage implements PhotoStorage {
  readonly rootDir: string;

  /** `leftoversBefore`: see removeLeftovers; the temp files of writes cut by a crash are removed here. */
  constructor(rootDir: string, leftoversBefore = PROCESS_START) {
    this.rootDir = path.resolve(rootDir);
    removeLeftovers(path.join(this.rootDir, INCOMING_DIR), leftoversBefore);
  }

  async putStream(key: string, source: AsyncIterable<Uint8Array> | Readable, options: PutOptions = {}): Promise<StoredObject> {
    return this.write(key, source, options);
  }

  async put(key: string, data: Uint8Array, options: PutOptions = {}): Promise<StoredObject> {
    return this.write(key, [data], options);
  }

  // A thrown error inside `for await` ends the source's iterator, which destroys a Readable: no paused leftovers.
  private async write(key: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: PutOptions): Promise<StoredObject> {
    const target = this.pathOf(key);
    const incoming = path.join(this.rootDir, INCOMING_DIR);
    await mkdir(incoming, { recursive: true });
    const temp = path.join(incoming, `${randomUUID()}.part`);
    const hash = createHash('sha256');
    let bytes = 0;
    const handle = await open(temp, 'wx');
    let committed = false;
    try {
      for await (const chunk of source) {
        bytes += chunk.byteLength;
        if (options.maxBytes !== undefined && bytes > options.maxBytes) throw new PhotoTooLargeError(key, options.maxBytes);
        hash.update(chunk);
        await handle.write(chunk);
      }
      const sha256 = hash.digest('hex');
      if (options.expectedSha256 !== undefined && options.expectedSha256.toLowerCase() !== sha256) {
        throw new PhotoIntegrityError(key, options.expectedSha256.toLowerCase(), sha256);
      }
      await handle.sync();
      await handle.close();
      await mkdir(path.dirname(target), { recursive: true });
      await rename(temp, target);
      committed = true;
      await fsyncDir(path.dirname(target));
      return { key, bytes, sha256 };
    } finally {
      if (!committed) {
        await handle.close().catch(() => undefined);
        await unlink(temp).catch(() => undefined);
      }
    }
  }

  async get(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    // Open first so a missing key fails here, not later as a stream error.
    const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new PhotoNotFoundError(key) : err;
    });
    // The stream owns the handle and closes it at end or on destroy.
    return handle.createReadStream();
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** Removes temp files older than `maxAgeMs` left by a crash mid-write. Returns how many. */
  async sweepIncoming(maxAgeMs: number, now = Date.now()): Promise<number> {
    const dir = path.join(this.rootDir, INCOMING_DIR);
    const names = await readdir(dir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && now - info.mtimeMs > maxAgeMs) {
        await rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** The file behind a key (for local tooling; S3 has no such thing). */
  pathOf(key: string): string {
    assertValidKey(key);
    return path.join(this.rootDir, ...key.split('/'));
  }
}

/** When this process started (ms since the epoch). */
export const PROCESS_START = performance.timeOrigin;

/**
 * Removes the files of a temp directory (upload spool, store's `.incoming`) last modified before `before`, at
 * start: what a process that died mid-write left there; nothing else ever removes them. Returns how many.
 * Only files older than this process's start, not all of them: the media directory may be shared with other
 * processes (docker-compose mounts it in the API and the workers), and one of them restarting must not delete
 * a file another is writing. A file being written is modified with every chunk, so one untouched since before
 * this process started is not (at worst another process's upload stalled that long: its client sends it again);
 * with a single process both rules remove the same files. Synchronous: it runs once, before the process takes
 * any upload, over a directory holding at most the writes cut by one crash.
 */
export function removeLeftovers(dir: string, before: number): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0; // no directory yet: nothing was ever written here
  }
  let removed = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const info = statSync(file);
      if (!info.isFile() || info.mtimeMs >= before) continue;
      rmSync(file, { force: true });
      removed++;
    } catch {
      // Gone meanwhile (its writer finished): nothing to remove.
    }
  }
  return removed;
}

/** Makes a rename durable: the directory entry is metadata of the directory. */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
