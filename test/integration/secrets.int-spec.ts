import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { parseEnv } from '@app/config';
import { RunningCloudPatrol, startCloudPatrol } from '@app/runtime';
import { LogCapture } from '../support/log-capture';
import { freePort, ROOT } from '../support/services';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 16, items 1 and 6: the default start (embedded PostgreSQL and broker, nothing configured) on a fresh
 * DATA_DIR makes this install's own secrets — the database password, the JWT signing key, the first
 * administrator's password — each a 0600 file in a 0700 folder; the database refuses the fixed password of
 * earlier versions; a restart reuses them all (a token issued before it still works). Logs at every level
 * never hold a secret, and a failed query is one JSON line naming the statement, never its parameters.
 */
describe('per-install secrets on the default start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cp-secrets-'));
  chmodSync(dataDir, 0o755); // as root, the embedded server runs as `postgres`
  const secrets = join(dataDir, 'secrets');
  const file = (name: string) => join(secrets, name);
  const capture = new LogCapture();
  let ports: { pg: number; mqtt: number };
  let app: RunningCloudPatrol | undefined;

  const start = async () => {
    const env = parseEnv({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'trace',
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(ports.pg),
      EMBEDDED_MQTT_PORT: String(ports.mqtt),
      CONFIG_DIR: join(ROOT, 'config/demo'),
    });
    app = await startCloudPatrol('standalone', env);
    return app;
  };

  const connect = async (password: string) => {
    const db = new Client({ host: '127.0.0.1', port: ports.pg, user: 'postgres', password, database: 'cloudpatrol' });
    try {
      await db.connect();
      return db;
    } catch (err) {
      await db.end().catch(() => undefined);
      throw err;
    }
  };

  const mode = (path: string) => statSync(path).mode & 0o777;

  beforeAll(async () => {
    ports = { pg: await freePort(), mqtt: await freePort() };
    capture.start();
    await start();
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    capture.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let accessToken: string;

  it('makes the three secrets at the first start, 0600 in a 0700 folder, and logs only where the admin password is', async () => {
    expect(mode(secrets)).toBe(0o700);
    for (const name of ['postgres-password', 'jwt-secret', 'initial-admin-password']) {
      expect({ name, mode: mode(file(name)) }).toEqual({ name, mode: 0o600 });
    }
    expect(existsSync(file('postgres-bootstrap-password'))).toBe(false);
    expect(readFileSync(file('postgres-password'), 'utf8').trim()).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(readFileSync(file('jwt-secret'), 'utf8').trim().length).toBeGreaterThanOrEqual(43);

    const adminPassword = readFileSync(file('initial-admin-password'), 'utf8').trim();
    const login = await request(app!.url).post('/api/v1/auth/login').send({ username: 'admin', password: adminPassword }).expect(200);
    accessToken = (login.body as { accessToken: string }).accessToken;
    await request(app!.url).get('/api/v1/cases').set('Authorization', `Bearer ${accessToken}`).expect(200);

    const created = capture.entries().find((e) => String(e.msg).startsWith('administrator account created'));
    expect(created).toMatchObject({ username: 'admin', passwordFile: file('initial-admin-password') });
  });

  it('has the database refuse the fixed password of earlier versions, and keeps no signing key in a table', async () => {
    await expect(connect('cloudpatrol')).rejects.toMatchObject({ code: '28P01' });
    const db = await connect(readFileSync(file('postgres-password'), 'utf8').trim());
    try {
      const { rows } = await db.query(`SELECT key FROM settings WHERE key ILIKE '%jwt%' OR key ILIKE '%secret%'`);
      expect(rows).toEqual([]);
      const { rows: migrated } = await db.query(`SELECT 1 FROM migrations WHERE name = 'JwtSecretOutOfDatabase1795961600000'`);
      expect(migrated).toHaveLength(1);
    } finally {
      await db.end();
    }
  });

  it('logs a failed query as one JSON line naming the statement, without its parameters or the value it refused', async () => {
    const marker = `payload-${'x'.repeat(40)}-marker`;
    const dataSource = app!.app.get(DataSource);
    const before = capture.text.length;
    // A value the column refuses, and a key that is already there (PostgreSQL's detail would quote it).
    await expect(dataSource.query(`SELECT $1::uuid AS id`, [marker])).rejects.toThrow();
    await dataSource.query(`INSERT INTO settings (key, value) VALUES ($1, $2)`, [marker, JSON.stringify({ payload: marker })]);
    await expect(dataSource.query(`INSERT INTO settings (key, value) VALUES ($1, $2)`, [marker, JSON.stringify({ payload: marker })])).rejects.toThrow();
    await dataSource.query(`DELETE FROM settings WHERE key = $1`, [marker]);
    const written = capture.text.slice(before);
    expect(written).not.toContain(marker);
    const lines = written.split('\n').filter((line) => line.includes('"source":"database"'));
    expect(lines).toHaveLength(2);
    const [refused, duplicate] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(refused).toMatchObject({
      level: 50,
      query: 'SELECT',
      code: '22P02',
      error: 'invalid input syntax for type uuid: (value withheld)',
      msg: 'database query failed',
    });
    expect(duplicate).toMatchObject({ level: 50, query: 'INSERT settings', code: '23505', msg: 'database query failed' });
    expect(String(duplicate.error)).toMatch(/^duplicate key value violates unique constraint/);
    expect(Object.keys(duplicate)).not.toContain('detail');
    expect(Object.keys(duplicate)).not.toContain('parameters');
  });

  it('reuses every secret after a restart: the same files, and a token issued before still works', async () => {
    const before = ['postgres-password', 'jwt-secret', 'initial-admin-password'].map((name) => readFileSync(file(name), 'utf8'));
    await app!.stop();
    app = undefined;
    await start();
    const after = ['postgres-password', 'jwt-secret', 'initial-admin-password'].map((name) => readFileSync(file(name), 'utf8'));
    expect(after).toEqual(before);
    await request(app!.url).get('/api/v1/cases').set('Authorization', `Bearer ${accessToken}`).expect(200);
    await expect(connect('cloudpatrol')).rejects.toMatchObject({ code: '28P01' });
  }, 180_000);

  it('never writes a secret to the logs, at any level, over both starts', () => {
    const logged = capture.text;
    // The capture did see the whole life of both starts, at trace level.
    expect(logged).toContain('CloudPatrol started');
    expect(logged.length).toBeGreaterThan(10_000);
    for (const name of ['postgres-password', 'jwt-secret', 'initial-admin-password']) {
      const secret = readFileSync(file(name), 'utf8').trim();
      expect({ name, logged: logged.includes(secret) }).toEqual({ name, logged: false });
      expect({ name, logged: logged.includes(encodeURIComponent(secret)) }).toEqual({ name, logged: false });
    }
    expect(logged).not.toContain(accessToken);
  });
});

/**
 * The split deployment: an `api` process on an external database without JWT_SECRET makes its own signing
 * key (0600, under its DATA_DIR) and says that other API processes on that database need the same one.
 */
describe('an API process on an external database without JWT_SECRET', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cp-secrets-api-'));
  const capture = new LogCapture();
  let app: TestApp | undefined;

  afterAll(async () => {
    await app?.stop();
    capture.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('generates its key in a 0600 file and warns that every API process needs the same JWT_SECRET', async () => {
    capture.start();
    try {
      app = await startTestApp({ mode: 'api', env: { DATA_DIR: dataDir, LOG_LEVEL: 'warn' } });
    } finally {
      capture.stop();
    }
    const keyFile = join(dataDir, 'secrets', 'jwt-secret');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const warning = capture.entries().find((e) => e.secretFile === keyFile);
    expect(warning).toMatchObject({ level: 40 });
    expect(String(warning?.msg)).toMatch(/JWT_SECRET is not set: .*same secret/);
    expect(capture.text).not.toContain(readFileSync(keyFile, 'utf8').trim());
    await request(app.url)
      .get('/api/v1/cases')
      .set('Authorization', `Bearer ${await app.token()}`)
      .expect(200);
  }, 120_000);
});
