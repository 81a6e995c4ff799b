import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import sharp from 'sharp';
import {
  DEFAULT_PHOTO_UTC_OFFSET,
  DEFAULT_QUALITY_THRESHOLDS,
  PhotoMetadata,
  QualityAssessment,
  QualityMeasures,
  QualityThresholds,
  assessQuality,
  normalizePhotoMetadata,
} from '@app/domain/imagery';
import { ConcurrencyLimiter } from './concurrency-limiter';
import { measureQuality } from './image-measures';
import { readPhotoMetadata } from './photo-metadata.reader';
import type { DerivativeFormat } from './photo-storage';

/**
 * One uploaded photo → checked, hashed, oriented, measured, with its derivatives. The original bytes are never
 * altered (they are the evidence); the derivatives are re-encoded without any metadata.
 *
 * Cost model (DOMAIN.md §8): decoding a 12 MP JPEG is most of the work and decoding it twice halves throughput,
 * so each photo is decoded once, shrunk on load towards preview size (JPEG shrink-on-load downscales inside the
 * decoder; which scale it takes: `previewLongSide`); the thumbnail and the quality measures are taken from that
 * preview. Around the decode: the file is read once into a reused buffer and hashed in slices while libvips works.
 */

export const PHOTO_REJECTION_REASONS = [
  'file-too-large',
  'not-an-image',
  'truncated',
  'corrupt', // complete but undecodable image data
  'too-many-pixels', // decoded size over the limit: refused from the header, before any decoding
  'unsupported-format', // an image, but not one accepted as evidence (GIF, SVG, HEIF, BMP, ...)
] as const;
export type PhotoRejectionReason = (typeof PHOTO_REJECTION_REASONS)[number];

export const ACCEPTED_PHOTO_FORMATS = ['jpeg', 'png', 'webp', 'tiff'] as const;
export type AcceptedPhotoFormat = (typeof ACCEPTED_PHOTO_FORMATS)[number];

export interface PhotoProcessorOptions {
  /** Bytes; larger files are refused before they are read. */
  maxFileBytes: number;
  /** width × height from the header; larger images are refused before decoding (also sharp's limitInputPixels). */
  maxPixels: number;
  /** Long side of the thumbnail, px. */
  thumbSize: number;
  /** Largest long side of the preview, px (never enlarged). */
  previewSize: number;
  /**
   * Smallest long side the preview is shrunk to, px. Between the two the preview takes the size a ½, ¼ or ⅛ JPEG decode
   * reaches without a larger decode: see `previewLongSide`.
   */
  previewMinSize: number;
  /** Photos processed at once; more than the cores only adds memory. */
  concurrency: number;
  /**
   * JPEG by default: a 1600 px WebP costs ~6× a JPEG to encode here (≈80 ms vs ≈12 ms), which alone would cut
   * throughput by a third. WebP saves ~10-25% bytes; choose it where storage matters more than CPU.
   */
  derivativeFormat: DerivativeFormat;
  /**
   * Kernel for the final downscale to preview size (after shrink-on-load): lanczos3 is sharpest, linear cheapest.
   * Linear by default: a 12 MP photo's preview is a 2× reduction of the ½ decode, where linear costs ≈4 ms less
   * than mitchell (≈65 against ≈69 ms for decode and reduction, one core) and looks alike. The sharpness measure
   * reads ≈14% lower than on a mitchell preview (≈10% on a blurred one), far from the blur threshold for every
   * fixture; see DEFAULT_QUALITY_THRESHOLDS.
   */
  previewKernel: 'lanczos3' | 'mitchell' | 'linear';
  /** 1..100 */
  derivativeQuality: number;
  /** libvips sensitivity: 'error' refuses truncated and corrupt data but tolerates warnings cameras commonly trigger. */
  failOn: 'truncated' | 'error' | 'warning';
  acceptedFormats: readonly AcceptedPhotoFormat[];
  /** Interprets EXIF local times that carry no offset. */
  localUtcOffset: string;
  qualityThresholds: QualityThresholds;
  /** Upper bound for one decode (a pathological file must not hold a slot forever). */
  timeoutSeconds: number;
}

