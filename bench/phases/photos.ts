/**
 * Phase 5, photos: 12 MP DJI-like JPEGs (writeBenchPhotos; cached under BENCH_PHOTO_DIR, default
 * /tmp/cloudpatrol-bench-photos, since they take ~0.5 s each to make), then the imagery pipeline
 * (measurePhotoThroughput) and a bare sharp resize (measureBareResize), each in a fresh child process so
 * neither the generation nor the other measurement is in its peak RSS.
 */
import { writeBenchPhotos } from '../../libs/imagery/src/testing/photo-fixtures';
import type { ThroughputResult } from '../../libs/imagery/src/bench/photo-throughput';
import { Cleanup, isType, log, startChild } from '../lib/services';
import { round } from '../lib/stats';

export interface PhotoResult {
  photos: number;
  generateSeconds?: number;
  pipeline?: ThroughputResult;
  bare?: ThroughputResult;
  /** Pipeline photos/s as a share of the bare resize's. */
  shareOfBare?: number;
  errors: string[];
}

export async function runPhotoPhase(o: { dir: string; count: number; cleanup: Cleanup; timeoutMs: number }): Promise<PhotoResult> {
  const result: PhotoResult = { photos: o.count, errors: [] };
  const t = Date.now();
  await writeBenchPhotos(o.dir, o.count);
  result.generateSeconds = round((Date.now() - t) / 1000, 1);
  log(`${o.count} photos ready in ${o.dir} (${result.generateSeconds} s)`);
  for (const mode of ['pipeline', 'bare'] as const) {
    const child = startChild('bench/children/photos.ts', [mode, o.dir, String(o.count)], {}, o.cleanup);
    try {
      const m = await child.message(isType<{ type: 'result'; mode: string; result: ThroughputResult }>('result'), o.timeoutMs, `photos ${mode}`);
      result[mode] = m.result;
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
