import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations } from '@app/persistence';
import { createTestDatabase } from '../support/test-app';

describe('database schema', () => {
  it('is exactly what the entities describe after the migrations run, and the migrations undo cleanly', async () => {
    const ds = await new DataSource(dataSourceOptions(await createTestDatabase({ empty: true }))).initialize();
    try {
      await runMigrations(ds);
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      // Running again is a no-op (another instance starting at the same time takes the lock and finds nothing to do).
      await runMigrations(ds);
      for (let i = 0; i < ds.migrations.length; i++) await ds.undoLastMigration();
      const tables = await ds.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`);
      expect(tables).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });
});

describe('database sessions', () => {
  it('run without JIT: a misestimated statement never spends longer compiling than running while it holds its locks', async () => {
    const ds = await new DataSource(dataSourceOptions(await createTestDatabase())).initialize();
    try {
      // Every pooled connection, not only the first.
      const answers = await Promise.all(
        Array.from({ length: 3 }, () => ds.query<{ jit: string }[]>('SELECT pg_sleep(0.05), current_setting($1) AS jit', ['jit'])),
      );
      expect(answers.map((rows) => rows[0].jit)).toEqual(['off', 'off', 'off']);
    } finally {
      await ds.destroy();
    }
  });
});