export const DEFAULT_PHOTO_PROCESSOR_OPTIONS: PhotoProcessorOptions = {
  maxFileBytes: 40 * 1024 * 1024,
  maxPixels: 100_000_000,
  thumbSize: 320,
  previewSize: 1600,
  previewMinSize: 800,
  concurrency: 2,
  derivativeFormat: 'jpeg',
  previewKernel: 'linear',
  derivativeQuality: 80,
  failOn: 'error',
  acceptedFormats: ACCEPTED_PHOTO_FORMATS,
  localUtcOffset: DEFAULT_PHOTO_UTC_OFFSET,
  qualityThresholds: DEFAULT_QUALITY_THRESHOLDS,
  timeoutSeconds: 30,
};

export interface PhotoDerivative {
  data: Buffer;
  width: number;
  height: number;
}

export interface ProcessedPhoto {
  ok: true;
  /** Of the original bytes exactly as received. */
  sha256: string;
  bytes: number;
  format: AcceptedPhotoFormat;
  /** Displayed size, after EXIF orientation. */
  width: number;
  height: number;
  /** EXIF orientation of the original (1..8), applied to the derivatives. */
  orientation?: number;
  metadata: PhotoMetadata;
  quality: QualityMeasures & QualityAssessment;
  derivatives: { format: DerivativeFormat; thumb: PhotoDerivative; preview: PhotoDerivative };
}

export interface PhotoRejection {
  ok: false;
  reason: PhotoRejectionReason;
  /** For the pilot: what was wrong, with the numbers. */
  detail: string;
  /** Known once the bytes were read (not for a file refused for its size). */
  sha256?: string;
  bytes?: number;
}

export type PhotoProcessResult = ProcessedPhoto | PhotoRejection;

/** The bytes of one photo; `readBuffer` (read from a file) holds them and may be reused once the photo is done. */
type Loaded = { ok: true; data: Buffer; readBuffer?: Buffer };

const MIB = 1024 * 1024;
/** 12-20 MP JPEGs fit; a larger file gets a buffer of its own, so the processor never holds more than this per slot. */
const MAX_KEPT_READ_BUFFER = 16 * MIB;

/** Bytes hashed between two turns of the event loop: ≈0.4 ms here. */
const HASH_SLICE_BYTES = 512 * 1024;

/**
 * SHA-256 of `data`, a slice per turn of the event loop, starting on the next turn (after the caller has handed
 * libvips its next step). Hashing 6 MB at once holds this thread ≈5 ms; with two photos in flight they would hash
 * one after the other while a core stood idle, and the other photo's next step would wait. In slices the hash
 * runs beside both decodes.
 */
async function sha256InSlices(data: Uint8Array): Promise<string> {
  const hash = createHash('sha256');
  for (let offset = 0; offset < data.length; offset += HASH_SLICE_BYTES) {
    await nextTurn();
    hash.update(data.subarray(offset, offset + HASH_SLICE_BYTES));
  }
  return hash.digest('hex');
}

export class PhotoProcessor {
  readonly options: PhotoProcessorOptions;
  private readonly limiter: ConcurrencyLimiter;
  /** Read buffers of finished photos, for the next ones (see takeReadBuffer). */
  private readonly readBuffers: Buffer[] = [];

  constructor(options: Partial<PhotoProcessorOptions> = {}) {
    this.options = { ...DEFAULT_PHOTO_PROCESSOR_OPTIONS, ...options };
    for (const key of ['maxFileBytes', 'maxPixels', 'thumbSize', 'previewSize', 'previewMinSize', 'concurrency', 'timeoutSeconds'] as const) {
      if (!Number.isInteger(this.options[key]) || this.options[key] < 1) throw new RangeError(`PhotoProcessor: ${key} must be a positive integer`);
    }
    if (this.options.thumbSize > this.options.previewMinSize) throw new RangeError('PhotoProcessor: thumbSize must not exceed previewMinSize');
    if (this.options.previewMinSize > this.options.previewSize) throw new RangeError('PhotoProcessor: previewMinSize must not exceed previewSize');
    this.limiter = new ConcurrencyLimiter(this.options.concurrency);
  }

  /** Photos in flight and waiting. */
  get load(): { active: number; pending: number } {
    return { active: this.limiter.active, pending: this.limiter.pending };
  }

