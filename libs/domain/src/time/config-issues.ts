import type { z } from 'zod';

/**
 * Config documents are validated at start-up; an operator fixing a YAML file needs to know *where* it is
 * wrong, so every problem carries a dotted path ("workdayHours[1].end") rather than a zod dump.
 * For file:line:col messages, pass the schemas to classification's parseConfigText instead.
 */
export interface ConfigIssue {
  /** Dotted path into the document; "" for the document itself. */
  path: string;
  message: string;
}

export type ConfigParseResult<T> = { ok: true; value: T } | { ok: false; errors: ConfigIssue[] };

function issuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

export function toConfigIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message }));
}
