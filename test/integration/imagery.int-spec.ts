import { Client } from 'pg';
import request from 'supertest';
import { makeDronePhoto, makePngBomb, nonImageBytes, truncated } from '../fixtures/photo-fixtures';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { startTestApp, TestApp } from '../support/test-app';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface UploadResponse {
  results: { fileName?: string; status: string; sha256?: string; reason?: string; flags?: string[] }[];
}

/** Drone pilots' batch upload: never loses a photo, stores each once, refuses bad files with their reason. */
describe('drone photo upload', () => {
  let app: TestApp;
  let db: Client;
  let pilot: string;
  let operator: string;

  beforeAll(async () => {
    app = await startTestApp({ env: { PHOTO_MAX_BYTES: String(8 * 1024 * 1024) } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    const admin = await app.token();
    for (const [username, role] of [
      ['pilot-1', 'pilot'],
      ['operator-1', 'operator'],
    ]) {
      await request(app.url)
        .post('/api/v1/users')
        .set('Authorization', `Bearer ${admin}`)
        .send({ username, password: 'long-test-password', role, displayName: username })
        .expect(201);
    }
    const login = async (username: string) =>
      ((await request(app.url).post('/api/v1/auth/login').send({ username, password: 'long-test-password' }).expect(200)).body as { accessToken: string })
        .accessToken;
    pilot = await login('pilot-1');
    operator = await login('operator-1');
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const upload = (flight: string, files: { name: string; data: Buffer }[], deviceId = 'DRONE-01') => {
    const req = request(app.url).post(`/api/v1/flights/${flight}/photos`).set('Authorization', `Bearer ${pilot}`).field('deviceId', deviceId);
    for (const f of files) req.attach('photo', f.data, { filename: f.name, contentType: 'image/jpeg' });
    return req;
  };

  it('stores a DJI photo with its position, altitude, yaw, township and derivatives; refuses bad files with their reason', async () => {
    const good = await makeDronePhoto({
      width: 1600,
      height: 1200,
      seed: 7,
      dji: {
        latitude: 23.1206,
        longitude: 113.245,
        absoluteAltitude: 68.4,
        relativeAltitude: 45.2,
        gimbalYaw: -30.5,
        gimbalPitch: -90,
        flightYaw: -31,
        rtkFlag: 50,
      },
      takenAt: '2026:11:28 10:15:00',
    });
    const noGps = await makeDronePhoto({ width: 800, height: 600, seed: 8 });
    const bomb = await makePngBomb();
    const oversized = Buffer.alloc(9 * 1024 * 1024, 1);
    const res = await upload('F-2026-11-28-A', [
      { name: 'DJI_0001.JPG', data: good },
      { name: 'DJI_0002.JPG', data: noGps },
      { name: 'DJI_0003.JPG', data: truncated(good) },
      { name: 'notes.txt', data: nonImageBytes() },
      { name: 'bomb.png', data: bomb },
      { name: 'huge.jpg', data: oversized },
    ]).expect(200);
    const results = (res.body as UploadResponse).results;
    expect(results.map((r) => [r.fileName, r.status, r.reason])).toEqual([
      ['DJI_0001.JPG', 'stored', undefined],
      ['DJI_0002.JPG', 'stored', undefined],
      ['DJI_0003.JPG', 'rejected', 'truncated'],
      ['notes.txt', 'rejected', 'not-an-image'],
      ['bomb.png', 'rejected', 'too-many-pixels'],
      ['huge.jpg', 'rejected', 'file-too-large'],
    ]);
    expect(results[0].sha256).toBe(sha(good));
    expect(results[1].flags).toContain('no-position');

    const photo = await request(app.url)
      .get(`/api/v1/photos/${sha(good)}`)
      .set('Authorization', `Bearer ${operator}`)
      .expect(200);
    expect(photo.body).toMatchObject({
      lat: 23.1206,
      lng: 113.245,
      absoluteAltitude: 68.4,
      relativeAltitude: 45.2,
      gimbalYaw: -30.5,
      townshipCode: '449901001',
      gridCode: '449901001001001',
      width: 1600,
      height: 1200,
    });
    expect((photo.body as { takenAt: string }).takenAt).toBe('2026-11-28T02:15:00.000Z');

    const original = await request(app.url)
      .get(`/api/v1/photos/${sha(good)}/original`)
      .set('Authorization', `Bearer ${operator}`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(sha(original.body as Buffer)).toBe(sha(good)); // the evidence, byte for byte
    const thumb = await request(app.url)
      .get(`/api/v1/photos/${sha(good)}/thumb`)
      .set('Authorization', `Bearer ${operator}`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(thumb.headers['content-type']).toMatch(/^image\//);
    expect((thumb.body as Buffer).includes(Buffer.from('drone-dji'))).toBe(false); // metadata stripped
  });

  // 1,000+ uploads of 500 photos through sharp: well under a minute alone, longer on a loaded 2-core machine.
  it('stores a 500-photo flight once when it is uploaded twice, and an interrupted upload resumed stores each photo once', async () => {
    const photos = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        makeDronePhoto({ width: 320, height: 240, seed: 1000 + i, dji: { latitude: 23.09 + i / 100000, longitude: 113.3 } }),
      ),
    );
    const files = photos.map((data, i) => ({ name: `P${String(i).padStart(4, '0')}.JPG`, data }));
    for (let i = 0; i < files.length; i += 100) await upload('F-500', files.slice(i, i + 100)).expect(200);
    for (let i = 0; i < files.length; i += 100) {
      const again = (await upload('F-500', files.slice(i, i + 100)).expect(200)).body as UploadResponse;
      expect(again.results.every((r) => r.status === 'duplicate')).toBe(true);
    }
    const count = async () => Number((await db.query(`SELECT count(*) AS n FROM photos WHERE flight_id = 'F-500'`)).rows[0].n);
    expect(await count()).toBe(500);

    // A second flight: the connection drops in the middle of the first request.
    const flight2 = await Promise.all(Array.from({ length: 40 }, (_, i) => makeDronePhoto({ width: 320, height: 240, seed: 5000 + i })));
    await interruptedUpload(`${app.url}/api/v1/flights/F-RESUME/photos`, pilot, flight2.slice(0, 20), 0.6);
    const check = await request(app.url)
      .post('/api/v1/flights/F-RESUME/photos/check')
      .set('Authorization', `Bearer ${pilot}`)
      .send({ sha256: flight2.map(sha) })
      .expect(200);
    const { stored, missing } = check.body as { stored: string[]; missing: string[] };
    expect(stored.length + missing.length).toBe(40);
    expect(stored.length).toBeGreaterThan(0);
    const toSend = flight2.filter((p) => missing.includes(sha(p))).map((data, i) => ({ name: `R${i}.JPG`, data }));
    const resumed = (await upload('F-RESUME', toSend).expect(200)).body as UploadResponse;
    expect(resumed.results.every((r) => r.status === 'stored')).toBe(true);
    const rows = await db.query(`SELECT sha256 FROM photos WHERE flight_id = 'F-RESUME'`);
    expect(rows.rows.map((r: { sha256: string }) => r.sha256).sort()).toEqual(flight2.map(sha).sort());
  }, 180_000);

  it('turns a pilot mark on a photo into a case, and a second photo of the same place joins it', async () => {
    const at = { latitude: 23.0857, longitude: 113.3105 };
    const first = await makeDronePhoto({ width: 800, height: 600, seed: 91, dji: at, takenAt: '2026:11:28 11:00:00' });
    const second = await makeDronePhoto({ width: 800, height: 600, seed: 92, dji: at, takenAt: '2026:11:28 11:05:00' });
    await upload('F-MARK', [
      { name: 'a.jpg', data: first },
      { name: 'b.jpg', data: second },
    ]).expect(200);
    for (const p of [first, second]) {
      await request(app.url)
        .post(`/api/v1/photos/${sha(p)}/detections`)
        .set('Authorization', `Bearer ${pilot}`)
        .send({ marks: [{ label: 'illegal-construction', note: 'new shed on a roof' }] })
        .expect(200);
    }
    const cases = await db.query<{ id: string; occurrence_count: number; device_id: string }>(
      `SELECT id, occurrence_count, device_id FROM cases WHERE category_code = 'illegal-construction'`,
    );
    expect(cases.rows).toHaveLength(1);
    expect(cases.rows[0].occurrence_count).toBe(2);
    const evidence = await db.query(`SELECT e.media FROM events e JOIN case_occurrences o ON o.event_id = e.id WHERE o.case_id = $1 ORDER BY e.occurred_at`, [
      cases.rows[0].id,
    ]);
    expect(evidence.rows.map((r: { media: { sha256: string }[] }) => r.media[0].sha256)).toEqual([sha(first), sha(second)]);
    // Marking the same photo the same way again adds nothing.
    await request(app.url)
      .post(`/api/v1/photos/${sha(first)}/detections`)
      .set('Authorization', `Bearer ${pilot}`)
      .send({ marks: [{ label: 'illegal-construction', note: 'new shed on a roof' }] })
      .expect(200);
    expect((await db.query(`SELECT occurrence_count FROM cases WHERE id = $1`, [cases.rows[0].id])).rows[0].occurrence_count).toBe(2);
  });
});

function binary(res: request.Response, done: (err: Error | null, body: Buffer) => void): void {
  const stream = res as unknown as http.IncomingMessage;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

/** Sends a multipart upload and cuts the connection after `fraction` of the body. */
async function interruptedUpload(url: string, token: string, files: Buffer[], fraction: number): Promise<void> {
  const boundary = 'cpboundary' + Date.now();
  const parts: Buffer[] = [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="deviceId"\r\n\r\nDRONE-01\r\n`)];
  files.forEach((f, i) => {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="I${i}.JPG"\r\nContent-Type: image/jpeg\r\n\r\n`),
      f,
      Buffer.from('\r\n'),
    );
  });
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const body = Buffer.concat(parts);
  const cut = Math.floor(body.length * fraction);
  await new Promise<void>((resolve) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length },
    });
    req.on('error', () => resolve());
    req.on('response', () => resolve());
    req.write(body.subarray(0, cut), () => {
      // Give the server time to store what arrived, then drop the connection like a lost uplink.
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 1500);
    });
  });
  await new Promise((r) => setTimeout(r, 500));
}
