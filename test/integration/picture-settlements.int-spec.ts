import { PictureRepository } from '@app/persistence';
import { Client } from 'pg';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The picture fetcher writes what became of a claim's slots in one statement: while an NVR's API does not answer,
 * every retry of every slot was its own commit (a WAL sync each). Each slot still gets its own outcome, and a slot
 * that is no longer pending (a device's snapshot arrived meanwhile) keeps what it has. The app runs as an API
 * process, so no fetcher runs beside the test.
 */
describe('picture slots settled together', () => {
  let app: TestApp;
  let db: Client;

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  it('writes each slot its own outcome in one call, and leaves a slot that is no longer pending as it is', async () => {
    const { rows: events } = await db.query<{ id: string }>(
      `INSERT INTO events (source, source_event_id, source_kind, device_id, occurred_at, detections, raw_payload)
       SELECT 'frigate', 'settle-' || g, 'camera', 'CAM-PARK-01', now(), '[]'::jsonb, '{}'
         FROM generate_series(1, 5) g RETURNING id::text`,
    );
    const { rows: slots } = await db.query<{ id: string }>(
      `INSERT INTO event_pictures (event_id, slot, origin, status, captured_at, attempts, next_attempt_at, detail)
       SELECT e::bigint, 0, 'frigate-api', 'pending', now(), 2, now() + interval '30 seconds', 'claimed'
         FROM unnest($1::text[]) e RETURNING id::text`,
      [events.map((e) => e.id)],
    );
    const [retried, present, fallback, missing, arrived] = slots.map((s) => s.id);
    const sha = (c: string) => c.repeat(64);
    // A device's own snapshot settled this slot between the claim and the fetcher's write.
    await db.query(`UPDATE event_pictures SET status = 'present', sha256 = $2, origin = 'device', detail = 'sent by the device' WHERE id = $1`, [
      arrived,
      sha('c'),
    ]);
    const next = new Date(Date.now() + 8_000);

    await app.app.get(PictureRepository).settleMany([
      { id: missing, outcome: { status: 'missing', detail: 'no picture anywhere' } },
      { id: retried, outcome: { status: 'pending', detail: 'attempt 2: HTTP 503', nextAttemptAt: next } },
      { id: arrived, outcome: { status: 'pending', detail: 'attempt 2: HTTP 503', nextAttemptAt: next } },
      { id: present, outcome: { status: 'present', sha256: sha('a'), origin: 'frigate-api', detail: 'from the API' } },
      { id: fallback, outcome: { status: 'present', sha256: sha('b'), origin: 'frigate-mqtt' } },
    ]);

    const { rows } = await db.query<{ id: string; status: string; sha256: string | null; origin: string; detail: string | null; next_attempt_at: Date | null }>(
      `SELECT id::text, status, sha256, origin, detail, next_attempt_at FROM event_pictures WHERE id = ANY($1::bigint[])`,
      [slots.map((s) => s.id)],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(retried)).toMatchObject({ status: 'pending', sha256: null, origin: 'frigate-api', detail: 'attempt 2: HTTP 503', next_attempt_at: next });
    expect(byId.get(present)).toMatchObject({ status: 'present', sha256: sha('a'), origin: 'frigate-api', detail: 'from the API', next_attempt_at: null });
    expect(byId.get(fallback)).toMatchObject({ status: 'present', sha256: sha('b'), origin: 'frigate-mqtt', detail: null, next_attempt_at: null });
    expect(byId.get(missing)).toMatchObject({ status: 'missing', sha256: null, origin: 'frigate-api', detail: 'no picture anywhere', next_attempt_at: null });
    expect(byId.get(arrived)).toMatchObject({ status: 'present', sha256: sha('c'), origin: 'device', detail: 'sent by the device' });
  });
});
