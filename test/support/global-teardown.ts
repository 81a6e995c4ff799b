import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { readServices, ROOT, stopProcessAndWait } from './services';

export default async function globalTeardown(): Promise<void> {
  if (!process.env.CP_TEST_SERVICES) return; // the other project's teardown already ran
  const s = readServices();
  delete process.env.CP_TEST_SERVICES;
  for (const broker of s.mqttBrokers) {
    await stopProcessAndWait(broker.pid);
    rmSync(broker.dir, { recursive: true, force: true });
  }
  await deleteRunTopics(s.kafkaBrokers, `t${s.runId}`).catch(() => undefined);
  if (s.kafkaStartedByUs) execFileSync('bash', [join(ROOT, 'scripts/kafka/kafka.sh'), 'stop'], { stdio: 'inherit' });
  // Each test file made its own database; drop this run's.
  const pg = new Client({ connectionString: s.pgAdminUrl });
  await pg.connect();
  const rows = await pg.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`cpt_${s.runId}_%`]);
  for (const r of rows.rows) await pg.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
  await pg.end();
}

/** Test apps prefix their Kafka topics with the run id; leaving them would slow the broker run after run. */
async function deleteRunTopics(brokers: string, prefix: string): Promise<void> {
  const admin = new Kafka({ clientId: 'cloudpatrol-test-teardown', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}
