import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { ROOT } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { createStaff, insertCase, step, type TestStaff } from './case-loop-helpers';

interface Verification {
  ok: boolean;
  checked: number;
  evidenceChecked: number;
  head: { seq: number; hash: string } | null;
  firstBroken?: { id: number; action: string; reason: string };
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * The evidence chain: every event payload and media file kept with its SHA-256, sealed into an append-only,
 * hash-chained audit log; verification names the first entry that no longer holds. The standalone app runs
 * the background sealer; DATA_DIR is this file's own, so the media files are too.
 */
describe('case loop: evidence chain and audit verification', () => {
  let app: TestApp;
  let db: Client;
  let staff: TestStaff;
  let dataDir: string;
  let caseId: string;
  let eventId: string;
  const snapshot = 'snapshots/cam01-0001.jpg';
  const afterPhoto = 'after/cam01-0001-after.jpg';
  const file = (key: string) => join(dataDir, 'media', key);
  const put = (key: string, bytes: Buffer) => {
    mkdirSync(dirname(file(key)), { recursive: true });
    writeFileSync(file(key), bytes);
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cp-evidence-'));
    app = await startTestApp({ env: { DATA_DIR: dataDir } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    staff = await createStaff(app);

    put(snapshot, Buffer.from('JPEG snapshot bytes of a garbage pile'));
    put(afterPhoto, Buffer.from('JPEG after-photo bytes: the pavement is clean'));
    const c = await insertCase(db, {
      media: [
        { kind: 'snapshot', uri: snapshot },
        { kind: 'clip', uri: 'https://nvr.example/clips/1.mp4' },
      ],
    });
    caseId = c.id;
    eventId = c.eventId;
    await step(app, staff.operator, caseId, { action: 'review-register', evidenceUsableForPenalty: true });
    await step(app, staff.operator, caseId, { action: 'dispatch' });
    await step(app, staff.officer, caseId, { action: 'accept' });
    await step(app, staff.officer, caseId, { action: 'report-back', resultNote: 'cleaned', photos: [afterPhoto] });
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const verify = async (): Promise<Verification> =>
    (await request(app.url).get('/api/v1/audit/verify').set('Authorization', `Bearer ${staff.supervisor.token}`).expect(200)).body as Verification;
  /** The first audit entry that relies on an evidence item (the one that sealed it). */
  const sealedBy = async (key: string): Promise<number> =>
    Number((await db.query(`SELECT min(seq) AS seq FROM audit_log WHERE data->'evidence' @> $1::jsonb`, [JSON.stringify([{ key }])])).rows[0].seq);
  /** Runs `work` with the append-only triggers off, as a database superuser tampering with rows would. */
  async function asSuperuser(table: string, work: () => Promise<unknown>): Promise<void> {
    await db.query(`ALTER TABLE ${table} DISABLE TRIGGER ${table}_append_only`);
    try {
      await work();
    } finally {
      await db.query(`ALTER TABLE ${table} ENABLE TRIGGER ${table}_append_only`);
    }
  }

  it('keeps each event payload and media file with its SHA-256 and usability as penalty evidence', async () => {
    const res = await request(app.url).get(`/api/v1/cases/${caseId}/evidence`).set('Authorization', `Bearer ${staff.officer.token}`).expect(200);
    const items = (
      res.body as { items: { key: string; kind: string; uri: string | null; sha256: string | null; local: boolean; usableAsPenaltyEvidence: boolean | null }[] }
    ).items;
    const raw = (await db.query<{ raw_payload: string }>(`SELECT raw_payload FROM events WHERE id = $1`, [eventId])).rows[0].raw_payload;
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: `event:${eventId}`, kind: 'event', sha256: sha256(raw), usableAsPenaltyEvidence: true }),
        expect.objectContaining({
          key: `event:${eventId}:media:0`,
          kind: 'image',
          status: 'present',
          uri: snapshot,
          sha256: sha256(readFileSync(file(snapshot))),
          local: true,
        }),
        // Named by the source, bytes not here: listed, never usable as penalty evidence by itself.
        expect.objectContaining({
          key: `event:${eventId}:media:1`,
          kind: 'video',
          status: 'missing',
          uri: 'https://nvr.example/clips/1.mp4',
          sha256: null,
          local: false,
          usableAsPenaltyEvidence: false,
        }),
        expect.objectContaining({
          kind: 'image',
          role: 'after-photo',
          uri: afterPhoto,
          sha256: sha256(readFileSync(file(afterPhoto))),
          local: true,
          usableAsPenaltyEvidence: null,
        }),
      ]),
    );
  });

