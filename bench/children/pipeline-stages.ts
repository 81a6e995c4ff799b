/**
 * The ingest path's pure stages over the bench stream, in a fresh process (bench/lib/pipeline-stages.ts): µs per
 * event for adapting, classifying, grouping and writing the events document, the median of BENCH_STAGE_ROUNDS (5)
 * rounds after one that compiles the code. The stream is the saturation stream's mix (BENCH_STAGE_EVENTS, 30,000)
 * dated in an evening half hour, in batches of the product's INGEST_BATCH_SIZE.
 * IPC: `{ type: 'result', result: PipelineStagesResult }`.
 */
import { join } from 'node:path';
import { loadDistrictConfig, parseEnv } from '@app/config';
import { measurePipelineStages, PipelineStagesResult, stageMessages } from '../lib/pipeline-stages';
import { benchDevices } from '../lib/workload';

function main(): void {
  const district = loadDistrictConfig(join(__dirname, '..', '..', 'config', 'demo'));
  const events = Number(process.env.BENCH_STAGE_EVENTS ?? 30_000);
  const rounds = Number(process.env.BENCH_STAGE_ROUNDS ?? 5);
  const result: PipelineStagesResult = measurePipelineStages({
    district,
    messages: stageMessages(district, events),
    devices: [...district.devices, ...benchDevices(0)],
    batchSize: parseEnv({}).INGEST_BATCH_SIZE,
    rounds,
  });
  process.send?.({ type: 'result', result }, () => process.exit(0));
}

try {
  main();
} catch (err) {
  console.error((err as Error).stack ?? (err as Error).message);
  process.exit(1);
}
