import { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** How many connections a process keeps, and how long a caller waits for one before failing loudly. */
export interface PoolOptions {
  size: number;
  connectTimeoutMs: number;
}

const DEFAULT_POOL: PoolOptions = { size: 10, connectTimeoutMs: 5000 };

/** Never `synchronize`: the schema changes only through the migrations listed here. */
export function dataSourceOptions(url: string, schema?: string, pool: PoolOptions = DEFAULT_POOL): DataSourceOptions {
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
    logging: ['error'],
    // A bounded wait: with every connection taken, a caller fails ("timeout exceeded when trying to connect",
    // answered 503) instead of hanging for good.
    extra: { max: pool.size, connectionTimeoutMillis: pool.connectTimeoutMs, application_name: 'cloudpatrol' },
  };
}
