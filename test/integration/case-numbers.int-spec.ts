import { MetricsService } from '@app/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import { readServices, ROOT } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 17: the case register had holes — `nextval` inside `INSERT … ON CONFLICT` burnt a number on every
 * detection that joined an open case (000002 → 000007 → 000009). Now a number is given only when a case is really
 * opened: 3,000 detections over ~150 identities, from three publishers at once, consumed by two workers (each with
 * pipelined batches), give the day's cases exactly 000001..N; a batch that fails after numbering gives its number back.
 */

const EVENTS = 3_000;
const LABELS = ['garbage', 'construction', 'banner'];
const TOPIC = 'cloudpatrol/v1/devices/DRONE-01/events';
const START = Date.parse('2026-11-28T10:00:00+08:00');

/** One point inside each demo grid (the mean of its ring's corners): a grid is an identity for these rules. */
const gridPoints: { lat: number; lng: number }[] = (
  JSON.parse(readFileSync(join(ROOT, 'config/demo/grids.geojson'), 'utf8')) as { features: { geometry: { type: string; coordinates: unknown } }[] }
).features.map((f) => {
  const ring = (f.geometry.type === 'Polygon' ? (f.geometry.coordinates as number[][][])[0] : (f.geometry.coordinates as number[][][][])[0][0]).slice(0, -1);
  return { lng: ring.reduce((a, p) => a + p[0], 0) / ring.length, lat: ring.reduce((a, p) => a + p[1], 0) / ring.length };
});

function detection(eventId: string, n: number, label: string, at: { lat: number; lng: number }) {
  return JSON.stringify({
    eventId,
    deviceId: 'DRONE-01',
    // One per second of source time: far below the per-device rate limit.
    occurredAt: new Date(START + n * 1000).toISOString(),
    location: at,
    detections: [{ label, confidence: 0.9 }],
  });
}

/** The register of each local day: the numbers given, sorted, and the day's counter. */
async function register(db: Client): Promise<Map<string, { numbers: number[]; counter: number | undefined }>> {
  const cases = await db.query<{ case_number: string }>(`SELECT case_number FROM cases`);
  const days = new Map<string, { numbers: number[]; counter: number | undefined }>();
  for (const { case_number } of cases.rows) {
    const m = /^CP-(\d{8})-(\d{6,})$/.exec(case_number);
    if (!m) throw new Error(`case number ${case_number} is not CP-YYYYMMDD-NNNNNN`);
    const day = days.get(m[1]) ?? { numbers: [], counter: undefined };
    day.numbers.push(Number(m[2]));
    days.set(m[1], day);
  }
  const counters = await db.query<{ day: string; last: number }>(`SELECT to_char(day, 'YYYYMMDD') AS day, last FROM case_number_days`);
  for (const c of counters.rows) {
    const day = days.get(c.day) ?? { numbers: [], counter: undefined };
    day.counter = c.last;
    days.set(c.day, day);
  }
  for (const d of days.values()) d.numbers.sort((a, b) => a - b);
  return days;
}

function expectGapless(days: Map<string, { numbers: number[]; counter: number | undefined }>): number {
  let total = 0;
  for (const [day, { numbers, counter }] of days) {
    expect({ day, numbers }).toEqual({ day, numbers: Array.from({ length: numbers.length }, (_, i) => i + 1) });
    expect({ day, counter }).toEqual({ day, counter: numbers.length });
    total += numbers.length;
  }
  return total;
}

