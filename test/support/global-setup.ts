import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { portOpen, ROOT, startMosquitto, TestServices } from './services';

/**
 * Real services for integration and e2e tests: the machine's PostgreSQL (TEST_DATABASE_URL), the
 * tests' own Mosquitto started with the project's config, and Kafka on KAFKA_BROKERS (started with
 * scripts/kafka/kafka.sh when nothing listens there).
 */
export default async function globalSetup(): Promise<void> {
  // Integration and e2e projects share one set of services per jest run.
  if (process.env.CP_TEST_SERVICES) return;
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const pgAdminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const pg = new Client({ connectionString: pgAdminUrl });
  try {
    await pg.connect();
    await pg.query('SELECT 1');
  } catch (err) {
    throw new Error(`PostgreSQL for tests is not reachable at ${pgAdminUrl} (set TEST_DATABASE_URL): ${(err as Error).message}`);
  } finally {
    await pg.end().catch(() => undefined);
  }

  // One broker per jest worker (scripts/test.js runs 3; the fourth covers a larger --maxWorkers).
  const workers = Math.max(2, Number(process.env.CP_TEST_MQTT_BROKERS ?? '4'));
  const mqttBrokers = await Promise.all(Array.from({ length: workers }, (_, i) => startMosquitto(`${runId}-w${i + 1}`)));

  const kafkaBrokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const [host, port] = kafkaBrokers.split(',')[0].split(':');
  let kafkaStartedByUs = false;
  if (!(await portOpen(Number(port), host))) {
    execFileSync('bash', [join(ROOT, 'scripts/kafka/kafka.sh'), 'start'], { stdio: 'inherit', env: { ...process.env, KAFKA_PORT: port } });
    kafkaStartedByUs = true;
  }

  // The e2e and fault tests run the real start (dist/): build it once here, not in two test files at once.
  execFileSync(process.execPath, [join(ROOT, 'scripts/start.js'), '--build-only'], { stdio: 'inherit' });

  const services: TestServices = {
    runId,
    pgAdminUrl,
    mqttUrl: mqttBrokers[0].url,
    mqttBrokers: mqttBrokers.map((b) => ({ url: b.url, pid: b.pid, dir: b.dir })),
    kafkaBrokers,
    kafkaStartedByUs,
  };
  process.env.CP_TEST_SERVICES = JSON.stringify(services);
}
