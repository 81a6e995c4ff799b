import { laplacianVariance, measureQuality } from './image-measures';

const rgb = (w: number, h: number, f: (x: number, y: number) => number) => {
  const px = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.fill(f(x, y), (y * w + x) * 3, (y * w + x) * 3 + 3);
  return px;
};

describe('measureQuality', () => {
  it('finds no Laplacian energy in a flat or linear-gradient image', () => {
    expect(
      measureQuality(
        rgb(64, 48, () => 120),
        64,
        48,
        3,
      ),
    ).toEqual({ sharpness: 0, meanLuminance: 120, clippedDark: 0, clippedBright: 0 });
    expect(
      measureQuality(
        rgb(64, 48, (x) => x * 2),
        64,
        48,
        3,
      ).sharpness,
    ).toBe(0);
  });

  it('finds a lot in a fine checkerboard and less once it is smoothed', () => {
    const checker = measureQuality(
      rgb(64, 48, (x, y) => ((x + y) % 2 ? 200 : 50)),
      64,
      48,
      3,
    ).sharpness;
    const soft = measureQuality(
      rgb(64, 48, (x, y) => ((x + y) % 2 ? 130 : 120)),
      64,
      48,
      3,
    ).sharpness;
    expect(checker).toBeGreaterThan(100 * soft);
  });

  it('matches the full-image Laplacian variance closely despite sampling every second pixel', () => {
    let s = 7;
    const noise = rgb(200, 150, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
    const full = laplacianVariance(noise, 200, 150, 3, 1);
    expect(measureQuality(noise, 200, 150, 3).sharpness / full).toBeCloseTo(1, 1);
  });

  it('counts crushed and blown-out pixels', () => {
    const m = measureQuality(
      rgb(100, 100, (x) => (x < 50 ? 0 : 255)),
      100,
      100,
      3,
    );
    expect(m.clippedDark).toBeCloseTo(0.5, 2);
    expect(m.clippedBright).toBeCloseTo(0.5, 2);
    expect(m.meanLuminance).toBeCloseTo(127.5, 0);
  });

  it('reads RGBA and refuses a short buffer', () => {
    expect(measureQuality(new Uint8Array(4 * 4 * 4).fill(255), 4, 4, 4).clippedBright).toBe(1);
    expect(() => measureQuality(new Uint8Array(10), 4, 4, 3)).toThrow(RangeError);
  });
});
