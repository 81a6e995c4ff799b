export * from './app-modules';
export * from './cloudpatrol.app';
export * from './run-main';
export * from './gateway.app';
