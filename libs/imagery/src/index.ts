// Public API of drone imagery: storage, processing (sharp + exifr) and upload intake. Pure rules live in @app/domain/imagery.
export * from './concurrency-limiter';
export * from './image-measures';
export * from './photo-metadata.reader';
export * from './photo-storage';
export * from './photo-processor';
export * from './photo-intake';
export * from './print-picture';
