import { loadDistrictConfig } from '@app/config';
import type { GeoPoint } from '@app/domain';
import { connectAsync, MqttClient } from 'mqtt';
import { join } from 'node:path';
import { Client } from 'pg';
import { readServices, ROOT } from '../support/services';
import { createTestDatabase, eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 23, 无事不扰 as documented: at a listed business (config/demo/rules.yaml doNotDisturb: SYN-BIZ-0001, the
 * Fengwei Restaurant frontage) the first minor issue gets no case and is recorded with its reason; a repeat within
 * the window (365 days) — any minor issue of the business — opens a case. Found: every one of 30 garbage events,
 * 40 vending referrals, 15 Frigate events and 12 drone marks was suppressed as a "first issue".
 */
const TOPIC = 'cloudpatrol/v1/devices/DRONE-01/events';
const SUBJECT = 'business:SYN-BIZ-0001';
const FRONTAGE = 't01-fengwei-restaurant-frontage';

const district = loadDistrictConfig(join(ROOT, 'config/demo'));
const frontage: GeoPoint = (() => {
  const place = district.jurisdiction.place(FRONTAGE);
  if (!place) throw new Error(`${FRONTAGE} is not in the demo places`);
  const ring = (place.geometry.type === 'Polygon' ? place.geometry.coordinates[0] : place.geometry.coordinates[0][0]) as number[][];
  const corners = ring.slice(0, -1);
  return { lng: corners.reduce((a, p) => a + p[0], 0) / corners.length, lat: corners.reduce((a, p) => a + p[1], 0) / corners.length };
})();

interface Sent {
  id: string;
  at: Date;
  label: 'garbage' | 'vendor';
}

const local = (iso: string) => new Date(`${iso}+08:00`);
const minutes = (base: Date, m: number) => new Date(base.getTime() + m * 60_000);

/** What an operator sees for the business: which events are in cases, and the first issues recorded instead. */
async function seen(db: Client, ids: string[]) {
  const inCases = await db.query<{ id: string; category_code: string; explanation: { doNotDisturb?: Record<string, unknown> } }>(
    `SELECT e.source_event_id AS id, c.category_code, c.explanation FROM events e
       JOIN case_occurrences o ON o.event_id = e.id JOIN cases c ON c.id = o.case_id
      WHERE e.source_event_id = ANY($1) AND c.status <> 'rejected' ORDER BY e.occurred_at, e.source_event_id`,
    [ids],
  );
  const firsts = await db.query<{ id: string; reference: string; detail: string; count: number }>(
    `SELECT e.source_event_id AS id, s.reference, s.detail, s.count FROM suppressions s JOIN events e ON e.id = s.latest_event_id
      WHERE s.reason = 'do-not-disturb' AND e.source_event_id = ANY($1) ORDER BY e.occurred_at, e.source_event_id`,
    [ids],
  );
  return { inCases: inCases.rows, firsts: firsts.rows };
}

async function publish(mqtt: MqttClient, events: Sent[]): Promise<void> {
  for (const e of events) {
    await mqtt.publishAsync(
      TOPIC,
      JSON.stringify({
        eventId: e.id,
        deviceId: 'DRONE-01',
        occurredAt: e.at.toISOString(),
        location: frontage,
        detections: [{ label: e.label, confidence: 0.9 }],
      }),
      { qos: 1 },
    );
  }
}

async function stored(db: Client, ids: string[], timeoutMs?: number): Promise<void> {
  await eventually(
    `${ids.length} events stored`,
    async () =>
      Number((await db.query(`SELECT count(*) AS n FROM events WHERE source_event_id = ANY($1)`, [ids])).rows[0].n) === ids.length ? true : undefined,
    timeoutMs,
  );
}

describe('do-not-disturb: the first minor issue is suppressed, a repeat opens a case', () => {
  let app: TestApp;
  let mqtt: MqttClient;
  let db: Client;

  beforeAll(async () => {
    app = await startTestApp();
    mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
  });

  // Each test lives in its own year: the window is 365 days, so they never see each other's history.
  const send = async (events: Sent[]) => {
    await publish(mqtt, events);
    await stored(
      db,
      events.map((e) => e.id),
    );
  };

  it('the report as found: 30 garbage events over 30 minutes give one suppressed first issue and one case; 40 vending reports after them are repeats too', async () => {
    const garbage: Sent[] = Array.from({ length: 30 }, (_, m) => ({ id: `found-g${m}`, at: minutes(local('2021-03-10T10:00:00'), m), label: 'garbage' }));
    await send(garbage);
    const afterGarbage = await seen(
      db,
      garbage.map((g) => g.id),
    );
    expect(afterGarbage.firsts).toEqual([{ id: 'found-g0', reference: SUBJECT, count: 1, detail: expect.stringContaining('first issue') as unknown }]);
    expect(afterGarbage.firsts[0].detail).toContain('Fengwei Restaurant');
    expect(afterGarbage.inCases.map((c) => c.id)).toEqual(garbage.slice(1).map((g) => g.id));
    expect(new Set(afterGarbage.inCases.map((c) => c.category_code))).toEqual(new Set(['exposed-garbage']));
    const cases = await db.query(`SELECT occurrence_count, explanation FROM cases WHERE place_id = $1 AND category_code = 'exposed-garbage'`, [FRONTAGE]);
    expect(cases.rows).toHaveLength(1);
    expect(cases.rows[0].occurrence_count).toBe(29);
    expect(cases.rows[0].explanation.doNotDisturb).toEqual({ subjectId: SUBJECT, earlierIssue: true, windowDays: 365 });

    // Another kind of minor issue of the same business is a repeat as well: a case, no second free pass.
    const vending: Sent[] = Array.from({ length: 40 }, (_, m) => ({ id: `found-v${m}`, at: minutes(local('2021-03-10T12:00:00'), m), label: 'vendor' }));
    await send(vending);
    const afterVending = await seen(
      db,
      vending.map((v) => v.id),
    );
    expect(afterVending.firsts).toEqual([]);
    expect(afterVending.inCases.map((c) => c.id)).toEqual(vending.map((v) => v.id));
    expect(new Set(afterVending.inCases.map((c) => c.category_code))).toEqual(new Set(['street-occupation']));
  });

  it('across batches: a first issue stored alone makes the next one, a day later, a repeat', async () => {
    await send([{ id: 'apart-g', at: local('2023-03-10T10:00:00'), label: 'garbage' }]);
    expect(await seen(db, ['apart-g'])).toEqual({ inCases: [], firsts: [expect.objectContaining({ id: 'apart-g', reference: SUBJECT })] });
    await send([{ id: 'apart-v', at: local('2023-03-11T10:00:00'), label: 'vendor' }]);
    const after = await seen(db, ['apart-g', 'apart-v']);
    expect(after.inCases.map((c) => [c.id, c.category_code])).toEqual([['apart-v', 'street-occupation']]);
    expect(after.firsts.map((f) => f.id)).toEqual(['apart-g']);
  });

  it('a first issue that arrives after a later one: the earlier is the first, the later becomes a case occurrence', async () => {
    await send([{ id: 'late-g2', at: local('2025-03-10T10:30:00'), label: 'garbage' }]);
    expect((await seen(db, ['late-g2'])).firsts.map((f) => f.id)).toEqual(['late-g2']);
    await send([{ id: 'late-g1', at: local('2025-03-10T10:00:00'), label: 'garbage' }]);
    const after = await seen(db, ['late-g1', 'late-g2']);
    expect(after.firsts.map((f) => f.id)).toEqual(['late-g1']);
    expect(after.inCases.map((c) => c.id)).toEqual(['late-g2']);
    // Why it changed is kept: the case it joined may be an older one, explained by its own first issue.
    const audit = await db.query(`SELECT actor_role, data FROM audit_log WHERE action = 'do-not-disturb.repeat-afterwards'`);
    expect(audit.rows).toMatchObject([
      {
        actor_role: 'system',
        data: { subjectId: SUBJECT, sourceEventId: 'late-g2', earlierIssueAt: local('2025-03-10T10:00:00').toISOString(), ruleVersion: 1 },
      },
    ]);
  });

  it('after more than the window without any issue, the next minor issue is a first issue again', async () => {
    await send([{ id: 'window-g1', at: local('2027-03-10T10:00:00'), label: 'garbage' }]);
    await send([{ id: 'window-g2', at: local('2028-03-12T10:00:00'), label: 'garbage' }]);
    expect((await seen(db, ['window-g1', 'window-g2'])).firsts.map((f) => f.id)).toEqual(['window-g1', 'window-g2']);
  });
});

describe('do-not-disturb with two workers on one stream', () => {
  it('suppresses exactly the earliest issue, whichever worker stores which event first', async () => {
    const databaseUrl = await createTestDatabase();
    const shared = { MQTT_SHARE_GROUP: `g${Date.now().toString(36)}`, INGEST_BATCH_SIZE: '3' };
    const a = await startTestApp({ mode: 'worker', databaseUrl, env: shared });
    const b = await startTestApp({ mode: 'worker', databaseUrl, env: shared });
    const mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      // Newest first, so the workers store later events before earlier ones.
      const events: Sent[] = Array.from({ length: 24 }, (_, m) => ({
        id: `two-${m}`,
        at: minutes(local('2026-03-10T10:00:00'), m),
        label: m % 2 ? 'vendor' : 'garbage',
      }));
      await publish(mqtt, [...events].reverse());
      await stored(
        db,
        events.map((e) => e.id),
        30_000,
      );
      const out = await seen(
        db,
        events.map((e) => e.id),
      );
      expect(out.firsts.map((f) => f.id)).toEqual(['two-0']);
      expect(out.inCases.map((c) => c.id).sort()).toEqual(
        events
          .slice(1)
          .map((e) => e.id)
          .sort(),
      );
    } finally {
      await mqtt.endAsync();
      await db.end();
      await a.stop();
      await b.stop();
    }
  }, 120_000);
});