  it('seals events that belong to no case too, in the background', async () => {
    const lone = await db.query<{ id: string }>(
      `INSERT INTO events (source, source_event_id, source_kind, device_id, occurred_at, detections, raw_payload)
       VALUES ('cloudpatrol', 'lone-1', 'camera', 'DEMO-CAM-01', now(), '[]', '{"eventId":"lone-1"}') RETURNING id::text AS id`,
    );
    const sealed = await eventually('the background sealer', async () => {
      const r = await db.query(`SELECT sha256, audit_seq FROM evidence_items WHERE item_key = $1`, [`event:${lone.rows[0].id}`]);
      return r.rows[0] as { sha256: string; audit_seq: string } | undefined;
    });
    expect(sealed.sha256).toBe(sha256('{"eventId":"lone-1"}'));
    const entry = await db.query(`SELECT action FROM audit_log WHERE seq = $1`, [sealed.audit_seq]);
    expect(entry.rows[0].action).toBe('evidence.sealed');
    // Queued by the events trigger when stored, taken off the queue when sealed.
    const queued = await db.query(`SELECT count(*)::int AS n FROM evidence_queue WHERE event_id = $1`, [lone.rows[0].id]);
    expect(queued.rows[0].n).toBe(0);
    const sealedTwice = await db.query(`SELECT item_key, count(*)::int AS n FROM evidence_items WHERE kind = 'event' GROUP BY item_key HAVING count(*) > 1`);
    expect(sealedTwice.rows).toEqual([]);
  });

  it('verifies an intact chain, for supervisors and admins only', async () => {
    const v = await verify();
    const { n } = (await db.query(`SELECT count(*)::int AS n FROM audit_log`)).rows[0] as { n: number };
    expect(v).toMatchObject({ ok: true, evidenceChecked: expect.any(Number) });
    expect(v.checked).toBeGreaterThanOrEqual(6);
    expect(v.checked).toBeLessThanOrEqual(n);
    expect(v.head?.hash).toMatch(/^[0-9a-f]{64}$/);
    await request(app.url).get('/api/v1/audit/verify').set('Authorization', `Bearer ${staff.officer.token}`).expect(403);
    await request(app.url).get('/api/v1/audit/verify').set('Authorization', `Bearer ${staff.admin.token}`).expect(200);
  });

