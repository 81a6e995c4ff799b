export * from './env';
export * from './devices.schema';
export * from './yaml-file';
export * from './district-config';
