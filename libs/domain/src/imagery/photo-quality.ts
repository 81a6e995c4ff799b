/**
 * Evidence quality gate (DOMAIN.md §6: a record used as evidence must be "clear"). The measures come from the
 * image pipeline (`libs/imagery`); the judgement is pure so its thresholds can be configured and explained.
 * A photo that fails is still stored: the verdict travels with it so a reviewer sees why it is doubtful.
 */

export interface QualityMeasures {
  /** Variance of the 4-neighbour Laplacian of the greyscale preview (grey levels²). Low = blurry or featureless. */
  sharpness: number;
  /** Mean luma, 0..255. */
  meanLuminance: number;
  /** Fraction 0..1 of pixels crushed to black (luma ≤ 8). */
  clippedDark: number;
  /** Fraction 0..1 of pixels blown to white (luma ≥ 247). */
  clippedBright: number;
}

export interface QualityThresholds {
  minSharpness: number;
  minMeanLuminance: number;
  maxMeanLuminance: number;
  maxClippedDark: number;
  maxClippedBright: number;
}

export const QUALITY_VERDICTS = ['ok', 'blurry', 'too-dark', 'overexposed'] as const;
export type QualityVerdict = (typeof QUALITY_VERDICTS)[number];

export interface QualityAssessment {
  verdict: QualityVerdict;
  /** Every failed check, worded for a reviewer, with the measure and the threshold. */
  reasons: string[];
}

/**
 * Defaults for aerial photos measured at preview scale (long side 960–1600 px, or the photo's own when smaller). A motion-blurred photo scores
 * in the tens; a sharp one of a street scene in the hundreds or more. Tune per camera in config. The preview's downscale kernel moves the
 * sharpness a little: with linear (the default) a 12 MP fixture scores ≈400 sharp, ≈80 blurred with σ 3 px and ≈17 with σ 6 px; with
 * mitchell ≈470, ≈89 and ≈18.
 */
export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = {
  minSharpness: 50,
  minMeanLuminance: 40,
  maxMeanLuminance: 220,
  maxClippedDark: 0.4,
  maxClippedBright: 0.25,
};

/**
 * Exposure failures win over blur in the verdict: a dark or blown-out frame also has little Laplacian energy,
 * so "blurry" would name the wrong cause. All failures are listed in `reasons`.
 */
export function assessQuality(measures: QualityMeasures, thresholds: QualityThresholds = DEFAULT_QUALITY_THRESHOLDS): QualityAssessment {
  const dark: string[] = [];
  const bright: string[] = [];
  const blur: string[] = [];
  const { sharpness, meanLuminance, clippedDark, clippedBright } = measures;
  if (!Number.isFinite(sharpness) || !Number.isFinite(meanLuminance) || !Number.isFinite(clippedDark) || !Number.isFinite(clippedBright)) {
    // A NaN measure is a pipeline fault, never a pass.
    return { verdict: 'blurry', reasons: ['quality measures are not numbers; the photo cannot be judged clear'] };
  }
  if (meanLuminance < thresholds.minMeanLuminance) dark.push(`mean luminance ${fmt(meanLuminance)} is below ${fmt(thresholds.minMeanLuminance)}`);
  if (clippedDark > thresholds.maxClippedDark) dark.push(`${pct(clippedDark)} of pixels are black (limit ${pct(thresholds.maxClippedDark)})`);
  if (meanLuminance > thresholds.maxMeanLuminance) bright.push(`mean luminance ${fmt(meanLuminance)} is above ${fmt(thresholds.maxMeanLuminance)}`);
  if (clippedBright > thresholds.maxClippedBright) bright.push(`${pct(clippedBright)} of pixels are blown out (limit ${pct(thresholds.maxClippedBright)})`);
  if (sharpness < thresholds.minSharpness) blur.push(`sharpness ${fmt(sharpness)} is below ${fmt(thresholds.minSharpness)}`);

  const reasons = [...dark, ...bright, ...blur];
  // Both dark and bright failures (a high-contrast frame): the larger clipped share names it.
  let verdict: QualityVerdict = 'ok';
  if (dark.length > 0 && bright.length > 0) verdict = clippedBright > clippedDark ? 'overexposed' : 'too-dark';
  else if (dark.length > 0) verdict = 'too-dark';
  else if (bright.length > 0) verdict = 'overexposed';
  else if (blur.length > 0) verdict = 'blurry';
  return { verdict, reasons };
}

const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();
const pct = (f: number): string => `${Math.round(f * 1000) / 10}%`;