  it('refuses to update or delete audit entries and transitions (append-only)', async () => {
    await expect(db.query(`UPDATE audit_log SET action = 'x' WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM case_transitions WHERE case_id = $1`, [caseId])).rejects.toThrow(/append-only/);
    await expect(db.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
  });

  it('fails at the altered entry when one audit row is changed', async () => {
    const dispatch = await db.query<{ audit_seq: string }>(`SELECT audit_seq FROM case_transitions WHERE case_id = $1 AND action = 'dispatch'`, [caseId]);
    const seq = Number(dispatch.rows[0].audit_seq);
    const original = (await db.query(`SELECT data FROM audit_log WHERE seq = $1`, [seq])).rows[0].data as Record<string, unknown>;
    await asSuperuser('audit_log', () =>
      db.query(`UPDATE audit_log SET data = jsonb_set(data, '{transition,actorId}', '"someone-else"') WHERE seq = $1`, [seq]),
    );
    try {
      expect((await verify()).firstBroken).toEqual({
        id: seq,
        action: 'case.transition',
        at: expect.any(String),
        reason: expect.stringMatching(/entry altered/),
      });
    } finally {
      await asSuperuser('audit_log', () => db.query(`UPDATE audit_log SET data = $2::jsonb WHERE seq = $1`, [seq, JSON.stringify(original)]));
    }
    expect((await verify()).ok).toBe(true);
  });

  it('fails at the entry that sealed a stored image when the file is altered', async () => {
    const original = readFileSync(file(afterPhoto));
    const reportSeq = await sealedBy(`case:${caseId}:t5:photo:0`);
    expect((await db.query(`SELECT data->'transition'->>'action' AS a FROM audit_log WHERE seq = $1`, [reportSeq])).rows[0].a).toBe('report-back');
    writeFileSync(file(afterPhoto), Buffer.concat([original, Buffer.from([0])]));
    try {
      expect((await verify()).firstBroken).toMatchObject({ id: reportSeq, reason: expect.stringMatching(new RegExp(`file ${afterPhoto} was altered`)) });
    } finally {
      writeFileSync(file(afterPhoto), original);
    }

    const snap = readFileSync(file(snapshot));
    const snapSeq = await sealedBy(`event:${eventId}:media:0`);
    rmSync(file(snapshot));
    try {
      expect((await verify()).firstBroken).toMatchObject({ id: snapSeq, reason: `file ${snapshot} is missing` });
    } finally {
      put(snapshot, snap);
    }
    expect((await verify()).ok).toBe(true);
  });

  it('fails at the sealing entry when a stored event payload is altered', async () => {
    const seq = await sealedBy(`event:${eventId}`);
    const raw = (await db.query<{ raw_payload: string }>(`SELECT raw_payload FROM events WHERE id = $1`, [eventId])).rows[0].raw_payload;
    await db.query(`UPDATE events SET raw_payload = replace(raw_payload, 'garbage', 'nothing') WHERE id = $1`, [eventId]);
    try {
      expect((await verify()).firstBroken).toMatchObject({
        id: seq,
        reason: `event ${eventId}: its stored raw payload no longer hashes to the sealed SHA-256`,
      });
    } finally {
      await db.query(`UPDATE events SET raw_payload = $2 WHERE id = $1`, [eventId, raw]);
    }
    expect((await verify()).ok).toBe(true);
  });

  it('fails when a transition row is altered or an audit row deleted', async () => {
    const t = await db.query<{ audit_seq: string; note: string | null }>(
      `SELECT audit_seq, note FROM case_transitions WHERE case_id = $1 AND action = 'accept'`,
      [caseId],
    );
    const acceptSeq = Number(t.rows[0].audit_seq);
    await asSuperuser('case_transitions', () =>
      db.query(`UPDATE case_transitions SET note = 'accepted a day earlier' WHERE case_id = $1 AND action = 'accept'`, [caseId]),
    );
    try {
      expect((await verify()).firstBroken).toMatchObject({ id: acceptSeq, reason: expect.stringMatching(/case_transitions row .* was altered/) });
    } finally {
      await asSuperuser('case_transitions', () =>
        db.query(`UPDATE case_transitions SET note = $2 WHERE case_id = $1 AND action = 'accept'`, [caseId, t.rows[0].note]),
      );
    }

    const row = (await db.query(`SELECT * FROM audit_log WHERE seq = $1`, [acceptSeq])).rows[0] as Record<string, unknown>;
    await asSuperuser('audit_log', () => db.query(`DELETE FROM audit_log WHERE seq = $1`, [acceptSeq]));
    try {
      expect((await verify()).firstBroken).toMatchObject({ id: acceptSeq + 1, reason: `entries ${acceptSeq}..${acceptSeq} are missing (deleted)` });
    } finally {
      await db.query(
        `INSERT INTO audit_log (seq, at, actor_id, actor_role, action, case_id, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [row.seq, row.at, row.actor_id, row.actor_role, row.action, row.case_id, JSON.stringify(row.data), row.prev_hash, row.hash],
      );
    }
    expect((await verify()).ok).toBe(true);
  });

  it('runs as a command: npm run audit:verify exits 0 when intact and 1 at the first broken entry', async () => {
    const run = () =>
      spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'scripts/audit-verify.ts'], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: app.databaseUrl, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 30_000,
      });
    const ok = run();
    expect(ok.status).toBe(0);
    expect((JSON.parse(ok.stdout) as Verification).ok).toBe(true);

    const original = readFileSync(file(afterPhoto));
    writeFileSync(file(afterPhoto), Buffer.from('replaced'));
    try {
      const broken = run();
      expect(broken.status).toBe(1);
      expect((JSON.parse(broken.stdout) as Verification).firstBroken).toMatchObject({ id: await sealedBy(`case:${caseId}:t5:photo:0`) });
    } finally {
      writeFileSync(file(afterPhoto), original);
    }
  });
});
