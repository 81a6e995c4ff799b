export * from './api-access.decorator';
export * from './json-schema';
export * from './json-type';
export * from './zod.decorators';
export * from './document-gaps';
