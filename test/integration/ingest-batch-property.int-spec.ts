import fc from 'fast-check';
import { Client } from 'pg';
import { MetricsService } from '@app/core';
import { IngestService } from '@app/ingest';
import type { InboundMessage } from '@app/messaging';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 22, property: random batches mixing every category of the demo rules — fire/smoke with its grid
 * inhibitor, dwell categories with tracks and plates, the loading-bay grace, the night-market window, the
 * permitted-works silence, the do-not-disturb frontage, department feeds — with repeated identities, places,
 * tracks, suppression keys and exact re-sends inside one batch, through the real ingest transaction on
 * PostgreSQL. Every batch commits as a whole (no attempt fails, nothing is split off or dead-lettered) and
 * the stored events equal the distinct events sent. State carries over from batch to batch, as in service.
 */

interface Camera {
  id: string;
  zones: string[];
}

const CAMERAS: Camera[] = [
  { id: 'DEMO-CAM-01', zones: [] },
  { id: 'CAM-PARK-01', zones: ['no_parking', 'loading_bay'] },
  { id: 'CAM-MARKET-01', zones: ['market'] },
  { id: 'CAM-FIRE-01', zones: ['fire_lane'] },
  { id: 'CAM-SHOP-01', zones: ['frontage'] },
];

/** Points in the places of config/demo/places.geojson: street, riverside works (silenced), frontage (do-not-disturb), market, fire lane. */
const POINTS = [
  { lat: 23.105, lng: 113.255 },
  { lat: 23.104, lng: 113.241 },
  { lat: 23.1181, lng: 113.2463 },
  { lat: 23.1253, lng: 113.256 },
  { lat: 23.11, lng: 113.2563 },
  { lat: 23.1202, lng: 113.2443 },
];

const CAMERA_LABELS = ['smoke', 'fire', 'garbage', 'vendor', 'construction', 'scaffold', 'banner', 'car', 'truck', 'bicycle'];
const FEEDS = {
  'monitoring.fire.v1': { platform: 'FIRE-PLATFORM', types: ['smoke_alarm', 'fire_alarm', 'blocked_fire_exit', 'fire_equipment_fault'] },
  'monitoring.police.v1': {
    platform: 'POLICE-PLATFORM',
    types: ['illegal_vending', 'street_occupation', 'public_order', 'illegal_parking', 'illegal_construction'],
  },
  'monitoring.emergency.v1': { platform: 'EMERGENCY-PLATFORM', types: ['flooding', 'hazard', 'fallen_tree'] },
} as const;
type FeedTopic = keyof typeof FEEDS;

/** 17:30 local: two hours of minutes cover the 18:00–22:00 night-market window and every dwell threshold. */
const BASE = Date.parse('2026-11-28T17:30:00+08:00');

const cameraEvent = fc.record({
  kind: fc.constant('camera' as const),
  camera: fc.constantFrom(...CAMERAS),
  label: fc.constantFrom(...CAMERA_LABELS),
  minute: fc.integer({ min: 0, max: 120 }),
  point: fc.constantFrom(...POINTS),
  track: fc.option(fc.constantFrom('t1', 't2', 't3'), { nil: undefined }),
  plate: fc.option(fc.constantFrom('粤A11111', '粤B22222'), { nil: undefined }),
  stationary: fc.boolean(),
  zoneCount: fc.integer({ min: 0, max: 2 }),
  confidence: fc.constantFrom(0.55, 0.7, 0.95),
});

const feedRecord = fc.record({
  kind: fc.constant('feed' as const),
  topic: fc.constantFrom(...(Object.keys(FEEDS) as FeedTopic[])),
  typeIndex: fc.nat(),
  minute: fc.integer({ min: 0, max: 120 }),
  point: fc.constantFrom(...POINTS),
});

type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;
type Draw = ValueOf<typeof cameraEvent> | ValueOf<typeof feedRecord>;

const batchArb = fc.record({
  draws: fc.array(fc.oneof({ weight: 3, arbitrary: cameraEvent }, { weight: 1, arbitrary: feedRecord }), { minLength: 1, maxLength: 60 }),
  // Exact re-sends inside the batch (a device retrying, a broker redelivering).
  resends: fc.array(fc.nat(), { maxLength: 10 }),
});

