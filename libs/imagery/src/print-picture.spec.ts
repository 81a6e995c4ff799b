import sharp from 'sharp';
import { toPrintJpeg } from './print-picture';

const gradient = (width: number, height: number) => {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px.set([(x * 255) / width, (y * 255) / height, 128], (y * width + x) * 3);
  return sharp(px, { raw: { width, height, channels: 3 } });
};

describe('toPrintJpeg', () => {
  it('shrinks a large PNG inside the long side, keeping its aspect, as a JPEG without metadata', async () => {
    const png = await gradient(1600, 800).png().toBuffer();
    const out = await toPrintJpeg(png, 400);
    expect(out).toMatchObject({ width: 400, height: 200 });
    const meta = await sharp(out.jpeg).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 400, height: 200 });
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
  });

  it('never enlarges a small WebP or TIFF', async () => {
    for (const input of [await gradient(120, 90).webp().toBuffer(), await gradient(120, 90).tiff().toBuffer()]) {
      const out = await toPrintJpeg(input);
      expect(out).toMatchObject({ width: 120, height: 90 });
      expect((await sharp(out.jpeg).metadata()).format).toBe('jpeg');
    }
  });

  it('applies the EXIF orientation and drops the EXIF block', async () => {
    // Orientation 6: stored landscape, shown rotated 90° clockwise (portrait).
    const jpeg = await gradient(300, 100).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const out = await toPrintJpeg(jpeg);
    expect(out).toMatchObject({ width: 100, height: 300 });
    const meta = await sharp(out.jpeg).metadata();
    expect(meta).toMatchObject({ width: 100, height: 300 });
    expect(meta.orientation).toBeUndefined();
  });

  it('rejects bytes that are not an image', async () => {
    await expect(toPrintJpeg(Buffer.from('not an image'))).rejects.toThrow();
  });
});
