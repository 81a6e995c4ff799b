import { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { DatabaseLogSink, TypeOrmJsonLogger } from './typeorm-json.logger';

/** How many connections a process keeps, and how long a caller waits for one before failing loudly. */
export interface PoolOptions {
  size: number;
  connectTimeoutMs: number;
}

const DEFAULT_POOL: PoolOptions = { size: 10, connectTimeoutMs: 5000 };

/**
 * Never `synchronize`: the schema changes only through the migrations listed here. A failed query is logged as
 * one JSON entry (statement name, error code and message; never its parameters) to `log`, else to stderr.
 */
export function dataSourceOptions(url: string, schema?: string, pool: PoolOptions = DEFAULT_POOL, log?: DatabaseLogSink): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    schema,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    uuidExtension: 'pgcrypto',
    synchronize: false,
    migrationsRun: false,
    logging: ['error', 'warn'],
    logger: new TypeOrmJsonLogger(log),
    // A bounded wait: with every connection taken, a caller fails ("timeout exceeded when trying to connect",
    // answered 503) instead of hanging for good.
    // No JIT: a statement the planner overestimates (a set of new cases read as if each had the average case's
    // hundreds of events) spent 20–260 ms compiling for a 15 ms run, holding its locks and a core meanwhile.
    // Pipeline mode (pg's documented `pipeline` option): a query is written as soon as it is asked for, not after the
    // last one's answer. Awaited one by one, as TypeORM does, nothing changes; `runInOrder` sends a group at once.
    extra: { max: pool.size, connectionTimeoutMillis: pool.connectTimeoutMs, application_name: 'cloudpatrol', options: '-c jit=off', pipeline: true },
  };
}
