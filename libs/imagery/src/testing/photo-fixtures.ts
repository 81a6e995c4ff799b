import { constants as zlibConstants, createDeflate, crc32 } from 'node:zlib';
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';

/**
 * Test photos made with sharp, carrying real metadata blocks: an XMP packet in the DJI `drone-dji` namespace
 * (attribute form, as DJI firmware writes it) and an EXIF APP1 with IFD0, Exif and GPS IFDs (sharp's withExif
 * writes the GPS IFD as `IFD3`, libvips' numbering). exifr's own DJI sample photos are not in its npm package.
 */

export interface DjiXmpFields {
  latitude: number | string;
  longitude: number | string;
  absoluteAltitude?: number | string;
  relativeAltitude?: number | string;
  gimbalYaw?: number | string;
  gimbalPitch?: number | string;
  gimbalRoll?: number | string;
  flightYaw?: number | string;
  flightPitch?: number | string;
  flightRoll?: number | string;
  rtkFlag?: number | string;
  /** Write `GpsLongtitude` (sic) as older DJI firmware does; default true. */
  misspeltLongitude?: boolean;
  model?: string;
  /** xmp:CreateDate, ISO 8601 without offset as DJI writes it. */
  createDate?: string;
}

/** DJI writes signed fixed-point strings: "+23.1100123", "-114.20". */
export const djiSigned = (value: number | string, digits = 2): string =>
  typeof value === 'string' ? value : `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;

export function djiXmpPacket(f: DjiXmpFields): string {
  const attrs: Array<[string, string | undefined]> = [
    ['tiff:Make', 'DJI'],
    ['tiff:Model', f.model ?? 'M3E'],
    ['dc:format', 'image/jpeg'],
    ['xmp:CreateDate', f.createDate],
    ['drone-dji:GpsLatitude', djiSigned(f.latitude, 7)],
    [f.misspeltLongitude === false ? 'drone-dji:GpsLongitude' : 'drone-dji:GpsLongtitude', djiSigned(f.longitude, 7)],
    ['drone-dji:AbsoluteAltitude', opt(f.absoluteAltitude, 3)],
    ['drone-dji:RelativeAltitude', opt(f.relativeAltitude, 3)],
    ['drone-dji:GimbalRollDegree', opt(f.gimbalRoll ?? 0)],
    ['drone-dji:GimbalYawDegree', opt(f.gimbalYaw)],
    ['drone-dji:GimbalPitchDegree', opt(f.gimbalPitch)],
    ['drone-dji:FlightRollDegree', opt(f.flightRoll ?? 0.4)],
    ['drone-dji:FlightYawDegree', opt(f.flightYaw)],
    ['drone-dji:FlightPitchDegree', opt(f.flightPitch ?? -2.1)],
    ['drone-dji:RtkFlag', f.rtkFlag === undefined ? undefined : String(f.rtkFlag)],
    ['drone-dji:CalibratedFocalLength', '3666.666504'],
    ['drone-dji:DewarpFlag', '1'],
  ];
  const body = attrs
    .filter((a): a is [string, string] => a[1] !== undefined)
    .map(([k, v]) => `    ${k}="${v}"`)
    .join('\n');
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '  <rdf:Description rdf:about="DJI Meta Data"',
    '    xmlns:tiff="http://ns.adobe.com/tiff/1.0/"',
    '    xmlns:exif="http://ns.adobe.com/exif/1.0/"',
    '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
    '    xmlns:dc="http://purl.org/dc/elements/1.1/"',
    '    xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/"',
    `${body}>`,
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="w"?>',
  ].join('\n');
}

const opt = (v: number | string | undefined, digits = 2): string | undefined => (v === undefined ? undefined : djiSigned(v, digits));

export interface ExifGpsFields {
  latitude: number;
  longitude: number;
  /** Metres; negative = below sea level (GPSAltitudeRef 1). */
  altitude?: number;
}

/** EXIF RATIONAL triple "d/1 m/1 s*10000/10000" as libvips parses it. */
export function dmsRationals(decimal: number): string {
  const abs = Math.abs(decimal);
  const d = Math.floor(abs);
  const m = Math.floor((abs - d) * 60);
  const s = Math.round(((abs - d) * 60 - m) * 60 * 10_000);
  return `${d}/1 ${m}/1 ${s}/10000`;
}

export interface DronePhotoOptions {
  width?: number;
  height?: number;
  /** Different seeds give different pixels (and SHA-256s). */
  seed?: number;
  dji?: DjiXmpFields;
  exifGps?: ExifGpsFields;
  /** EXIF DateTimeOriginal, "YYYY:MM:DD HH:MM:SS", local time without zone as cameras write it. */
  takenAt?: string;
  /** EXIF OffsetTimeOriginal, "+08:00". */
  offsetTime?: string;
  make?: string;
  model?: string;
  /** EXIF orientation 1..8 (pixels stay as stored; a reader must rotate). */
  orientation?: number;
  /** Gaussian blur sigma applied before encoding (an out-of-focus or motion-blurred frame). */
  blurSigma?: number;
  exposure?: 'normal' | 'dark' | 'bright';
  quality?: number;
  format?: 'jpeg' | 'png';
}

/** Pixels of an aerial-looking scene: roofs and yards in blocks, roads, texture and sensor noise. */
export function aerialScene(width: number, height: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(width * height * 3);
  let s = (seed * 2654435761) >>> 0 || 1;
  const rand = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const cell = 96;
  const cols = Math.ceil(width / cell) + 1;
  const rows = Math.ceil(height / cell) + 1;
  const palette = new Uint8Array(cols * rows * 3);
  for (let i = 0; i < palette.length; i += 3) {
    palette[i] = 60 + (rand() % 150);
    palette[i + 1] = 60 + (rand() % 140);
    palette[i + 2] = 50 + (rand() % 120);
  }
  const waveX = Float32Array.from({ length: width }, (_, x) => Math.sin(x / 23 + seed) * 18);
  const waveY = Float32Array.from({ length: height }, (_, y) => Math.cos(y / 17 + seed) * 14);
  for (let y = 0, i = 0; y < height; y++) {
    const rowBase = Math.floor(y / cell) * cols;
    const roadRow = y % (cell * 4) < 10;
    const kerbRow = y % cell < 2;
    const wy = waveY[y];
    for (let x = 0; x < width; x++, i += 3) {
      const c = (rowBase + ((x / cell) | 0)) * 3;
      // Walls and kerbs are hard edges; the xorshift term is sensor noise.
      const t = waveX[x] + wy + (kerbRow || x % cell < 2 ? -45 : 0) + ((rand() & 63) - 32);
      if (roadRow || x % (cell * 5) < 12) {
        const v = 121 + t * 0.3;
        out[i] = clamp(v - 1);
        out[i + 1] = clamp(v + 1);
        out[i + 2] = clamp(v + 4);
      } else {
        out[i] = clamp(palette[c] + t);
        out[i + 1] = clamp(palette[c + 1] + t);
        out[i + 2] = clamp(palette[c + 2] + t * 0.8);
      }
    }
  }
  return out;
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v | 0);

/** A photo as a DJI aircraft would upload it. */
export async function makeDronePhoto(options: DronePhotoOptions = {}): Promise<Buffer> {
  const width = options.width ?? 1200;
  const height = options.height ?? 900;
  let image = sharp(aerialScene(width, height, options.seed ?? 1), { raw: { width, height, channels: 3 } });
  if (options.blurSigma) image = image.blur(options.blurSigma);
  if (options.exposure === 'dark') image = image.linear(0.08, 0);
  if (options.exposure === 'bright') image = image.linear(2.2, 90);

  const exif: sharp.Exif = {
    IFD0: { Make: options.make ?? 'DJI', Model: options.model ?? 'M3E', Software: '10.01.0020' },
    IFD2: {
      ...(options.takenAt !== undefined ? { DateTimeOriginal: options.takenAt, DateTimeDigitized: options.takenAt } : {}),
      ...(options.offsetTime !== undefined ? { OffsetTimeOriginal: options.offsetTime } : {}),
    },
  };
  if (options.exifGps) {
    const g = options.exifGps;
    exif.IFD3 = {
      GPSLatitudeRef: g.latitude < 0 ? 'S' : 'N',
      GPSLatitude: dmsRationals(g.latitude),
      GPSLongitudeRef: g.longitude < 0 ? 'W' : 'E',
      GPSLongitude: dmsRationals(g.longitude),
      ...(g.altitude !== undefined && { GPSAltitudeRef: g.altitude < 0 ? '1' : '0', GPSAltitude: `${Math.round(Math.abs(g.altitude) * 1000)}/1000` }),
    };
  }
  image = options.format === 'png' ? image.png({ compressionLevel: 1 }) : image.jpeg({ quality: options.quality ?? 90 });
  image = image.withExif(exif);
  if (options.dji) image = image.withXmp(djiXmpPacket(options.dji));
  // Orientation is its own tag in sharp: withExif's IFD0 Orientation would be overwritten.
  if (options.orientation) image = image.withMetadata({ orientation: options.orientation });
  return image.toBuffer();
}

// ---------------------------------------------------------------------------------------------------------
// Files that must be refused
// ---------------------------------------------------------------------------------------------------------

/** The first `fraction` of a file, as an interrupted upload leaves it. */
export function truncated(data: Buffer, fraction = 0.6): Buffer {
  return Buffer.from(data.subarray(0, Math.floor(data.length * fraction)));
}

/** What a pilot's batch may contain besides photos: a flight log. */
export function nonImageBytes(): Buffer {
  return Buffer.from('DJIFlightRecord\n' + 'lat,lng,alt,ts\n23.1,113.3,120,1764296530\n'.repeat(200), 'utf8');
}

/**
 * A real PNG decompression bomb: a 1-bit greyscale image `width` × `height` whose IDAT is a deflate stream of
 * zero rows. 30000 × 30000 = 900 MP (≈ 2.7 GB as RGB in memory) in about 110 kB, built in about a second.
 */
export async function makePngBomb(width = 30_000, height = 30_000): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const row = Buffer.alloc(1 + Math.ceil(width / 8)); // filter byte 0 + black pixels
  const deflate = createDeflate({ level: 9, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
  const parts: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => parts.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise<void>((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), pngChunk('IHDR', ihdr), pngChunk('IDAT', Buffer.concat(parts)), pngChunk('IEND', Buffer.alloc(0))]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A sparse file of `bytes` (a JPEG signature, then a hole): an oversized upload without using the disk. */
export async function writeOversizedFile(file: string, bytes: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.write(Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
    await handle.truncate(bytes);
  } finally {
    await handle.close();
  }
}

/**
 * `count` 12 MP (4000 × 3000) DJI-like JPEGs in `dir`, reused when already there (they take ~0.5 s each).
 * For the throughput benchmark.
 */
export async function writeBenchPhotos(dir: string, count: number, size = { width: 4000, height: 3000 }): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `dji-${size.width}x${size.height}-${i}.jpg`);
    files.push(file);
    if ((await stat(file).catch(() => undefined))?.isFile()) continue;
    const photo = await makeDronePhoto({
      ...size,
      seed: 1000 + i,
      takenAt: `2026:03:01 10:${String(10 + (i % 50)).padStart(2, '0')}:00`,
      dji: { latitude: 23.11 + i * 1e-4, longitude: 113.32 + i * 1e-4, absoluteAltitude: 152.3, relativeAltitude: 87.5, gimbalYaw: -114.2, gimbalPitch: -90, flightYaw: -113.8, rtkFlag: 50 },
      exifGps: { latitude: 23.11 + i * 1e-4, longitude: 113.32 + i * 1e-4, altitude: 152.3 },
    });
    await writeFile(file, photo);
  }
  return files;
}
