import { loadDistrictConfig } from '@app/config';
import type { GridCell } from '@app/domain';
import { join } from 'node:path';
import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import { frigateTrack } from '../support/frigate-stream';
import { readServices, ROOT } from '../support/services';
import { createTestDatabase, eventually, startTestApp, TestApp } from '../support/test-app';

interface CaseRow {
  id: string;
  category_code: string;
  township_code: string;
  grid_code: string;
  place_id: string;
  handling_unit: string;
  officer: { id: string } | null;
  occurrence_count: number;
  explanation: { rule: string; ruleVersion: number; dwell?: unknown };
}

/** Time is the source's: a 12-minute stream replayed in seconds gives the same cases as live. */
describe('classification, grouping and routing on the demo district', () => {
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

  const publishAll = async (messages: string[]) => {
    for (const m of messages) await mqtt.publishAsync('frigate/events', m, { qos: 1 });
  };
  const storedFrom = async (trackId: string) =>
    Number((await db.query(`SELECT count(*) AS n FROM events WHERE source = 'frigate' AND source_event_id LIKE $1`, [`${trackId}:%`])).rows[0].n);
  const casesOf = async (category: string) => (await db.query<CaseRow>(`SELECT * FROM cases WHERE category_code = $1 ORDER BY created_at`, [category])).rows;

  it('opens one disorderly-parking case for a car parked 12 minutes in a no-parking place, with township, grid, unit and the rule', async () => {
    const stream = frigateTrack({
      id: 'car-12min',
      camera: 'yunxi_rd_east',
      label: 'car',
      plate: '粤A12345',
      zones: ['no_parking'],
      start: new Date('2026-11-28T02:00:00Z'),
      minutes: 12,
      stepSeconds: 5,
    });
    await publishAll(stream);
    await eventually('all updates stored', async () => ((await storedFrom('car-12min')) === stream.length ? true : undefined));
    const cases = await casesOf('motor-parking');
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({
      township_code: '449901001',
      grid_code: '449901001001001',
      place_id: 't01-yunxi-rd-no-parking',
      handling_unit: 'township-team:449901001',
    });
    expect(cases[0].officer?.id).toBe('SYN-OFF-0101');
    expect(cases[0].explanation).toMatchObject({ rule: 'motor-parking-no-parking-place', ruleVersion: 1 });
    // Updates after the dwell threshold join the case instead of opening others.
    expect(cases[0].occurrence_count).toBeGreaterThan(1);
  });

  it('opens nothing for a car parked 5 minutes', async () => {
    const stream = frigateTrack({
      id: 'car-5min',
      camera: 'yunxi_rd_east',
      label: 'car',
      plate: '粤B67890',
      zones: ['no_parking'],
      start: new Date('2026-11-28T03:00:00Z'),
      minutes: 5,
      stepSeconds: 5,
      end: true,
    });
    await publishAll(stream);
    await eventually('all updates stored', async () => ((await storedFrom('car-5min')) === stream.length ? true : undefined));
    expect(await casesOf('motor-parking')).toHaveLength(1); // only the 12-minute car's
  });

  it('allows a vendor in the night market at 19:00 and opens a case at 23:00, recording why the first was suppressed', async () => {
    // 19:00 and 23:00 local time (UTC+8).
    const at19 = frigateTrack({
      id: 'vendor-19',
      camera: 'lanting_market',
      label: 'person',
      subLabel: 'vendor',
      zones: ['market'],
      start: new Date('2026-11-28T11:00:00Z'),
      minutes: 1,
      stepSeconds: 20,
    });
    await publishAll(at19);
    await eventually('the 19:00 vendor stored', async () => ((await storedFrom('vendor-19')) === at19.length ? true : undefined));
    expect(await casesOf('street-occupation')).toHaveLength(0);
    const suppressed = await db.query(`SELECT reason, count FROM suppressions WHERE category_code = 'street-occupation'`);
    expect(suppressed.rows[0]).toMatchObject({ reason: 'allowed-window' });

    const at23 = frigateTrack({
      id: 'vendor-23',
      camera: 'lanting_market',
      label: 'person',
      subLabel: 'vendor',
      zones: ['market'],
      start: new Date('2026-11-28T15:00:00Z'),
      minutes: 1,
      stepSeconds: 20,
    });
    await publishAll(at23);
    await eventually('the 23:00 vendor stored', async () => ((await storedFrom('vendor-23')) === at23.length ? true : undefined));
    const cases = await casesOf('street-occupation');
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ place_id: 't01-lanting-night-market', township_code: '449901001' });
  });
});

