/**
 * One photo measurement in a fresh process, so its peak RSS is its own (not the photo generation's, nor
 * the other measurement's: RSS only grows within a process). argv: pipeline|bare dir count.
 * Imports imagery by relative path (the @app/imagery alias may not be configured everywhere).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { measureBareResize, measurePhotoThroughput } from '../photo-throughput';

async function main(): Promise<void> {
  const [mode, dir, countText] = process.argv.slice(2);
  const count = Number(countText);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, count)
    .map((f) => join(dir, f));
  const result = mode === 'bare' ? await measureBareResize(files, { concurrency: 2 }) : await measurePhotoThroughput(files, { concurrency: 2 });
  process.send?.({ type: 'result', mode, result }, () => process.exit(0));
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
