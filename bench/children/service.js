/**
 * A CloudPatrol process under test, run from the build (dist/: what `npm start`, `npm run start:*` and the Dockerfile
 * run; the bench builds it first when the sources are newer) and not through ts-node, whose TypeScript compiler alone
 * holds ~185 MB of resident memory that no installation has. argv: `standalone` | `worker` | `gateway`.
 * The bench cameras (bench/lib/workload.ts benchDevices) are added to the demo district from BENCH_DEVICES_FILE (JSON).
 * Answers `{type:'ready', url}` over IPC; SIGTERM stops it cleanly.
 */
'use strict';
const { readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const dist = join(__dirname, '../../dist/libs');
const { loadDistrictConfig, parseEnv } = require(join(dist, 'config/src'));
const { startCloudPatrol, startGateway } = require(join(dist, 'runtime/src'));

async function main() {
  const env = parseEnv(process.env);
  const role = process.argv[2];
  let running;
  if (role === 'gateway') running = await startGateway(env);
  else if (role === 'standalone' || role === 'worker') {
    const district = loadDistrictConfig(resolve(env.CONFIG_DIR));
    if (process.env.BENCH_DEVICES_FILE) district.devices.push(...JSON.parse(readFileSync(process.env.BENCH_DEVICES_FILE, 'utf8')));
    running = await startCloudPatrol(role, env, district);
  } else throw new Error(`unknown role "${role}" (standalone, worker or gateway)`);
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    running
      .stop()
      .catch((err) => console.error(err.message))
      .finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready', url: running.url });
}

main().catch((err) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
