import { createHash } from 'node:crypto';
import type { Logger as TypeOrmLogger } from 'typeorm';

/** Where database log entries go: the app's pino logger (structurally), or one JSON line on stderr. */
export interface DatabaseLogSink {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/**
 * TypeORM's logger for CloudPatrol: a failed query is one JSON entry naming the statement (its verb and table,
 * and a short hash of its text to tell statements apart) with the server's error code and message, never its
 * parameters (whole event payloads, passwords' hashes, tokens' hashes) nor its text. Successful queries, schema
 * builds and migrations are not logged (as with `logging: ['error']` before).
 */
export class TypeOrmJsonLogger implements TypeOrmLogger {
  constructor(private readonly sink: DatabaseLogSink = stderrSink) {}

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    this.sink.error({ source: 'database', ...describeQuery(query), ...describeError(error) }, 'database query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.sink.warn({ source: 'database', ...describeQuery(query), durationMs: time }, 'slow database query');
  }

  logSchemaBuild(): void {}

  logMigration(): void {}

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.sink.warn({ source: 'database' }, clip(String(message)));
  }
}

/** `INSERT events`, `SELECT cases`, `UPDATE users`...: what the statement does and to which table; its hash tells two apart. */
export function describeQuery(query: string): { query: string; queryId: string } {
  const text = String(query)
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const verb = (/^[A-Za-z]+/.exec(text)?.[0] ?? 'QUERY').toUpperCase();
  // The first table named after INTO, UPDATE, FROM, TABLE or JOIN (a WITH query: its first CTE's).
  const table = /\b(?:INTO|UPDATE|FROM|TABLE|JOIN)\s+((?:"[^"]{1,63}"|[A-Za-z_][\w$]{0,62})(?:\.(?:"[^"]{1,63}"|[A-Za-z_][\w$]{0,62}))?)/i.exec(text)?.[1];
  return {
    query: table ? `${verb} ${table.replace(/"/g, '')}` : verb,
    queryId: createHash('sha256').update(text).digest('hex').slice(0, 12),
  };
}

interface DriverError {
  code?: unknown;
  message?: unknown;
  table?: unknown;
  column?: unknown;
  constraint?: unknown;
}

/**
 * The server's code (SQLSTATE), message, and the table, column or constraint it names. The message is cut
 * where it would quote a value (`invalid input syntax for type uuid: "…"`); `detail` (`Key (id)=(…)`) is left out.
 */
export function describeError(error: unknown): Record<string, string> {
  const e: DriverError = typeof error === 'object' && error !== null ? error : { message: String(error) };
  const fields: Record<string, string> = {};
  if (typeof e.code === 'string') fields.code = e.code;
  fields.error = clip(withoutValues(typeof e.message === 'string' ? e.message : String(error)));
  for (const key of ['table', 'column', 'constraint'] as const) {
    const value = e[key];
    if (typeof value === 'string') fields[key] = clip(value);
  }
  return fields;
}

function withoutValues(message: string): string {
  // PostgreSQL quotes a refused value at the end of its message after a colon; identifiers it quotes mid-sentence stay.
  return message.split('\n')[0].replace(/:\s*["'].*$/, ': (value withheld)');
}

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Without the app's logger: one JSON line on stderr, shaped like pino's. */
const stderrSink: DatabaseLogSink = {
  error: (fields, message) => writeLine(50, fields, message),
  warn: (fields, message) => writeLine(40, fields, message),
};

function writeLine(level: number, fields: object, msg: string): void {
  process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'cloudpatrol', ...fields, msg })}\n`);
}
