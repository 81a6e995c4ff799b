import sharp from 'sharp';
import { ConcurrencyLimiter } from '@app/imagery/concurrency-limiter';
import { PhotoProcessor, PhotoProcessorOptions } from '@app/imagery/photo-processor';

/**
 * Throughput of the photo pipeline against a bare sharp resize of the same files (DOMAIN.md §8: sharp 12 MP
 * JPEG → 720 px ≈ 16/s with 2 in flight here). Run each measurement in a fresh process for a clean peak RSS:
 * RSS only grows within a process (glibc keeps freed arenas), so a second measurement inherits the first's peak.
 */

export interface ThroughputResult {
  photos: number;
  seconds: number;
  photosPerSecond: number;
  /** Highest RSS sampled (every 10 ms) during the run, MB. */
  peakRssMb: number;
  /** RSS before the run, MB. */
  startRssMb: number;
  /** Photos the pipeline refused (should be 0 for a clean set). */
  rejected: number;
}

export interface ThroughputOptions {
  /** Photos in flight; default 2 (the 2 cores of this machine class). */
  concurrency?: number;
  /** Extra processor options (derivative format, sizes, ...). */
  processor?: Partial<PhotoProcessorOptions>;
  /** Warm-up photos processed before timing (libvips start-up, JIT); default 1. */
  warmup?: number;
}

/** The full pipeline per photo: read, SHA-256, header checks, one decode, both derivatives, quality, exifr metadata. */
export async function measurePhotoThroughput(files: readonly string[], options: ThroughputOptions = {}): Promise<ThroughputResult> {
  const processor = new PhotoProcessor({ ...options.processor, concurrency: options.concurrency ?? 2 });
  return measure(files, options.warmup ?? 1, async (file) => (await processor.process(file)).ok);
}

/** The reference: sharp(file).resize(720).jpeg(), `concurrency` in flight (default 2). */
export async function measureBareResize(files: readonly string[], options: Pick<ThroughputOptions, 'concurrency' | 'warmup'> = {}): Promise<ThroughputResult> {
  const limiter = new ConcurrencyLimiter(options.concurrency ?? 2);
  return measure(files, options.warmup ?? 1, (file) =>
    limiter.run(async () => {
      await sharp(file).resize(720).jpeg().toBuffer();
      return true;
    }),
  );
}

/** `run` resolves true for a photo that went through, false for one refused. All are started at once; `run` limits itself. */
async function measure(files: readonly string[], warmup: number, run: (file: string) => Promise<boolean>): Promise<ThroughputResult> {
  if (files.length === 0) throw new RangeError('no files to measure');
  // libvips' operation cache would let a repeated run skip work; neither side may benefit from it.
  const saved = sharp.cache();
  sharp.cache(false);
  try {
    for (const file of files.slice(0, warmup)) await run(file);
    const startRss = process.memoryUsage.rss();
    let peak = startRss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 10);
    const started = process.hrtime.bigint();
    let outcomes: boolean[];
    try {
      outcomes = await Promise.all(files.map((f) => run(f)));
    } finally {
      clearInterval(sampler);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    peak = Math.max(peak, process.memoryUsage.rss());
    return {
      photos: files.length,
      seconds: Math.round(seconds * 1000) / 1000,
      photosPerSecond: Math.round((files.length / seconds) * 10) / 10,
      peakRssMb: toMb(peak),
      startRssMb: toMb(startRss),
      rejected: outcomes.filter((ok) => !ok).length,
    };
  } finally {
    sharp.cache({ memory: saved.memory.max, files: saved.files.max, items: saved.items.max });
  }
}

const toMb = (bytes: number): number => Math.round(bytes / 1024 / 1024);
