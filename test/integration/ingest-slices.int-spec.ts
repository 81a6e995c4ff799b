import { Client } from 'pg';
import { IngestService } from '@app/ingest';
import type { InboundMessage } from '@app/messaging';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 20: a full batch is decoded, and its events document built, in slices of a few hundred with the event loop
 * turning between them (the batch before it classifies and commits meanwhile, on the same thread). Whatever the
 * slicing, a batch is still one batch: each message gets its own outcome, a re-send in a later slice is a duplicate
 * of the first copy, a malformed message is refused where it stands, and every event is stored once, with its own
 * bytes, and counted on its case. Two such batches in flight at once, as the MQTT transport runs them, both commit.
 */
describe('ingest: a batch decoded and stored in slices is still one batch', () => {
  let app: TestApp;
  let db: Client;
  let ingest: IngestService;

  beforeAll(async () => {
    // No rate limit: one camera sends the whole batch.
    app = await startTestApp({ env: { DEVICE_EVENTS_PER_SECOND: '0' } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    ingest = app.app.get(IngestService);
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const BASE = Date.parse('2026-11-20T02:00:00Z');
  /** A garbage detection in the demo street (an exposed-garbage case), from DEMO-CAM-01. */
  const event = (eventId: string, second: number): InboundMessage => ({
    transport: 'mqtt',
    topic: 'cloudpatrol/v1/devices/DEMO-CAM-01/events',
    payload: Buffer.from(
      JSON.stringify({
        eventId,
        deviceId: 'DEMO-CAM-01',
        occurredAt: new Date(BASE + second * 1000).toISOString(),
        location: { lat: 23.105, lng: 113.255 },
        detections: [{ label: 'garbage', confidence: 0.9 }],
      }),
    ),
    receivedAt: new Date(),
  });

  /** 700 messages (three slices): re-sends of earlier ones across slice borders, and one not JSON, in the middle. */
  function batchOf(prefix: string): { batch: InboundMessage[]; distinct: InboundMessage[]; resendOf: Map<number, number>; malformedAt: number } {
    // Ids with text the document must escape: quotes, a backslash, CJK.
    const distinct = Array.from({ length: 697 }, (_, i) => event(`${prefix}-${i} 垃圾 "堆" \\`, i));
    const batch = [...distinct];
    const resendOf = new Map<number, number>();
    // Inserted in ascending order, so each position named is the final one.
    batch.splice(250, 0, distinct[0]);
    batch.splice(251, 0, distinct[249]);
    resendOf.set(250, 0);
    resendOf.set(251, 249);
    const malformedAt = 400;
    batch.splice(malformedAt, 0, { ...distinct[0], payload: Buffer.from('{"eventId": not json') });
    return { batch, distinct, resendOf, malformedAt };
  }

  async function expectStoredOnce(
    prefix: string,
    batch: InboundMessage[],
    outcomes: Awaited<ReturnType<IngestService['ingestBatch']>>['outcomes'],
    parts: ReturnType<typeof batchOf>,
  ) {
    expect(outcomes).toHaveLength(batch.length);
    const rows = await db.query<{ id: string; source_event_id: string; raw_payload: string; cases: number }>(
      `SELECT e.id::text, e.source_event_id, e.raw_payload, (SELECT count(*)::int FROM case_occurrences o WHERE o.event_id = e.id) AS cases
         FROM events e WHERE e.source_event_id LIKE $1`,
      [`${prefix}-%`],
    );
    expect(rows.rows).toHaveLength(parts.distinct.length);
    const byId = new Map(rows.rows.map((r) => [r.id, r]));
    let stored = 0;
    batch.forEach((m, i) => {
      const outcome = outcomes[i];
      if (i === parts.malformedAt) {
        expect(outcome).toMatchObject({ status: 'rejected', reason: 'not-json' });
        return;
      }
      if (parts.resendOf.has(i)) {
        expect(outcome).toEqual({ status: 'duplicate' });
        return;
      }
      // Each stored message's outcome names the row of its own event, with its own bytes.
      if (outcome.status !== 'stored') throw new Error(`message ${i}: ${JSON.stringify(outcome)}`);
      expect(outcome.eventIds).toHaveLength(1);
      const row = byId.get(outcome.eventIds[0]);
      const sent = JSON.parse(m.payload.toString('utf8')) as { eventId: string };
      expect(row?.source_event_id).toBe(sent.eventId);
      expect(row?.raw_payload).toBe(m.payload.toString('utf8'));
      expect(row?.cases).toBe(1);
      stored++;
    });
    expect(stored).toBe(parts.distinct.length);
  }

  it('one batch of 700: every message its own outcome, each event stored once with its bytes and on its case', async () => {
    const parts = batchOf('slice-a');
    const { outcomes } = await ingest.ingestBatch(parts.batch);
    await expectStoredOnce('slice-a', parts.batch, outcomes, parts);
  });

  it('two batches of 700 in flight at once both commit, and the case counts every event of both', async () => {
    const first = batchOf('slice-b');
    const second = batchOf('slice-c');
    const caseCount = async () =>
      (await db.query<{ n: number }>(`SELECT coalesce(sum(occurrence_count), 0)::int AS n FROM cases WHERE category_code = 'exposed-garbage'`)).rows[0].n;
    const before = await caseCount();
    const [a, b] = await Promise.all([ingest.ingestBatch(first.batch), ingest.ingestBatch(second.batch)]);
    await expectStoredOnce('slice-b', first.batch, a.outcomes, first);
    await expectStoredOnce('slice-c', second.batch, b.outcomes, second);
    expect((await caseCount()) - before).toBe(first.distinct.length + second.distinct.length);
  });
});
