import { OutboxRelay } from '@app/core';
import { randomBytes } from 'node:crypto';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { readServices } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { createStaff, insertCase, type InsertedCase, step, storedAfterPhoto, type TestStaff } from './case-loop-helpers';

interface LifecycleEvent {
  schema: string;
  eventId: string;
  caseId: string;
  caseNumber: string;
  seq: number;
  action: string;
  from: string | null;
  to: string;
  at: string;
  actor: { id: string; role: string };
  reason: string | null;
  case: { status: string; categoryCode: string; townshipCode: string | null; handlingUnit: string | null; dueAt: string | null };
}

interface Received {
  key: string;
  partition: number;
  event: LifecycleEvent;
}

/**
 * cloudpatrol.cases.v1 on the real Kafka, read by an outside consumer (kafkajs, its own group): every
 * committed transition arrives, in order per case, keyed by case id — also those committed while the relay
 * was down (the outbox keeps them).
 */
describe('case loop: lifecycle events on Kafka (outbox)', () => {
  let app: TestApp;
  let db: Client;
  let staff: TestStaff;
  let consumer: Consumer;
  const received: Received[] = [];
  let topic: string;

  beforeAll(async () => {
    app = await startTestApp({ kafka: true });
    topic = `${app.kafkaTopicPrefix}cloudpatrol.cases.v1`;
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    staff = await createStaff(app);

    const kafka = new Kafka({ clientId: 'case-loop-test-consumer', brokers: readServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    // The relay creates the topic (3 partitions) when it connects.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually('the cases topic', async () => ((await admin.listTopics()).includes(topic) ? true : undefined), 30_000);
    } finally {
      await admin.disconnect();
    }
    consumer = kafka.consumer({ groupId: `case-loop-test-${randomBytes(4).toString('hex')}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({ key: message.key?.toString('utf8') ?? '', partition, event: JSON.parse(message.value?.toString('utf8') ?? '{}') as LifecycleEvent });
      },
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await db?.end();
    await app?.stop();
  });

  /** Every distinct seq 1..n of the case, first sightings in order. Redeliveries (at-least-once) may repeat a record. */
  const seenOf = (caseId: string) => {
    const firsts: number[] = [];
    for (const r of received.filter((x) => x.event.caseId === caseId)) if (!firsts.includes(r.event.seq)) firsts.push(r.event.seq);
    return firsts;
  };
  const storedSeqs = async (caseId: string) =>
    (await db.query<{ seq: number }>(`SELECT seq FROM case_transitions WHERE case_id = $1 ORDER BY seq`, [caseId])).rows.map((r) => r.seq);

  it('publishes every transition of every case, keyed by case id and in order per case', async () => {
    const cases: InsertedCase[] = [];
    for (let i = 0; i < 4; i++) cases.push(await insertCase(db));
    // Interleave the cases' steps so records of different cases mix on the topic.
    for (const c of cases) await step(app, staff.operator, c.id, { action: 'review-register', evidenceUsableForPenalty: true });
    await step(app, staff.operator, cases[0].id, { action: 'reject', reason: 'duplicate' });
    for (const c of cases.slice(1)) await step(app, staff.operator, c.id, { action: 'dispatch' });
    for (const c of cases.slice(1)) await step(app, staff.officer, c.id, { action: 'accept' });
    await step(app, staff.officer, cases[1].id, { action: 'report-back', resultNote: 'done', photos: [storedAfterPhoto(app)] });
    await step(app, staff.operator, cases[2].id, { action: 'transfer', unit: 'traffic-police', reason: 'carriageway' });
    await step(app, staff.officer, cases[3].id, { action: 'report-back', resultNote: 'done', photos: [storedAfterPhoto(app)] });
    await step(app, staff.supervisor, cases[3].id, { action: 'send-back', reason: 'not clean' });
    await step(app, staff.operator, cases[1].id, { action: 'verify-close' });
    await step(app, staff.supervisor, cases[1].id, { action: 'reopen', reason: 'back again' });

    for (const c of cases) {
      const stored = await storedSeqs(c.id);
      await eventually(`all ${stored.length} records of case ${c.caseNumber}`, async () => (seenOf(c.id).length === stored.length ? true : undefined), 30_000);
      expect(seenOf(c.id)).toEqual(stored);
      const mine = received.filter((r) => r.event.caseId === c.id);
      expect(new Set(mine.map((r) => r.key))).toEqual(new Set([c.id]));
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
    }
    const byAction = (c: InsertedCase) => received.filter((r) => r.event.caseId === c.id).map((r) => r.event.action);
    expect(byAction(cases[0])).toEqual(['open', 'review-register', 'reject']);
    expect(byAction(cases[1])).toEqual(['open', 'review-register', 'dispatch', 'accept', 'report-back', 'verify-close', 'reopen']);
    expect(byAction(cases[2])).toEqual(['open', 'review-register', 'dispatch', 'accept', 'transfer']);

    const transfer = received.find((r) => r.event.caseId === cases[2].id && r.event.action === 'transfer')?.event;
    expect(transfer).toMatchObject({
      schema: 'cloudpatrol.cases.v1',
      eventId: `${cases[2].id}:5`,
      caseNumber: cases[2].caseNumber,
      from: 'in_progress',
      to: 'dispatched',
      actor: { id: staff.operator.id, role: 'operator' },
      reason: 'carriageway',
      case: { status: 'dispatched', categoryCode: 'exposed-garbage', handlingUnit: 'traffic-police', dueAt: expect.any(String) },
    });
  });

  it('keeps transitions committed while Kafka publishing is down and delivers them afterwards', async () => {
    const relay = app.app.get(OutboxRelay);
    await relay.stop();
    const c = await insertCase(db);
    try {
      await step(app, staff.operator, c.id, { action: 'review-register' });
      await step(app, staff.operator, c.id, { action: 'dispatch' });
      const unsent = await db.query(`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL AND message_key = $1`, [c.id]);
      expect(unsent.rows[0].n).toBeGreaterThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 500));
      expect(seenOf(c.id)).toEqual([]);
    } finally {
      relay.start();
    }
    await eventually('the records kept in the outbox', async () => (seenOf(c.id).length === 3 ? true : undefined), 30_000);
    expect(seenOf(c.id)).toEqual([1, 2, 3]);
    // The relay marks a batch sent after Kafka acknowledged it, so a consumer can see the records a moment before
    // their rows are marked: wait for the mark, not for a delay.
    const unsentNow = async () => (await db.query(`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`)).rows[0].n as number;
    await eventually('the outbox rows marked sent', async () => ((await unsentNow()) === 0 ? true : undefined), 30_000);
    expect(await unsentNow()).toBe(0);
  });
});
