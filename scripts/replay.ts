// `npm run replay -- --rules <candidate rules.yaml> --from <ISO time> --to <ISO time>`
// Re-runs a candidate rules file over stored events and prints which cases would be opened, merged or not
// opened compared with what happened, so a supervisor can tune a threshold before switching it on. Cases are
// named by case number (CP-YYYYMMDD-NNNNNN).
// Uses DATABASE_URL (or the embedded database under DATA_DIR when it is running) and CONFIG_DIR.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadDistrictConfig, loadEnv, parseRulesFile } from '@app/config';
import { replayCandidateRules } from '@app/core';
import { dataSourceOptions } from '@app/persistence';
import { resolve } from 'node:path';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const rulesPath = arg('rules');
  const from = new Date(arg('from') ?? '');
  const to = new Date(arg('to') ?? '');
  if (!rulesPath || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
    process.stderr.write('usage: npm run replay -- --rules <rules.yaml> --from <ISO time> --to <ISO time> [--json]\n');
    return 64;
  }
  const env = loadEnv();
  const district = loadDistrictConfig(resolve(env.CONFIG_DIR), env.CALENDAR_DIR);
  const candidate = parseRulesFile(resolve(rulesPath), district.places);
  if (!candidate.ok) {
    process.stderr.write(`${candidate.errors.join('\n')}\n`);
    return 65;
  }
  const url = env.DATABASE_URL ?? `postgres://postgres:cloudpatrol@127.0.0.1:${env.EMBEDDED_PG_PORT}/cloudpatrol`;
  const ds = await new DataSource(dataSourceOptions(url, env.DATABASE_SCHEMA)).initialize();
  try {
    const report = await replayCandidateRules(ds, district, candidate.ruleSet, from, to);
    process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(report.byCaseNumber, null, 2)}\n` : `${report.text}\n`);
    return 0;
  } finally {
    await ds.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`replay failed: ${err.message}\n`);
    process.exit(1);
  },
);
