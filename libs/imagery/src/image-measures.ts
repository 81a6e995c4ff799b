import type { QualityMeasures } from '@app/domain/imagery';

/** Luma at or below this is "crushed", at or above the other "blown out" (8-bit, after JPEG noise). */
export const DARK_LEVEL = 8;
export const BRIGHT_LEVEL = 247;

/**
 * Blur and exposure measures from interleaved 8-bit pixels (the decoded preview, 3 or 4 channels).
 *
 * Done in JS rather than with sharp's convolve + stats: sharp writes a convolution back to 8 bits, which clips
 * the negative half of the Laplacian, and a second libvips pipeline over the preview cost more (≈60 ms) than
 * this loop (≈15 ms for 1600 × 1200).
 */
export function measureQuality(pixels: Uint8Array, width: number, height: number, channels: number): QualityMeasures {
  if (channels < 3 || pixels.length < width * height * channels) throw new RangeError('measureQuality: expected interleaved RGB(A) pixels');
  const n = width * height;
  // BT.601 luma in fixed point; the grey copy makes the Laplacian's neighbour reads cheap.
  const grey = new Uint8Array(n);
  let sum = 0;
  let dark = 0;
  let bright = 0;
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    const y = (pixels[p] * 77 + pixels[p + 1] * 150 + pixels[p + 2] * 29 + 128) >> 8;
    grey[i] = y;
    sum += y;
    if (y <= DARK_LEVEL) dark++;
    else if (y >= BRIGHT_LEVEL) bright++;
  }
  return {
    sharpness: laplacianVariance(grey, width, height),
    meanLuminance: n > 0 ? sum / n : 0,
    clippedDark: n > 0 ? dark / n : 0,
    clippedBright: n > 0 ? bright / n : 0,
  };
}

/** Variance of the 4-neighbour Laplacian over the interior pixels (the classic "variance of Laplacian" focus measure). */
export function laplacianVariance(grey: Uint8Array, width: number, height: number): number {
  if (width < 3 || height < 3) return 0;
  let sum = 0;
  let sumSq = 0;
  for (let y = 1; y < height - 1; y++) {
    const row = y * width;
    for (let x = 1; x < width - 1; x++) {
      const i = row + x;
      const l = grey[i - 1] + grey[i + 1] + grey[i - width] + grey[i + width] - 4 * grey[i];
      sum += l;
      sumSq += l * l;
    }
  }
  const count = (width - 2) * (height - 2);
  const mean = sum / count;
  return sumSq / count - mean * mean;
}
