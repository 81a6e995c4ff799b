import { Kafka, logLevel, Producer } from 'kafkajs';
import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { publishMqttStream } from '../fixtures/generic-events';
import { deleteKafkaTopics } from '../fixtures/kafka-topics';
import { PrivateMosquitto, startPrivateMosquitto } from '../fixtures/private-mosquitto';
import { readServices } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 23: the per-device limit stops floods and never eats good data. 5 events/s with a burst of 10: a device
 * gets 10 events per 2 s of its own time. Every event sent is accounted for: stored, or dead-lettered.
 */

const SECOND = 1000;
const YEAR = 365 * 24 * 3600 * SECOND;
const iso = (ms: number) => new Date(ms).toISOString();

/** An own-format event that classifies to nothing (no detections): stored, no case. */
const ownEvent = (deviceId: string, eventId: string, occurredMs: number) => JSON.stringify({ eventId, deviceId, occurredAt: iso(occurredMs), detections: [] });

/** A police platform record (docs/schemas/monitoring.police.v1.md), SYNTHETIC. */
const policeRecord = (recordId: string, occurredMs: number) =>
  JSON.stringify({
    schemaVersion: 1,
    recordId,
    platform: 'POLICE-PLATFORM',
    stationId: 'PS-TOWNSHIP-01',
    reportedAt: iso(occurredMs),
    occurredAt: iso(occurredMs),
    location: { lat: 23.10988, lng: 113.24817 },
    address: 'Synthetic Night Market, east entrance',
    type: 'illegal_vending',
    severity: 'medium',
    description: 'Back-filled referral (rate-limit test)',
    referral: { referralNo: `YJ-${recordId}`, referringUnit: 'Township 01 police station', referredAt: iso(occurredMs) },
  });