describe('property: any mix of the demo rules commits as one batch', () => {
  let app: TestApp;
  let db: Client;
  let ingest: IngestService;
  let metrics: MetricsService;

  beforeAll(async () => {
    // No rate limit: the property is about storing, and random event times may crowd one second.
    app = await startTestApp({ env: { DEVICE_EVENTS_PER_SECOND: '0' } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    ingest = app.app.get(IngestService);
    metrics = app.app.get(MetricsService);
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const failedAttempts = async () => (await metrics.batchFailures.get()).values.reduce((sum, v) => sum + v.value, 0);

  let serial = 0;
  function message(d: Draw): InboundMessage {
    const n = serial++;
    const occurredAt = new Date(BASE + d.minute * 60_000 + (n % 60) * 1000).toISOString();
    if (d.kind === 'camera') {
      const payload = {
        eventId: `p-${n}`,
        deviceId: d.camera.id,
        occurredAt,
        location: d.point,
        zones: d.camera.zones.slice(0, d.zoneCount),
        detections: [
          {
            label: d.label,
            confidence: d.confidence,
            stationary: d.stationary,
            ...(d.track !== undefined && { trackId: `${d.camera.id}-${d.track}` }),
            ...(d.plate !== undefined && { plate: d.plate }),
          },
        ],
      };
      return {
        transport: 'mqtt',
        topic: `cloudpatrol/v1/devices/${d.camera.id}/events`,
        payload: Buffer.from(JSON.stringify(payload)),
        receivedAt: new Date(),
      };
    }
    const feed = FEEDS[d.topic];
    const record = {
      schemaVersion: 1,
      recordId: `R-${n}`,
      platform: feed.platform,
      reportedAt: occurredAt,
      occurredAt,
      location: d.point,
      type: feed.types[d.typeIndex % feed.types.length],
      severity: 'medium',
      ...(d.topic === 'monitoring.police.v1' && { referral: { referralNo: `YJ-${n}`, referringUnit: 'Township 01 police station', referredAt: occurredAt } }),
    };
    return { transport: 'kafka', topic: `${app.kafkaTopicPrefix}${d.topic}`, payload: Buffer.from(JSON.stringify(record)), receivedAt: new Date() };
  }

  it('every batch commits whole, and the stored events equal the distinct events sent', async () => {
    let batches = 0;
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(batchArb, async ({ draws, resends }) => {
        const distinct = draws.map(message);
        const batch = [...distinct];
        for (const r of resends) batch.splice(r % (batch.length + 1), 0, distinct[r % distinct.length]);
        const before = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0].n);
        const failuresBefore = await failedAttempts();

        const result = await ingest.ingestBatch(batch);

        const after = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0].n);
        expect(await failedAttempts()).toBe(failuresBefore);
        expect(result.outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
        expect(after - before).toBe(distinct.length);
        expect(result.outcomes.filter((o) => o.status === 'stored')).toHaveLength(distinct.length);
        batches++;
        sent += batch.length;
      }),
      { numRuns: 40, seed: Number(process.env.PROPERTY_SEED ?? Date.now() % 2_147_483_647) },
    );

    // Across all batches: nothing dead-lettered, and every case's count equals its evidence trail.
    const { rows } = await db.query<{ dead: number; mismatched: number; cases: number; suppressions: number }>(
      `SELECT (SELECT count(*)::int FROM dead_letters) AS dead,
              (SELECT count(*)::int FROM cases c WHERE c.occurrence_count <> (SELECT count(*) FROM case_occurrences o WHERE o.case_id = c.id)) AS mismatched,
              (SELECT count(*)::int FROM cases) AS cases,
              (SELECT count(*)::int FROM suppressions) AS suppressions`,
    );
    process.stdout.write(
      `[issue 22] property: ${batches} batches, ${sent} messages, ${rows[0].cases} cases, ${rows[0].suppressions} suppression rows, 0 failed attempts\n`,
    );
    expect(rows[0]).toMatchObject({ dead: 0, mismatched: 0 });
    expect(rows[0].cases).toBeGreaterThan(0);
    expect(rows[0].suppressions).toBeGreaterThan(0);
  }, 240_000);
});
