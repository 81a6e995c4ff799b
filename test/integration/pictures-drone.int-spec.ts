import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { makeDronePhoto } from '../fixtures/photo-fixtures';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { createStaff, createUser, type TestStaff, type TestUser } from './case-loop-helpers';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface EvidenceItem {
  key: string;
  kind: string;
  status: string;
  sha256: string | null;
  capturedAt: string | null;
  url?: string;
  origin?: string;
  uri: string | null;
  local: boolean;
  positionSource?: string;
  quality?: { verdict: string };
  sealed: { auditSeq: number } | null;
}
interface EvidenceView {
  completeness: { complete: boolean; pictures: { present: number; pending: number; missing: number }; positionSource: string; problems: string[] };
  items: EvidenceItem[];
}
interface Verification {
  ok: boolean;
  firstBroken?: { id: number; action: string; reason: string };
}

/**
 * Drone photos as evidence (issue 14): a pilot's mark makes the photo an `image` item of the case, stored under
 * its SHA-256 and sealed as a local file, so one flipped byte in the stored original is named by the audit
 * verification and the original is no longer served under its old name. A photo without GPS is held for a
 * person to place, never placed at the drone's registered home.
 */
describe('pictures as evidence: drone photos', () => {
  let app: TestApp;
  let db: Client;
  let staff: TestStaff;
  let pilot: TestUser;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cp-drone-pictures-'));
    app = await startTestApp({ env: { DATA_DIR: dataDir } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    staff = await createStaff(app);
    pilot = await createUser(app, 'pilot');
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const upload = (flight: string, name: string, data: Buffer) =>
    request(app.url)
      .post(`/api/v1/flights/${flight}/photos`)
      .set('Authorization', `Bearer ${pilot.token}`)
      .field('deviceId', 'DRONE-01')
      .attach('photo', data, { filename: name, contentType: 'image/jpeg' });
  const mark = (photo: Buffer, label: string) =>
    request(app.url)
      .post(`/api/v1/photos/${sha(photo)}/detections`)
      .set('Authorization', `Bearer ${pilot.token}`)
      .send({ marks: [{ label }] })
      .expect(200);
  type CaseRow = { id: string; held_reason: string | null; township_code: string | null; lat: number | null };
  const caseOfPhoto = async (photo: Buffer): Promise<CaseRow> =>
    (
      await db.query<CaseRow>(
        `SELECT c.id, c.held_reason, c.township_code, c.lat FROM cases c JOIN case_occurrences o ON o.case_id = c.id JOIN events e ON e.id = o.event_id
          WHERE e.media @> $1::jsonb`,
        [JSON.stringify([{ uri: `photo:${sha(photo)}` }])],
      )
    ).rows[0];
  const evidence = async (caseId: string): Promise<EvidenceView> =>
    (await request(app.url).get(`/api/v1/cases/${caseId}/evidence`).set('Authorization', `Bearer ${staff.supervisor.token}`).expect(200)).body as EvidenceView;
  const verify = async (): Promise<Verification> =>
    (await request(app.url).get('/api/v1/audit/verify').set('Authorization', `Bearer ${staff.supervisor.token}`).expect(200)).body as Verification;
  const bytesOf = async (url: string, token: string): Promise<{ status: number; body: Buffer; text: string }> => {
    const res = await request(app.url).get(url).set('Authorization', `Bearer ${token}`).buffer(true).parse(binary);
    return { status: res.status, body: res.body as Buffer, text: Buffer.isBuffer(res.body) ? res.body.toString('utf8') : String(res.text) };
  };

  it('makes the marked photo an image item, sealed as a local file; a flipped byte is named by verify and never served', async () => {
    const photo = await makeDronePhoto({ width: 800, height: 600, seed: 141, dji: { latitude: 23.0857, longitude: 113.3105 }, takenAt: '2026:11:30 10:00:00' });
    await upload('F-PIC-1', 'DJI_0141.JPG', photo).expect(200);
    await mark(photo, 'illegal-construction');
    const c = await caseOfPhoto(photo);
    expect(c).toBeDefined();

    // Sealed by the background sealer: the item becomes sealed, and the chain seals it as a local file.
    const image = await eventually('the drone photo sealed as an image item', async () => {
      const v = await evidence(c.id);
      return v.items.find((i) => i.kind === 'image' && i.sha256 === sha(photo) && i.sealed !== null);
    });
    expect(image).toMatchObject({ status: 'present', origin: 'drone-photo', local: true, capturedAt: '2026-11-30T02:00:00.000Z', positionSource: 'event' });
    expect(image.uri).toMatch(new RegExp(`^photos/originals/../../${sha(photo)}\\.jpg$`));
    // Sealed once (one item); the entries that name it — its sealing, and the case's opening if the background
    // sealer got to it before the intake did — name it as the local file with its hash.
    const sealedItems = await db.query(`SELECT count(*)::int AS n FROM evidence_items WHERE item_key = $1`, [image.key]);
    expect(sealedItems.rows[0].n).toBe(1);
    const naming = await db.query<{ total: number; local: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE data->'evidence' @> $2::jsonb)::int AS local FROM audit_log WHERE data->'evidence' @> $1::jsonb`,
      [JSON.stringify([{ key: image.key }]), JSON.stringify([{ key: image.key, local: true, sha256: sha(photo) }])],
    );
    expect(naming.rows[0].total).toBeGreaterThanOrEqual(1);
    expect(naming.rows[0].local).toBe(naming.rows[0].total);
    // The original served from the case is the photo byte for byte.
    const officer = await createUser(app, 'township_officer', { townshipCode: c.township_code as string });
    const served = await bytesOf(image.url as string, officer.token);
    expect(served.status).toBe(200);
    expect(sha(served.body)).toBe(sha(photo));
    expect((await verify()).ok).toBe(true);

    // One flipped bit in the stored original.
    const file = join(dataDir, 'media', image.uri as string);
    const original = readFileSync(file);
    const altered = Buffer.from(original);
    altered[altered.length >> 1] ^= 0x01;
    writeFileSync(file, altered);
    try {
      const v = await verify();
      expect(v.ok).toBe(false);
      expect(v.firstBroken?.reason).toContain(`file ${image.uri} was altered`);
      // Neither the case nor the photo endpoint serves the altered bytes under the old name.
      for (const url of [image.url as string, `/api/v1/photos/${sha(photo)}/original`]) {
        const r = await bytesOf(url, staff.supervisor.token);
        expect(r.status).toBe(500);
        expect(r.text).toContain('no longer match its SHA-256');
      }
    } finally {
      writeFileSync(file, original);
    }
    expect((await verify()).ok).toBe(true);
  });

  it("holds a mark on a photo without GPS for a person to place, never at the drone's registered home", async () => {
    const photo = await makeDronePhoto({ width: 800, height: 600, seed: 142, takenAt: '2026:11:30 10:05:00' });
    const res = await upload('F-PIC-2', 'DJI_0142.JPG', photo).expect(200);
    expect((res.body as { results: { flags: string[] }[] }).results[0].flags).toContain('no-position');
    await mark(photo, 'illegal-construction');
    const c = await caseOfPhoto(photo);
    // DRONE-01 is registered at 23.0850, 113.3100 (in a township): the case must not be placed there.
    expect(c).toMatchObject({ held_reason: 'no-position', township_code: null, lat: null });
    const v = await evidence(c.id);
    expect(v.completeness.positionSource).toBe('none');
    expect(v.completeness.complete).toBe(false);
    expect(v.completeness.problems).toEqual(expect.arrayContaining([expect.stringMatching(/no position/)]));
    expect(v.items.filter((i) => i.kind === 'image')).toEqual([expect.objectContaining({ sha256: sha(photo), status: 'present', positionSource: 'none' })]);
  });

  it('answers 404 for a picture that is not evidence of the case, and keeps pictures scoped like the case', async () => {
    const photo = await makeDronePhoto({ width: 640, height: 480, seed: 143, dji: { latitude: 23.0857, longitude: 113.3105 }, takenAt: '2026:11:30 10:10:00' });
    const other = await makeDronePhoto({ width: 640, height: 480, seed: 144, dji: { latitude: 23.0857, longitude: 113.3105 }, takenAt: '2026:11:30 10:11:00' });
    await upload('F-PIC-3', 'DJI_0143.JPG', photo).expect(200);
    await upload('F-PIC-3', 'DJI_0144.JPG', other).expect(200);
    await mark(photo, 'exposed-garbage');
    const c = await caseOfPhoto(photo);
    await request(app.url)
      .get(`/api/v1/cases/${c.id}/pictures/${sha(other)}/original`)
      .set('Authorization', `Bearer ${staff.supervisor.token}`)
      .expect(404);
    await request(app.url)
      .get(`/api/v1/cases/${c.id}/pictures/${sha(photo)}/everything`)
      .set('Authorization', `Bearer ${staff.supervisor.token}`)
      .expect(400);
    const officer = await createUser(app, 'township_officer', { townshipCode: c.township_code as string });
    const thumb = await bytesOf(`/api/v1/cases/${c.id}/pictures/${sha(photo)}/thumb`, officer.token);
    expect(thumb.status).toBe(200);
    expect(thumb.body.subarray(0, 2).toString('hex')).toBe('ffd8');
    // An officer of another township does not see the case, nor its pictures.
    const outsider = await createUser(app, 'township_officer', { townshipCode: c.township_code === '449901002' ? '449901001' : '449901002' });
    await request(app.url)
      .get(`/api/v1/cases/${c.id}/pictures/${sha(photo)}/original`)
      .set('Authorization', `Bearer ${outsider.token}`)
      .expect(404);
  });
});

function binary(res: request.Response, done: (err: Error | null, body: Buffer) => void): void {
  const stream = res as unknown as http.IncomingMessage;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}
