/** How a case is named in a URL: its id (a UUID) or its case number (CP-20261204-000123, as printed on notices). */
export const CASE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const CASE_NUMBER_PATTERN = /^CP-\d{8}-\d{6,}$/i;

/** 'id', 'number' or null when the text names no case (answered like a missing case, never looked up). */
export function caseRefKind(ref: string): 'id' | 'number' | null {
  if (CASE_ID_PATTERN.test(ref)) return 'id';
  if (CASE_NUMBER_PATTERN.test(ref)) return 'number';
  return null;
}
