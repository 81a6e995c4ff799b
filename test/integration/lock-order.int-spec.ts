import type { GridCell } from '@app/domain';
import { IngestService } from '@app/ingest';
import type { InboundMessage } from '@app/messaging';
import { AUDIT_CHAIN_LOCK } from '@app/persistence';
import { Client } from 'pg';
import { demoDistrict, gridCentre, plainGrids } from '../support/demo-grids';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Lock order between an ingest batch and the case intake, on the real PostgreSQL. The intake (like the case loop
 * and the device watcher) locks its case rows, then the audit chain. An ingest batch whose fire takes a minor case
 * back appends why to the audit chain; it used to take the chain there, before upserting its other cases, and
 * then waited for a case row the intake held while the intake waited for the chain: PostgreSQL broke the cycle
 * by failing the batch ("deadlock detected", seen in CI with two smoke detections in a property batch).
 */
describe('an ingest batch that takes a case back and the case intake', () => {
  let app: TestApp;
  let db: Client;
  let intake: Client;
  let ingest: IngestService;
  const plain = plainGrids(demoDistrict());
  const fireGrid = plain[0];
  // In another township: outside what the fire can take back, so only the upsert touches its case.
  const otherGrid = plain.find((g) => g.townshipCode !== fireGrid.townshipCode) as GridCell;

  beforeAll(async () => {
    app = await startTestApp({ env: { DEVICE_EVENTS_PER_SECOND: '0' } });
    db = new Client({ connectionString: app.databaseUrl });
    intake = new Client({ connectionString: app.databaseUrl, application_name: 'intake-like' });
    await db.connect();
    await intake.connect();
    ingest = app.app.get(IngestService);
  });

  afterAll(async () => {
    await intake?.end();
    await db?.end();
    await app?.stop();
  });

  const at = (minute: number) => new Date(Date.parse('2026-11-28T10:00:00+08:00') + minute * 60_000);
  const message = (id: string, grid: GridCell, label: string, minute: number): InboundMessage => ({
    transport: 'mqtt',
    topic: 'cloudpatrol/v1/devices/DRONE-01/events',
    payload: Buffer.from(
      JSON.stringify({
        eventId: id,
        deviceId: 'DRONE-01',
        occurredAt: at(minute).toISOString(),
        location: gridCentre(grid),
        detections: [{ label, confidence: 0.9 }],
      }),
    ),
    receivedAt: new Date(),
  });
  const caseIn = async (grid: GridCell) =>
    (await db.query<{ id: string }>(`SELECT id FROM cases WHERE grid_code = $1 AND category_code = 'exposed-garbage'`, [grid.code])).rows[0].id;

  it('waits for the intake holding its case, then commits whole; the intake gets the chain', async () => {
    expect(otherGrid).toBeDefined();
    const first = await ingest.ingestBatch([message('lo-1', fireGrid, 'garbage', 5), message('lo-2', otherGrid, 'garbage', 5)]);
    expect(first.outcomes.map((o) => o.status)).toEqual(['stored', 'stored']);
    const muted = await caseIn(fireGrid);
    const held = await caseIn(otherGrid);

    // The intake's order: its case rows first…
    await intake.query('BEGIN');
    await intake.query('SELECT id FROM cases WHERE id = $1 FOR UPDATE', [held]);
    // …while a batch arrives with a fire that mutes the first grid's garbage (seen 4 minutes after it, stored before
    // it), and more garbage for the held case.
    const second = ingest.ingestBatch([message('lo-3', fireGrid, 'fire', 1), message('lo-4', otherGrid, 'garbage', 6)]);
    const outcome = second.then(
      (r) => ({ ok: true as const, statuses: r.outcomes.map((o) => o.status) }),
      (err: Error) => ({ ok: false as const, error: err.message }),
    );
    await eventually('the batch waiting for the held case row', async () => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND application_name <> 'intake-like' AND wait_event_type = 'Lock'
            AND wait_event IN ('transactionid', 'tuple')`,
      );
      return rows[0].n > 0 ? true : undefined;
    });
    // …then the audit chain. Had the batch taken it before waiting for the row, PostgreSQL would find the cycle
    // and fail the batch, which waited first (the lock timeout only keeps a broken build from hanging here).
    await intake.query(`SET LOCAL lock_timeout = '20s'`);
    await intake.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
    await intake.query('COMMIT');

    expect(await outcome).toEqual({ ok: true, statuses: ['stored', 'stored'] });
    const cases = await db.query<{ id: string; status: string; occurrence_count: number }>(
      `SELECT id, status, occurrence_count FROM cases WHERE id = ANY($1::uuid[])`,
      [[muted, held]],
    );
    expect(Object.fromEntries(cases.rows.map((c) => [c.id === muted ? 'muted' : 'held', [c.status, c.occurrence_count]]))).toEqual({
      muted: ['rejected', 0],
      held: ['detected', 2],
    });
    // The take-back is in the audit log, chained after everything committed before it.
    const audit = await db.query<{ action: string }>(`SELECT action FROM audit_log WHERE case_id = $1 ORDER BY seq`, [muted]);
    expect(audit.rows.map((r) => r.action)).toContain('case.withdrawn');
  });
});
