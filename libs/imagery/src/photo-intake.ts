import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { ConcurrencyLimiter } from './concurrency-limiter';
import type { PhotoProcessor, PhotoRejectionReason, ProcessedPhoto } from './photo-processor';
import {
  ORIGINAL_EXTENSIONS,
  PROCESS_START,
  PhotoStorage,
  SHA256_PATTERN,
  derivativeKey,
  originalExtension,
  originalKey,
  removeLeftovers,
} from './photo-storage';

/**
 * One uploaded file → stored (original + derivatives), duplicate, or rejected with a reason. The HTTP layer
 * hands each multipart file stream here in turn; only one file per upload is ever spooled, never a batch.
 *
 * "Never loses a photo": the original is written LAST, after its derivatives, and fingerprint checks ask for the
 * original. So "already stored" always means "complete", and an upload interrupted at any point is simply
 * sent again (same SHA-256, same keys, idempotent writes).
 */

export type IntakeRejectionReason = PhotoRejectionReason | 'checksum-mismatch';

export interface StoredPhotoSummary extends Omit<ProcessedPhoto, 'ok' | 'derivatives'> {
  originalKey: string;
  derivatives: {
    thumb: { key: string; width: number; height: number };
    preview: { key: string; width: number; height: number };
  };
}

export type IntakeOutcome =
  | { status: 'stored'; sha256: string; bytes: number; photo: StoredPhotoSummary }
  | { status: 'duplicate'; sha256: string; bytes: number; originalKey: string }
  | { status: 'rejected'; reason: IntakeRejectionReason; detail: string; sha256?: string; bytes?: number };

export interface DeclaredUpload {
  /** The SHA-256 the client computed before sending; a mismatch means the bytes were damaged in transit. */
  sha256?: string;
  fileName?: string;
}

export interface FingerprintCheck {
  /** Already stored (complete): the client skips these. */
  stored: string[];
  /** Not stored: the client sends these. */
  missing: string[];
  /** Not a lower-case hex SHA-256. */
  invalid: string[];
}

export interface PhotoIntakeOptions {
  /** Local directory for the one file being received (same disk as the store ideally). */
  spoolDir: string;
  /** Answered per call at most; more is a client bug. */
  maxFingerprints: number;
  /**
   * Spool files last modified before this (ms since the epoch; default: this process's start) are removed when
   * the intake is made: left by a process that died mid-upload (see removeLeftovers for why not all of them).
   */
  leftoversBefore: number;
}

export class PhotoIntake {
  private readonly options: PhotoIntakeOptions;
  private readonly lookups = new ConcurrencyLimiter(16);

  constructor(
    private readonly storage: PhotoStorage,
    private readonly processor: PhotoProcessor,
    options: Pick<PhotoIntakeOptions, 'spoolDir'> & Partial<PhotoIntakeOptions>,
  ) {
    this.options = { maxFingerprints: 2000, leftoversBefore: PROCESS_START, ...options };
    removeLeftovers(this.options.spoolDir, this.options.leftoversBefore);
  }

  /** The check before upload: which of these photos are already stored? */
  async checkFingerprints(sha256s: readonly string[]): Promise<FingerprintCheck> {
    if (sha256s.length > this.options.maxFingerprints) throw new RangeError(`at most ${this.options.maxFingerprints} fingerprints per check`);
    const result: FingerprintCheck = { stored: [], missing: [], invalid: [] };
    const unique = [...new Set(sha256s.map((s) => s.trim().toLowerCase()))];
    const found = await Promise.all(unique.map((sha) => (SHA256_PATTERN.test(sha) ? this.lookups.run(() => this.findOriginal(sha)) : Promise.resolve(null))));
    unique.forEach((sha, i) => {
      const f = found[i];
      if (f === null) result.invalid.push(sha);
      else if (f === undefined) result.missing.push(sha);
      else result.stored.push(sha);
    });
    return result;
  }

  /** The stored original's key for a SHA-256, if any. */
  async findOriginal(sha256: string): Promise<string | undefined> {
    for (const ext of ORIGINAL_EXTENSIONS) {
      const key = originalKey(sha256, ext);
      if (await this.storage.exists(key)) return key;
    }
    return undefined;
  }

