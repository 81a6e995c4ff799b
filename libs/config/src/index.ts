export * from './env';
export * from './devices.schema';
export * from './district-config';
export * from './secret-file';