  /** A file path or the bytes. Never throws for a bad photo: refusals are results; I/O errors do throw. */
  async process(input: string | Buffer): Promise<PhotoProcessResult> {
    return this.limiter.run(async () => {
      const loaded = typeof input === 'string' ? await this.readFile(input) : this.checkSize(input);
      if (!loaded.ok) return loaded;
      const result = await this.processBytes(loaded.data);
      // processBytes has awaited every reader of the bytes (libvips, exifr, the hash) when it returns; after a
      // throw one might still be reading, so the buffer is not reused then.
      if (loaded.readBuffer) this.keepReadBuffer(loaded.readBuffer);
      return result;
    });
  }

  private checkSize(data: Buffer): Loaded | PhotoRejection {
    if (data.length > this.options.maxFileBytes) return tooLarge(data.length, this.options.maxFileBytes);
    return { ok: true, data };
  }

  /** Size from the open file first: an oversized file is refused without reading it. */
  private async readFile(file: string): Promise<Loaded | PhotoRejection> {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size > this.options.maxFileBytes) return tooLarge(size, this.options.maxFileBytes);
      // One buffer, read once (one read call for a file at rest): the bytes hashed are the bytes decoded, even if
      // the file changes meanwhile. A file cut short meanwhile ends at what was read.
      const readBuffer = this.takeReadBuffer(size);
      let offset = 0;
      while (offset < size) {
        const { bytesRead } = await handle.read(readBuffer, offset, size - offset, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
      }
      return { ok: true, data: readBuffer.subarray(0, offset), readBuffer };
    } finally {
      await handle.close();
    }
  }

  /**
   * A buffer for a file of `size` bytes, a finished photo's when one is big enough. Why reuse: a fresh 6 MB buffer
   * per photo costs page faults on first write, and every 64 MB of such buffers makes V8 collect garbage (external
   * memory pressure); together ≈2-3 ms of CPU per 12 MP photo here.
   */
  private takeReadBuffer(size: number): Buffer {
    let best = -1;
    this.readBuffers.forEach((b, i) => {
      if (b.length >= size && (best < 0 || b.length < this.readBuffers[best].length)) best = i;
    });
    if (best >= 0) return this.readBuffers.splice(best, 1)[0];
    // Whole MiB, so that photos of one camera, a few kB apart, fit each other's buffers.
    return Buffer.allocUnsafeSlow(size <= MAX_KEPT_READ_BUFFER ? Math.ceil(size / MIB) * MIB : size);
  }

  /** At most one buffer per photo in flight is kept, and none larger than MAX_KEPT_READ_BUFFER. */
  private keepReadBuffer(buffer: Buffer): void {
    if (buffer.length > MAX_KEPT_READ_BUFFER) return;
    this.readBuffers.push(buffer);
    if (this.readBuffers.length > this.options.concurrency) {
      this.readBuffers.sort((a, b) => b.length - a.length);
      this.readBuffers.length = this.options.concurrency;
    }
  }

  private async processBytes(data: Buffer): Promise<PhotoProcessResult> {
    const { options } = this;
    const bytes = data.length;
    // Hashed in slices on this thread while libvips reads the header and decodes on its own (see sha256InSlices).
    const hashing = sha256InSlices(data);
    const refuse = async (reason: PhotoRejectionReason, detail: string): Promise<PhotoRejection> => ({
      ok: false,
      reason,
      detail,
      sha256: await hashing,
      bytes,
    });

    // 1. Magic bytes: sharp never sees formats we do not accept (no SVG/PDF parsing of uploads).
    const sniffed = sniffFormat(data);
    if (sniffed.kind === 'unknown') return refuse('not-an-image', bytes === 0 ? 'the file is empty' : 'the file is not an image (unknown signature)');
    if (sniffed.kind === 'other-image' || !options.acceptedFormats.includes(sniffed.format)) {
      return refuse('unsupported-format', `${sniffed.format} is not accepted; send ${options.acceptedFormats.join(', ')}`);
    }

    // 2. Header only: dimensions and orientation. The pixel limit is checked here, before any decoding.
    let header: sharp.Metadata;
    try {
      header = await sharp(data, { limitInputPixels: false, failOn: options.failOn }).metadata();
    } catch (err) {
      return refuse(...classifyDecodeError(err, data, sniffed.format));
    }
    const pixels = (header.width ?? 0) * (header.height ?? 0);
    if (pixels > options.maxPixels) {
      return refuse(
        'too-many-pixels',
        `${header.width} × ${header.height} = ${(pixels / 1e6).toFixed(1)} MP exceeds the ${(options.maxPixels / 1e6).toFixed(0)} MP limit`,
      );
    }
    if (pixels === 0) return refuse('corrupt', 'the image header has no dimensions');

    // 3. exifr reads the header segments while libvips decodes (it needs none of the pixels).
    const metadataRead = readPhotoMetadata(data);

    // 4. The one decode: oriented, shrunk on load, to 8-bit sRGB preview pixels.
    const previewSide = previewLongSide(Math.max(header.width ?? 0, header.height ?? 0), options.previewMinSize, options.previewSize);
    let preview: { data: Buffer; info: sharp.OutputInfo };
    try {
      let pipeline = sharp(data, { failOn: options.failOn, limitInputPixels: options.maxPixels, sequentialRead: true })
        .timeout({ seconds: options.timeoutSeconds })
        .autoOrient()
        .resize({ width: previewSide, height: previewSide, fit: 'inside', withoutEnlargement: true, kernel: options.previewKernel });
      // Evidence previews are opaque; a transparent PNG is shown on white.
      if (header.hasAlpha) pipeline = pipeline.flatten({ background: '#ffffff' });
      preview = await pipeline.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    } catch (err) {
      await metadataRead;
      return refuse(...classifyDecodeError(err, data, sniffed.format));
    }

    // 5. Encode both derivatives (libvips threads) while the JS thread measures quality. No withMetadata():
    //    sharp's default output carries no EXIF/XMP/ICC, so position and camera data stay with the original only.
    const raw = { raw: { width: preview.info.width, height: preview.info.height, channels: preview.info.channels } } as const;
    const thumbSize = options.thumbSize;
    const encodes = Promise.all([
      this.encode(sharp(preview.data, raw)),
      // Linear is plenty for a ≥ 5× reduction (libvips box-shrinks first) and 40% cheaper than lanczos3.
      this.encode(sharp(preview.data, raw).resize({ width: thumbSize, height: thumbSize, fit: 'inside', withoutEnlargement: true, kernel: 'linear' })),
    ]);
    const measures = measureQuality(preview.data, preview.info.width, preview.info.height, preview.info.channels);
    const [previewOut, thumbOut] = await encodes;

    const read = await metadataRead;
    const metadata = normalizePhotoMetadata(read.ok ? read.raw : {}, { localUtcOffset: options.localUtcOffset });
    if (!read.ok) metadata.warnings.push(`metadata-unreadable: ${read.error}`);

    const orientation = header.orientation;
    const swapped = orientation !== undefined && orientation >= 5;
    return {
      ok: true,
      sha256: await hashing,
      bytes,
      format: sniffed.format,
      width: swapped ? (header.height ?? 0) : (header.width ?? 0),
      height: swapped ? (header.width ?? 0) : (header.height ?? 0),
      ...(orientation !== undefined && { orientation }),
      metadata,
      quality: { ...measures, ...assessQuality(measures, options.qualityThresholds) },
      derivatives: { format: options.derivativeFormat, preview: previewOut, thumb: thumbOut },
    };
  }

  private async encode(image: sharp.Sharp): Promise<PhotoDerivative> {
    const quality = this.options.derivativeQuality;
    // WebP effort 2 of 6: within a few % of the default's size at about half its encode time. JPEG without
    // Huffman optimisation: ~5% bigger, half the encode time (measured on 1600 px previews).
    const encoded = this.options.derivativeFormat === 'webp' ? image.webp({ quality, effort: 2 }) : image.jpeg({ quality, optimiseCoding: false });
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  }
}

