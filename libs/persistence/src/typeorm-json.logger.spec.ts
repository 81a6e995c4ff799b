import pino from 'pino';
import { Writable } from 'node:stream';
import { DatabaseLogSink, describeError, describeQuery, TypeOrmJsonLogger } from './typeorm-json.logger';

describe('TypeORM JSON logger', () => {
  it('names a statement by its verb and table, never by its values', () => {
    expect(describeQuery('INSERT INTO "events"("device_id", "payload") VALUES ($1, $2) RETURNING "id"').query).toBe('INSERT events');
    expect(describeQuery(`  -- a comment\n  UPDATE cases SET status = 'closed' WHERE id = $1`).query).toBe('UPDATE cases');
    expect(describeQuery('SELECT "u"."id" FROM "users" "u" WHERE "u"."username" = $1').query).toBe('SELECT users');
    expect(describeQuery('WITH ins AS (INSERT INTO settings (key, value) VALUES ($1, $2)) SELECT 1').query).toBe('WITH settings');
    expect(describeQuery('DELETE FROM "public"."refresh_tokens" WHERE x').query).toBe('DELETE public.refresh_tokens');
    expect(describeQuery(`SELECT pg_advisory_lock(42)`).query).toBe('SELECT');
    expect(describeQuery('SELECT 1').queryId).toMatch(/^[0-9a-f]{12}$/);
    expect(describeQuery('SELECT  1').queryId).toBe(describeQuery('SELECT 1').queryId);
    expect(describeQuery('SELECT 2').queryId).not.toBe(describeQuery('SELECT 1').queryId);
  });

  it('keeps the code, message, table, column and constraint of an error, not the value it quotes nor its detail', () => {
    const error = Object.assign(new Error('invalid input syntax for type uuid: "secret-payload"'), {
      code: '22P02',
      detail: 'Key (x)=(secret-payload)',
      table: 'events',
    });
    expect(describeError(error)).toEqual({ code: '22P02', error: 'invalid input syntax for type uuid: (value withheld)', table: 'events' });
    const notNull = Object.assign(new Error('null value in column "occurred_at" of relation "events" violates not-null constraint'), {
      code: '23502',
      column: 'occurred_at',
    });
    expect(describeError(notNull)).toEqual({ code: '23502', error: notNull.message, column: 'occurred_at' });
    expect(describeError('connection terminated')).toEqual({ error: 'connection terminated' });
  });

  it('writes one entry per failed query without its parameters or text', () => {
    const entries: { level: string; fields: object; message: string }[] = [];
    const logger = new TypeOrmJsonLogger({
      error: (fields, message) => entries.push({ level: 'error', fields, message }),
      warn: (fields, message) => entries.push({ level: 'warn', fields, message }),
    });
    const query = `INSERT INTO "events" ("payload") VALUES ($1)`;
    logger.logQuery();
    logger.logQueryError(Object.assign(new Error('value too long for type character varying(10)'), { code: '22001' }), query);
    logger.logQuerySlow(1500, query);
    expect(entries).toEqual([
      {
        level: 'error',
        fields: {
          source: 'database',
          query: 'INSERT events',
          queryId: expect.any(String),
          code: '22001',
          error: 'value too long for type character varying(10)',
        },
        message: 'database query failed',
      },
      { level: 'warn', fields: { source: 'database', query: 'INSERT events', queryId: expect.any(String), durationMs: 1500 }, message: 'slow database query' },
    ]);
  });

  it('writes one JSON line to stderr when it has no logger', () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      new TypeOrmJsonLogger().logQueryError(Object.assign(new Error('boom'), { code: 'XX000' }), 'SELECT * FROM cases WHERE x = $1');
    } finally {
      write.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0])).toMatchObject({
      level: 50,
      source: 'database',
      query: 'SELECT cases',
      code: 'XX000',
      error: 'boom',
      msg: 'database query failed',
    });
  });

  it("takes the app's pino logger as it is: one JSON line per failed query", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const sink: DatabaseLogSink = pino({ level: 'info' }, destination);
    new TypeOrmJsonLogger(sink).logQueryError(Object.assign(new Error('boom'), { code: '57014' }), 'UPDATE cases SET x = $1');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 50, source: 'database', query: 'UPDATE cases', code: '57014', msg: 'database query failed' });
  });
});
