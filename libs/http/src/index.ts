export * from './http-api.module';
export * from './zod-validation.pipe';
export * from './case-loop';
export * from './metrics-access';
export * from './access-log';
