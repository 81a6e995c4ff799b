import { makeDronePhoto } from '../fixtures/photo-fixtures';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  createSecurityUser,
  type SecurityApp,
  type SecurityUser,
  send,
  startSecurityApp,
  TOWNSHIP_A,
  transition,
  uploadFlight,
} from '../support/security-matrix';
import { eventually } from '../support/test-app';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Issue 13: a client that disconnected mid-upload left its partial `media/incoming/*.upload` file for ever (and a
 * body cut short could end the process). Now: the partial file is removed, the service keeps serving, the next
 * upload works; and what a crashed run left in the temp directories is removed at start.
 */
describe('an upload cut off mid-stream', () => {
  const media = mkdtempSync(join(tmpdir(), 'cp-uploads-abort-'));
  const spool = join(media, 'incoming');
  const storeTemp = join(media, 'photos', '.incoming');
  const leftovers = () => [spool, storeTemp].flatMap((dir) => (existsSync(dir) ? readdirSync(dir) : []));
  let s: SecurityApp;
  let pilot: SecurityUser;
  let officer: SecurityUser;
  let caseId: string;
  let atStart: string[];

  beforeAll(async () => {
    // What a run killed mid-upload leaves behind, an hour before this process started.
    mkdirSync(spool, { recursive: true });
    mkdirSync(storeTemp, { recursive: true });
    const anHourAgo = new Date(Date.now() - process.uptime() * 1000 - 3_600_000);
    for (const file of [join(spool, 'killed-mid-flight.upload'), join(spool, 'killed-mid-repair.reprocess'), join(storeTemp, 'killed-mid-write.part')]) {
      writeFileSync(file, 'half a photo');
      utimesSync(file, anHourAgo, anHourAgo);
    }
    s = await startSecurityApp({ MEDIA_DIR: media }, 'api');
    atStart = leftovers();
    pilot = await createSecurityUser(s, 'pilot');
    officer = await createSecurityUser(s, 'township_officer', { townshipCode: TOWNSHIP_A });
    const operator = await createSecurityUser(s, 'operator');
    // A case in progress with township A's team, so it takes report-back photos: a pilot's mark on a photo.
    const [marked] = await uploadFlight(s, pilot.token, 'F-ABORT-0', [
      await makeDronePhoto({ width: 480, height: 360, seed: 301, dji: { latitude: 23.1206, longitude: 113.245 } }),
    ]);
    const mark = await send(
      s.url,
      { method: 'POST', path: `/api/v1/photos/${marked}/detections`, json: { marks: [{ label: 'garbage', confidence: 0.9 }] } },
      { Authorization: `Bearer ${pilot.token}` },
    );
    expect(mark.status).toBe(200);
    caseId = (await s.db.query<{ id: string }>(`SELECT id FROM cases`)).rows[0].id;
    await transition(s, operator.token, caseId, { action: 'review-register', evidenceUsableForPenalty: true });
    await transition(s, operator.token, caseId, { action: 'dispatch' });
    await transition(s, officer.token, caseId, { action: 'accept' });
  });

  afterAll(async () => {
    await s?.stop();
    rmSync(media, { recursive: true, force: true });
  });

  it('removes at start what a killed run left in the temp directories', () => {
    expect(atStart).toEqual([]);
  });

  /**
   * Sends the part headers and half of a photo, waits until the server is writing it to disk, then drops the
   * connection as a lost uplink does. Returns the partial file seen on disk.
   */
  async function abortMidUpload(path: string, token: string, photo: Buffer): Promise<string[]> {
    const boundary = `cut-${Date.now()}`;
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="cut.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const req = http.request(`${s.url}${path}`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': head.length + photo.length + tail.length,
      },
    });
    let answered: number | undefined;
    req.on('response', (res) => {
      answered = res.statusCode;
      res.resume();
    });
    req.on('error', () => undefined); // the destroy below
    req.write(Buffer.concat([head, photo.subarray(0, photo.length >> 1)]));
    const partial = await eventually('the partial upload on disk', async () => {
      const files = existsSync(spool) ? readdirSync(spool).filter((f) => f.endsWith('.upload') && statSync(join(spool, f)).size > 0) : [];
      return files.length > 0 ? files : undefined;
    });
    req.destroy();
    expect(answered).toBeUndefined();
    return partial;
  }

  it.each([
    ['a flight upload', () => '/api/v1/flights/F-ABORT-1/photos', () => pilot.token, 302],
    ['report-back photos', () => `/api/v1/cases/${caseId}/report-photos`, () => officer.token, 303],
  ])('%s: the partial file is removed, the service keeps serving, the next upload of the photo is stored', async (_what, path, token, seed) => {
    const photo = await makeDronePhoto({ width: 1600, height: 1200, seed, dji: { latitude: 23.1206, longitude: 113.245 } });
    const photosBefore = Number((await s.db.query<{ n: string }>(`SELECT count(*) AS n FROM photos`)).rows[0].n);

    expect(await abortMidUpload(path(), token(), photo)).toHaveLength(1);
    await eventually('the partial file removed', async () => (leftovers().length === 0 ? true : undefined));
    expect(Number((await s.db.query<{ n: string }>(`SELECT count(*) AS n FROM photos`)).rows[0].n)).toBe(photosBefore);
    expect((await send(s.url, { method: 'GET', path: '/health' })).status).toBe(200);

    // The pilot (or the team) sends it again, whole.
    const res = await request(s.url)
      .post(path())
      .set('Authorization', `Bearer ${token()}`)
      .attach('photo', photo, { filename: 'again.jpg', contentType: 'image/jpeg' });
    expect(res.status).toBe(200);
    expect((res.body as { results: { status: string; sha256: string }[] }).results.map((r) => [r.status, r.sha256])).toEqual([['stored', sha(photo)]]);
    expect(leftovers()).toEqual([]);
  });
});
