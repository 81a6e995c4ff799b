import { DataSource, QueryFailedError } from 'typeorm';
import { adaptGenericEvent } from '@app/domain';
import type { CanonicalEvent } from '@app/domain';
import { GENERIC_MQTT_TOPIC, genericEvent } from '../fixtures/generic-events';
import { classifyStoreFailure } from '../../libs/ingest/src/store-failure';
import { IngestRepository } from '../../libs/persistence/src/repositories/ingest.repository';
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

  describe('the events insert', () => {
    /** An event as the generic adapter and the register make it from the fixture's payload, its raw payload replaced. */
    const event = (eventId: string, raw: string): CanonicalEvent => {
      const adapted = adaptGenericEvent(GENERIC_MQTT_TOPIC, genericEvent(eventId));
      if (!adapted.ok) throw new Error(adapted.rejection.detail);
      return { ...adapted.events[0], sourceKind: 'camera', raw };
    };

    it('stores each raw payload as it came, byte for byte, and a copy of an identity once', async () => {
      const raws = ['{"a":1}', '{"plate":"粤A12345","place":"兰亭夜市 \\"market\\""}', '', '𠮷野家 🚗 \\u0000', 'é'.repeat(70_000)];
      const events = raws.map((raw, i) => event(`raw-${i}`, raw));
      const inserted = await dataSource.transaction((tx) => app.app.get(IngestRepository).insertEvents(tx, [...events, event('raw-1', 'a copy')]));
      expect([...inserted.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
      const stored: { id: string; raw_payload: string }[] = await dataSource.query(
        `SELECT id::text, raw_payload FROM events WHERE source_event_id = ANY($1) ORDER BY source_event_id`,
        [events.map((e) => e.eventId)],
      );
      expect(stored.map((r) => r.raw_payload)).toEqual(raws);
      expect(stored.map((r) => r.id)).toEqual(events.map((_, i) => inserted.get(i)));
    });

    it('refuses a payload text cannot hold (U+0000) as a data error, so the batch is split to keep that event aside', async () => {
      const failure = await dataSource
        .transaction((tx) => app.app.get(IngestRepository).insertEvents(tx, [event('nul-ok', '{}'), event('nul-raw', 'garb\u0000age')]))
        .catch((err: unknown) => err);
      expect((failure as { code?: string }).code).toBe('22021');
      expect(classifyStoreFailure(failure)).toBe('persistent');
      const left: unknown[] = await dataSource.query(`SELECT 1 FROM events WHERE source_event_id IN ('nul-ok', 'nul-raw')`);
      expect(left).toHaveLength(0);
    });
  });

  it('refuses a second statement under a name already used', () => {
    expect(() => new PreparedStatement(MARK.name, 'SELECT 1')).toThrow(/used twice/);
  });
});
