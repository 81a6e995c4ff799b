import type { DistrictConfig, Env } from '@app/config';

/** Resolved at start by each app's main: where the database and brokers are. Which parts run is the app's module set. */
export interface RuntimeOptions {
  env: Env;
  databaseUrl: string;
  mqtt?: { url: string; username?: string; password?: string; protocolVersion: 4 | 5 };
  district: DistrictConfig;
}

export const RUNTIME_OPTIONS = Symbol('RUNTIME_OPTIONS');
