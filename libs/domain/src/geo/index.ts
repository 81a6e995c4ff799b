// Public API of geography: township / grid / place GeoJSON and the jurisdiction index.
export * from './jurisdiction.schema';
export * from './jurisdiction.parser';
export * from './jurisdiction-index';
export * from './bbox-index';
