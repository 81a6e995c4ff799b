import { randomBytes } from 'node:crypto';
import { Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import { Client } from 'pg';
import request from 'supertest';
import { EMERGENCY_RECORD_V1_EXAMPLE, POLICE_RECORD_V1_EXAMPLE } from '@app/domain/adapters/department-feed.examples';
import { deleteKafkaTopics } from '../fixtures/kafka-topics';
import { readServices } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { createStaff, step, type TestStaff } from './case-loop-helpers';

/**
 * Issue 17: department referrals are their own cases, keep the department's severity, and every status change of a
 * referral case is answered to the department on Kafka (`cloudpatrol.referrals.<department>.v1`, key = referral
 * number), through the outbox. Records go in on the real Kafka (monitoring.police.v1 / emergency.v1) and the replies
 * are read by an outside consumer.
 */

interface Reply {
  schema: string;
  eventId: string;
  platform: string;
  referralNo: string;
  caseId: string;
  caseNumber: string;
  seq: number;
  action: string;
  previousStatus: string | null;
  status: string;
  at: string;
  statusNote: string;
  handlingUnit: string | null;
}

interface CaseRow {
  id: string;
  case_number: string;
  identity_key: string;
  severity: string;
  occurrence_count: number;
  township_code: string | null;
  grid_code: string | null;
}

const run = randomBytes(3).toString('hex').toUpperCase();
// Township 449901001, grid cell 449901001002002, no place: 1.40 km apart (0.0137° of longitude at 23.1° N).
const GRID_WEST = { lat: 23.1015, lng: 113.2505 };
const GRID_EAST = { lat: 23.1015, lng: 113.2642 };
// Outside every township (and place), 50 km apart (0.49° of longitude at 22.5° N).
const FAR_WEST = { lat: 22.5, lng: 112.5 };
const FAR_EAST = { lat: 22.5, lng: 112.99 };

const police = (recordId: string, referralNo: string, location: { lat: number; lng: number }) =>
  JSON.stringify({
    ...POLICE_RECORD_V1_EXAMPLE,
    recordId: `${recordId}-${run}`,
    reportedAt: new Date().toISOString(),
    occurredAt: new Date().toISOString(),
    location,
    referral: { ...POLICE_RECORD_V1_EXAMPLE.referral, referralNo: `${referralNo}-${run}` },
  });
const emergency = (recordId: string, location: { lat: number; lng: number }) =>
  JSON.stringify({ ...EMERGENCY_RECORD_V1_EXAMPLE, recordId: `${recordId}-${run}`, reportedAt: new Date().toISOString(), location });

describe('department referrals: their own cases, their severity, and the reply on Kafka', () => {
  let app: TestApp;
  let db: Client;
  let staff: TestStaff;
  let producer: Producer;
  let consumer: Consumer;
  let replyTopic: string;
  const replies: { key: string; partition: number; reply: Reply }[] = [];

  beforeAll(async () => {
    app = await startTestApp({ kafka: true });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    staff = await createStaff(app);
    const kafka = new Kafka({ clientId: 'referrals-test', brokers: readServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    replyTopic = `${app.kafkaTopicPrefix}cloudpatrol.referrals.police.v1`;
    // The relay creates the reply topics when it connects.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually('the police reply topic', async () => ((await admin.listTopics()).includes(replyTopic) ? true : undefined), 30_000);
    } finally {
      await admin.disconnect();
    }
    consumer = kafka.consumer({ groupId: `referrals-test-${randomBytes(4).toString('hex')}` });
    await consumer.connect();
    await consumer.subscribe({ topic: replyTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        replies.push({ key: message.key?.toString('utf8') ?? '', partition, reply: JSON.parse(message.value?.toString('utf8') ?? '{}') as Reply });
      },
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await db?.end();
    await app?.stop();
    if (app) await deleteKafkaTopics(app.kafkaTopicPrefix);
  });

  const send = (feed: 'police' | 'emergency', values: string[]) =>
    producer.send({ topic: `${app.kafkaTopicPrefix}monitoring.${feed}.v1`, acks: -1, messages: values.map((value) => ({ value })) });

  /** Cases of this run whose events came from `deviceId` and whose source event id is among `recordIds`. */
  const casesOf = async (deviceId: string, recordIds: string[]) =>
    (
      await db.query<CaseRow>(
        `SELECT DISTINCT c.id, c.case_number, c.identity_key, c.severity, c.occurrence_count, c.township_code, c.grid_code
           FROM cases c JOIN case_occurrences o ON o.case_id = c.id JOIN events e ON e.id = o.event_id
          WHERE e.device_id = $1 AND e.source_event_id = ANY($2::text[]) ORDER BY c.case_number`,
        [deviceId, recordIds.map((r) => `${deviceId}:${r}-${run}`)],
      )
    ).rows;
  const storedEvents = async (deviceId: string, recordIds: string[]) =>
    (
      await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE device_id = $1 AND source_event_id = ANY($2::text[])`, [
        deviceId,
        recordIds.map((r) => `${deviceId}:${r}-${run}`),
      ])
    ).rows[0].n;

  it('two police referrals 1.4 km apart in one grid cell, with different referral numbers, are two cases', async () => {
    await send('police', [police('JQ-A', 'YJ-A', GRID_WEST), police('JQ-B', 'YJ-B', GRID_EAST)]);
    await eventually('both referrals stored', async () => ((await storedEvents('POLICE-PLATFORM', ['JQ-A', 'JQ-B'])) === 2 ? true : undefined), 30_000);
    const cases = await eventually('two referral cases', async () => {
      const c = await casesOf('POLICE-PLATFORM', ['JQ-A', 'JQ-B']);
      return c.length === 2 ? c : undefined;
    });
    expect(cases.map((c) => c.identity_key).sort()).toEqual([`referral=POLICE-PLATFORM:YJ-A-${run}`, `referral=POLICE-PLATFORM:YJ-B-${run}`]);
    // Both in the same grid cell of the same township: the grid no longer merges them.
    expect(new Set(cases.map((c) => `${c.township_code}/${c.grid_code}`))).toEqual(new Set(['449901001/449901001002002']));
  });

  it('the same referral number sent again (a redelivery, then another record of it) joins its one case', async () => {
    const first = police('JQ-C1', 'YJ-C', GRID_WEST);
    await send('police', [first]);
    // The very same message again (a redelivery), and another record under the same referral number.
    await send('police', [first, police('JQ-C2', 'YJ-C', GRID_EAST)]);
    await eventually('the records of YJ-C stored', async () => ((await storedEvents('POLICE-PLATFORM', ['JQ-C1', 'JQ-C2'])) === 2 ? true : undefined), 30_000);
    const cases = await eventually('the case of YJ-C with both records', async () => {
      const c = await casesOf('POLICE-PLATFORM', ['JQ-C1', 'JQ-C2']);
      return c.length === 1 && c[0].occurrence_count === 2 ? c : undefined;
    });
    expect(cases).toHaveLength(1);
    expect(cases[0].identity_key).toBe(`referral=POLICE-PLATFORM:YJ-C-${run}`);
    // The redelivery is the same event, stored once.
    expect(await storedEvents('POLICE-PLATFORM', ['JQ-C1'])).toBe(1);
  });

  it('two emergency records 50 km apart outside every place are two cases; the critical severity shows on the case', async () => {
    await send('emergency', [emergency('EM-W', FAR_WEST), emergency('EM-E', FAR_EAST)]);
    const cases = await eventually('two emergency cases', async () => {
      const c = await casesOf('EMERGENCY-PLATFORM', ['EM-W', 'EM-E']);
      return c.length === 2 ? c : undefined;
    });
    expect(cases.map((c) => c.identity_key).sort()).toEqual([
      `category=incident-referral|record=EMERGENCY-PLATFORM:EM-E-${run}`,
      `category=incident-referral|record=EMERGENCY-PLATFORM:EM-W-${run}`,
    ]);
    // What an operator sees: the department's "critical", above the category's default "high".
    const view = await request(app.url).get(`/api/v1/cases/${cases[0].id}`).set('Authorization', `Bearer ${staff.supervisor.token}`).expect(200);
    expect(view.body).toMatchObject({ severity: 'critical', category: { code: 'incident-referral', severity: 'high' } });
    // No referral, no reply: once both openings are recorded, the emergency reply topic has nothing queued for them.
    await eventually('the openings of both emergency cases', async () => {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM case_transitions WHERE case_id = ANY($1::uuid[]) AND seq = 1`, [
        cases.map((c) => c.id),
      ]);
      return rows[0].n === 2 ? true : undefined;
    });
    const queued = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox WHERE topic LIKE 'cloudpatrol.referrals.%' AND payload->>'caseId' = ANY($1)`,
      [cases.map((c) => c.id)],
    );
    expect(queued.rows[0].n).toBe(0);
  });

  it('registering and dispatching a referral case answer the police on its reply topic, in order, each once', async () => {
    await send('police', [police('JQ-D', 'YJ-D', GRID_WEST)]);
    const [c] = await eventually('the case of YJ-D', async () => {
      const found = await casesOf('POLICE-PLATFORM', ['JQ-D']);
      return found.length === 1 ? found : undefined;
    });
    await step(app, staff.operator, c.id, { action: 'review-register', evidenceUsableForPenalty: false, note: 'stalls confirmed by the caller and on camera' });
    await step(app, staff.operator, c.id, { action: 'dispatch' });

    const referralNo = `YJ-D-${run}`;
    const mine = () => replies.filter((r) => r.reply.referralNo === referralNo);
    await eventually('three replies for YJ-D', async () => (mine().length >= 3 ? true : undefined), 30_000);
    const got = mine();
    expect(got.map((r) => r.reply.eventId)).toEqual([`${c.id}:1`, `${c.id}:2`, `${c.id}:3`]);
    expect(got.map((r) => [r.reply.action, r.reply.previousStatus, r.reply.status])).toEqual([
      ['open', null, 'detected'],
      ['review-register', 'detected', 'registered'],
      ['dispatch', 'registered', 'dispatched'],
    ]);
    expect(new Set(got.map((r) => r.key))).toEqual(new Set([referralNo]));
    expect(new Set(got.map((r) => r.partition)).size).toBe(1);
    for (const r of got) {
      expect(r.reply).toMatchObject({
        schema: 'cloudpatrol.referral-reply.v1',
        platform: 'POLICE-PLATFORM',
        referralNo,
        caseId: c.id,
        caseNumber: c.case_number,
      });
      expect(Number.isNaN(Date.parse(r.reply.at))).toBe(false);
    }
    expect(got[1].reply.statusNote).toBe('stalls confirmed by the caller and on camera');
    expect(got[2].reply).toMatchObject({ handlingUnit: 'township-team:449901001', statusNote: 'Dispatched to township-team:449901001.' });
    // The outbox holds exactly one reply per step for this case (the relay sent each once).
    const rows = await db.query<{ seq: string; n: number }>(
      `SELECT payload->>'seq' AS seq, count(*)::int AS n FROM outbox WHERE topic = 'cloudpatrol.referrals.police.v1' AND payload->>'caseId' = $1 GROUP BY 1 ORDER BY 1`,
      [c.id],
    );
    expect(rows.rows).toEqual([
      { seq: '1', n: 1 },
      { seq: '2', n: 1 },
      { seq: '3', n: 1 },
    ]);
  });
});
