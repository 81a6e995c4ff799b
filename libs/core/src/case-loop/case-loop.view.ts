// The loop's view mappers live in ../cases (imports go case-loop → cases, never back); re-exported for the package index.
export * from '../cases/case-workflow.mapper';
