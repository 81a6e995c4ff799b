import { Inject, Injectable, InternalServerErrorException } from '@nestjs/common';
import { LocalDiskPhotoStorage, PhotoIntake, PhotoProcessor, PhotoStorage, type StoredPhotoSummary } from '@app/imagery';
import { PictureRepository, type PictureRow } from '@app/persistence';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { mediaDirOf } from '../case-loop/media-store';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';

export type PictureStoreOutcome =
  { status: 'stored'; picture: PictureRow; duplicate: boolean } | { status: 'refused'; reason: string; detail: string; sha256?: string };

/** The stored bytes no longer hash to the name they were stored under: damaged or altered evidence (HTTP 500). */
export class PictureIntegrityError extends InternalServerErrorException {
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `the stored bytes of picture ${expected} no longer match its SHA-256 (they hash to ${actual}): the evidence was altered or damaged; run the audit verification`,
    );
  }
}

/** Where the photo store lives under the media root: evidence keys are `photos/<original key>`. */
export const PHOTO_STORE_DIR = 'photos';

/**
 * The one store of picture bytes, drone photos and camera pictures alike: the imagery pipeline (limits, one
 * decode, derivatives, blur and exposure) in front of content-addressed storage, and the `pictures` catalogue.
 */
@Injectable()
export class PictureStore {
  readonly storage: PhotoStorage;
  readonly intake: PhotoIntake;
  /** MEDIA_DIR (default DATA_DIR/media): evidence keys are relative to it. */
  readonly mediaDir: string;

  constructor(
    private readonly pictures: PictureRepository,
    @Inject(RUNTIME_OPTIONS) runtime: RuntimeOptions,
  ) {
    const env = runtime.env;
    this.mediaDir = mediaDirOf(env);
    this.storage = new LocalDiskPhotoStorage(join(this.mediaDir, PHOTO_STORE_DIR));
    const processor = new PhotoProcessor({
      maxFileBytes: env.PHOTO_MAX_BYTES,
      maxPixels: env.PHOTO_MAX_PIXELS,
      previewSize: env.PHOTO_PREVIEW_SIZE,
      previewMinSize: env.PHOTO_PREVIEW_MIN_SIZE,
    });
    this.intake = new PhotoIntake(this.storage, processor, { spoolDir: join(this.mediaDir, 'incoming') });
  }

  /**
   * Stores a picture byte for byte under its SHA-256 and catalogues it, or refuses it with the reason
   * (`not-an-image`, `truncated`, `too-many-pixels`, `file-too-large`, ...). A picture stored before is not
   * stored again.
   */
  async store(source: Buffer | Readable, declared: { sha256?: string } = {}): Promise<PictureStoreOutcome> {
    const outcome = await this.intake.ingest(Buffer.isBuffer(source) ? Readable.from([source]) : source, declared);
    switch (outcome.status) {
      case 'rejected':
        return { status: 'refused', reason: outcome.reason, detail: outcome.detail, ...(outcome.sha256 && { sha256: outcome.sha256 }) };
      case 'stored': {
        const picture = pictureRowOf(outcome.photo);
        await this.pictures.catalogue([picture]);
        return { status: 'stored', picture, duplicate: false };
      }
      case 'duplicate': {
        const known = await this.pictures.find(outcome.sha256);
        if (known) return { status: 'stored', picture: known, duplicate: true };
        // Bytes without a catalogue entry (stored before pictures were catalogued, or a crash in between).
        const again = await this.intake.reprocess(outcome.sha256);
        if (again?.status !== 'stored')
          return { status: 'refused', reason: 'unreadable', detail: `picture ${outcome.sha256} is stored but could not be processed again` };
        const picture = pictureRowOf(again.photo);
        await this.pictures.catalogue([picture]);
        return { status: 'stored', picture, duplicate: true };
      }
    }
  }

  /** Catalogues a drone photo the photo intake stored (the flight catalogue keeps its own row). */
  catalogue(photo: StoredPhotoSummary): Promise<void> {
    return this.pictures.catalogue([pictureRowOf(photo)]);
  }

  /** The evidence key of a stored object: relative to the media root, as the evidence seal and verify use it. */
  evidenceKey(storageKey: string): string {
    return `${PHOTO_STORE_DIR}/${storageKey}`;
  }

  /**
   * A stored original, checked against its SHA-256 before a byte is sent: altered evidence is never served under
   * its old name (PictureIntegrityError instead).
   */
  async readVerified(key: string, sha256: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.storage.get(key)) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) throw new PictureIntegrityError(key, sha256, actual);
    return bytes;
  }
}

export function pictureRowOf(photo: StoredPhotoSummary): PictureRow {
  return {
    sha256: photo.sha256,
    bytes: photo.bytes,
    format: photo.format,
    width: photo.width,
    height: photo.height,
    originalKey: photo.originalKey,
    thumbKey: photo.derivatives.thumb.key,
    previewKey: photo.derivatives.preview.key,
    quality: { ...photo.quality },
    qualityVerdict: photo.quality.verdict,
    metadata: { ...photo.metadata },
  };
}

/** A content type for a stored key, by its extension. */
export function contentTypeOf(key: string): string {
  return key.endsWith('.webp')
    ? 'image/webp'
    : key.endsWith('.png')
      ? 'image/png'
      : key.endsWith('.tif') || key.endsWith('.tiff')
        ? 'image/tiff'
        : 'image/jpeg';
}
