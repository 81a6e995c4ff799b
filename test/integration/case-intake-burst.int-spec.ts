import { CaseLoopService } from '@app/core';
import { CaseLoopRepository } from '@app/persistence';
import { Client } from 'pg';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';
import { insertCase, TOWNSHIP } from './case-loop-helpers';

const EVENTS = 550;
/** The first SHARED events are each also the occurrence of a second case (another category): 600 cases in all. */
const SHARED = 50;
const CASES = EVENTS + SHARED;

/**
 * Case intake after a burst (issue 20): the ingest path opens hundreds of cases at once, and the worker's intake
 * records every opening (transition, audit entry with the case's sealed evidence, `open` lifecycle event) in
 * batches of up to 500 cases per transaction. The app runs as an API process, so no scheduler races the test:
 * the test calls the intake job itself, as the worker's scheduler does.
 */
describe('case intake: a burst of new cases', () => {
  let app: TestApp;
  let db: Client;
  const n = async (sql: string, params: unknown[] = []): Promise<number> => Number((await db.query<{ n: string }>(sql, params)).rows[0].n);

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    // The burst, committed at once as one ingest transaction would: events, cases (numbered from the day's
    // counter), occurrences. The first SHARED events are detections of two issues, so they belong to two cases.
    await db.query('BEGIN');
    await db.query(
      `INSERT INTO events (source, source_event_id, source_kind, device_id, occurred_at, lat, lng, detections, media, raw_payload)
       SELECT 'cloudpatrol', 'burst-' || g, 'camera', 'DEMO-CAM-01', now() - interval '1 minute', 23.105, 113.255,
              '[{"label":"garbage","confidence":0.9},{"label":"banner","confidence":0.8}]'::jsonb, '[]'::jsonb,
              json_build_object('eventId', 'burst-' || g, 'deviceId', 'DEMO-CAM-01')::text
         FROM generate_series(1, $1::int) g`,
      [EVENTS],
    );
    await db.query(
      `WITH counter AS (INSERT INTO case_number_days (day, last) VALUES ((now() AT TIME ZONE 'Asia/Shanghai')::date, $1::int)
                        ON CONFLICT (day) DO UPDATE SET last = case_number_days.last + EXCLUDED.last RETURNING day, last),
            wanted AS (SELECT e.id AS event_id, e.occurred_at, k.category, k.rule,
                              row_number() OVER (ORDER BY k.rank, e.id) AS nth
                         FROM events e
                         JOIN LATERAL (VALUES (1, 'exposed-garbage', 'garbage-exposed'), (2, 'illegal-advertising', 'advertising-illegal')) k(rank, category, rule)
                           ON k.rank = 1 OR e.source_event_id IN (SELECT 'burst-' || g FROM generate_series(1, $2::int) g)
                        WHERE e.source_event_id LIKE 'burst-%'),
            made AS (
              INSERT INTO cases (case_number, category_code, status, identity_key, identity, severity, township_code, handling_unit, device_id, lat, lng,
                                 first_seen_at, last_seen_at, occurrence_count, latest_event_id, rule_id, rule_version, explanation, origin, created_at)
              SELECT 'CP-' || to_char(counter.day, 'YYYYMMDD') || '-' || lpad((counter.last - $1::int + w.nth)::text, 6, '0'),
                     w.category, 'detected', 'category=' || w.category || '|device=burst-' || w.event_id, json_build_object('category', w.category, 'device', 'burst-' || w.event_id),
                     'medium', $3, 'township-team:' || $3, 'DEMO-CAM-01', 23.105, 113.255, w.occurred_at, w.occurred_at, 1, w.event_id, w.rule, 1, '{}'::jsonb, 'machine',
                     now() + w.nth * interval '1 microsecond'
                FROM wanted w, counter
              RETURNING id, latest_event_id, first_seen_at)
       INSERT INTO case_occurrences (case_id, event_id, occurred_at) SELECT id, latest_event_id, first_seen_at FROM made`,
      [CASES, SHARED, TOWNSHIP],
    );
    await db.query('COMMIT');
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  it('records every opening of the burst in batches of 500 cases per transaction', async () => {
    expect(await n(`SELECT count(*) AS n FROM cases`)).toBe(CASES);
    const intake = app.app.get(CaseLoopService);
    const started = Date.now();
    const runs = [await intake.intakePending(500), await intake.intakePending(500), await intake.intakePending(500)];
    const seconds = (Date.now() - started) / 1000;
    expect(runs).toEqual([500, CASES - 500, 0]);
    // One transaction per batch (case_workflow.created_at is the transaction's start), not one per case.
    expect(await n(`SELECT count(DISTINCT created_at) AS n FROM case_workflow`)).toBe(2);
    // Per case the old intake took ~25 ms (15 s for this burst); batched it is a fraction of that.
    expect(seconds).toBeLessThan(5);

    // Every case: exactly one opening record (seq 1, action open), one loop state with its review clock.
    expect(await n(`SELECT count(*) AS n FROM case_transitions WHERE seq = 1 AND action = 'open'`)).toBe(CASES);
    expect(await n(`SELECT count(DISTINCT case_id) AS n FROM case_transitions`)).toBe(CASES);
    expect(await n(`SELECT count(*) AS n FROM case_transitions`)).toBe(CASES);
    expect(await n(`SELECT count(*) AS n FROM case_workflow WHERE transition_count = 1 AND step = 'review' AND step_due_at IS NOT NULL`)).toBe(CASES);
  });

  it("puts one audit entry per opening in the chain, each naming its case's sealed evidence, and the chain verifies", async () => {
    expect(await n(`SELECT count(*) AS n FROM audit_log WHERE action = 'case.transition' AND data->'transition'->>'action' = 'open'`)).toBe(CASES);
    expect(await n(`SELECT count(DISTINCT case_id) AS n FROM audit_log WHERE action = 'case.transition'`)).toBe(CASES);
    // The transition row points at its own entry, and the entries follow the cases' order.
    expect(await n(`SELECT count(*) AS n FROM case_transitions t JOIN audit_log a ON a.seq = t.audit_seq AND a.case_id = t.case_id`)).toBe(CASES);
    const order = await db.query<{ ok: boolean }>(
      `SELECT bool_and(prev_case_created <= created_at) AS ok FROM (
         SELECT c.created_at, lag(c.created_at) OVER (ORDER BY a.seq) AS prev_case_created
           FROM audit_log a JOIN cases c ON c.id = a.case_id WHERE a.action = 'case.transition') x`,
    );
    expect(order.rows[0].ok).toBe(true);

    // Each event sealed once, by the first of its cases; the second case of a shared event names it too.
    expect(await n(`SELECT count(*) AS n FROM evidence_items WHERE kind = 'event'`)).toBe(EVENTS);
    expect(await n(`SELECT count(*) AS n FROM (SELECT item_key FROM evidence_items GROUP BY item_key HAVING count(*) > 1) d`)).toBe(0);
    const unnamed = await db.query(
      `SELECT o.case_id, o.event_id FROM case_occurrences o JOIN audit_log a ON a.case_id = o.case_id AND a.action = 'case.transition'
        WHERE NOT a.data->'evidence' @> jsonb_build_array(jsonb_build_object('key', 'event:' || o.event_id, 'kind', 'event'))`,
    );
    expect(unnamed.rows).toEqual([]);
    expect(await n(`SELECT count(*) AS n FROM audit_log a WHERE a.action = 'case.transition' AND jsonb_array_length(a.data->'evidence') = 1`)).toBe(CASES);
    // A shared event's item was sealed by the entry of the case opened first, before the second case's entry.
    const sealers = await db.query<{ first_seq: string; sealed_by: string; second_seq: string }>(
      `SELECT min(a.seq) AS first_seq, max(a.seq) AS second_seq, min(x.audit_seq) AS sealed_by
         FROM case_occurrences o JOIN audit_log a ON a.case_id = o.case_id AND a.action = 'case.transition'
         JOIN evidence_items x ON x.item_key = 'event:' || o.event_id
        GROUP BY o.event_id HAVING count(*) = 2`,
    );
    expect(sealers.rows).toHaveLength(SHARED);
    for (const r of sealers.rows) {
      expect(r.sealed_by).toBe(r.first_seq);
      expect(Number(r.second_seq)).toBeGreaterThan(Number(r.first_seq));
    }

    const verify = await request(app.url)
      .get('/api/v1/audit/verify')
      .set('Authorization', `Bearer ${await app.token()}`)
      .expect(200);
    const total = await n(`SELECT count(*) AS n FROM audit_log`);
    expect(verify.body).toMatchObject({ ok: true, checked: total });
    expect((verify.body as { evidenceChecked: number }).evidenceChecked).toBe(CASES);
  });

  it('queues exactly one `open` lifecycle event per case in the outbox, in audit order', async () => {
    const open = await db.query<{ key: string; action: string; seq: number; audit_seq: number }>(
      `SELECT message_key AS key, payload->>'action' AS action, (payload->>'seq')::int AS seq, (payload->>'auditSeq')::int AS audit_seq
         FROM outbox o WHERE topic = 'cloudpatrol.cases.v1' ORDER BY o.id`,
    );
    expect(open.rows).toHaveLength(CASES);
    expect(new Set(open.rows.map((r) => r.key)).size).toBe(CASES);
    expect(open.rows.every((r) => r.action === 'open' && r.seq === 1)).toBe(true);
    const seqs = open.rows.map((r) => r.audit_seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const cases = await db.query<{ id: string }>(`SELECT id FROM cases`);
    expect(new Set(open.rows.map((r) => r.key))).toEqual(new Set(cases.rows.map((r) => r.id)));
  });

  it('records the openings one case per transaction when a batch fails, so no case holds the others back', async () => {
    const late = [await insertCase(db), await insertCase(db), await insertCase(db)];
    const repo = app.app.get(CaseLoopRepository);
    // The batch's first statement fails once (as a broken case would make it); the retry per case goes through.
    const failing = jest.spyOn(repo, 'saveWorkflows').mockRejectedValueOnce(new Error('batch refused'));
    try {
      expect(await app.app.get(CaseLoopService).intakePending(500)).toBe(3);
    } finally {
      failing.mockRestore();
    }
    const ids = late.map((c) => c.id);
    expect(await n(`SELECT count(*) AS n FROM case_transitions WHERE case_id = ANY($1::uuid[]) AND seq = 1 AND action = 'open'`, [ids])).toBe(3);
    expect(await n(`SELECT count(DISTINCT created_at) AS n FROM case_workflow WHERE case_id = ANY($1::uuid[])`, [ids])).toBe(3);
    expect(await n(`SELECT count(*) AS n FROM outbox WHERE topic = 'cloudpatrol.cases.v1' AND message_key = ANY($1::text[])`, [ids])).toBe(3);
    const verify = await request(app.url)
      .get('/api/v1/audit/verify')
      .set('Authorization', `Bearer ${await app.token()}`)
      .expect(200);
    expect(verify.body).toMatchObject({ ok: true, checked: await n(`SELECT count(*) AS n FROM audit_log`) });
  });
});
