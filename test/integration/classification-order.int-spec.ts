import type { GridCell } from '@app/domain';
import fc from 'fast-check';
import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { readServices } from '../support/services';
import { demoDistrict, gridCentre, plainGrids } from '../support/demo-grids';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { createUser, step } from './case-loop-helpers';

/**
 * Issue 23: inhibition through the real ingest (MQTT → one transaction on PostgreSQL). A fire mutes minor
 * issues in its grid for 60 minutes whatever order the events arrive in: a fire stored after the minor issues it
 * mutes takes them back off cases nobody has acted on, and withdraws a case it empties.
 */
const TOPIC = 'cloudpatrol/v1/devices/DRONE-01/events';
const LABELS = ['fire', 'garbage', 'vendor', 'scaffold'] as const;
type Label = (typeof LABELS)[number];

interface Sent {
  id: string;
  at: Date;
  label: Label;
}

interface Outcome {
  /** Live cases: their occurrences (event ids without the run's tag) and whether the counter agrees. */
  cases: { events: string[]; countMatches: boolean; category: string }[];
  /** Withdrawn cases, each with what is left in it (nothing) and whether it says why. */
  withdrawn: { occurrences: number; explained: boolean }[];
  suppressions: { reason: string; identity: string; count: number; first: string; last: string }[];
}

