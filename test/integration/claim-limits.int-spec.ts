import { EvidenceService } from '@app/core';
import { DeadLetterRepository, DeviceHealthRepository } from '@app/persistence';
import { Client } from 'pg';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * A claim of queued work (`… LIMIT n FOR UPDATE SKIP LOCKED`) takes at most its limit, however the planner sees the
 * table. A sealing round takes at most its limit off the queue. Right after a burst
 * was sealed, the statistics say `evidence_queue` is empty (its rows are dead, not vacuumed yet); the round's
 * `IN (SELECT … LIMIT … FOR UPDATE SKIP LOCKED)` was then planned as a semi join that ran the locking subquery
 * again for every queued row, each run locking the next rows: one round of 250 took 1,462 to 2,577 events and held
 * the audit chain lock (and a core of PostgreSQL) for 0.5 to 3.6 s while the bench's fixed load ran.
 * The app runs as an API process, so no scheduler seals beside the test.
 */
describe('claims of queued work take at most their limit', () => {
  let app: TestApp;
  let db: Client;
  const queued = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM evidence_queue')).rows[0].n);
  const store = (prefix: string, count: number) =>
    db.query(
      `INSERT INTO events (source, source_event_id, source_kind, device_id, occurred_at, lat, lng, detections, media, raw_payload)
       SELECT 'cloudpatrol', $1 || g, 'camera', 'DEMO-CAM-01', now() - interval '1 minute', 23.105, 113.255,
              '[{"label":"garbage","confidence":0.9}]'::jsonb, '[]'::jsonb, json_build_object('eventId', $1 || g)::text
         FROM generate_series(1, $2::int) g`,
      [prefix, count],
    );

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  it('seals 250 of 3,000 queued events when the statistics say the queue is empty', async () => {
    const sealer = app.app.get(EvidenceService);
    // A burst, sealed: the queue's pages hold only dead rows, and ANALYZE (autovacuum's, the bench's) counts none.
    await store('burst-', 2_000);
    let rounds = 0;
    while ((await sealer.sealPending(new Date(), 500)) > 0) rounds++;
    expect(rounds).toBe(4);
    expect(await queued()).toBe(0);
    await db.query('ANALYZE evidence_queue');

    await store('after-', 3_000);
    expect(await queued()).toBe(3_000);
    expect(await sealer.sealPending(new Date(), 250)).toBe(250);
    expect(await queued()).toBe(2_750);
    // The round's audit entry names exactly the 250 oldest events it sealed.
    const { rows } = await db.query<{ events: number }>(
      `SELECT (data->>'events')::int AS events FROM audit_log WHERE action = 'evidence.sealed' ORDER BY seq DESC LIMIT 1`,
    );
    expect(rows[0].events).toBe(250);
    const left = await db.query<{ first: string }>('SELECT min(event_id)::text AS first FROM evidence_queue');
    const oldestAfter = await db.query<{ id: string }>(`SELECT id::text FROM events WHERE source_event_id = 'after-251'`);
    expect(left.rows[0].first).toBe(oldestAfter.rows[0].id);
  });

  it('claims 100 of 3,000 dead letters for a replay when the statistics say there are none', async () => {
    const deadLetters = app.app.get(DeadLetterRepository);
    const keep = (count: number) =>
      db.query(
        `INSERT INTO dead_letters (transport, source, topic, reason, detail, device_id, payload)
         SELECT 'mqtt', 'generic', 'cloudpatrol/v1/devices/DEMO-CAM-01/events', 'malformed-payload', 'not JSON', 'DEMO-CAM-01', '\\x7b'::bytea
           FROM generate_series(1, $1::int)`,
        [count],
      );
    await keep(2_000);
    await db.query('DELETE FROM dead_letters');
    await db.query('ANALYZE dead_letters');
    await keep(3_000);
    const claimed = await deadLetters.claimForReplay({ reason: 'malformed-payload', limit: 100, staleAfterSeconds: 300 }, 'claim-limits-test');
    expect(claimed).toHaveLength(100);
    const taken = await db.query<{ n: string }>('SELECT count(*) AS n FROM dead_letters WHERE replay_started_at IS NOT NULL');
    expect(Number(taken.rows[0].n)).toBe(100);
  });

  it('marks 100 of 3,000 silent devices offline per round when the statistics say there are none', async () => {
    const health = app.app.get(DeviceHealthRepository);
    const register = (from: number, count: number) =>
      db.query(
        `INSERT INTO devices (id, kind, name, owner_department, last_seen_at)
         SELECT 'CLAIM-CAM-' || g, 'camera', 'claim test camera ' || g, 'test', now() - interval '1 hour'
           FROM generate_series($1::int, $1::int + $2::int - 1) g`,
        [from, count],
      );
    await register(1, 2_000);
    await db.query(`DELETE FROM devices WHERE id LIKE 'CLAIM-CAM-%'`);
    await db.query('ANALYZE devices');
    await register(10_001, 3_000);
    const silent = await health.transaction((tx) => health.markGoneSilent(tx, new Date(), { kinds: new Map([['camera', 60]]), devices: new Map() }, 100));
    expect(silent).toHaveLength(100);
    const held = await db.query<{ n: string }>(`SELECT count(*) AS n FROM devices WHERE id LIKE 'CLAIM-CAM-%' AND offline_since IS NOT NULL`);
    expect(Number(held.rows[0].n)).toBe(100);
  });
});
