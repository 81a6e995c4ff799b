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
    extra: { max: pool.size, connectionTimeoutMillis: pool.connectTimeoutMs, application_name: 'cloudpatrol' },
  };
}
