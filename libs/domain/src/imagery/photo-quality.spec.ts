import { DEFAULT_QUALITY_THRESHOLDS, assessQuality } from './photo-quality';

const good = { sharpness: 420, meanLuminance: 118, clippedDark: 0.01, clippedBright: 0.02 };

describe('assessQuality', () => {
  it('passes a sharp, well-exposed photo', () => {
    expect(assessQuality(good)).toEqual({ verdict: 'ok', reasons: [] });
  });

  it('calls a photo with little Laplacian energy blurry, with the measure and threshold', () => {
    expect(assessQuality({ ...good, sharpness: 12.34 })).toEqual({ verdict: 'blurry', reasons: ['sharpness 12.3 is below 50'] });
  });

  it('calls a dark photo too dark (by mean or by crushed blacks), not blurry', () => {
    const dark = assessQuality({ sharpness: 3, meanLuminance: 9, clippedDark: 0.62, clippedBright: 0 });
    expect(dark.verdict).toBe('too-dark');
    expect(dark.reasons).toEqual(['mean luminance 9 is below 40', '62% of pixels are black (limit 40%)', 'sharpness 3 is below 50']);
    expect(assessQuality({ ...good, clippedDark: 0.5 }).verdict).toBe('too-dark');
  });

  it('calls a blown-out photo overexposed', () => {
    expect(assessQuality({ ...good, meanLuminance: 240 })).toEqual({ verdict: 'overexposed', reasons: ['mean luminance 240 is above 220'] });
    expect(assessQuality({ ...good, clippedBright: 0.3 }).reasons).toEqual(['30% of pixels are blown out (limit 25%)']);
  });

  it('names the larger clipped share when a frame is both crushed and blown out', () => {
    expect(assessQuality({ ...good, clippedDark: 0.45, clippedBright: 0.5 }).verdict).toBe('overexposed');
    expect(assessQuality({ ...good, clippedDark: 0.55, clippedBright: 0.3 }).verdict).toBe('too-dark');
  });

  it('uses configured thresholds', () => {
    expect(assessQuality({ ...good, sharpness: 420 }, { ...DEFAULT_QUALITY_THRESHOLDS, minSharpness: 500 }).verdict).toBe('blurry');
  });

  it('never passes NaN measures', () => {
    expect(assessQuality({ ...good, sharpness: Number.NaN }).verdict).toBe('blurry');
  });
});
