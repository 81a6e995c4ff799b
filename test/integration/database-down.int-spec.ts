import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { EmbeddedDatabase, startEmbeddedPostgres } from '@app/persistence';
import { freePort } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 13, item 7: with PostgreSQL shut down, /health answers within about a second with 503 naming the
 * database, and API requests answer 503 "try again" within a few seconds — not 500, not a hang. When the
 * database is back, everything answers again without a restart.
 */
describe('the database shut down', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cp-db-down-'));
  chmodSync(dataDir, 0o755); // as root, the server runs as `postgres`
  let port: number;
  let database: EmbeddedDatabase;
  let app: TestApp;

  beforeAll(async () => {
    port = await freePort();
    database = await startEmbeddedPostgres({ dataDir, port, log: () => undefined });
    app = await startTestApp({ databaseUrl: database.url, env: { DB_CONNECT_TIMEOUT_MS: '1000' } });
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await database?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 fast on /health and the API while it is down, and recovers by itself', async () => {
    const token = await app.token();
    await request(app.url).get('/api/v1/cases').set('Authorization', `Bearer ${token}`).expect(200);
    await database.stop();

    let started = Date.now();
    const health = await request(app.url).get('/health');
    const healthMs = Date.now() - started;
    expect(health.status).toBe(503);
    expect((health.body as { checks: { database: { status: string } } }).checks.database.status).toBe('down');
    expect(healthMs).toBeLessThan(1500);

    started = Date.now();
    const cases = await request(app.url).get('/api/v1/cases').set('Authorization', `Bearer ${token}`);
    const casesMs = Date.now() - started;
    process.stdout.write(`[issue 13] database down: /health ${health.status} in ${healthMs} ms, GET /api/v1/cases ${cases.status} in ${casesMs} ms\n`);
    expect(cases.status).toBe(503);
    expect((cases.body as { message: string }).message).toMatch(/database is not available/);
    expect(casesMs).toBeLessThan(5000);

    database = await startEmbeddedPostgres({ dataDir, port, log: () => undefined });
    await eventually(
      'the API answering again',
      async () => ((await request(app.url).get('/api/v1/cases').set('Authorization', `Bearer ${token}`)).status === 200 ? true : undefined),
      30_000,
    );
    expect((await request(app.url).get('/health')).status).toBe(200);
  }, 120_000);
});
