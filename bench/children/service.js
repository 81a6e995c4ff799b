/**
 * A CloudPatrol process under test, run from the build (dist/: what `npm start`, `npm run start:*` and the Dockerfile
 * run; the bench builds it first when the sources are newer) and not through ts-node, whose TypeScript compiler alone
 * holds ~185 MB of resident memory that no installation has. argv: `standalone` | `worker` | `gateway`.
 * The bench cameras (bench/lib/workload.ts benchDevices) are added to the demo district from BENCH_DEVICES_FILE (JSON).
 * Answers `{type:'ready', url}` over IPC; SIGTERM stops it cleanly.
 */
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
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
  if (process.env.BENCH_HEAP_PROF)
    sampleHeap(process.env.BENCH_HEAP_PROF, Number(process.env.BENCH_HEAP_FROM ?? 3), Number(process.env.BENCH_HEAP_SECONDS ?? 4));
  process.send?.({ type: 'ready', url: running.url });
}

/**
 * BENCH_HEAP_PROF=<dir>: where a run allocates. V8's sampling heap profiler (through node:inspector, its public seam)
 * from `fromSeconds` after the start for `seconds`, objects either GC collected included (what the scavenges were
 * paying for), written to <dir>/heap-<pid>.heapprofile: open it in Chrome DevTools (Memory). The CloudPatrol phase's
 * burst is about 1-5 s after the start.
 */
function sampleHeap(dir, fromSeconds, seconds) {
  const { Session } = require('node:inspector/promises');
  const session = new Session();
  session.connect();
  const run = async () => {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 16_384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(join(dir, `heap-${process.pid}.heapprofile`), JSON.stringify(profile));
  };
  setTimeout(() => run().catch((err) => console.error(`heap profile: ${err.message}`)), fromSeconds * 1000).unref();
}

main().catch((err) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
