// Public API of classification: rules as data, classification with track state, routing and replay.
export * from './rule-set';
export * from './rule-set.parser';
export * from './config-source.parser';
export * from './time-window.matcher';
export * from './detected-issue';
export * from './dwell-tracker';
export * from './routing-table';
export * from './suppression-policy';
export * from './classify';
export * from './case-grouping';
export * from './replay-diff';
export * from './rule-text-pinning';
export * from './department-record';
