import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as exifrParse } from 'exifr';
import sharp from 'sharp';
import { PhotoProcessor, PhotoProcessResult, previewLongSide, ProcessedPhoto, sniffFormat } from './photo-processor';
import { makeDronePhoto, makePngBomb, nonImageBytes, truncated, writeOversizedFile } from '@test/fixtures/photo-fixtures';

const DJI = {
  latitude: '+23.1100123',
  longitude: '+113.3204561',
  absoluteAltitude: '+152.300',
  relativeAltitude: '+87.500',
  gimbalYaw: '-114.20',
  gimbalPitch: '-90.00',
  flightYaw: '-113.80',
  rtkFlag: 50,
};

function ok(result: PhotoProcessResult): ProcessedPhoto {
  if (!result.ok) throw new Error(`refused: ${result.reason}: ${result.detail}`);
  return result;
}

function refusal(result: PhotoProcessResult) {
  if (result.ok) throw new Error('expected a refusal');
  return result;
}

describe('PhotoProcessor', () => {
  const processor = new PhotoProcessor();
  let dir: string;
  let dji12mp: Buffer;
  let dji12mpResult: ProcessedPhoto;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'photo-processor-'));
    // A 12 MP photo as a DJI M3E writes it: DJI XMP (misspelt GpsLongtitude) and EXIF GPS 15 m away.
    dji12mp = await makeDronePhoto({
      width: 4000,
      height: 3000,
      seed: 7,
      dji: DJI,
      exifGps: { latitude: 23.11015, longitude: 113.32039, altitude: 152.3 },
      takenAt: '2026:03:01 10:11:12',
    });
    const file = path.join(dir, 'DJI_0001.JPG');
    await writeFile(file, dji12mp);
    dji12mpResult = ok(await processor.process(file));
  }, 30_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  describe('a 12 MP DJI photo', () => {
    it('reads position, altitudes, attitude, RTK and time from the DJI XMP', () => {
      expect(dji12mpResult.metadata).toEqual({
        source: 'dji-xmp',
        position: { lat: 23.1100123, lng: 113.3204561 },
        absoluteAltitude: 152.3,
        relativeAltitude: 87.5,
        gimbalYaw: -114.2,
        gimbalPitch: -90,
        flightYaw: -113.8,
        rtk: 50,
        takenAt: new Date('2026-03-01T02:11:12.000Z'), // 10:11:12 at +08:00
        cameraMake: 'DJI',
        cameraModel: 'M3E',
        warnings: [],
      });
    });

    it('hashes the original bytes exactly and reports its size and format', () => {
      expect(dji12mpResult.sha256).toBe(createHash('sha256').update(dji12mp).digest('hex'));
      expect(dji12mpResult).toMatchObject({ bytes: dji12mp.length, format: 'jpeg', width: 4000, height: 3000 });
    });

    it('makes an 800 px preview (a fifth of the long side: the ¼ decode) and a 320 px thumbnail', async () => {
      const { preview, thumb, format } = dji12mpResult.derivatives;
      expect(format).toBe('jpeg');
      expect([preview.width, preview.height, thumb.width, thumb.height]).toEqual([800, 600, 320, 240]);
      expect(await sharp(preview.data).metadata()).toMatchObject({ format: 'jpeg', width: 800, height: 600 });
      expect(await sharp(thumb.data).metadata()).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
    });

    it('strips every metadata block from the derivatives (no position leaves with a preview)', async () => {
      for (const d of [dji12mpResult.derivatives.thumb.data, dji12mpResult.derivatives.preview.data]) {
        const meta = await sharp(d).metadata();
        expect([meta.exif, meta.xmp, meta.icc, meta.iptc]).toEqual([undefined, undefined, undefined, undefined]);
        expect(await exifrParse(d, { xmp: true, gps: true, tiff: true, exif: true })).toBeUndefined();
        expect(d.includes('drone-dji')).toBe(false);
        expect(d.includes('GpsLatitude')).toBe(false);
      }
    });

    it('judges it clear', () => {
      expect(dji12mpResult.quality).toMatchObject({ verdict: 'ok', reasons: [] });
      expect(dji12mpResult.quality.sharpness).toBeGreaterThan(200);
    });
  });

  it('falls back to EXIF GPS and EXIF time (with its own offset) when there is no DJI block', async () => {
    const photo = await makeDronePhoto({
      make: 'Autel Robotics',
      model: 'XT705',
      exifGps: { latitude: -33.8568, longitude: 151.2153, altitude: 41.5 },
      takenAt: '2026:03:01 10:11:12',
      offsetTime: '+11:00',
    });
    const { metadata } = ok(await processor.process(photo));
    expect(metadata.source).toBe('exif-gps');
    expect(metadata.position?.lat).toBeCloseTo(-33.8568, 6);
    expect(metadata.position?.lng).toBeCloseTo(151.2153, 6);
    expect(metadata.absoluteAltitude).toBeCloseTo(41.5, 3);
    expect(metadata.takenAt?.toISOString()).toBe('2026-02-28T23:11:12.000Z');
    expect(metadata.cameraModel).toBe('XT705');
  });

  it('reads the correctly spelt GpsLongitude too', async () => {
    const photo = await makeDronePhoto({ dji: { ...DJI, misspeltLongitude: false, longitude: '-0.1234567', latitude: '+51.5000000' } });
    expect(ok(await processor.process(photo)).metadata.position).toEqual({ lat: 51.5, lng: -0.1234567 });
  });

  it('keeps a photo without position and flags it', async () => {
    const result = ok(await processor.process(await makeDronePhoto({ takenAt: '2026:03:01 10:11:12' })));
    expect(result.metadata.source).toBe('none');
    expect(result.metadata.position).toBeUndefined();
    expect(result.metadata.warnings).toContain('no-position');
    expect(result.derivatives.thumb.data.length).toBeGreaterThan(0);
  });

  it('auto-orients: an EXIF orientation 6 photo becomes portrait in size and derivatives', async () => {
    const result = ok(await processor.process(await makeDronePhoto({ width: 1200, height: 900, orientation: 6 })));
    expect(result).toMatchObject({ width: 900, height: 1200, orientation: 6 });
    expect([result.derivatives.preview.width, result.derivatives.preview.height]).toEqual([900, 1200]);
    expect([result.derivatives.thumb.width, result.derivatives.thumb.height]).toEqual([240, 320]);
  });

  it('never enlarges a small photo', async () => {
    const result = ok(await processor.process(await makeDronePhoto({ width: 300, height: 200 })));
    expect([result.derivatives.preview.width, result.derivatives.thumb.width]).toEqual([300, 300]);
  });

  describe('quality', () => {
    it('calls a blurred frame blurry, a dark one too dark, a blown-out one overexposed', async () => {
      const [sharpFrame, blurred, dark, bright] = await Promise.all(
        [{}, { blurSigma: 3 }, { exposure: 'dark' as const }, { exposure: 'bright' as const }].map(
          async (o) => ok(await processor.process(await makeDronePhoto({ seed: 3, ...o }))).quality,
        ),
      );
      expect(sharpFrame.verdict).toBe('ok');
      expect(blurred).toMatchObject({ verdict: 'blurry', reasons: [expect.stringMatching(/^sharpness [\d.]+ is below 50$/)] });
      expect(blurred.sharpness).toBeLessThan(sharpFrame.sharpness / 20);
      expect(dark.verdict).toBe('too-dark');
      expect(dark.meanLuminance).toBeLessThan(20);
      expect(bright.verdict).toBe('overexposed');
      expect(bright.clippedBright).toBeGreaterThan(0.5);
    });
  });

  describe('refusals, each with its reason', () => {
    it('refuses a truncated JPEG', async () => {
      const r = refusal(await processor.process(truncated(await makeDronePhoto({ seed: 11 }))));
      expect(r).toMatchObject({ reason: 'truncated', detail: expect.stringMatching(/ends early/) });
      expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    });

    it('refuses a JPEG cut inside its header', async () => {
      const r = refusal(await processor.process(truncated(await makeDronePhoto({ seed: 12 }), 0.002)));
      expect(r.reason).toBe('truncated');
    });

    it('refuses a truncated PNG', async () => {
      const r = refusal(await processor.process(truncated(await makeDronePhoto({ seed: 13, format: 'png' }), 0.5)));
      expect(r.reason).toBe('truncated');
    });

    it('refuses bytes that are not an image, and an empty file', async () => {
      expect(refusal(await processor.process(nonImageBytes()))).toMatchObject({ reason: 'not-an-image', detail: expect.stringMatching(/not an image/) });
      expect(refusal(await processor.process(Buffer.alloc(0)))).toMatchObject({ reason: 'not-an-image', detail: 'the file is empty' });
    });

    it('refuses a 30000 × 30000 PNG decompression bomb from its header, without decoding it', async () => {
      const bomb = await makePngBomb();
      expect(bomb.length).toBeLessThan(200_000);
      const started = Date.now();
      const r = refusal(await processor.process(bomb));
      expect(r).toMatchObject({ reason: 'too-many-pixels', detail: '30000 × 30000 = 900.0 MP exceeds the 100 MP limit' });
      expect(Date.now() - started).toBeLessThan(1000); // decoding 900 MP would take many seconds and ~1 GB
    }, 15_000);

    it('refuses an oversized file before reading it (41 MiB against the 40 MiB default)', async () => {
      const file = path.join(dir, 'huge.jpg');
      await writeOversizedFile(file, 41 * 1024 * 1024);
      const r = refusal(await processor.process(file));
      expect(r).toMatchObject({ reason: 'file-too-large', bytes: 41 * 1024 * 1024, detail: expect.stringMatching(/41\.0 MiB > 40\.0 MiB/) });
      expect(r.sha256).toBeUndefined();
      const small = new PhotoProcessor({ maxFileBytes: 1000 });
      expect(refusal(await small.process(dji12mp)).reason).toBe('file-too-large');
    });

    it('refuses images in formats not accepted as evidence', async () => {
      const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
        .gif()
        .toBuffer();
      expect(refusal(await processor.process(gif))).toMatchObject({ reason: 'unsupported-format', detail: expect.stringMatching(/^gif is not accepted/) });
      const svg = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="9000" height="9000"/>');
      expect(refusal(await processor.process(svg)).reason).toBe('unsupported-format');
    });

    it('refuses corrupt image data that is not a truncation', async () => {
      const photo = await makeDronePhoto({ seed: 14, width: 400, height: 300 });
      // Damaged scan data is only a libjpeg warning (tolerated); a scan naming an undefined Huffman table is an error.
      const broken = Buffer.from(photo);
      const sos = broken.indexOf(Buffer.from([0xff, 0xda]));
      broken[sos + 6] = 0x77;
      expect(refusal(await processor.process(broken))).toMatchObject({
        reason: 'corrupt',
        detail: 'the jpeg data cannot be decoded: VipsJpeg: Huffman table 0x07 was not defined',
      });
      const badHeader = Buffer.from(photo);
      const dht = badHeader.indexOf(Buffer.from([0xff, 0xc4]));
      badHeader.fill(0xff, dht + 5, dht + 21);
      expect(refusal(await processor.process(badHeader))).toMatchObject({
        reason: 'corrupt',
        detail:
          'the jpeg data cannot be decoded: Input buffer has corrupt header: VipsJpeg: Bogus Huffman table definition; VipsJpeg: Bogus Huffman table definition',
      });
    });
  });

  it('can write WebP derivatives instead', async () => {
    const webp = new PhotoProcessor({ derivativeFormat: 'webp' });
    const { derivatives } = ok(await webp.process(await makeDronePhoto({ dji: DJI })));
    expect(derivatives.format).toBe('webp');
    expect(sniffFormat(derivatives.thumb.data)).toEqual({ kind: 'accepted', format: 'webp' });
    const meta = await sharp(derivatives.preview.data).metadata();
    expect([meta.format, meta.exif, meta.xmp]).toEqual(['webp', undefined, undefined]);
    expect(derivatives.preview.data.includes('drone-dji')).toBe(false);
  });

  it('reuses its read buffers without mixing photos: a file read into a larger photo’s buffer is only its own bytes', async () => {
    const single = new PhotoProcessor({ concurrency: 1 });
    const whole = await makeDronePhoto({ seed: 21, dji: DJI });
    const cut = truncated(whole);
    const [wholeFile, cutFile] = [path.join(dir, 'whole.jpg'), path.join(dir, 'cut.jpg')];
    await writeFile(wholeFile, whole);
    await writeFile(cutFile, cut);
    expect(ok(await single.process(wholeFile)).sha256).toBe(createHash('sha256').update(whole).digest('hex'));
    // Read into the buffer that still holds the whole photo past its end: still truncated, hashed as itself.
    expect(refusal(await single.process(cutFile))).toMatchObject({
      reason: 'truncated',
      bytes: cut.length,
      sha256: createHash('sha256').update(cut).digest('hex'),
    });
    expect(ok(await single.process(wholeFile)).metadata.position).toEqual({ lat: 23.1100123, lng: 113.3204561 });
  });

  it('has at most `concurrency` photos in flight', async () => {
    const limited = new PhotoProcessor({ concurrency: 2 });
    const photo = await makeDronePhoto({ width: 800, height: 600 });
    let maxActive = 0;
    const runs = Array.from({ length: 6 }, () => limited.process(photo));
    const probe = setInterval(() => (maxActive = Math.max(maxActive, limited.load.active)), 1);
    await Promise.all(runs);
    clearInterval(probe);
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(limited.load).toEqual({ active: 0, pending: 0 });
  });

  it('validates its options', () => {
    expect(() => new PhotoProcessor({ concurrency: 0 })).toThrow(RangeError);
    expect(() => new PhotoProcessor({ thumbSize: 2000, previewSize: 1600 })).toThrow(RangeError);
    expect(() => new PhotoProcessor({ previewMinSize: 2000, previewSize: 1600 })).toThrow(RangeError);
  });
});