  /**
   * Receives one file. The stream is always read to its end (a refused file is drained, not abandoned) so the
   * next file of the same multipart request can follow. A stream that ends with an error (the request was cut
   * or malformed, the client went away) rejects with that error, and its spool file is removed first.
   */
  async ingest(source: AsyncIterable<Uint8Array> | Readable, declared: DeclaredUpload = {}): Promise<IntakeOutcome> {
    await mkdir(this.options.spoolDir, { recursive: true });
    const spool = path.join(this.options.spoolDir, `${randomUUID()}.upload`);
    try {
      const received = await this.spool(source, spool);
      const { sha256, bytes } = received;
      if (received.tooLarge) {
        return { status: 'rejected', reason: 'file-too-large', detail: `${bytes} bytes exceeds the ${this.processor.options.maxFileBytes}-byte limit`, bytes };
      }
      const claimed = declared.sha256?.trim().toLowerCase();
      if (claimed !== undefined && claimed !== sha256) {
        return {
          status: 'rejected',
          reason: 'checksum-mismatch',
          detail: `declared SHA-256 ${claimed}, received ${sha256}: send the file again`,
          sha256,
          bytes,
        };
      }
      const existing = await this.findOriginal(sha256);
      if (existing) return { status: 'duplicate', sha256, bytes, originalKey: existing };
      return await this.store(spool);
    } finally {
      await rm(spool, { force: true });
    }
  }

  /**
   * Re-derives a stored original (derivatives rewritten, metadata and quality returned): for a catalogue row lost
   * after the bytes were stored, or after a processing change.
   */
  async reprocess(sha256: string): Promise<IntakeOutcome | undefined> {
    const key = await this.findOriginal(sha256);
    if (!key) return undefined;
    await mkdir(this.options.spoolDir, { recursive: true });
    const spool = path.join(this.options.spoolDir, `${randomUUID()}.reprocess`);
    try {
      await this.spool(await this.storage.get(key), spool);
      return await this.store(spool);
    } finally {
      await rm(spool, { force: true });
    }
  }

  private async store(spool: string): Promise<IntakeOutcome> {
    const result = await this.processor.process(spool);
    if (!result.ok) return { status: 'rejected', reason: result.reason, detail: result.detail, sha256: result.sha256, bytes: result.bytes };
    const { sha256, derivatives } = result;
    const thumbKey = derivativeKey(sha256, 'thumb', derivatives.format);
    const previewKey = derivativeKey(sha256, 'preview', derivatives.format);
    await this.storage.put(thumbKey, derivatives.thumb.data);
    await this.storage.put(previewKey, derivatives.preview.data);
    // Last: its presence is what "already stored" means. Verified against the hash the processor computed.
    const key = originalKey(sha256, originalExtension(result.format) ?? 'jpg');
    // Evidence is immutable: an original already there (a concurrent upload, a reprocess) is not rewritten.
    if (!(await this.storage.exists(key))) await this.storage.putStream(key, createReadStream(spool), { expectedSha256: sha256 });
    const { ok: _ok, derivatives: _d, ...photo } = result;
    return {
      status: 'stored',
      sha256,
      bytes: result.bytes,
      photo: {
        ...photo,
        originalKey: key,
        derivatives: {
          thumb: { key: thumbKey, width: derivatives.thumb.width, height: derivatives.thumb.height },
          preview: { key: previewKey, width: derivatives.preview.width, height: derivatives.preview.height },
        },
      },
    };
  }

  /** Writes the stream to `file`, hashing as it goes; past the size limit it keeps reading but stops writing. */
  private async spool(source: AsyncIterable<Uint8Array>, file: string): Promise<{ sha256: string; bytes: number; tooLarge: boolean }> {
    const max = this.processor.options.maxFileBytes;
    const hash = createHash('sha256');
    const handle = await open(file, 'wx');
    let bytes = 0;
    try {
      for await (const chunk of source) {
        bytes += chunk.byteLength;
        if (bytes > max) continue;
        hash.update(chunk);
        await handle.write(chunk);
      }
    } finally {
      await handle.close();
    }
    return { sha256: hash.digest('hex'), bytes, tooLarge: bytes > max };
  }
}
