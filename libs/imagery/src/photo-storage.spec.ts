import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import {
  LocalDiskPhotoStorage,
  PhotoIntegrityError,
  PhotoNotFoundError,
  PhotoTooLargeError,
  assertValidKey,
  derivativeKey,
  originalKey,
} from './photo-storage';

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('content-addressed keys', () => {
  const h = sha('photo');

  it('fans originals out by the first two byte pairs of the SHA-256', () => {
    expect(originalKey(h)).toBe(`originals/${h.slice(0, 2)}/${h.slice(2, 4)}/${h}.jpg`);
    expect(originalKey(h, 'png')).toMatch(/\.png$/);
  });

  it('names derivatives after their original', () => {
    expect(derivativeKey(h, 'thumb')).toBe(`derivatives/${h}/thumb.webp`);
    expect(derivativeKey(h, 'preview', 'jpeg')).toBe(`derivatives/${h}/preview.jpg`);
  });

  it('refuses anything that is not a lower-case hex SHA-256, and unsafe keys', () => {
    expect(() => originalKey('ABC')).toThrow(TypeError);
    expect(() => originalKey(h.toUpperCase())).toThrow(TypeError);
    for (const bad of ['', '../etc/passwd', 'a/../b', '/abs', 'a//b', '.incoming/x', 'a/b/', 'a\\b']) expect(() => assertValidKey(bad)).toThrow(TypeError);
    expect(() => assertValidKey('originals/ab/cd/x.jpg')).not.toThrow();
  });
});

describe('LocalDiskPhotoStorage', () => {
  let root: string;
  let storage: LocalDiskPhotoStorage;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'photo-storage-'));
    storage = new LocalDiskPhotoStorage(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const incoming = async () => readdir(path.join(root, '.incoming')).catch(() => []);

  it('streams to the key, counting bytes and hashing what it wrote', async () => {
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const stored = await storage.putStream('originals/aa/bb/x.jpg', Readable.from(chunks));
    const whole = Buffer.concat(chunks);
    expect(stored).toEqual({ key: 'originals/aa/bb/x.jpg', bytes: whole.length, sha256: sha(whole) });
    expect((await readFile(path.join(root, 'originals/aa/bb/x.jpg'))).equals(whole)).toBe(true);
    expect(await incoming()).toEqual([]);
  });

  it('is idempotent: putting the same key twice leaves one complete copy and no temp files', async () => {
    const data = Buffer.from('same bytes');
    const first = await storage.put('k/a.bin', data);
    const second = await storage.put('k/a.bin', data);
    expect(second).toEqual(first);
    expect(await readFile(storage.pathOf('k/a.bin'), 'utf8')).toBe('same bytes');
    expect(await readdir(path.join(root, 'k'))).toEqual(['a.bin']);
    expect(await incoming()).toEqual([]);
  });

  it('never shows a partial object: a source failing mid-stream leaves the key absent and no temp file', async () => {
    async function* failing() {
      yield Buffer.alloc(100_000, 1);
      throw new Error('connection reset');
    }
    await expect(storage.putStream('k/partial.jpg', failing())).rejects.toThrow('connection reset');
    expect(await storage.exists('k/partial.jpg')).toBe(false);
    expect(await incoming()).toEqual([]);
  });

  it('keeps the previous complete object when a re-put fails', async () => {
    await storage.put('k/a.bin', Buffer.from('v1'));
    async function* failing() {
      yield Buffer.from('v2-partial');
      throw new Error('aborted');
    }
    await expect(storage.putStream('k/a.bin', failing())).rejects.toThrow('aborted');
    expect(await readFile(storage.pathOf('k/a.bin'), 'utf8')).toBe('v1');
  });

  it('refuses bytes that do not hash as expected, storing nothing', async () => {
    const err = await storage.put('k/a.bin', Buffer.from('damaged'), { expectedSha256: sha('original') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhotoIntegrityError);
    expect((err as PhotoIntegrityError).actualSha256).toBe(sha('damaged'));
    expect(await storage.exists('k/a.bin')).toBe(false);
    await expect(storage.put('k/b.bin', Buffer.from('fine'), { expectedSha256: sha('fine').toUpperCase() })).resolves.toMatchObject({ sha256: sha('fine') });
  });

  it('stops at maxBytes, storing nothing', async () => {
    await expect(storage.putStream('k/big.bin', Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), { maxBytes: 1000 })).rejects.toBeInstanceOf(
      PhotoTooLargeError,
    );
    expect(await storage.exists('k/big.bin')).toBe(false);
    expect(await incoming()).toEqual([]);
  });

  it('reads back, reports existence, deletes idempotently', async () => {
    await storage.put('derivatives/x/thumb.webp', Buffer.from('thumb'));
    expect(await text(await storage.get('derivatives/x/thumb.webp'))).toBe('thumb');
    expect(await storage.exists('derivatives/x/thumb.webp')).toBe(true);
    await storage.delete('derivatives/x/thumb.webp');
    await storage.delete('derivatives/x/thumb.webp');
    expect(await storage.exists('derivatives/x/thumb.webp')).toBe(false);
    await expect(storage.get('derivatives/x/thumb.webp')).rejects.toBeInstanceOf(PhotoNotFoundError);
  });

  it('sweeps temp files a crash left behind, and only old ones', async () => {
    await storage.put('k/a.bin', Buffer.from('x')); // creates .incoming
    const stale = path.join(root, '.incoming', 'stale.part');
    const fresh = path.join(root, '.incoming', 'fresh.part');
    await writeFile(stale, 'half');
    await writeFile(fresh, 'half');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(stale, hourAgo, hourAgo);
    expect(await storage.sweepIncoming(600_000)).toBe(1);
    expect(await incoming()).toEqual(['fresh.part']);
  });
});
