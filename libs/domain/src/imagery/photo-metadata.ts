import type { GeoPoint } from '../event/canonical-event';
import { UTC_OFFSET_PATTERN, finiteNumber, geoPoint, isPlausibleTime, isRecord, parseDateTime } from '../adapters/adapter-support';

/**
 * Drone photo metadata, normalised from what exifr reads out of a photo (DOMAIN.md §3, "DJI photo metadata").
 *
 * Pure: the caller runs exifr (`libs/imagery`) and hands over its output, either merged
 * (`mergeOutput: true`, one flat record) or grouped (`mergeOutput: false`: `drone-dji`, `ifd0`, `exif`, `gps`,
 * `xmp` blocks). Grouped is preferred: a flat record lets an XMP `CreateDate` overwrite the EXIF one.
 */

export const PHOTO_POSITION_SOURCES = ['dji-xmp', 'exif-gps', 'none'] as const;
export type PhotoPositionSource = (typeof PHOTO_POSITION_SOURCES)[number];

export interface PhotoMetadata {
  position?: GeoPoint;
  /** Metres above the ellipsoid / sea level, as the aircraft reports it (DJI AbsoluteAltitude, else EXIF GPSAltitude). */
  absoluteAltitude?: number;
  /** Metres above the take-off point (DJI RelativeAltitude). */
  relativeAltitude?: number;
  /** Degrees, normalised to (-180, 180], 0 = north, clockwise (DJI convention). */
  gimbalYaw?: number;
  /** Degrees, -90 = looking straight down. */
  gimbalPitch?: number;
  /** Degrees, normalised to (-180, 180]. */
  flightYaw?: number;
  /** DJI RtkFlag as written (0 none, 16 single point, 34 float, 50 fixed), or a boolean when the source says so. */
  rtk?: boolean | number;
  takenAt?: Date;
  cameraMake?: string;
  cameraModel?: string;
  /** Where `position` came from; 'none' = no usable position (the photo is kept and flagged). */
  source: PhotoPositionSource;
  /** `code` or `code: detail`; codes are listed in PHOTO_METADATA_WARNINGS. */
  warnings: string[];
}

export const PHOTO_METADATA_WARNINGS = [
  'no-position', // neither DJI XMP nor EXIF GPS gave a usable position
  'no-fix', // a position of (0, 0): the receiver had no fix
  'invalid-position', // a position out of range or not a number
  'position-disagreement', // DJI XMP and EXIF GPS differ by more than POSITION_DISAGREEMENT_METRES
  'invalid-value', // an altitude or angle out of its plausible range (dropped)
  'no-time', // no usable capture time
  'implausible-time', // a capture time outside 2000..2100 (camera clock unset)
  'invalid-utc-offset', // the offset given to interpret local times is malformed
  'metadata-unreadable', // added by the reader (libs/imagery) when exifr fails; the photo is still processed
] as const;
export type PhotoMetadataWarningCode = (typeof PHOTO_METADATA_WARNINGS)[number];

export interface NormalizePhotoMetadataOptions {
  /**
   * EXIF DateTimeOriginal has no zone. Cameras write local time; this offset interprets it unless the photo
   * carries OffsetTimeOriginal. DJI aircraft in mainland China: +08:00.
   */
  localUtcOffset?: string;
}

export const DEFAULT_PHOTO_UTC_OFFSET = '+08:00';
/** Both positions come from the same receiver; beyond this a block is stale or edited. */
export const POSITION_DISAGREEMENT_METRES = 100;

// Plausible ranges: outside them a unit is wrong or the field is garbage; the value is dropped with a warning.
const ALTITUDE_RANGE: readonly [number, number] = [-500, 10_000];
const RELATIVE_ALTITUDE_RANGE: readonly [number, number] = [-2_000, 5_000];
const YAW_RANGE: readonly [number, number] = [-360, 360];
const PITCH_RANGE: readonly [number, number] = [-180, 180];

