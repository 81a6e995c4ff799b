import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { z } from 'zod';

/**
 * Config files (rules, routing, GeoJSON) are parsed here so every problem names the file, line and
 * column, e.g. `config/demo/rules.yaml:42:7 rules[3].minConfidence: expected number ≤ 1`.
 * A supervisor edits these files by hand: a bare "invalid input" would make them guess.
 * JSON is YAML 1.2, so the same parser gives positions inside GeoJSON files too.
 */

export type ConfigPath = ReadonlyArray<string | number>;

/** A problem found after the schema passed (cross references, duplicates), located like schema issues. */
export interface ConfigProblem {
  path: ConfigPath;
  message: string;
  /** Point at the key of the last path element instead of its value (unknown or duplicate keys). */
  at?: 'key' | 'value';
}

export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; errors: string[] };

interface Located {
  line: number;
  col: number;
  text: string;
}

/** `rules[3].minConfidence`; `(root)` for the document itself. */
export function formatConfigPath(path: ConfigPath): string {
  const text = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return text.replace(/^\./, '') || '(root)';
}

function describeValue(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a map';
  if (typeof input === 'string') return `"${input.length > 40 ? `${input.slice(0, 40)}…` : input}"`;
  if (typeof input === 'number' || typeof input === 'boolean' || typeof input === 'bigint') return `${typeof input} ${input.toString()}`;
  return typeof input;
}

const plural = (n: number | bigint, word: string): string => `${n} ${word}${Number(n) === 1 ? '' : 's'}`;

function sizeBound(origin: string, bound: number | bigint, cmp: 'at most' | 'at least'): string | undefined {
  switch (origin) {
    case 'array':
    case 'set':
      return `expected ${cmp} ${plural(bound, 'item')}`;
    case 'string':
      return `expected ${cmp} ${plural(bound, 'character')}`;
    default:
      return undefined;
  }
}

/** Short, uniform messages; a schema's own custom message (regex hints, refinements) is kept. */
export function describeZodIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined && issue.path.length > 0) return `required ${issue.expected} is missing`;
      return `expected ${issue.expected}, got ${describeValue(issue.input)}`;
    case 'too_big': {
      const size = sizeBound(issue.origin, issue.maximum, 'at most');
      if (size) return size;
      return `expected ${issue.origin} ${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}`;
    }
    case 'too_small': {
      const size = sizeBound(issue.origin, issue.minimum, 'at least');
      if (size) return size;
      return `expected ${issue.origin} ${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${describeValue(issue.input)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_union':
    case 'invalid_format':
    case 'not_multiple_of':
    case 'invalid_key':
    case 'invalid_element':
    case 'custom':
      return issue.message;
  }
}

function locate(doc: Document, lineCounter: LineCounter, path: ConfigPath, at: 'key' | 'value'): { line: number; col: number } {
  const keyPath = [...path];
  if (at === 'key' && keyPath.length > 0) {
    const last = keyPath.pop();
    const parent = doc.getIn(keyPath, true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) return lineCounter.linePos(range[0]);
    }
    keyPath.push(last as string | number);
  }
  // A missing key has no node: point at the nearest ancestor that exists.
  for (let depth = keyPath.length; depth >= 0; depth--) {
    const node: unknown = depth === 0 ? doc.contents : doc.getIn(keyPath.slice(0, depth), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return lineCounter.linePos(range[0]);
  }
  return { line: 1, col: 1 };
}

/**
 * Parses YAML (or JSON) text, validates it with `schema`, then runs `check` on the valid value.
 * Every error is `file:line:col path: message`, sorted by position.
 */
export function parseConfigText<T>(text: string, fileName: string, schema: z.ZodType<T>, check?: (value: T) => ConfigProblem[]): ParseOutcome<T> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${fileName}:${pos.line}:${pos.col} ${e.message.split('\n')[0]}`;
      }),
    };
  }
  const located: Located[] = [];
  const add = (path: ConfigPath, message: string, at: 'key' | 'value'): void => {
    const pos = locate(doc, lineCounter, path, at);
    located.push({ ...pos, text: `${fileName}:${pos.line}:${pos.col} ${formatConfigPath(path)}: ${message}` });
  };
  const parsed = schema.safeParse(doc.toJS(), { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        // One line per unknown key, at the key itself: that is what the author has to fix.
        for (const key of issue.keys) add([...path, key], 'unknown key', 'key');
      } else {
        add(path, describeZodIssue(issue), 'value');
      }
    }
  } else if (check) {
    for (const p of check(parsed.data)) add(p.path, p.message, p.at ?? 'value');
  }
  if (located.length === 0 && parsed.success) return { ok: true, value: parsed.data };
  located.sort((a, b) => a.line - b.line || a.col - b.col);
  return { ok: false, errors: located.map((l) => l.text) };
}

/** Zod refinement helper: report each value that appears more than once, at its second occurrence. */
export function duplicateProblems<T>(
  items: readonly T[],
  keyOf: (item: T) => string | undefined,
  pathOf: (index: number) => ConfigPath,
  what: string,
): ConfigProblem[] {
  const seen = new Map<string, number>();
  const problems: ConfigProblem[] = [];
  items.forEach((item, i) => {
    const key = keyOf(item);
    if (key === undefined) return;
    const first = seen.get(key);
    if (first !== undefined) problems.push({ path: pathOf(i), message: `duplicate ${what} "${key}" (first at index ${first})` });
    else seen.set(key, i);
  });
  return problems;
}
