import { connectAsync, MqttClient } from 'mqtt';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import request from 'supertest';
import { readServices } from '../support/services';
import { SseClient } from '../support/sse-client';
import { eventually, startTestApp, TestApp } from '../support/test-app';

const topic = 'cloudpatrol/v1/devices/DEMO-CAM-01/events';
const event = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    eventId: id,
    deviceId: 'DEMO-CAM-01',
    occurredAt: '2026-11-28T10:00:00+08:00',
    detections: [{ label: 'garbage', confidence: 0.93 }],
    ...extra,
  });

interface CaseList {
  items: { id: string; caseNumber: string; category: { code: string }; occurrenceCount: number; status: string; explanation: Record<string, unknown> }[];
  total: number;
}

describe('foundation: one event travels the whole way', () => {
  let app: TestApp;
  let mqtt: MqttClient;
  let db: Client;

  beforeAll(async () => {
    app = await startTestApp({ kafka: true });
    mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
  });

  const cases = async (query = ''): Promise<CaseList> =>
    (
      await request(app.url)
        .get(`/api/v1/cases${query}`)
        .set('Authorization', `Bearer ${await app.token()}`)
        .expect(200)
    ).body as CaseList;

  it('turns an MQTT event into exactly one case, visible over HTTP and pushed live', async () => {
    const sse = await SseClient.open(`${app.url}/api/v1/alerts/stream`, await app.token());
    try {
      await mqtt.publishAsync(topic, event('e-1'), { qos: 1 });
      const list = await eventually('a case', async () => {
        const l = await cases();
        return l.total === 1 ? l : undefined;
      });
      expect(list.items[0].category.code).toBe('exposed-garbage');
      expect(list.items[0].status).toBe('detected');
      expect(list.items[0].caseNumber).toMatch(/^CP-\d{8}-\d{6}$/);
      expect(list.items[0].explanation).toMatchObject({ rule: 'garbage-exposed', confidence: 0.93, minConfidence: 0.5 });

      const alert = await eventually('an SSE alert', async () => sse.events[0] as { type: string; case: { id: string } } | undefined);
      expect(alert.type).toBe('case.opened');
      expect(alert.case.id).toBe(list.items[0].id);

      const one = await request(app.url)
        .get(`/api/v1/cases/${list.items[0].id}`)
        .set('Authorization', `Bearer ${await app.token()}`)
        .expect(200);
      expect((one.body as { id: string }).id).toBe(list.items[0].id);
    } finally {
      sse.close();
    }
  });

  it('stores a repeated event id once and does not count it again', async () => {
    await mqtt.publishAsync(topic, event('e-1'), { qos: 1 });
    await mqtt.publishAsync(topic, event('e-2'), { qos: 1 });
    await eventually('the second occurrence', async () => ((await cases()).items[0]?.occurrenceCount === 2 ? true : undefined));
    const stored = await db.query(`SELECT count(*)::int AS n FROM events WHERE source_event_id IN ('e-1','e-2')`);
    expect(stored.rows[0].n).toBe(2);
    expect((await cases()).total).toBe(1);
  });

  it('keeps malformed payloads aside with their reason and carries on', async () => {
    await mqtt.publishAsync(topic, '{"eventId": "broken', { qos: 1 });
    await mqtt.publishAsync(topic, JSON.stringify({ eventId: 5, deviceId: 'DEMO-CAM-01', occurredAt: 'yesterday', detections: 'many' }), { qos: 1 });
    await mqtt.publishAsync(topic, JSON.stringify({ eventId: 'no-device', occurredAt: '2026-11-28T10:00:00+08:00', detections: [] }), { qos: 1 });
    await mqtt.publishAsync(
      'cloudpatrol/v1/devices/NOBODY/events',
      JSON.stringify({ eventId: 'x', deviceId: 'NOBODY', occurredAt: '2026-11-28T10:00:00+08:00', detections: [] }),
      { qos: 1 },
    );
    await mqtt.publishAsync(topic, event('e-after-bad'), { qos: 1 });

    await eventually('the valid event after the bad ones', async () => ((await cases()).items[0]?.occurrenceCount === 3 ? true : undefined));
    const dead = await db.query<{ reason: string; detail: string }>(`SELECT reason, detail FROM dead_letters ORDER BY id`);
    expect(dead.rows.map((r) => r.reason)).toEqual(['not-json', 'invalid-schema', 'missing-device-id', 'unknown-device']);
    expect(dead.rows[1].detail).toContain('occurredAt');
    const notStored = await db.query(`SELECT count(*)::int AS n FROM events WHERE source_event_id IN ('no-device', 'x')`);
    expect(notStored.rows[0].n).toBe(0);

    const metrics = await request(app.url).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/cloudpatrol_events_rejected_total\{transport="mqtt",source="cloudpatrol",reason="not-json"\} 1/);
    expect(metrics.text).toMatch(/cloudpatrol_events_rejected_total\{transport="mqtt",source="cloudpatrol",reason="unknown-device"\} 1/);
  });

  it('takes events from Kafka through the same path', async () => {
    const kafka = new Kafka({ clientId: 'test-producer', brokers: readServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      await producer.send({
        topic: `${app.kafkaTopicPrefix}cloudpatrol.events.v1`,
        messages: [{ key: 'DEMO-CAM-01', value: event('k-1', { detections: [{ label: 'garbage', confidence: 0.8, plate: 'KAFKA1' }] }) }],
      });
    } finally {
      await producer.disconnect();
    }
    // Same camera, same grid cell, same category: the Kafka event joins the open case.
    const list = await eventually(
      'the Kafka event on the case',
      async () => {
        const l = await cases();
        return l.items[0]?.occurrenceCount === 4 ? l : undefined;
      },
      30_000,
    );
    expect(list.total).toBe(1);
    const fromKafka = await db.query(
      `SELECT e.raw_payload FROM events e JOIN case_occurrences o ON o.event_id = e.id WHERE e.source_event_id = 'k-1' AND o.case_id = $1`,
      [list.items[0].id],
    );
    expect(fromKafka.rows).toHaveLength(1);
    expect(fromKafka.rows[0].raw_payload).toContain('KAFKA1');
  });

  it('sends a busy case as a few alerts carrying its latest count, not one per detection', async () => {
    const before = (await cases()).items[0].occurrenceCount;
    const sse = await SseClient.open(`${app.url}/api/v1/alerts/stream`, await app.token());
    try {
      // 40 separate growths of the case, one every 60 ms (each stored before the next is sent).
      const started = Date.now();
      for (let i = 0; i < 40; i++) {
        await mqtt.publishAsync(topic, event(`busy-${i}`), { qos: 1 });
        await new Promise((r) => setTimeout(r, 60));
      }
      // Case alerts only: the deadline watcher may also report this (day-old) case overdue meanwhile.
      const caseAlerts = () =>
        (sse.events as { type: string; case: { occurrenceCount: number } }[]).filter((e) => e.type === 'case.opened' || e.type === 'case.updated');
      const last = await eventually('an alert with the final count', async () => {
        const counts = caseAlerts().map((e) => e.case.occurrenceCount);
        return counts.includes(before + 40) ? counts : undefined;
      });
      const seconds = (Date.now() - started) / 1000;
      expect(caseAlerts().every((e) => e.type === 'case.updated')).toBe(true);
      // At most one growth alert a second for the case (40 growths in well under the 40 s that would allow).
      expect(seconds).toBeLessThan(20);
      expect(last.length).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    } finally {
      sse.close();
    }
  });

  it('answers health, metrics and OpenAPI, and refuses cases without a login', async () => {
    const health = await request(app.url).get('/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', checks: { database: { status: 'up' }, mqtt: { status: 'up' }, kafka: { status: 'up' } } });
    await request(app.url).get('/api/docs-json').expect(200);
    // Kafka lag per partition, caught up after the Kafka test.
    const metrics = await request(app.url).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/cloudpatrol_ingest_lag\{transport="kafka",topic="[^"]*cloudpatrol\.events\.v1",partition="\d+"\} 0/);
    expect(metrics.text).toMatch(/cloudpatrol_events_stored_total\{source="cloudpatrol",device="DEMO-CAM-01"\} \d+/);
    await request(app.url).get('/api/v1/cases').expect(401);
    await request(app.url).get('/api/v1/cases').set('Authorization', 'Bearer forged.token.value').expect(401);
    await request(app.url).post('/api/v1/auth/login').send({ username: 'admin', password: 'wrong' }).expect(401);
    await request(app.url).post('/api/v1/auth/login').send({ username: 'admin' }).expect(400);
  });
});
