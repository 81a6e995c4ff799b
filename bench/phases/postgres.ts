/**
 * Phase 2, PostgreSQL's own rates on this machine, into a table shaped like `events` (same columns,
 * the unique (source, source_event_id) index and the two secondary indexes), with the same rows:
 * - COPY FROM STDIN (pg-copy-streams), rows/s;
 * - 1000-row `unnest` INSERT … ON CONFLICT DO NOTHING (what CloudPatrol's ingest does), rows/s;
 * - single-row INSERT, autocommit (what a per-message handler does), rows/s.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { pgClient } from '../lib/services';
import { round } from '../lib/stats';

export interface PgRates {
  copyRows: number;
  copyRowsPerSecond?: number;
  unnestRows: number;
  unnestRowsPerSecond?: number;
  singleRows: number;
  singleRowsPerSecond?: number;
  partial?: string;
}

const DDL = `
CREATE TABLE bench_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, source text NOT NULL, source_event_id text NOT NULL, source_kind text NOT NULL,
  device_id text NOT NULL, occurred_at timestamptz NOT NULL, received_at timestamptz NOT NULL DEFAULT now(), lat double precision, lng double precision,
  zones jsonb NOT NULL DEFAULT '[]'::jsonb, detections jsonb NOT NULL, media jsonb NOT NULL DEFAULT '[]'::jsonb, attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
  phase text, raw_payload text NOT NULL);
CREATE UNIQUE INDEX uq_bench_events_source_event ON bench_events (source, source_event_id);
CREATE INDEX ix_bench_events_device_occurred ON bench_events (device_id, occurred_at);
CREATE INDEX ix_bench_events_occurred_at ON bench_events (occurred_at);`;

const COLUMNS = 'source, source_event_id, source_kind, device_id, occurred_at, lat, lng, zones, detections, media, attributes, phase, raw_payload';

interface Row {
  id: string;
  occurredAt: string;
  lat: number;
  lng: number;
  detections: string;
  raw: string;
}

function makeRows(prefix: string, n: number, rawFor: (i: number) => string): Row[] {
  const base = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    occurredAt: new Date(base - (n - i) * 10).toISOString(),
    lat: 23.1 + (i % 200) * 1e-4,
    lng: 113.25 + (i % 200) * 1e-4,
    detections: '[{"label":"garbage","confidence":0.9}]',
    raw: rawFor(i),
  }));
}

export async function measurePostgres(o: {
  databaseUrl: string;
  copyRows: number;
  unnestRows: number;
  singleRows: number;
  rawFor: (i: number) => string;
  deadline: number;
}): Promise<PgRates> {
  const c = pgClient(o.databaseUrl);
  await c.connect();
  const result: PgRates = { copyRows: 0, unnestRows: 0, singleRows: 0 };
  try {
    await c.query(DDL);

    // COPY: rows as text-format lines, written through one COPY FROM STDIN.
    const rows = makeRows('copy', o.copyRows, o.rawFor);
    const lines = function* () {
      let chunk = '';
      for (const r of rows) {
        chunk += `cloudpatrol\t${r.id}\tcamera\tDEMO-CAM-01\t${r.occurredAt}\t${r.lat}\t${r.lng}\t[]\t${r.detections}\t[]\t{}\t\\N\t${copyText(r.raw)}\n`;
        if (chunk.length > 256 * 1024) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    };
    let t = performance.now();
    await pipeline(Readable.from(lines()), c.query(copyFrom(`COPY bench_events (${COLUMNS}) FROM STDIN`)));
    let s = (performance.now() - t) / 1000;
    result.copyRows = o.copyRows;
    result.copyRowsPerSecond = round(o.copyRows / s);

    // unnest, 1000 rows per statement, as CloudPatrol's insertEvents.
    await c.query('TRUNCATE bench_events');
    const urows = makeRows('unnest', o.unnestRows, o.rawFor);
    t = performance.now();
    for (let i = 0; i < urows.length && Date.now() < o.deadline; i += 1000) {
      const b = urows.slice(i, i + 1000);
      await c.query(
        `INSERT INTO bench_events (${COLUMNS})
         SELECT t.source, t.source_event_id, t.source_kind, t.device_id, t.occurred_at, t.lat, t.lng, t.zones::jsonb, t.detections::jsonb, t.media::jsonb, t.attributes::jsonb, t.phase, t.raw_payload
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::float8[], $7::float8[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
                AS t(source, source_event_id, source_kind, device_id, occurred_at, lat, lng, zones, detections, media, attributes, phase, raw_payload)
         ON CONFLICT (source, source_event_id) DO NOTHING`,
        [
          b.map(() => 'cloudpatrol'),
          b.map((r) => r.id),
          b.map(() => 'camera'),
          b.map(() => 'DEMO-CAM-01'),
          b.map((r) => r.occurredAt),
          b.map((r) => r.lat),
          b.map((r) => r.lng),
          b.map(() => '[]'),
          b.map((r) => r.detections),
          b.map(() => '[]'),
          b.map(() => '{}'),
          b.map(() => null),
          b.map((r) => r.raw),
        ],
      );
      result.unnestRows += b.length;
    }
    s = (performance.now() - t) / 1000;
    result.unnestRowsPerSecond = round(result.unnestRows / s);

    // One INSERT per row, each its own transaction.
    const srows = makeRows('single', o.singleRows, o.rawFor);
    t = performance.now();
    for (const r of srows) {
      if (Date.now() > o.deadline) break;
      await c.query(`INSERT INTO bench_events (${COLUMNS}) VALUES ('cloudpatrol', $1, 'camera', 'DEMO-CAM-01', $2, $3, $4, '[]', $5, '[]', '{}', NULL, $6)`, [
        r.id,
        r.occurredAt,
        r.lat,
        r.lng,
        r.detections,
        r.raw,
      ]);
      result.singleRows++;
    }
    s = (performance.now() - t) / 1000;
    result.singleRowsPerSecond = round(result.singleRows / s);
    if (result.unnestRows < o.unnestRows || result.singleRows < o.singleRows) result.partial = 'stopped at the phase deadline';
    return result;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** COPY text format: backslash, tab, newline and carriage return escaped. */
function copyText(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
