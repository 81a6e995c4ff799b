/**
 * One process of the scale-out phase (bench/phases/scale-out.ts): `gateway` (MQTT → Kafka, PUBACK after Kafka's
 * ack) or `worker` (reads the Kafka ingest topic in its consumer group, the bench cameras added to the demo
 * district as in bench/children/cloudpatrol.ts). Answers `{type:'ready', url}` over IPC; SIGTERM stops it cleanly.
 */
import { loadDistrictConfig, parseEnv } from '@app/config';
import { startCloudPatrol, startGateway } from '@app/runtime';
import { resolve } from 'node:path';
import { benchDevices } from '../lib/workload';

async function main(): Promise<void> {
  const env = parseEnv(process.env);
  const role = process.argv[2];
  let running: { url: string; stop(): Promise<void> };
  if (role === 'gateway') running = await startGateway(env);
  else {
    const district = loadDistrictConfig(resolve(env.CONFIG_DIR));
    district.devices.push(...benchDevices(0));
    running = await startCloudPatrol('worker', env, district);
  }
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    running
      .stop()
      .catch((err: Error) => console.error(err.message))
      .finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready', url: running.url });
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
