// For the TypeORM CLI only (`npm run migration:generate -- libs/persistence/src/migrations/Name`).
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadEnv } from '@app/config';
import { dataSourceOptions } from './data-source-options';

const env = loadEnv();
export default new DataSource(dataSourceOptions(env.DATABASE_URL ?? `postgres://postgres@127.0.0.1:${env.EMBEDDED_PG_PORT}/cloudpatrol`));
