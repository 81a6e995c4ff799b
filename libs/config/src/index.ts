export * from './env';
export * from './devices.schema';
export * from './district-config';
