export * from './http-api.module';
export * from './zod-validation.pipe';
export * from './cloudpatrol.app';
export * from './case-loop';
