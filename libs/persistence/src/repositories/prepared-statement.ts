import { EntityManager, QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';

/**
 * A statement every ingest batch runs, prepared once per pooled connection: PostgreSQL parses, analyses and plans a
 * named statement on first use and afterwards only binds and executes it (with a generic plan once it has seen that
 * one costs no more than the custom ones). Measured here (issue 20): the events insert of a 20-event batch cost its
 * backend 0.76–0.82 ms of CPU unnamed and 0.54 ms named, 1.3 → 0.93 ms wall; at 1,000 events/s a batch holds about
 * 20 events and runs a dozen such statements, so their parsing was a fifth of PostgreSQL's work.
 *
 * Only for statements whose best plan does not depend on the values bound (inserts from a JSON document, lookups by
 * key): a generic plan is chosen once for all later values. Also for the reads every live alert makes (a case's loop
 * state), which PostgreSQL planned in 0.34 ms to execute in 0.09 ms.
 *
 * Name the result's columns (never `*`): PostgreSQL refuses to run a prepared statement whose result columns changed
 * since it was prepared (a migration applied while the process runs), where an unnamed one is simply planned again.
 */
export class PreparedStatement {
  private static readonly names = new Set<string>();

  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    // pg refuses a second text under a name it has prepared on a connection; catch that at load, not under load.
    if (PreparedStatement.names.has(name)) throw new Error(`prepared statement name "${name}" is used twice`);
    PreparedStatement.names.add(name);
  }
}

/** pg's client as TypeORM's PostgreSQL query runner hands it out (`QueryRunner.connect()`, its public seam). */
interface PgClient {
  query(config: { name?: string; text: string; values: readonly unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs `statement` as a named statement and returns its rows: on the transaction's connection when `tx` is a
 * transaction's manager, else on a connection borrowed from the pool for the call (each pooled connection prepares it
 * once). Errors are TypeORM's `QueryFailedError`, as from `tx.query` (the SQLSTATE on it decides retries).
 */
export async function runPrepared<T>(tx: EntityManager, statement: PreparedStatement, values: readonly unknown[]): Promise<T[]> {
  const runner = tx.queryRunner;
  if (!runner) {
    const pooled = tx.connection.createQueryRunner();
    try {
      return await runNamed<T>((await pooled.connect()) as PgClient, statement, values);
    } finally {
      await pooled.release();
    }
  }
  if (runner.isReleased) throw new QueryRunnerAlreadyReleasedError();
  return runNamed<T>((await runner.connect()) as PgClient, statement, values);
}

async function runNamed<T>(client: PgClient, statement: PreparedStatement, values: readonly unknown[]): Promise<T[]> {
  try {
    return (await client.query({ name: statement.name, text: statement.text, values })).rows as T[];
  } catch (err) {
    throw new QueryFailedError(statement.text, [...values], err as Error);
  }
}

/**
 * One statement of a group sent at once (`runInOrder`): named (prepared once per connection) when it is a
 * `PreparedStatement`, else sent unnamed. Opaque outside the repositories: a repository builds it, a service only
 * decides which go together and in what order.
 */
export interface SqlStep {
  readonly statement: PreparedStatement | string;
  readonly values: readonly unknown[];
}

/**
 * Sends the steps on the transaction's connection at once, in this order, and resolves with each one's rows, in
 * the same order (`[]` for a step left out as `undefined`: nothing to write).
 *
 * The pool's clients run in pg's pipeline mode (`dataSourceOptions`): the statements go out without waiting for one
 * another's answers and PostgreSQL runs them one after the other, in order, as if each had been sent after the last
 * was answered: locks are taken in this order. What changes is the waiting: one round trip, and one turn of this
 * process's busy event loop, for the group instead of one per statement (at the fixed load of issue 20 that wait,
 * not PostgreSQL's work, was most of a batch's time). Each statement has its own Sync: the first that fails rejects
 * the group with its own error (its SQLSTATE decides retries), the ones after it fail as the aborted transaction's
 * (25P02), and the transaction rolls back as it would have.
 *
 * Only for steps none of which needs an earlier one's answer to be built.
 */
export async function runInOrder(tx: EntityManager, steps: readonly (SqlStep | undefined)[]): Promise<unknown[][]> {
  const runner = tx.queryRunner;
  if (!runner) throw new Error('runInOrder needs a transaction: its steps must share one connection');
  if (runner.isReleased) throw new QueryRunnerAlreadyReleasedError();
  const client = (await runner.connect()) as PgClient;
  // Every query is handed to pg in this same turn, so they are written to the socket in this order.
  const answers = steps.map((step) => (step === undefined ? Promise.resolve([]) : runStep(client, step)));
  return Promise.all(answers);
}

function runStep(client: PgClient, step: SqlStep): Promise<unknown[]> {
  return typeof step.statement === 'string' ? runText(client, step.statement, step.values) : runNamed<unknown>(client, step.statement, step.values);
}

async function runText(client: PgClient, text: string, values: readonly unknown[]): Promise<unknown[]> {
  try {
    return (await client.query({ text, values })).rows;
  } catch (err) {
    throw new QueryFailedError(text, [...values], err as Error);
  }
}
