/**
 * The ingest path's pure stages (bench/children/pipeline-stages.ts, a fresh process): µs per event for adapting,
 * classifying, grouping and writing the events document, with no broker, database or other process in the way.
 */
import type { PipelineStagesResult } from '../lib/pipeline-stages';
import { Cleanup, isType, startChild } from '../lib/services';

export async function runPipelineStagesPhase(o: { cleanup: Cleanup; timeoutMs: number }): Promise<PipelineStagesResult> {
  const child = startChild(
    'bench/children/pipeline-stages.ts',
    [],
    { BENCH_STAGE_EVENTS: process.env.BENCH_STAGE_EVENTS, BENCH_STAGE_ROUNDS: process.env.BENCH_STAGE_ROUNDS },
    o.cleanup,
  );
  try {
    const m = await child.message(isType<{ type: 'result'; result: PipelineStagesResult }>('result'), o.timeoutMs, 'pipeline stages');
    return m.result;
  } finally {
    await child.stop();
  }
}
