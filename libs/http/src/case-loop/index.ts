export * from './case-loop-http.module';
