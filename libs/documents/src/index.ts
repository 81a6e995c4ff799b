// Public API of printable documents: lays out a PrintableDocument (@app/domain) as a PDF.
export * from './pdf-renderer';