/** Normalises exifr output into PhotoMetadata. Never throws; problems become warnings. */
export function normalizePhotoMetadata(raw: Record<string, unknown>, options: NormalizePhotoMetadataOptions = {}): PhotoMetadata {
  const warnings: string[] = [];
  const blocks = blocksOf(raw);

  // Position: DJI XMP first (written by the flight controller, more digits), EXIF GPS as the fallback.
  const dji = djiPosition(blocks, warnings);
  const exif = exifPosition(blocks.gps, warnings);
  let position: GeoPoint | undefined;
  let source: PhotoPositionSource = 'none';
  if (dji) [position, source] = [dji, 'dji-xmp'];
  else if (exif) [position, source] = [exif, 'exif-gps'];
  else warnings.push('no-position');
  if (dji && exif) {
    const metres = distanceMetres(dji, exif);
    if (metres > POSITION_DISAGREEMENT_METRES) warnings.push(`position-disagreement: DJI XMP and EXIF GPS are ${Math.round(metres)} m apart`);
  }

  const metadata: PhotoMetadata = { source, warnings };
  if (position) metadata.position = position;

  const absoluteAltitude = ranged('AbsoluteAltitude', blocks.dji.AbsoluteAltitude, ALTITUDE_RANGE, warnings) ?? exifAltitude(blocks.gps, warnings);
  assign(metadata, 'absoluteAltitude', absoluteAltitude);
  assign(metadata, 'relativeAltitude', ranged('RelativeAltitude', blocks.dji.RelativeAltitude, RELATIVE_ALTITUDE_RANGE, warnings));
  assign(metadata, 'gimbalYaw', yaw(ranged('GimbalYawDegree', blocks.dji.GimbalYawDegree, YAW_RANGE, warnings)));
  assign(metadata, 'gimbalPitch', ranged('GimbalPitchDegree', blocks.dji.GimbalPitchDegree, PITCH_RANGE, warnings));
  assign(metadata, 'flightYaw', yaw(ranged('FlightYawDegree', blocks.dji.FlightYawDegree, YAW_RANGE, warnings)));
  assign(metadata, 'rtk', rtkFlag(blocks.dji.RtkFlag));
  assign(metadata, 'takenAt', captureTime(blocks, options.localUtcOffset ?? DEFAULT_PHOTO_UTC_OFFSET, warnings));
  assign(metadata, 'cameraMake', text(blocks.ifd0.Make));
  assign(metadata, 'cameraModel', text(blocks.ifd0.Model));
  return metadata;
}

/** True when the DJI RTK flag says the fix is RTK fixed (50); float (34) is not good enough for a boundary call. */
export function isRtkFixed(rtk: PhotoMetadata['rtk']): boolean {
  return rtk === true || rtk === 50;
}

// ---------------------------------------------------------------------------------------------------------

interface Blocks {
  dji: Record<string, unknown>;
  /** False for a merged record, where GPSLatitude is EXIF's and only the Gps* spellings are DJI's. */
  djiGrouped: boolean;
  ifd0: Record<string, unknown>;
  exif: Record<string, unknown>;
  gps: Record<string, unknown>;
  xmp: Record<string, unknown>;
}

/** Grouped exifr output has one object per block; merged output has everything at the top. */
function blocksOf(raw: Record<string, unknown>): Blocks {
  const block = (name: string): Record<string, unknown> => {
    const b = raw[name];
    return isRecord(b) ? b : raw;
  };
  return { dji: block('drone-dji'), djiGrouped: isRecord(raw['drone-dji']), ifd0: block('ifd0'), exif: block('exif'), gps: block('gps'), xmp: block('xmp') };
}

function djiPosition({ dji, djiGrouped }: Blocks, warnings: string[]): GeoPoint | undefined {
  // Some firmware writes "GpsLongtitude" (sic); newer firmware the correct spelling. Upper-case GPS* only
  // inside a real drone-dji block: in a merged record those names are EXIF's (unsigned, Ref apart).
  const lat = dji.GpsLatitude ?? (djiGrouped ? dji.GPSLatitude : undefined);
  const lng = dji.GpsLongitude ?? dji.GpsLongtitude ?? (djiGrouped ? (dji.GPSLongitude ?? dji.GPSLongtitude) : undefined);
  if (lat === undefined && lng === undefined) return undefined;
  return checkedPosition('DJI XMP', lat, lng, warnings);
}

