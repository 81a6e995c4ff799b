#!/usr/bin/env node
// `npm start`: build (when the sources are newer than the build) and run everything in one process
// on embedded defaults: embedded PostgreSQL under DATA_DIR, embedded MQTT broker, Kafka when KAFKA_BROKERS is set.
'use strict';
const { spawnSync, spawn } = require('node:child_process');
const { existsSync, statSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entry = join(root, 'dist/apps/standalone/src/main.js');

function newestSource(dir) {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    if (name.name === 'node_modules') continue;
    const p = join(dir, name.name);
    if (name.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (name.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const stale = !existsSync(entry) || Math.max(newestSource(join(root, 'apps')), newestSource(join(root, 'libs'))) > statSync(entry).mtimeMs;
if (stale) {
  process.stdout.write('Building CloudPatrol...\n');
  const build = spawnSync(process.execPath, [join(root, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'standalone'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
// `--build-only`: build when stale and stop (the tests build once before any of them starts the service).
if (process.argv.includes('--build-only')) process.exit(0);
// The young and old generation's sizing: see scripts/service-node-flags.js.
const child = spawn(process.execPath, ['--enable-source-maps', ...require('./service-node-flags'), entry], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