describe('inhibition does not depend on arrival order (real ingest, PostgreSQL)', () => {
  let app: TestApp;
  let mqtt: MqttClient;
  let db: Client;
  const alerts: { caseId: string; opened: boolean; growth?: boolean }[] = [];
  const grids = plainGrids(demoDistrict());
  let nextGrid = 0;
  const takeGrid = (): GridCell => {
    const g = grids[nextGrid++];
    if (!g) throw new Error('no free grid cell left for this test');
    return g;
  };

  beforeAll(async () => {
    app = await startTestApp();
    mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    // The live stream's source: what the API turns into alerts once a batch commits.
    await db.query('LISTEN cloudpatrol_alerts');
    db.on('notification', (n) => {
      if (n.payload) alerts.push(JSON.parse(n.payload) as { caseId: string; opened: boolean });
    });
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
  });

  /** Publishes the events (in the given order) and waits until every one is stored, i.e. classified and committed. */
  async function send(grid: GridCell, events: Sent[]): Promise<void> {
    for (const e of events) {
      await mqtt.publishAsync(
        TOPIC,
        JSON.stringify({
          eventId: e.id,
          deviceId: 'DRONE-01',
          occurredAt: e.at.toISOString(),
          location: gridCentre(grid),
          detections: [{ label: e.label, confidence: 0.9 }],
        }),
        { qos: 1 },
      );
    }
    const ids = events.map((e) => e.id);
    await eventually(`${ids.length} events stored`, async () =>
      Number((await db.query(`SELECT count(*) AS n FROM events WHERE device_id = 'DRONE-01' AND source_event_id = ANY($1)`, [ids])).rows[0].n) === ids.length
        ? true
        : undefined,
    );
  }

  async function outcome(grid: GridCell, tag: string): Promise<Outcome> {
    const cases = await db.query<{
      status: string;
      category_code: string;
      occurrence_count: number;
      explanation: Record<string, unknown>;
      events: string[] | null;
    }>(
      `SELECT c.status, c.category_code, c.occurrence_count, c.explanation,
              array_agg(e.source_event_id ORDER BY e.source_event_id) FILTER (WHERE e.id IS NOT NULL) AS events
         FROM cases c LEFT JOIN case_occurrences o ON o.case_id = c.id LEFT JOIN events e ON e.id = o.event_id
        WHERE c.grid_code = $1 GROUP BY c.id`,
      [grid.code],
    );
    const untag = (id: string) => id.slice(tag.length + 1);
    const suppressions = await db.query<{ reason: string; identity: string; count: number; first: Date; last: Date }>(
      `SELECT reason, replace(identity_key, $1, 'G') AS identity, count, first_seen_at AS first, last_seen_at AS last
         FROM suppressions WHERE identity_key LIKE '%grid=' || $1 || '%' ORDER BY 1, 2`,
      [grid.code],
    );
    return {
      cases: cases.rows
        .filter((c) => c.status !== 'rejected')
        .map((c) => ({ events: (c.events ?? []).map(untag).sort(), countMatches: c.occurrence_count === (c.events ?? []).length, category: c.category_code }))
        .sort((a, b) => (a.events.join() < b.events.join() ? -1 : 1)),
      withdrawn: cases.rows
        .filter((c) => c.status === 'rejected')
        .map((c) => ({
          occurrences: c.occurrence_count + (c.events ?? []).length,
          explained: typeof (c.explanation.withdrawn as { reason?: string } | undefined)?.reason === 'string',
        })),
      suppressions: suppressions.rows.map((s) => ({ ...s, first: s.first.toISOString(), last: s.last.toISOString() })),
    };
  }

  const local = (hhmm: string, day = '2026-06-10') => new Date(`${day}T${hhmm}:00+08:00`);
  const minutes = (base: Date, m: number) => new Date(base.getTime() + m * 60_000);
  const caseOfEvent = async (id: string) =>
    (
      await db.query<{ id: string; status: string; occurrence_count: number }>(
        `SELECT c.id, c.status, c.occurrence_count FROM cases c JOIN case_occurrences o ON o.case_id = c.id JOIN events e ON e.id = o.event_id WHERE e.source_event_id = $1`,
        [id],
      )
    ).rows[0];

  it('the report as found: a fire at 14:30 arriving after 60 vending records of 14:00–14:59 takes the 30 from 14:30 off their case; 30 more sent after it are muted', async () => {
    const grid = takeGrid();
    const vending: Sent[] = Array.from({ length: 60 }, (_, m) => ({ id: `found-v${m}`, at: minutes(local('14:00'), m), label: 'vendor' }));
    await send(grid, vending);
    const before = await caseOfEvent('found-v0');
    expect(before.occurrence_count).toBe(60);

    alerts.length = 0;
    await send(grid, [{ id: 'found-fire', at: local('14:30'), label: 'fire' }]);
    const after = await outcome(grid, 'found');
    expect(after.cases).toEqual([
      { events: ['fire'], countMatches: true, category: 'fire-smoke' },
      {
        events: vending
          .slice(0, 30)
          .map((v) => v.id.slice('found-'.length))
          .sort(),
        countMatches: true,
        category: 'street-occupation',
      },
    ]);
    expect(after.suppressions).toEqual([
      {
        reason: 'inhibited',
        identity: 'category=street-occupation|grid=G',
        count: 30,
        first: local('14:30').toISOString(),
        last: local('14:59').toISOString(),
      },
    ]);
    // The case the operator sees: 30 occurrences, last seen 14:29, and why the other 30 left.
    const view = await request(app.url)
      .get(`/api/v1/cases/${before.id}`)
      .set('Authorization', `Bearer ${await app.token()}`)
      .expect(200);
    expect(view.body).toMatchObject({ status: 'detected', occurrenceCount: 30, lastSeenAt: local('14:29').toISOString() });
    const taken = (view.body as { explanation: { inhibitedAfterwards: { reason: string; events: unknown[] }[] } }).explanation.inhibitedAfterwards;
    expect(taken).toHaveLength(1);
    expect(taken[0].reason).toContain('inhibition "fire-mutes-minor-in-grid"');
    expect(taken[0].events).toHaveLength(30);
    const audit = await db.query(`SELECT action, actor_role, data FROM audit_log WHERE case_id = $1 AND action LIKE 'case.%withdrawn'`, [before.id]);
    expect(audit.rows).toMatchObject([{ action: 'case.occurrences-withdrawn', actor_role: 'system', data: { remainingOccurrences: 30 } }]);
    await eventually('a live update for the case', async () => (alerts.some((a) => a.caseId === before.id && !a.opened) ? true : undefined));

    const more: Sent[] = Array.from({ length: 30 }, (_, m) => ({ id: `found-w${m}`, at: minutes(local('14:30'), m), label: 'vendor' }));
    await send(grid, more);
    const last = await outcome(grid, 'found');
    expect(last.cases).toEqual(after.cases);
    expect(last.suppressions).toEqual([{ ...after.suppressions[0], count: 60 }]);
  });

  it('withdraws a machine-made case the fire empties, says why, and a later detection opens a new case', async () => {
    const grid = takeGrid();
    const garbage: Sent[] = [10, 20, 30, 40, 50].map((m) => ({ id: `wd-g${m}`, at: minutes(local('10:00', '2026-06-11'), m), label: 'garbage' }));
    await send(grid, garbage);
    const c = await caseOfEvent('wd-g10');
    alerts.length = 0;
    await send(grid, [{ id: 'wd-fire', at: local('10:00', '2026-06-11'), label: 'fire' }]);

    const view = await request(app.url)
      .get(`/api/v1/cases/${c.id}`)
      .set('Authorization', `Bearer ${await app.token()}`)
      .expect(200);
    expect(view.body).toMatchObject({ status: 'rejected', occurrenceCount: 0 });
    expect((view.body as { explanation: { withdrawn: { reason: string; by: string } } }).explanation.withdrawn).toMatchObject({
      by: 'classification',
      reason: expect.stringContaining('fire-smoke at the same grid') as unknown,
    });
    const audit = await db.query(`SELECT action, actor_role FROM audit_log WHERE case_id = $1 AND action = 'case.withdrawn'`, [c.id]);
    expect(audit.rows).toHaveLength(1);
    await eventually('a live update for the withdrawn case', async () => (alerts.some((a) => a.caseId === c.id && !a.opened) ? true : undefined));
    expect(await outcome(grid, 'wd')).toMatchObject({
      cases: [{ events: ['fire'], category: 'fire-smoke' }],
      withdrawn: [{ occurrences: 0, explained: true }],
      suppressions: [{ reason: 'inhibited', count: 5 }],
    });

    // Past the 60 minutes: a new case, not the withdrawn one.
    await send(grid, [{ id: 'wd-g-late', at: local('11:30', '2026-06-11'), label: 'garbage' }]);
    const fresh = await caseOfEvent('wd-g-late');
    expect(fresh.id).not.toBe(c.id);
    expect(fresh).toMatchObject({ status: 'detected', occurrence_count: 1 });
  });

  it('leaves a case a person has already reviewed as it is', async () => {
    const grid = takeGrid();
    await send(grid, [{ id: 'rv-g', at: local('10:20', '2026-06-12'), label: 'garbage' }]);
    const c = await caseOfEvent('rv-g');
    const operator = await createUser(app, 'operator');
    await step(app, operator, c.id, { action: 'review-register', evidenceUsableForPenalty: false });
    await send(grid, [{ id: 'rv-fire', at: local('10:00', '2026-06-12'), label: 'fire' }]);
    expect(await caseOfEvent('rv-g')).toMatchObject({ id: c.id, status: 'registered', occurrence_count: 1 });
    const out = await outcome(grid, 'rv');
    expect(out.suppressions).toEqual([]);
    expect(out.withdrawn).toEqual([]);
  });

  it('property: a random stream of one grid, shuffled and cut into random batches, gives the same live cases and suppressions as in order', async () => {
    const item = fc.record({ label: fc.constantFrom<Label>(...LABELS, 'garbage', 'vendor'), minute: fc.integer({ min: 0, max: 150 }) });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(item, { minLength: 1, maxLength: 16 })
          .chain((items) =>
            fc.tuple(
              fc.constant(items),
              fc.shuffledSubarray([...items.keys()], { minLength: items.length, maxLength: items.length }),
              fc.array(fc.boolean(), { minLength: items.length, maxLength: items.length }),
            ),
          ),
        async ([items, order, cuts]) => {
          run++;
          const base = local('14:00', '2026-06-20');
          const stream = (tag: string): Sent[] => items.map((it, i) => ({ id: `${tag}-${i}`, at: minutes(base, it.minute), label: it.label }));
          // In order: one grid gets the stream sorted by source time, a fire before what it mutes at the same minute, one
          // event stored before the next (how batches fall must not decide the reference). Equal times are in order
          // either way, but a vendor stored before the fire of its minute opens a case the fire then takes back (as when
          // shuffled), while a fire first never lets it open.
          const a = takeGrid();
          const ordered = stream(`p${run}a`).sort((x, y) => x.at.getTime() - y.at.getTime() || Number(y.label === 'fire') - Number(x.label === 'fire'));
          for (const e of ordered) await send(a, [e]);
          // Shuffled: another grid gets it in a random order, in random batches, each stored before the next is sent.
          const b = takeGrid();
          const shuffled = stream(`p${run}b`);
          let batch: Sent[] = [];
          for (let k = 0; k < order.length; k++) {
            batch.push(shuffled[order[k]]);
            if (cuts[k] || k === order.length - 1) {
              await send(b, batch);
              batch = [];
            }
          }
          const expected = await outcome(a, `p${run}a`);
          const got = await outcome(b, `p${run}b`);
          expect(got.cases).toEqual(expected.cases);
          expect(got.suppressions).toEqual(expected.suppressions);
          expect(got.cases.every((c) => c.countMatches)).toBe(true);
          // A case emptied afterwards is withdrawn with its reason; in order it never opened.
          expect(got.withdrawn.every((w) => w.occurrences === 0 && w.explained)).toBe(true);
          expect(expected.withdrawn).toEqual([]);
        },
      ),
      // Two grid cells per run; the demo district has a few dozen free ones.
      { numRuns: Math.min(20, Math.floor((grids.length - nextGrid) / 2)), endOnFailure: true },
    );
  }, 300_000);
});
