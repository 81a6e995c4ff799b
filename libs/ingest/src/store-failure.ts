/**
 * Why a batch failed to store, and so what to do with it:
 * - `persistent`: the values themselves (or a bug they trigger) make the statement fail, so the same batch
 *   fails the same way on every retry. Retrying in place would wedge the stream behind it for good: the
 *   batch is split until the failing messages are isolated and dead-lettered, the rest is stored.
 * - `transient`: the database's state (down, restarting, out of connections, a deadlock, a missing privilege
 *   or table an operator must fix): the batch waits in place and is tried again; nothing is dead-lettered.
 */
export type StoreFailureKind = 'persistent' | 'transient';

/**
 * SQLSTATE classes caused by the data in a statement: 21 cardinality violation (an ON CONFLICT row touched
 * twice), 22 data exception (bad byte sequence, out-of-range date or number), 23 integrity constraint
 * violation, 54 program limit exceeded (an index row too large).
 */
const PERSISTENT_SQLSTATE_CLASSES = new Set(['21', '22', '23', '54']);

/** The five-character SQLSTATE of a PostgreSQL error (TypeORM wraps it in `driverError`), if any. */
export function sqlStateOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' ? e.code : e?.driverError?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function classifyStoreFailure(err: unknown): StoreFailureKind {
  const state = sqlStateOf(err);
  if (state !== undefined) return PERSISTENT_SQLSTATE_CLASSES.has(state.slice(0, 2)) ? 'persistent' : 'transient';
  // JavaScript's own errors come from our code meeting values it did not expect: they repeat on every retry.
  // Everything else without a SQLSTATE (a lost connection, a pool wait that timed out, ECONNREFUSED) is the
  // database being away.
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError) return 'persistent';
  return 'transient';
}

/** Errors that mean the database cannot be reached now (for a 503 instead of a 500). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const state = sqlStateOf(err);
  if (state !== undefined) return state.startsWith('08') || state.startsWith('53') || state === '57P01' || state === '57P02' || state === '57P03';
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code) ||
    /timeout exceeded when trying to connect|Connection terminated|connection error|Client was closed|database did not answer/i.test(message)
  );
}