describe('events per device: floods are limited, backlogs and back-fills are not, and what was kept aside can be replayed', () => {
  let app: TestApp;
  let broker: PrivateMosquitto;
  let mqtt: MqttClient;
  let producer: Producer;
  let db: Client;
  let supervisor: string;

  beforeAll(async () => {
    // Floods on a broker of this file's own: no other app takes them, no other file's events use these budgets.
    broker = await startPrivateMosquitto();
    app = await startTestApp({ kafka: true, env: { MQTT_URL: broker.url, DEVICE_EVENTS_PER_SECOND: '5', DEVICE_EVENTS_BURST: '10' } });
    mqtt = await connectAsync(broker.url, { protocolVersion: 5 });
    producer = new Kafka({ clientId: 'rate-limit-test', brokers: readServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    const admin = await app.token();
    await request(app.url)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${admin}`)
      .send({ username: 'rate-supervisor', password: 'rate-supervisor-pw-1', role: 'supervisor', displayName: 'Rate supervisor' })
      .expect(201);
    supervisor = (
      (await request(app.url).post('/api/v1/auth/login').send({ username: 'rate-supervisor', password: 'rate-supervisor-pw-1' }).expect(200)).body as {
        accessToken: string;
      }
    ).accessToken;
  });

  afterAll(async () => {
    await producer?.disconnect();
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
    await broker?.stop();
    if (app) await deleteKafkaTopics(app.kafkaTopicPrefix);
  });

  /** What a user sees for one device and id prefix: events stored (and distinct ids), dead letters by reason. */
  const accounting = async (deviceId: string, prefix: string) => {
    const events = await db.query<{ n: number; ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT source_event_id)::int AS ids FROM events WHERE device_id = $1 AND source_event_id LIKE $2`,
      [deviceId, `%${prefix}%`],
    );
    const letters = await db.query<{ reason: string; n: number }>(
      `SELECT reason, count(*)::int AS n FROM dead_letters WHERE position($1 in convert_from(payload, 'UTF8')) > 0 GROUP BY reason ORDER BY reason`,
      [prefix],
    );
    const deadLetters = Object.fromEntries(letters.rows.map((r) => [r.reason, r.n]));
    const dead = letters.rows.reduce((sum, r) => sum + r.n, 0);
    return { stored: events.rows[0].n, distinct: events.rows[0].ids, deadLetters, dead };
  };
  const allAccountedFor = (deviceId: string, prefix: string, sent: number, timeoutMs = 30_000) =>
    eventually(
      `${sent} events of ${deviceId} accounted for`,
      async () => {
        const a = await accounting(deviceId, prefix);
        return a.stored + a.dead >= sent ? a : undefined;
      },
      timeoutMs,
    );
  const rateLimitedMetric = async () => {
    const text = (await request(app.url).get('/metrics').expect(200)).text;
    const line = text.split('\n').find((l) => l.startsWith('cloudpatrol_events_rejected_total{transport="mqtt",source="cloudpatrol",reason="rate-limited"} '));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };

  it('stores one event dated a year ahead and then 300 normal events 17 s apart sent at once; only the odd one is flagged', async () => {
    const device = 'CAM-MARKET-01';
    const topic = `cloudpatrol/v1/devices/${device}/events`;
    const now = Date.now();
    await mqtt.publishAsync(topic, ownEvent(device, 'ahead-odd', now + YEAR), { qos: 1 });
    await allAccountedFor(device, 'ahead-odd', 1);
    // A backlog drained after an outage: 300 events over the last 85 minutes of the device's own time.
    const backlog = Array.from({ length: 300 }, (_, i) => ownEvent(device, `ahead-normal-${i}`, now - (300 - i) * 17 * SECOND));
    await publishMqttStream(mqtt, topic, backlog).done;

    const done = await allAccountedFor(device, 'ahead-', 301);
    expect(done).toEqual({ stored: 301, distinct: 301, deadLetters: {}, dead: 0 });
    const flagged = await db.query<{ source_event_id: string; ahead: number }>(
      `SELECT source_event_id, (attributes->>'clockAheadSeconds')::float8 AS ahead FROM events WHERE device_id = $1 AND attributes ? 'clockAheadSeconds'`,
      [device],
    );
    expect(flagged.rows.map((r) => r.source_event_id)).toEqual(['ahead-odd']);
    expect(flagged.rows[0].ahead).toBeGreaterThan(YEAR / SECOND - 60);
    expect(flagged.rows[0].ahead).toBeLessThan(YEAR / SECOND + 60);
  });

  it('stores a platform back-filling 200 older records after a live one (Kafka)', async () => {
    const topic = `${app.kafkaTopicPrefix}monitoring.police.v1`;
    const now = Date.now();
    await producer.send({ topic, acks: -1, messages: [{ key: 'BF-LIVE', value: policeRecord('BF-LIVE', now) }] });
    await allAccountedFor('POLICE-PLATFORM', 'BF-LIVE', 1);
    // Newest first, 3 s apart: every record older than everything the limit has seen from this platform.
    const older = Array.from({ length: 200 }, (_, i) => ({ key: `BF-OLD-${i}`, value: policeRecord(`BF-OLD-${i}`, now - (i + 1) * 3 * SECOND) }));
    await producer.send({ topic, acks: -1, messages: older });

    const done = await allAccountedFor('POLICE-PLATFORM', 'BF-', 201);
    expect(done).toEqual({ stored: 201, distinct: 201, deadLetters: {}, dead: 0 });
  });

  it('keeps a flood aside as rate-limited dead letters; a replay stores each exactly once, and a second replay changes nothing', async () => {
    const device = 'DEMO-CAM-01';
    const at = Date.now() - 60 * SECOND;
    // One time replayed 60 times: 10 fit the device's budget for that window of its own time.
    const flood = Array.from({ length: 60 }, (_, i) => ownEvent(device, `flood-${i}`, at));
    await publishMqttStream(mqtt, `cloudpatrol/v1/devices/${device}/events`, flood).done;
    await mqtt.publishAsync('cloudpatrol/v1/devices/CAM-PARK-01/events', ownEvent('CAM-PARK-01', 'calm-1', at), { qos: 1 });

    const limited = await allAccountedFor(device, 'flood-', 60);
    expect(limited).toEqual({ stored: 10, distinct: 10, deadLetters: { 'rate-limited': 50 }, dead: 50 });
    // Another device is not slowed by it.
    expect(await allAccountedFor('CAM-PARK-01', 'calm-1', 1)).toEqual({ stored: 1, distinct: 1, deadLetters: {}, dead: 0 });
    expect(await rateLimitedMetric()).toBe(50);

    // Nobody without a role for it replays: no token 401 (the role matrix is security-matrix.int-spec.ts).
    await request(app.url).post('/api/v1/dead-letters/replay').send({ reason: 'rate-limited' }).expect(401);

    // Two supervisors replay at once: each dead letter is taken by one of them only.
    const replay = (body: object) => request(app.url).post('/api/v1/dead-letters/replay').set('Authorization', `Bearer ${supervisor}`).send(body);
    const both = await Promise.all([
      replay({ reason: 'rate-limited', deviceId: device, limit: 30 }),
      replay({ reason: 'rate-limited', deviceId: device, limit: 30 }),
    ]);
    type Replayed = {
      replayed: number;
      stored: number;
      duplicate: number;
      ignored: number;
      rejected: number;
      remaining: number;
      results: { deadLetterId: string }[];
    };
    const answers = both.map((r) => {
      expect(r.status).toBe(200);
      return r.body as Replayed;
    });
    // Two calls racing may leave a few for a later call (one skips what the other holds): go on until none remain.
    for (let i = 0; i < 5 && answers[answers.length - 1].remaining > 0 && answers.reduce((s, a) => s + a.replayed, 0) < 50; i++) {
      answers.push((await replay({ reason: 'rate-limited', deviceId: device, limit: 30 }).expect(200)).body as Replayed);
    }
    const total = (k: 'replayed' | 'stored' | 'duplicate' | 'ignored' | 'rejected') => answers.reduce((s, a) => s + a[k], 0);
    expect({
      replayed: total('replayed'),
      stored: total('stored'),
      duplicate: total('duplicate'),
      ignored: total('ignored'),
      rejected: total('rejected'),
    }).toEqual({
      replayed: 50,
      stored: 50,
      duplicate: 0,
      ignored: 0,
      rejected: 0,
    });
    const ids = answers.flatMap((a) => a.results.map((r) => r.deadLetterId));
    expect(new Set(ids).size).toBe(50);

    // Every flood event stored once; the 50 dead letters are still there, each marked replayed with its outcome.
    expect(await accounting(device, 'flood-')).toEqual({ stored: 60, distinct: 60, deadLetters: { 'rate-limited': 50 }, dead: 50 });
    const marks = await db.query<{ replayed: number; stored: number; by: string }>(
      `SELECT count(*) FILTER (WHERE replayed_at IS NOT NULL)::int AS replayed, count(*) FILTER (WHERE replay_outcome->>'status' = 'stored')::int AS stored,
              string_agg(DISTINCT replayed_by, ',') AS by
         FROM dead_letters WHERE reason = 'rate-limited' AND device_id = $1`,
      [device],
    );
    expect(marks.rows[0]).toEqual({ replayed: 50, stored: 50, by: 'rate-supervisor' });

    // A second replay finds nothing to do and changes nothing.
    const again = (await replay({ reason: 'rate-limited', deviceId: device }).expect(200)).body as Replayed;
    expect(again).toEqual({ replayed: 0, stored: 0, duplicate: 0, ignored: 0, rejected: 0, remaining: 0, results: [] });
    const all = (await replay({ reason: 'rate-limited' }).expect(200)).body as Replayed;
    expect(all.replayed).toBe(0);
    expect(await accounting(device, 'flood-')).toEqual({ stored: 60, distinct: 60, deadLetters: { 'rate-limited': 50 }, dead: 50 });
    expect(await rateLimitedMetric()).toBe(50);
  });

  it('stores a second stream re-sent over the same hour of the device’s time (issue 17), and still holds a backlog pushed far faster than the rate', async () => {
    const device = 'CAM-SHOP-01';
    const topic = `cloudpatrol/v1/devices/${device}/events`;
    // An hour ago (beyond the 300 s tolerance: a backlog, not live), 10 events in one 2 s window of own time: the budget is 10.
    const t0 = Math.floor((Date.now() - 3600 * SECOND) / (2 * SECOND)) * 2 * SECOND;
    const stream = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ownEvent(device, `${prefix}-${i}`, t0 + (i % 10) * 100));

    await publishMqttStream(mqtt, topic, stream('resend-first', 10)).done;
    expect(await allAccountedFor(device, 'resend-first', 10)).toEqual({ stored: 10, distinct: 10, deadLetters: {}, dead: 0 });

    // The same window again with other ids (a platform replaying the hour): its own-time window is full, so it is judged
    // by arrival — 10 arriving within the rate pass. Before, all 10 were `rate-limited` dead letters.
    await publishMqttStream(mqtt, topic, stream('resend-second', 10)).done;
    expect(await allAccountedFor(device, 'resend-second', 10)).toEqual({ stored: 10, distinct: 10, deadLetters: {}, dead: 0 });

    // 200 more of that window pushed at once: a flood by arrival, held to 10 per 2 s of arrival; every one accounted for.
    const sent = 200;
    await publishMqttStream(mqtt, topic, stream('resend-flood', sent)).done;
    const flood = await allAccountedFor(device, 'resend-flood', sent);
    expect(flood.stored + flood.dead).toBe(sent);
    expect(flood.distinct).toBe(flood.stored);
    expect(Object.keys(flood.deadLetters)).toEqual(['rate-limited']);
    // 200 published in one go arrive within seconds: at most 10 per 2 s arrival window get through.
    expect(flood.deadLetters['rate-limited']).toBeGreaterThanOrEqual(100);
  });
});
