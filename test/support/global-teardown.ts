import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { readServices, ROOT, stopProcessAndWait } from './services';

export default async function globalTeardown(): Promise<void> {
  if (!process.env.CP_TEST_SERVICES) return; // the other project's teardown already ran
  const s = readServices();
  delete process.env.CP_TEST_SERVICES;
  if (s.mosquittoPid) await stopProcessAndWait(s.mosquittoPid);
  if (s.mosquittoDir) rmSync(s.mosquittoDir, { recursive: true, force: true });
  if (s.kafkaStartedByUs) execFileSync('bash', [join(ROOT, 'scripts/kafka/kafka.sh'), 'stop'], { stdio: 'inherit' });
  // Each test file made its own database; drop this run's.
  const pg = new Client({ connectionString: s.pgAdminUrl });
  await pg.connect();
  const rows = await pg.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`cpt_${s.runId}_%`]);
  for (const r of rows.rows) await pg.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
  await pg.end();
}
