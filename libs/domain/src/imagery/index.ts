// Public API of drone imagery (pure): metadata normalisation, quality verdict, placement.
export * from './photo-metadata';
export * from './photo-quality';
export * from './photo-placement';
export * from './photo-detection.adapter';