function exifPosition(gps: Record<string, unknown>, warnings: string[]): GeoPoint | undefined {
  // exifr computes signed decimal `latitude`/`longitude` from GPSLatitude + Ref when `gps` is on.
  if (gps.latitude !== undefined && gps.longitude !== undefined) return checkedPosition('EXIF GPS', gps.latitude, gps.longitude, warnings);
  const lat = dmsToDegrees(gps.GPSLatitude, gps.GPSLatitudeRef, 'S');
  const lng = dmsToDegrees(gps.GPSLongitude, gps.GPSLongitudeRef, 'W');
  if (lat === undefined && lng === undefined) return undefined;
  return checkedPosition('EXIF GPS', lat, lng, warnings);
}

function checkedPosition(where: string, lat: unknown, lng: unknown, warnings: string[]): GeoPoint | undefined {
  const la = finiteNumber(lat);
  const ln = finiteNumber(lng);
  if (la === 0 && ln === 0) {
    warnings.push(`no-fix: ${where} position is (0, 0)`);
    return undefined;
  }
  const point = geoPoint(la, ln);
  if (!point) warnings.push(`invalid-position: ${where} position (${shown(lat)}, ${shown(lng)}) is not a valid latitude/longitude`);
  return point;
}

/** [deg, min, sec] or a decimal, with a hemisphere reference. */
function dmsToDegrees(value: unknown, ref: unknown, negativeRef: string): number | undefined {
  let degrees: number | undefined;
  if (Array.isArray(value)) {
    const parts = value.map((v) => finiteNumber(v));
    if (parts.length === 0 || parts.length > 3 || parts.some((p) => p === undefined || p < 0)) return undefined;
    const [d, m = 0, s = 0] = parts as number[];
    degrees = d + m / 60 + s / 3600;
  } else {
    degrees = finiteNumber(value);
  }
  if (degrees === undefined) return undefined;
  return typeof ref === 'string' && ref.trim().toUpperCase() === negativeRef ? -Math.abs(degrees) : degrees;
}

function exifAltitude(gps: Record<string, unknown>, warnings: string[]): number | undefined {
  const altitude = ranged('GPSAltitude', gps.GPSAltitude, [0, ALTITUDE_RANGE[1]], warnings);
  if (altitude === undefined) return undefined;
  // GPSAltitudeRef 1 = below sea level; exifr gives it as a number or a one-byte array.
  const ref = gps.GPSAltitudeRef;
  const below = ref === 1 || ref === '1' || (ref instanceof Uint8Array && ref[0] === 1) || (Array.isArray(ref) && ref[0] === 1);
  return below ? -altitude : altitude;
}

function ranged(name: string, value: unknown, [min, max]: readonly [number, number], warnings: string[]): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = finiteNumber(value);
  if (n === undefined || n < min || n > max) {
    warnings.push(`invalid-value: ${name} ${shown(value)} is outside ${min}..${max}`);
    return undefined;
  }
  return n;
}

/** (-180, 180]: DJI writes both -90 and 270 for west depending on firmware. */
function yaw(degrees: number | undefined): number | undefined {
  if (degrees === undefined) return undefined;
  let d = degrees % 360;
  if (d > 180) d -= 360;
  if (d <= -180) d += 360;
  return Object.is(d, -0) ? 0 : d;
}

function rtkFlag(value: unknown): boolean | number | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  const n = finiteNumber(value);
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // EXIF ASCII fields are NUL-padded by some cameras.
  const t = value.replace(/\0+$/, '').trim();
  return t.length > 0 ? t : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Capture time
// ---------------------------------------------------------------------------------------------------------

/**
 * EXIF DateTimeOriginal (with OffsetTimeOriginal when present, else the local offset), then
 * DateTimeDigitized (exifr: CreateDate), then XMP CreateDate, then the GPS UTC date and time stamps.
 */
