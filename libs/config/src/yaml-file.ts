import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * Parses a YAML config file against a schema and reports every problem as `file:line:col path: message`,
 * so a supervisor can fix a rules file without guessing.
 */
export function parseYamlWithSchema<T>(text: string, fileName: string, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; errors: string[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${fileName}:${pos.line}:${pos.col} ${e.message.split('\n')[0]}`;
      }),
    };
  }
  const parsed = schema.safeParse(doc.toJS());
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      let node: unknown = doc.getIn(path, true);
      // Missing keys have no node: point at the nearest parent that exists.
      for (let depth = path.length - 1; node === undefined && depth >= 0; depth--) node = doc.getIn(path.slice(0, depth), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      const where = range ? lineCounter.linePos(range[0]) : { line: 1, col: 1 };
      const label = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '') || '(root)';
      return `${fileName}:${where.line}:${where.col} ${label}: ${issue.message}`;
    }),
  };
}

export function readYamlFile<T>(path: string, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; errors: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, errors: [`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`] };
  }
  return parseYamlWithSchema(text, path, schema);
}
