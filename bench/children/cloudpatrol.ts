/**
 * CloudPatrol under test, in its own process (so the publisher, the SSE reader and the database polling
 * of the bench never share its event loop): `startCloudPatrol('standalone', env)` against the bench's
 * Mosquitto, Kafka and a fresh database, with bench-only cameras added to the demo district (the
 * stream's 100 cameras and BENCH_PROBE_DEVICES cameras for the latency probes). Answers `{type:'ready', url}` over IPC; SIGTERM stops it cleanly.
 */
import { loadDistrictConfig, parseEnv } from '@app/config';
import { startCloudPatrol } from '@app/runtime';
import { resolve } from 'node:path';
import { benchDevices } from '../lib/workload';

async function main(): Promise<void> {
  const env = parseEnv(process.env);
  const district = loadDistrictConfig(resolve(env.CONFIG_DIR));
  district.devices.push(...benchDevices(Number(process.env.BENCH_PROBE_DEVICES ?? '0')));
  const running = await startCloudPatrol('standalone', env, district);
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
