import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { ROOT } from './services';

/**
 * Many open cases straight into the database, for the console's browser test and benchmark: spread over the
 * demo district's grids (a third at one busy spot), with plates on every other one, each with its running
 * step clock (review: 30 minutes from creation, handle: 4 hours), so most of the older ones are late.
 */

/** The one event the seeded cases point at (the console never opens it). */
export async function seedEvent(db: Client): Promise<void> {
  await db.query(
    `INSERT INTO events (source, source_event_id, source_kind, device_id, occurred_at, lat, lng, detections, media, raw_payload)
     VALUES ('cloudpatrol', 'seed-console', 'camera', 'DEMO-CAM-01', now(), 23.1, 113.25, '[]'::jsonb, '[]'::jsonb, '{}')
     ON CONFLICT DO NOTHING`,
  );
}

interface Grid {
  code: string;
  townshipCode: string;
  centre: [number, number];
}

/** The demo district's grids with a centre each (cases are spread over them, a few at one busy spot). */
export function grids(): Grid[] {
  const geo = JSON.parse(readFileSync(join(ROOT, 'config/demo/grids.geojson'), 'utf8')) as {
    features: { properties: { code: string; townshipCode: string }; geometry: { type: string; coordinates: number[][][] | number[][][][] } }[];
  };
  return geo.features.map((f) => {
    const ring = f.geometry.type === 'Polygon' ? (f.geometry.coordinates as number[][][])[0] : (f.geometry.coordinates as number[][][][])[0][0];
    const lng = ring.reduce((a, p) => a + p[0], 0) / ring.length;
    const lat = ring.reduce((a, p) => a + p[1], 0) / ring.length;
    return { code: f.properties.code, townshipCode: f.properties.townshipCode, centre: [lng, lat] };
  });
}

const SEVERITIES = ['low', 'medium', 'medium', 'high', 'critical'];
const CATEGORIES = ['exposed-garbage', 'motor-parking'];
const STATUSES = ['detected', 'detected', 'detected', 'registered', 'dispatched', 'in_progress'];

/** N open cases (numbered from `from`, created before `at` 9 s apart, or all at `at` and awaiting review when `opened`) in one statement, each with its review clock (30 min from creation; most are late). */
export async function seedOpenCases(db: Client, n: number, from: number, at: Date, opened: boolean): Promise<string[]> {
  const gs = grids();
  const rows = Array.from({ length: n }, (_, k) => {
    const i = from + k;
    // A third of the cases at one busy spot (the "237 stacked at one point"), the rest over the grids.
    const g = i % 3 === 0 ? gs[0] : gs[i % gs.length];
    const jitter = i % 3 === 0 ? 0 : ((i * 7919) % 100) / 40_000;
    return {
      n: String(i + 1).padStart(6, '0'),
      category: CATEGORIES[i % 2],
      severity: SEVERITIES[i % SEVERITIES.length],
      status: opened ? 'detected' : STATUSES[i % STATUSES.length],
      township: g.townshipCode,
      grid: g.code,
      lng: g.centre[0] + jitter,
      lat: g.centre[1] - jitter,
      plate: i % 2 === 1 ? `粤A${String(10000 + i)}` : null,
      created: new Date(at.getTime() - (opened ? 0 : (n - k) * 9_000)).toISOString(),
    };
  });
  const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
  const res = await db.query<{ id: string }>(
    `WITH ev AS (SELECT id FROM events ORDER BY id LIMIT 1),
     ins AS (
       INSERT INTO cases (case_number, category_code, status, identity_key, identity, severity, township_code, grid_code, handling_unit, device_id, lat, lng,
                          first_seen_at, last_seen_at, occurrence_count, latest_event_id, rule_id, rule_version, explanation, origin, created_at)
       SELECT 'CP-20261204-' || x.n, x.category, x.status, 'bench|' || x.n, jsonb_strip_nulls(jsonb_build_object('category', x.category, 'plate', x.plate)),
              x.severity, x.township, x.grid, 'township-team:' || x.township, 'DEMO-CAM-01', x.lat, x.lng, x.created, x.created, 1, ev.id,
              'garbage-exposed', 1, jsonb_build_object('source', 'cloudpatrol'), 'machine', x.created
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::float8[], $9::text[], $10::timestamptz[])
              AS x(n, category, severity, status, township, grid, lng, lat, plate, created), ev
       RETURNING id, created_at, status)
     INSERT INTO case_workflow (case_id, step, step_started_at, step_due_at, step_limit, deadline_state, transition_count)
     SELECT id, CASE WHEN status = 'detected' THEN 'review' ELSE 'handle' END, created_at,
            created_at + CASE WHEN status = 'detected' THEN interval '30 minutes' ELSE interval '4 hours' END,
            '{"unit":"calendar-hours"}'::jsonb, CASE WHEN created_at + interval '30 minutes' < now() THEN 'overdue' ELSE 'on-track' END, 1
       FROM ins RETURNING case_id AS id`,
    [col('n'), col('category'), col('severity'), col('status'), col('township'), col('grid'), col('lng'), col('lat'), col('plate'), col('created')],
  );
  return res.rows.map((r) => r.id);
}