describe('gapless case numbers per day', () => {
  let app: TestApp;
  const workers: TestApp[] = [];
  const publishers: MqttClient[] = [];
  let db: Client;

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    // One share group: the broker splits the stream between the two workers, whose batches then open cases at once.
    const group = `cn${Date.now().toString(36)}`;
    for (let i = 0; i < 2; i++) workers.push(await startTestApp({ mode: 'worker', databaseUrl: app.databaseUrl, env: { MQTT_SHARE_GROUP: group } }));
    for (let i = 0; i < 3; i++) publishers.push(await connectAsync(readServices().mqttUrl, { protocolVersion: 5 }));
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    for (const p of publishers) await p.endAsync();
    await db?.end();
    for (const w of workers) await w.stop();
    await app?.stop();
  });

  it(`numbers only the cases opened: ${EVENTS} detections joining open cases leave 000001..N with no hole`, async () => {
    const messages = Array.from({ length: EVENTS }, (_, n) => {
      const label = LABELS[n % LABELS.length];
      const at = gridPoints[Math.floor(n / LABELS.length) % gridPoints.length];
      return detection(`cn-${n}`, n, label, at);
    });
    // Three publishers at once, 50 messages in flight each.
    await Promise.all(
      publishers.map(async (p, k) => {
        const mine = messages.filter((_, n) => n % publishers.length === k);
        for (let i = 0; i < mine.length; i += 50) await Promise.all(mine.slice(i, i + 50).map((m) => p.publishAsync(TOPIC, m, { qos: 1 })));
      }),
    );
    await eventually(
      `${EVENTS} events stored`,
      async () => ((await db.query(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE 'cn-%'`)).rows[0].n === EVENTS ? true : undefined),
      90_000,
    );
    // Every detection is on a case or counted as suppressed (the demo's silenced works site), none dead-lettered.
    const occurrences = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM case_occurrences`)).rows[0].n;
    const suppressed = (await db.query<{ n: number }>(`SELECT coalesce(sum(count), 0)::int AS n FROM suppressions`)).rows[0].n;
    expect(occurrences + suppressed).toBe(EVENTS);
    expect(occurrences).toBeGreaterThan(EVENTS * 0.9);
    expect((await db.query(`SELECT count(*)::int AS n FROM dead_letters`)).rows[0].n).toBe(0);

    const n = expectGapless(await register(db));
    expect(n).toBe((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases`)).rows[0].n);
    // ~150 identities (3 labels × 52 grids, a few merged into places): far fewer cases than detections.
    expect(n).toBeGreaterThanOrEqual(100);
    expect(n).toBeLessThanOrEqual(LABELS.length * gridPoints.length);
    // Both workers opened cases (concurrent transactions numbering, not one worker in turn), together all of them.
    const openedBy = await Promise.all(workers.map(async (w) => (await w.app.get(MetricsService).casesOpened.get()).values.reduce((a, v) => a + v.value, 0)));
    expect(openedBy.every((o) => o > 0)).toBe(true);
    expect(openedBy.reduce((a, o) => a + o, 0)).toBe(n);
  });

  it('gives back the number of a batch that fails after numbering (rolled back, retried, then numbered next)', async () => {
    const before = expectGapless(await register(db));
    // Fails the batch after its cases were inserted and numbered: at the occurrences insert, as a database error
    // the worker retries in place. A sequence (not transactional) counts the attempts.
    await db.query(`CREATE SEQUENCE cn_failed_attempts`);
    await db.query(
      `CREATE FUNCTION cn_fail() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF EXISTS (SELECT 1 FROM events WHERE id = NEW.event_id AND source_event_id LIKE 'cn-fail-%') THEN
           PERFORM nextval('cn_failed_attempts');
           RAISE EXCEPTION 'test: this batch fails after numbering';
         END IF;
         RETURN NEW;
       END $$`,
    );
    await db.query(`CREATE TRIGGER cn_fail BEFORE INSERT ON case_occurrences FOR EACH ROW EXECUTE FUNCTION cn_fail()`);

    // A new identity (a vendor, a label not used above) in the first grid: it would open case N+1.
    await publishers[0].publishAsync(TOPIC, detection('cn-fail-1', EVENTS + 1, 'vendor', gridPoints[0]), { qos: 1 });
    await eventually('the batch failed twice (tried again after rolling back)', async () => {
      const r = await db.query<{ last_value: string; is_called: boolean }>(`SELECT last_value, is_called FROM cn_failed_attempts`);
      return r.rows[0].is_called && Number(r.rows[0].last_value) >= 2 ? true : undefined;
    });
    expect((await db.query(`SELECT count(*)::int AS n FROM cases WHERE category_code = 'street-occupation'`)).rows[0].n).toBe(0);
    expect(expectGapless(await register(db))).toBe(before);

    await db.query(`DROP TRIGGER cn_fail ON case_occurrences`);
    const opened = await eventually('the retried batch opened its case', async () => {
      const r = await db.query<{ case_number: string }>(`SELECT case_number FROM cases WHERE category_code = 'street-occupation'`);
      return r.rows[0]?.case_number;
    });
    expect(Number(opened.slice(-6))).toBe(before + 1);
    expect(expectGapless(await register(db))).toBe(before + 1);
  });
});
