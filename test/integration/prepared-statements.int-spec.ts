import { DataSource, QueryFailedError } from 'typeorm';
import { PreparedStatement, runPrepared } from '../../libs/persistence/src/repositories/prepared-statement';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The statements every ingest batch runs are prepared once per pooled connection (parsed and planned once, then
 * only bound and executed). What callers rely on: the same rows as `tx.query` gave, the same `QueryFailedError`
 * with the SQLSTATE that decides a retry, and one prepared statement per connection however often it runs.
 */
describe('prepared statements of the ingest path', () => {
  let app: TestApp;
  let dataSource: DataSource;
  const MARK = new PreparedStatement('cp_test_mark_device', `UPDATE devices SET name = name WHERE id = ANY($1::text[]) RETURNING id`);
  const INSERT_DAY = new PreparedStatement('cp_test_insert_case_number_day', `INSERT INTO case_number_days (day, last) VALUES ($1::date, 1) RETURNING last`);

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    dataSource = app.app.get(DataSource);
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('prepares a statement once per connection and returns its rows each time', async () => {
    const { rows, prepared } = await dataSource.transaction(async (tx) => {
      const first = await runPrepared<{ id: string }>(tx, MARK, [['DEMO-CAM-01', 'NO-SUCH-DEVICE']]);
      const second = await runPrepared<{ id: string }>(tx, MARK, [['DEMO-CAM-01']]);
      const statements: { name: string }[] = await tx.query(`SELECT name FROM pg_prepared_statements WHERE name = $1`, [MARK.name]);
      return { rows: [first, second], prepared: statements.length };
    });
    expect(rows).toEqual([[{ id: 'DEMO-CAM-01' }], [{ id: 'DEMO-CAM-01' }]]);
    expect(prepared).toBe(1);
  });

  it('gives the rows of an UPDATE … RETURNING outside a transaction as well (prepared on a pooled connection)', async () => {
    expect(await runPrepared<{ id: string }>(dataSource.manager, MARK, [['DEMO-CAM-01']])).toEqual([{ id: 'DEMO-CAM-01' }]);
  });

  it('fails with QueryFailedError carrying the SQLSTATE, and the transaction rolls back', async () => {
    const day = '2001-01-01';
    const failure = await dataSource
      .transaction(async (tx) => {
        await runPrepared(tx, INSERT_DAY, [day]);
        await runPrepared(tx, INSERT_DAY, [day]);
      })
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(QueryFailedError);
    expect((failure as { code?: string }).code).toBe('23505');
    const left: unknown[] = await dataSource.query(`SELECT 1 FROM case_number_days WHERE day = $1::date`, [day]);
    expect(left).toHaveLength(0);
  });

  it('refuses a second statement under a name already used', () => {
    expect(() => new PreparedStatement(MARK.name, 'SELECT 1')).toThrow(/used twice/);
  });
});
