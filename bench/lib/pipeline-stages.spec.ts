import { join } from 'node:path';
import { loadDistrictConfig } from '@app/config';
import { measurePipelineStages, stageMessages } from './pipeline-stages';
import { benchDevices } from './workload';

/** The stages bench (bench/children/pipeline-stages.ts) on a small stream: every event goes through every stage. */
const district = loadDistrictConfig(join(__dirname, '..', '..', 'config', 'demo'));
const EVENTS = 1_200;
const messages = stageMessages(district, EVENTS);
const devices = [...district.devices, ...benchDevices(0)];

describe('the pipeline stages bench', () => {
  const result = measurePipelineStages({ district, messages, devices, batchSize: 400, rounds: 1 });

  it('times each stage of every event and reports what the stream made', () => {
    expect(result).toMatchObject({ events: EVENTS, batchSize: 400, rounds: 1 });
    const { adapt, classify, group, document, total } = result.microsPerEvent;
    for (const stage of [adapt, classify, group, document]) expect(stage).toBeGreaterThan(0);
    expect(Math.abs(total - (adapt + classify + group + document))).toBeLessThan(0.05);
    // The mix opens cases and suppresses detections; a batch's issues of one identity are one case row.
    expect(result.issues).toBeGreaterThan(EVENTS / 2);
    expect(result.suppressions).toBeGreaterThan(0);
    expect(result.caseRows).toBeGreaterThan(0);
    expect(result.caseRows).toBeLessThan(result.issues);
  });

  it('refuses a stream the register does not know, rather than timing less work', () => {
    expect(() => measurePipelineStages({ district, messages, devices: district.devices, batchSize: 400, rounds: 1 })).toThrow(/register refuses/);
  });
});
