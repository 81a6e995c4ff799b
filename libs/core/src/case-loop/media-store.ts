import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';

/** The media root: MEDIA_DIR, default DATA_DIR/media. Evidence keys are relative to it. */
export function mediaDirOf(env: { DATA_DIR: string; MEDIA_DIR?: string }): string {
  return path.resolve(env.MEDIA_DIR ?? path.join(env.DATA_DIR, 'media'));
}

/**
 * Media files kept as evidence live under the media root (mediaDirOf), named by a storage key (`after/2026/x.jpg`,
 * the imagery library's `originals/ab/cd/<sha256>.jpg`). A reference with a scheme (https:, s3:) is remote:
 * it is recorded as given, with the source's hash if it sent one, and cannot be re-hashed here.
 */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const KEY_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export type MediaReference = { kind: 'local'; key: string; file: string } | { kind: 'remote'; uri: string } | { kind: 'invalid'; uri: string };

export class MediaStore {
  readonly root: string;

  constructor(mediaDir: string) {
    this.root = path.resolve(mediaDir);
  }

  classify(ref: string): MediaReference {
    if (SCHEME.test(ref)) return { kind: 'remote', uri: ref };
    const segments = ref.split('/');
    if (ref.length === 0 || ref.length > 512 || segments.some((s) => !KEY_SEGMENT.test(s) || s.includes('..'))) return { kind: 'invalid', uri: ref };
    return { kind: 'local', key: ref, file: path.join(this.root, ...segments) };
  }

  /** SHA-256 and size of a stored file, or null when it is not there. */
  async hash(file: string): Promise<{ sha256: string; bytes: number } | null> {
    try {
      if (!(await stat(file)).isFile()) return null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(file)) {
      const buf = chunk as Buffer;
      bytes += buf.length;
      hash.update(buf);
    }
    return { sha256: hash.digest('hex'), bytes };
  }
}
