import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Client } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { dataSourceOptions } from '@app/persistence';
import { PreparedStatement, runInOrder } from '../../libs/persistence/src/repositories/prepared-statement';
import { createTestDatabase, eventually } from '../support/test-app';

/**
 * A group of statements sent at once (`runInOrder`, the ingest transaction's writes that need no answer): run in
 * order, each answered with its own rows, the first failure rejecting the group with its SQLSTATE and undoing the
 * transaction. And sent at once for real: the pool's connections are in pg's pipeline mode, which a proxy between
 * the service and PostgreSQL shows (the later statements reach the server while the first is still unanswered).
 */
describe('statements sent at once (runInOrder)', () => {
  const BUMP = new PreparedStatement('cp_test_bump_case_number_day', `UPDATE case_number_days SET last = last + 1 WHERE day = $1::date RETURNING last`);
  let proxy: Server;
  /** Everything the service wrote towards PostgreSQL through the proxy, as text (statements' texts are readable in it). */
  let sent = '';
  const sockets = new Set<Socket>();
  let dataSource: DataSource;
  let admin: Client;

  beforeAll(async () => {
    const url = new URL(await createTestDatabase());
    proxy = createServer((client) => {
      const server = createConnection({ host: url.hostname, port: Number(url.port || 5432) });
      sockets.add(client).add(server);
      client.on('data', (chunk: Buffer) => {
        sent += chunk.toString('latin1');
      });
      client.pipe(server).pipe(client);
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    admin = new Client({ connectionString: url.toString() });
    await admin.connect();
    const viaProxy = new URL(url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String((proxy.address() as { port: number }).port);
    dataSource = await new DataSource(dataSourceOptions(viaProxy.toString())).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await admin?.end();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => proxy?.close(resolve));
  });

  it('runs the steps in order and answers each with its own rows (nothing for a step left out)', async () => {
    const day = '2002-02-02';
    const answers = await dataSource.transaction((tx) =>
      runInOrder(tx, [
        { statement: `INSERT INTO case_number_days (day, last) VALUES ($1::date, 1) RETURNING last`, values: [day] },
        undefined,
        { statement: BUMP, values: [day] },
        { statement: BUMP, values: [day] },
        { statement: `SELECT last FROM case_number_days WHERE day = $1::date`, values: [day] },
      ]),
    );
    expect(answers).toEqual([[{ last: 1 }], [], [{ last: 2 }], [{ last: 3 }], [{ last: 3 }]]);
  });

  it('sends the later steps while the first is still unanswered', async () => {
    const key = 4_242_001;
    await admin.query('SELECT pg_advisory_lock($1)', [key]);
    let firstAnswered = false;
    const group = dataSource.transaction(async (tx) => {
      const answers = runInOrder(tx, [
        { statement: `SELECT pg_advisory_xact_lock($1::bigint) AS waited`, values: [key] },
        { statement: `SELECT 'second step of the pipelined group' AS second`, values: [] },
      ]);
      void answers.then(() => (firstAnswered = true));
      return answers;
    });
    try {
      // Sent one by one, the second statement would go only after the first's answer, which the lock holds back.
      await eventually('the second step on the wire', async () => (sent.includes('second step of the pipelined group') ? true : undefined));
      expect(firstAnswered).toBe(false);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [key]);
    }
    expect(await group).toEqual([[{ waited: '' }], [{ second: 'second step of the pipelined group' }]]);
  });

  it("rejects with the first failing step's SQLSTATE, and nothing of the group or the transaction stays", async () => {
    const day = '2003-03-03';
    const other = '2003-03-04';
    const insert = `INSERT INTO case_number_days (day, last) VALUES ($1::date, 1)`;
    const failure = await dataSource
      .transaction(async (tx) => {
        await runInOrder(tx, [{ statement: `INSERT INTO case_number_days (day, last) VALUES ('2003-03-02', 7)`, values: [] }]);
        return runInOrder(tx, [
          { statement: insert, values: [day] },
          { statement: insert, values: [day] },
          { statement: insert, values: [other] },
        ]);
      })
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(QueryFailedError);
    expect((failure as { code?: string }).code).toBe('23505');
    const left: unknown[] = await dataSource.query(`SELECT day FROM case_number_days WHERE day BETWEEN '2003-03-01' AND '2003-03-31'`);
    expect(left).toEqual([]);
    // The connection goes back to the pool usable.
    expect(await dataSource.query(`SELECT 1 AS ok`)).toEqual([{ ok: 1 }]);
  });
});