/**
 * Long side of the preview of a photo whose long side is `long`: the largest size that libjpeg-turbo's ⅛, ¼ or ½
 * decode reaches by itself (in that order of preference) and that is still at least `min`; the original when even the
 * ½ decode's is smaller; then at most `max`.
 *
 * Why: the decoder scales straight to ½, ¼ or ⅛ size, and the smaller the cheaper. sharp takes a scale only when the
 * integer part of the shrink factor exceeds it (it lowers its shrink-on-load one step when the two are equal, a guard
 * against libjpeg rounding; measured with sharp 0.35, issue 20): a preview of exactly long/4 is decoded at ½ and
 * reduced 2×. So the ⅛ decode needs a preview of at most long/9, the ¼ at most long/5, the ½ at most long/3. A 12 MP
 * photo (4000 px) gets an 800 px preview from the ¼ decode (1000 px from the ½ decode cost 64 ms of a core, 800 px
 * 58 ms: the pipeline went from ≈77 % to ≈85 % of a bare resize). The zoom view loads the original for detail.
 */
export function previewLongSide(long: number, min: number, max: number): number {
  let side = long;
  for (const scale of [8, 4, 2]) {
    // Floor: a preview a pixel larger would fall back to the next larger decode.
    const shrunk = Math.floor(long / (scale + 1));
    if (shrunk >= min) {
      side = shrunk;
      break;
    }
  }
  return Math.min(side, max);
}

