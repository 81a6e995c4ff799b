/**
 * Phase 5, photos: 12 MP DJI-like JPEGs (writeBenchPhotos; cached under BENCH_PHOTO_DIR, default
 * /tmp/cloudpatrol-bench-photos, since they take ~0.5 s each to make), then the imagery pipeline
 * (measurePhotoThroughput) and a bare sharp resize (measureBareResize), each in a fresh child process so
 * neither the generation nor the other measurement is in its peak RSS. Each is measured `rounds` times, in
 * alternating order, and its best run kept: one run is a couple of seconds, and whatever else the machine does
 * meanwhile (autovacuum after the event phases, say) lands on one side only; the best run is the least disturbed.
 */
import { writeBenchPhotos } from '../../test/fixtures/photo-fixtures';
import type { ThroughputResult } from '../photo-throughput';
import { Cleanup, isType, log, startChild } from '../lib/services';
import { round } from '../lib/stats';

export interface PhotoResult {
  photos: number;
  generateSeconds?: number;
  pipeline?: ThroughputResult;
  bare?: ThroughputResult;
  /** Pipeline photos/s as a share of the bare resize's (best run of each). */
  shareOfBare?: number;
  /** Photos/s of every run, in run order. */
  runs: { pipeline: number[]; bare: number[] };
  errors: string[];
}

export async function runPhotoPhase(o: { dir: string; count: number; rounds: number; cleanup: Cleanup; timeoutMs: number }): Promise<PhotoResult> {
  const result: PhotoResult = { photos: o.count, errors: [], runs: { pipeline: [], bare: [] } };
  const t = Date.now();
  await writeBenchPhotos(o.dir, o.count);
  result.generateSeconds = round((Date.now() - t) / 1000, 1);
  log(`${o.count} photos ready in ${o.dir} (${result.generateSeconds} s)`);
  const order = Array.from({ length: o.rounds }, (_, r) => (r % 2 === 0 ? (['pipeline', 'bare'] as const) : (['bare', 'pipeline'] as const))).flat();
  for (const mode of order) {
    const child = startChild('bench/children/photos.ts', [mode, o.dir, String(o.count)], {}, o.cleanup);
    try {
      const m = await child.message(isType<{ type: 'result'; mode: string; result: ThroughputResult }>('result'), o.timeoutMs, `photos ${mode}`);
      result.runs[mode].push(m.result.photosPerSecond);
      const best = result[mode];
      // The best run's figures, with the highest peak RSS of all runs.
      if (!best || m.result.photosPerSecond > best.photosPerSecond)
        result[mode] = { ...m.result, peakRssMb: Math.max(m.result.peakRssMb, best?.peakRssMb ?? 0) };
      else best.peakRssMb = Math.max(best.peakRssMb, m.result.peakRssMb);
      log(`photos ${mode}: ${m.result.photosPerSecond}/s, peak RSS ${m.result.peakRssMb} MB`);
    } catch (err) {
      result.errors.push(`${mode}: ${(err as Error).message}`);
    } finally {
      await child.stop(5_000);
    }
  }
  if (result.pipeline && result.bare) result.shareOfBare = round(result.pipeline.photosPerSecond / result.bare.photosPerSecond, 3);
  return result;
}