describe('two workers on one stream', () => {
  it('open exactly one case per identity', async () => {
    const databaseUrl = await createTestDatabase();
    const shared = { MQTT_SHARE_GROUP: `g${Date.now().toString(36)}`, INGEST_BATCH_SIZE: '50' };
    // Start one first so migrations are not the thing under test, then the second.
    const a = await startTestApp({ mode: 'worker', databaseUrl, env: shared });
    const b = await startTestApp({ mode: 'worker', databaseUrl, env: shared });
    const mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      // One garbage point per grid cell (30 cells, away from any named place), each reported 10 times, interleaved.
      const district = loadDistrictConfig(join(ROOT, 'config/demo'));
      const centre = (g: GridCell) => {
        const ring = (g.geometry.type === 'Polygon' ? g.geometry.coordinates[0] : g.geometry.coordinates[0][0]) as number[][];
        return { lng: (ring[0][0] + ring[2][0]) / 2, lat: (ring[0][1] + ring[2][1]) / 2 };
      };
      const grids = district.grids
        .filter((g) => {
          const where = district.jurisdiction.locate(centre(g));
          return where.grid?.code === g.code && where.places.length === 0;
        })
        .slice(0, 30);
      expect(grids).toHaveLength(30);
      let n = 0;
      for (let round = 0; round < 10; round++) {
        for (const g of grids) {
          const at = new Date(Date.UTC(2026, 10, 28, 2, round));
          await mqtt.publishAsync(
            'cloudpatrol/v1/devices/DRONE-01/events',
            JSON.stringify({
              eventId: `w-${n++}`,
              deviceId: 'DRONE-01',
              occurredAt: at.toISOString(),
              location: centre(g),
              detections: [{ label: 'garbage', confidence: 0.9 }],
            }),
            { qos: 1 },
          );
        }
      }
      await eventually(
        'all 300 events stored',
        async () => (Number((await db.query(`SELECT count(*) AS n FROM events`)).rows[0].n) === 300 ? true : undefined),
        30_000,
      ).catch(async (err: Error) => {
        // Say where the missing events are: stored, or held (unacknowledged) by which worker.
        const stored = (await db.query(`SELECT count(*)::int AS n FROM events`)).rows[0].n as number;
        const held = await Promise.all(
          [a, b].map(async (w) => /cloudpatrol_ingest_lag\{transport="mqtt"[^}]*\} (\d+)/.exec(await (await fetch(`${w.url}/metrics`)).text())?.[1]),
        );
        throw new Error(`${err.message}: ${stored} stored; held by the workers (received, not yet stored): ${held.join(' and ')}`);
      });
      const cases = await db.query<{ grid_code: string; occurrence_count: number }>(`SELECT grid_code, occurrence_count FROM cases ORDER BY grid_code`);
      expect((await db.query(`SELECT reason FROM suppressions`)).rows).toEqual([]);
      expect(cases.rows).toHaveLength(grids.length);
      expect(cases.rows.every((c) => c.occurrence_count === 10)).toBe(true);
      expect(new Set(cases.rows.map((c) => c.grid_code)).size).toBe(grids.length);
      // Both workers took part.
      const byWorker = await Promise.all([a, b].map(async (w) => (await fetch(`${w.url}/health`)).status));
      expect(byWorker).toEqual([200, 200]);
    } finally {
      await mqtt.endAsync();
      await db.end();
      await a.stop();
      await b.stop();
    }
  });
});