function tooLarge(size: number, max: number): PhotoRejection {
  return { ok: false, reason: 'file-too-large', detail: `${size} bytes exceeds the ${max}-byte limit (${mib(size)} > ${mib(max)})`, bytes: size };
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

// ---------------------------------------------------------------------------------------------------------
// Format sniffing and error classification
// ---------------------------------------------------------------------------------------------------------

type Sniffed = { kind: 'accepted'; format: AcceptedPhotoFormat } | { kind: 'other-image'; format: string } | { kind: 'unknown' };

/** By signature, not by file name or declared content type (both come from the client). */
export function sniffFormat(data: Uint8Array): Sniffed {
  const ascii = (from: number, to: number): string => String.fromCharCode(...data.subarray(from, to));
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return { kind: 'accepted', format: 'jpeg' };
  if (data.length >= 8 && ascii(0, 8) === '\x89PNG\r\n\x1a\n') return { kind: 'accepted', format: 'png' };
  if (data.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return { kind: 'accepted', format: 'webp' };
  if (data.length >= 4 && (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*')) return { kind: 'accepted', format: 'tiff' };
  if (data.length >= 6 && /^GIF8[79]a$/.test(ascii(0, 6))) return { kind: 'other-image', format: 'gif' };
  if (data.length >= 2 && ascii(0, 2) === 'BM') return { kind: 'other-image', format: 'bmp' };
  if (data.length >= 12 && ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12);
    return { kind: 'other-image', format: /^(avif|avis)$/.test(brand) ? 'avif' : /^(heic|heix|hevc|heim|heis|mif1|msf1)$/.test(brand) ? 'heif' : 'iso-bmff' };
  }
  if (data.length >= 4 && ascii(0, 4) === '%PDF') return { kind: 'other-image', format: 'pdf' };
  const head = ascii(0, Math.min(data.length, 256)).trimStart();
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/i.test(head)) return { kind: 'other-image', format: 'svg' };
  return { kind: 'unknown' };
}

const TRUNCATION_MESSAGE = /premature end|truncat|unexpected end|end of (file|data|stream|input)|not enough (data|image data)|short read|read error/i;

/** libvips errors are text; the container's end marker settles "truncated" when the text is vague. */
export function classifyDecodeError(err: unknown, data: Uint8Array, format: AcceptedPhotoFormat): [PhotoRejectionReason, string] {
  // libvips repeats a line per retry ("...\nVipsJpeg: X\nVipsJpeg: X"): keep each once.
  const message = [
    ...new Set(
      (err instanceof Error ? err.message : String(err))
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ].join('; ');
  if (/pixel limit/i.test(message)) return ['too-many-pixels', message];
  if (TRUNCATION_MESSAGE.test(message) || lacksEndMarker(data, format)) return ['truncated', `the ${format} data ends early: ${message}`];
  return ['corrupt', `the ${format} data cannot be decoded: ${message}`];
}

function lacksEndMarker(data: Uint8Array, format: AcceptedPhotoFormat): boolean {
  if (format === 'jpeg') {
    // EOI (FF D9), allowing the zero padding some cameras append.
    let end = data.length;
    while (end > 2 && data[end - 1] === 0) end--;
    return !(data[end - 2] === 0xff && data[end - 1] === 0xd9);
  }
  if (format === 'png') {
    const iend = [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]; // "IEND" + its CRC
    return data.length < 12 || iend.some((b, i) => data[data.length - 8 + i] !== b);
  }
  return false;
}
