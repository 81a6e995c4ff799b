import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { makeDronePhoto } from '../fixtures/photo-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { act, createStaff, insertCase, step, type TestStaff } from './case-loop-helpers';

interface AfterPhotoRow {
  uri: string;
  sha256: string | null;
  local: boolean;
}

/**
 * Issue 17 item 10: a report-back names photos that exist. A media key must name a file under the media root (an
 * uploaded report photo is one); a category with `reportBackRequiresPhoto` needs at least one such photo. URLs stay
 * references, as before, but do not satisfy the requirement.
 */
describe('report-back photos', () => {
  let app: TestApp;
  let db: Client;
  let staff: TestStaff;
  let dataDir: string;

  const afterPhotos = async (caseId: string): Promise<AfterPhotoRow[]> =>
    (await db.query<AfterPhotoRow>(`SELECT uri, sha256, local FROM evidence_items WHERE case_id = $1 AND kind = 'after-photo' ORDER BY item_key`, [caseId]))
      .rows;
  const transitions = async (caseId: string): Promise<string[]> =>
    (await db.query<{ action: string }>(`SELECT action FROM case_transitions WHERE case_id = $1 ORDER BY seq`, [caseId])).rows.map((r) => r.action);
  /** A case in progress with township A's team. */
  const inProgress = async (category: string): Promise<string> => {
    const c = await insertCase(db, { category });
    await step(app, staff.operator, c.id, { action: 'review-register', evidenceUsableForPenalty: true });
    await step(app, staff.operator, c.id, { action: 'dispatch' });
    await step(app, staff.officer, c.id, { action: 'accept' });
    return c.id;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cp-report-photos-'));
    app = await startTestApp({ env: { DATA_DIR: dataDir } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    staff = await createStaff(app);
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a media key that names no stored file (422, naming the key) and records nothing', async () => {
    const id = await inProgress('exposed-garbage');
    const res = await act(app, staff.officer, id, { action: 'report-back', resultNote: 'cleared', photos: ['after/2026/12/04/nowhere.jpg'] });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ statusCode: 422, error: 'invalid-input' });
    expect((res.body as { message: string }).message).toContain('"after/2026/12/04/nowhere.jpg"');
    expect(await transitions(id)).toEqual(['open', 'review-register', 'dispatch', 'accept']);
    expect(await afterPhotos(id)).toEqual([]);
    const c = await request(app.url).get(`/api/v1/cases/${id}`).set('Authorization', `Bearer ${staff.officer.token}`).expect(200);
    expect(c.body).toMatchObject({ status: 'in_progress', loop: { afterPhotos: [], resultNote: null } });
  });

  it('needs an after-photo stored here for a category that requires one; a URL alone is not enough', async () => {
    const id = await inProgress('exposed-garbage');
    const none = await act(app, staff.officer, id, { action: 'report-back', resultNote: 'cleared' });
    expect(none.status).toBe(422);
    expect((none.body as { message: string }).message).toContain('after-photo');
    const urlOnly = await act(app, staff.officer, id, { action: 'report-back', resultNote: 'cleared', photos: ['https://photos.example/after.jpg'] });
    expect(urlOnly.status).toBe(422);
    expect(await transitions(id)).toEqual(['open', 'review-register', 'dispatch', 'accept']);

    // A file put under the media root by other means (MEDIA_DIR) counts, as it is hashed when sealed.
    const key = 'after/2026/12/04/site-7.jpg';
    const file = join(dataDir, 'media', key);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.from('after-photo bytes: the pavement is clean'));
    await step(app, staff.officer, id, { action: 'report-back', resultNote: 'cleared', photos: [key] });
    expect(await afterPhotos(id)).toEqual([{ uri: key, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), local: true }]);
  });

  it('reports back without a photo where the category does not need one', async () => {
    const id = await inProgress('non-motor-parking');
    const done = await step(app, staff.officer, id, { action: 'report-back', resultNote: 'the bicycles were moved' });
    expect(done.case.status).toBe('reported');
    expect(await afterPhotos(id)).toEqual([]);
  });

  it('takes an uploaded report photo and seals it with its SHA-256, next to a URL reference', async () => {
    const id = await inProgress('illegal-advertising');
    const photo = await makeDronePhoto({ width: 640, height: 480, seed: 1704, exifGps: { latitude: 23.105, longitude: 113.255 } });
    const upload = await request(app.url)
      .post(`/api/v1/cases/${id}/report-photos`)
      .set('Authorization', `Bearer ${staff.officer.token}`)
      .attach('photo', photo, { filename: 'after.jpg', contentType: 'image/jpeg' });
    expect(upload.status).toBeLessThan(300);
    const [result] = (upload.body as { results: { key?: string; sha256: string; status: string }[] }).results;
    expect(result).toMatchObject({ status: 'stored', key: expect.stringMatching(/^photos\/originals\//) });
    const url = 'https://photos.example/poster-removed.jpg';
    const done = await act(app, staff.officer, id, { action: 'report-back', resultNote: 'poster removed', photos: [result.key, url] });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ case: { status: 'reported', loop: { afterPhotos: [result.key, url] } } });
    expect(await afterPhotos(id)).toEqual([
      { uri: result.key, sha256: result.sha256, local: true },
      { uri: url, sha256: null, local: false },
    ]);
  });
});