describe('previewLongSide', () => {
  it('takes the size the ⅛, ¼ or ½ JPEG decode reaches without a larger decode, at least 800 and at most 1600 px', () => {
    const side = (long: number) => previewLongSide(long, 800, 1600);
    expect(side(4000)).toBe(800); // 12 MP (DJI Mini, M3E wide): the ¼ decode (long/4 = 1000 px would be decoded at ½)
    expect(side(5472)).toBe(1094); // 20 MP (Phantom 4 Pro, Mavic 3 Classic): ¼
    expect(side(8064)).toBe(896); // 48 MP (Mini 4 Pro high resolution): ⅛
    expect(side(3840)).toBe(1280); // a 4K frame: ½ (¼ would be below 800)
    expect(side(2400)).toBe(800); // ½
    expect(side(1800)).toBe(1600); // even ½ is too small: the original, capped
    expect(side(1200)).toBe(1200); // never enlarged (the resize also says withoutEnlargement)
    expect(side(30000)).toBe(1600); // ⅛ is still too big: capped
  });

  it('keeps the integer part of the shrink factor above the decode scale it chose (where sharp takes that scale)', () => {
    for (let long = 1000; long <= 12000; long += 7) {
      const side = previewLongSide(long, 800, 100_000);
      const scale = [8, 4, 2].find((s) => side <= long / (s + 1));
      if (side === long) continue;
      expect(scale).toBeDefined();
      expect(Math.floor(long / side)).toBeGreaterThan(scale!);
    }
  });
});

describe('sniffFormat', () => {
  it('goes by signature, not by name', () => {
    expect(sniffFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe1]))).toEqual({ kind: 'accepted', format: 'jpeg' });
    expect(sniffFormat(Buffer.from('GIF89a......'))).toEqual({ kind: 'other-image', format: 'gif' });
    expect(sniffFormat(Buffer.from('\0\0\0\x18ftypheic\0\0\0\0'))).toEqual({ kind: 'other-image', format: 'heif' });
    expect(sniffFormat(Buffer.from('%PDF-1.7'))).toEqual({ kind: 'other-image', format: 'pdf' });
    expect(sniffFormat(Buffer.from('{"lat": 23.1}'))).toEqual({ kind: 'unknown' });
  });
});