function captureTime(blocks: Blocks, localUtcOffset: string, warnings: string[]): Date | undefined {
  let offset = localUtcOffset;
  if (!UTC_OFFSET_PATTERN.test(offset)) {
    warnings.push(`invalid-utc-offset: "${localUtcOffset}" is not ±HH:MM; local times are read as ${DEFAULT_PHOTO_UTC_OFFSET}`);
    offset = DEFAULT_PHOTO_UTC_OFFSET;
  }
  const candidates: Array<() => Date | undefined> = [
    () => exifTime(blocks.exif.DateTimeOriginal, blocks.exif.OffsetTimeOriginal, blocks.exif.SubSecTimeOriginal, offset),
    () => exifTime(blocks.exif.CreateDate ?? blocks.exif.DateTimeDigitized, blocks.exif.OffsetTimeDigitized, blocks.exif.SubSecTimeDigitized, offset),
    () => exifTime(blocks.xmp.CreateDate ?? blocks.xmp.DateTimeOriginal, undefined, undefined, offset),
    () => gpsTime(blocks.gps.GPSDateStamp, blocks.gps.GPSTimeStamp),
  ];
  let implausible: Date | undefined;
  for (const candidate of candidates) {
    const date = candidate();
    if (!date) continue;
    if (isPlausibleTime(date)) return date;
    implausible ??= date;
  }
  warnings.push(implausible ? `implausible-time: capture time ${implausible.toISOString()} is outside 2000..2100` : 'no-time');
  return undefined;
}

function exifTime(value: unknown, zone: unknown, subSeconds: unknown, localUtcOffset: string): Date | undefined {
  // A Date means the reader already guessed a zone (exifr reviveValues): take it as it is.
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== 'string') return undefined;
  // "2026:03:01 10:11:12" (EXIF) or ISO 8601 (XMP); the EXIF date uses colons.
  let t = value
    .replace(/\0+$/, '')
    .trim()
    .replace(/^(\d{4}):(\d{2}):(\d{2})/, '$1-$2-$3');
  // XMP dates may omit seconds ("2026-03-01T10:11+08:00").
  t = t.replace(/^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2})(?=$|Z|[+-]\d{2}:?\d{2}$)/, '$1:00');
  if (typeof subSeconds === 'string' || typeof subSeconds === 'number') {
    const digits = String(subSeconds).trim();
    if (/^\d{1,9}$/.test(digits) && !/\.\d/.test(t)) t = t.replace(/^(\S+[T ]\d{2}:\d{2}:\d{2})/, `$1.${digits}`);
  }
  const explicit = typeof zone === 'string' && UTC_OFFSET_PATTERN.test(zone.trim()) ? zone.trim() : undefined;
  if (explicit && !/(Z|[+-]\d{2}:?\d{2})$/.test(t)) t += explicit;
  return parseDateTime(t, localUtcOffset);
}

/** GPSDateStamp "2026:03:01" + GPSTimeStamp [h, m, s] are UTC by definition. */
function gpsTime(date: unknown, time: unknown): Date | undefined {
  if (typeof date !== 'string' || !Array.isArray(time) || time.length !== 3) return undefined;
  const m = /^(\d{4})[:-](\d{2})[:-](\d{2})$/.exec(date.trim());
  const parts = time.map((v) => finiteNumber(v));
  if (!m || parts.some((p) => p === undefined)) return undefined;
  const [h, mi, s] = parts as number[];
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), h, mi, 0) + Math.round(s * 1000);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

// ---------------------------------------------------------------------------------------------------------

/** A field value for a warning: short, and never "[object Object]". */
function shown(value: unknown): string {
  let t: string;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') t = String(value);
  else {
    try {
      t = JSON.stringify(value) ?? typeof value;
    } catch {
      t = typeof value; // circular
    }
  }
  return t.length > 40 ? `${t.slice(0, 40)}…` : t;
}

function assign<K extends keyof PhotoMetadata>(target: PhotoMetadata, key: K, value: PhotoMetadata[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/** Haversine on a spherical earth: enough to compare two readings of one receiver. */
export function distanceMetres(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}
