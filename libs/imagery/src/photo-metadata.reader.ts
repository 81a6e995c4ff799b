import { parse } from 'exifr';

/**
 * Reads the metadata blocks drone photos carry, with exifr (pure JS, reads only the header segments).
 *
 * - `xmp: true` is required: exifr skips XMP by default, and the DJI `drone-dji` fields live only there.
 * - `mergeOutput: false` keeps the blocks apart (`drone-dji`, `ifd0`, `exif`, `gps`, `xmp`), so an XMP
 *   `CreateDate` cannot overwrite the EXIF one.
 * - `reviveValues: false` keeps DateTimeOriginal as the camera's text: exifr would turn it into a Date in the
 *   server's time zone, but the photo's zone is the flight's (OffsetTimeOriginal or the configured offset).
 *   GPS rationals still come out as numbers and exifr still adds signed decimal `latitude`/`longitude`.
 */
export const EXIFR_OPTIONS = {
  tiff: true,
  ifd0: {},
  exif: true,
  gps: true,
  xmp: true,
  ifd1: false,
  interop: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  makerNote: false,
  userComment: false,
  mergeOutput: false,
  reviveValues: false,
  sanitize: true,
} as const;

export type RawPhotoMetadata = Record<string, unknown>;

export type MetadataReadResult = { ok: true; raw: RawPhotoMetadata } | { ok: false; error: string };

/** Never throws: unreadable metadata is a warning on a photo, not a reason to refuse it. */
export async function readPhotoMetadata(data: Buffer): Promise<MetadataReadResult> {
  try {
    const out: unknown = await parse(data, { ...EXIFR_OPTIONS });
    // exifr answers undefined for a file without any of the asked blocks.
    if (out === undefined || out === null) return { ok: true, raw: {} };
    if (typeof out !== 'object' || Array.isArray(out)) return { ok: false, error: 'exifr returned an unexpected value' };
    return { ok: true, raw: out as RawPhotoMetadata };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
