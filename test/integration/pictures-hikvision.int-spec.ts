import { Client } from 'pg';
import request from 'supertest';
import { hikAlert } from '../fixtures/payloads/hikvision-isapi.fixtures';
import { makeDronePhoto, nonImageBytes, truncated } from '../fixtures/photo-fixtures';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestApp, TestApp } from '../support/test-app';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** HIK-GATE-01 is registered with alias 44:19:b6:00:00:01:ch1 (config/demo/devices.yaml). */
const gate = { macAddress: '44:19:b6:00:00:01', channelID: '1' };
const aid = (dateTime: string, plate: string) =>
  hikAlert(
    { ...gate, dateTime },
    `  <AID><illegalTrafficEvent>illegalParking</illegalTrafficEvent><PlateInfo><plate>${plate}</plate><confidenceLevel>96</confidenceLevel></PlateInfo></AID>\n`,
  );
/** The per-picture limit of this run (PHOTO_MAX_BYTES): a part over it is refused as too large. */
const MAX_PICTURE_BYTES = 1024 * 1024;
const BOUNDARY = 'MIME_boundary_hik';

interface MultipartPart {
  name: string;
  filename?: string;
  type: string;
  data: Buffer;
}

/** A multipart alarm as Hikvision firmware sends it (some parts without a filename). */
function multipart(parts: MultipartPart[], closed = true): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"`}`;
    chunks.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\nContent-Type: ${p.type}\r\nContent-Length: ${p.data.length}\r\n\r\n`),
      p.data,
      Buffer.from('\r\n'),
    );
  }
  if (closed) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

interface EvidenceItem {
  key: string;
  kind: string;
  status: string;
  sha256: string | null;
  capturedAt: string | null;
  eventId: string | null;
  origin?: string;
  detail?: string;
  url?: string;
}

/**
 * Hikvision pictures (issue 14): every image part of an ISAPI multipart alarm is kept as evidence of the event
 * (stored byte for byte under its SHA-256 through the imagery pipeline), a refused part is recorded missing with
 * its reason, and the alarm XML is stored as it came.
 */
describe('Hikvision alarm pictures', () => {
  let app: TestApp;
  let db: Client;
  let admin: string;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cp-hik-pictures-'));
    app = await startTestApp({ env: { PHOTO_MAX_BYTES: String(MAX_PICTURE_BYTES), DATA_DIR: dataDir } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    admin = await app.token();
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const push = (body: Buffer | string, contentType = `multipart/form-data; boundary=${BOUNDARY}`) =>
    request(app.url)
      .post('/api/v1/ingest/hikvision')
      .set('Authorization', basic('HIK-GATE-01', 'cloudpatrol-demo'))
      .set('Content-Type', contentType)
      .send(body);

  const binary = (req: request.Test) =>
    req.buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });

  it('keeps the JPEG part as an image evidence item of the case (its url serves bytes hashing to its sha256); refused parts are missing with the reason', async () => {
    const plate = await makeDronePhoto({ width: 640, height: 480, seed: 41 });
    const scene = await makeDronePhoto({ width: 800, height: 600, seed: 42 });
    const notAnImage = nonImageBytes();
    const cut = truncated(scene);
    const tooLarge = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(MAX_PICTURE_BYTES + 1, 7)]);
    const xml = aid('2026-11-28T09:30:00+08:00', '粤A7P3K2');
    const res = await push(
      multipart([
        // Named after the event type, no filename: found by its content.
        { name: 'AID', type: 'application/xml; charset=UTF-8', data: Buffer.from(xml, 'utf8') },
        { name: 'licensePlatePicture.jpg', filename: 'licensePlatePicture.jpg', type: 'image/jpeg', data: plate },
        // A picture part without a filename: still kept byte for byte (a form parser would decode it as text).
        { name: 'detectionPicture', type: 'image/jpeg', data: scene },
        { name: 'backgroundPicture.jpg', filename: 'backgroundPicture.jpg', type: 'image/jpeg', data: notAnImage },
        { name: 'closeUpPicture.jpg', filename: 'closeUpPicture.jpg', type: 'image/jpeg', data: cut },
        { name: 'panoramaPicture.jpg', filename: 'panoramaPicture.jpg', type: 'application/octet-stream', data: tooLarge },
      ]),
    ).expect(200);
    const body = res.body as { status: string; eventIds: string[]; pictures: { kept: number; refused: { part: string; reason: string }[] } };
    expect(body.status).toBe('stored');
    expect(body.pictures.kept).toBe(2);
    expect(body.pictures.refused.map((r) => [r.part, r.reason])).toEqual([
      ['backgroundPicture.jpg', 'not-an-image'],
      ['closeUpPicture.jpg', 'truncated'],
      ['panoramaPicture.jpg', 'file-too-large'],
    ]);

    // The alarm XML is stored as it came, and the event names its pictures by SHA-256.
    const events = await db.query<{ id: string; raw_payload: string; media: { uri: string; sha256?: string }[] }>(
      `SELECT id::text AS id, raw_payload, media FROM events WHERE source = 'hikvision' AND detections->0->>'plate' = '粤A7P3K2'`,
    );
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0].raw_payload).toBe(xml);
    expect(events.rows[0].media.map((m) => m.sha256)).toEqual([sha(plate), sha(scene)]);
    const slots = await db.query<{ status: string; origin: string; sha256: string | null; detail: string | null }>(
      `SELECT status, origin, sha256, detail FROM event_pictures WHERE event_id = $1 ORDER BY slot`,
      [events.rows[0].id],
    );
    expect(slots.rows.map((r) => [r.status, r.origin, r.sha256])).toEqual([
      ['present', 'hikvision-part', sha(plate)],
      ['present', 'hikvision-part', sha(scene)],
      ['missing', 'hikvision-part', null],
      ['missing', 'hikvision-part', null],
      ['missing', 'hikvision-part', null],
    ]);
    expect(slots.rows.slice(2).map((r) => r.detail?.split(':')[0])).toEqual(['not-an-image', 'truncated', 'file-too-large']);

    // The case's evidence view: image items whose url serves the original bytes.
    const found = await db.query<{ id: string }>(`SELECT c.id FROM cases c JOIN case_occurrences o ON o.case_id = c.id WHERE o.event_id = $1`, [
      events.rows[0].id,
    ]);
    expect(found.rows).toHaveLength(1);
    const caseId = found.rows[0].id;
    const view = await request(app.url).get(`/api/v1/cases/${caseId}/evidence`).set('Authorization', `Bearer ${admin}`).expect(200);
    const items = (view.body as { items: EvidenceItem[] }).items;
    const images = items.filter((i) => i.kind === 'image');
    const present = images.filter((i) => i.status === 'present');
    expect(present.map((i) => i.sha256).sort()).toEqual([sha(plate), sha(scene)].sort());
    for (const item of present) {
      expect(item).toMatchObject({ eventId: events.rows[0].id, capturedAt: '2026-11-28T01:30:00.000Z' });
      expect(item.url).toBe(`/api/v1/cases/${caseId}/pictures/${item.sha256}/original`);
      const served = await binary(
        request(app.url)
          .get(item.url ?? '')
          .set('Authorization', `Bearer ${admin}`),
      ).expect(200);
      expect(sha(served.body as Buffer)).toBe(item.sha256);
    }
    const missing = images.filter((i) => i.status === 'missing');
    expect(missing.map((i) => [i.sha256, i.detail?.split(':')[0]]).sort()).toEqual([
      [null, 'file-too-large'],
      [null, 'not-an-image'],
      [null, 'truncated'],
    ]);

    // Sealed as a local file: one flipped byte in the stored camera picture is named by the audit verification.
    type Verification = { ok: boolean; firstBroken?: { reason: string } };
    const verify = async () => (await request(app.url).get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`).expect(200)).body as Verification;
    const sealed = await eventually('the plate picture sealed', async () => {
      const v = await request(app.url).get(`/api/v1/cases/${caseId}/evidence`).set('Authorization', `Bearer ${admin}`).expect(200);
      return (v.body as { items: (EvidenceItem & { uri: string | null; sealed: unknown })[] }).items.find((i) => i.sha256 === sha(plate) && i.sealed !== null);
    });
    expect((await verify()).ok).toBe(true);
    const file = join(dataDir, 'media', sealed.uri ?? '');
    const original = readFileSync(file);
    const altered = Buffer.from(original);
    altered[altered.length - 3] ^= 0x80;
    writeFileSync(file, altered);
    try {
      const broken = await verify();
      expect(broken.ok).toBe(false);
      expect(broken.firstBroken?.reason).toContain(`file ${sealed.uri} was altered`);
      await request(app.url)
        .get(sealed.url ?? '')
        .set('Authorization', `Bearer ${admin}`)
        .expect(500);
    } finally {
      writeFileSync(file, original);
    }
    expect((await verify()).ok).toBe(true);
  });

  it('the same alarm sent again stores nothing twice; an alarm without pictures answers as before', async () => {
    const plate = await makeDronePhoto({ width: 640, height: 480, seed: 43 });
    const xml = aid('2026-11-28T09:40:00+08:00', '粤B1C2D3');
    const body = multipart([
      { name: 'ANPR.xml', filename: 'ANPR.xml', type: 'application/xml', data: Buffer.from(xml, 'utf8') },
      { name: 'licensePlatePicture.jpg', filename: 'licensePlatePicture.jpg', type: 'image/jpeg', data: plate },
    ]);
    expect((await push(body).expect(200)).body).toMatchObject({ status: 'stored', pictures: { kept: 1, refused: [] } });
    expect((await push(body).expect(200)).body).toMatchObject({ status: 'duplicate', pictures: { kept: 1, refused: [] } });
    const slots = await db.query(
      `SELECT ep.status, ep.sha256 FROM event_pictures ep JOIN events e ON e.id = ep.event_id WHERE e.source = 'hikvision' AND e.detections->0->>'plate' = '粤B1C2D3'`,
    );
    expect(slots.rows).toEqual([{ status: 'present', sha256: sha(plate) }]);
    expect(Number((await db.query(`SELECT count(*) AS n FROM pictures WHERE sha256 = $1`, [sha(plate)])).rows[0].n)).toBe(1);

    const plain = await push(aid('2026-11-28T09:50:00+08:00', '粤C4E5F6'), 'application/xml').expect(200);
    expect(plain.body).toEqual({ status: 'stored', eventIds: [expect.any(String)] });
    expect((await db.query(`SELECT 1 FROM event_pictures WHERE event_id = $1`, [(plain.body as { eventIds: string[] }).eventIds[0]])).rowCount).toBe(0);
  });

  it('answers 400 with the reason to a multipart body it cannot read, and stores nothing of it', async () => {
    const plate = await makeDronePhoto({ width: 320, height: 240, seed: 44 });
    const xml = aid('2026-11-28T10:00:00+08:00', '粤D7G8H9');
    const xmlPart: MultipartPart = { name: 'AID', type: 'application/xml', data: Buffer.from(xml, 'utf8') };
    const picture: MultipartPart = { name: 'p.jpg', filename: 'p.jpg', type: 'image/jpeg', data: plate };
    const reasons = async (body: Buffer, contentType?: string) => ((await push(body, contentType).expect(400)).body as { message: string }).message;

    const whole = multipart([xmlPart, picture]);
    // Cut in the closing boundary ("--MIME_boundary_hik" without its "--"), inside the picture, after a part.
    expect(await reasons(whole.subarray(0, whole.length - 4))).toBe('unreadable multipart body: the body ends before its closing boundary (cut short?)');
    expect(await reasons(multipart([xmlPart, picture], false))).toBe('unreadable multipart body: the body ends inside part 2 (cut short?)');
    expect(await reasons(whole.subarray(0, whole.length - 200))).toBe('unreadable multipart body: the body ends inside part 2 (cut short?)');
    expect(await reasons(multipart([xmlPart, ...Array.from({ length: 16 }, () => picture)]))).toBe('unreadable multipart body: more than 16 parts');
    expect(await reasons(multipart([xmlPart]), 'multipart/form-data')).toBe('unreadable multipart body: the multipart content type has no usable boundary');
    expect(await reasons(multipart([picture]))).toBe('multipart body has no EventNotificationAlert XML part');
    expect((await db.query(`SELECT 1 FROM events WHERE detections->0->>'plate' = '粤D7G8H9'`)).rowCount).toBe(0);
    expect((await db.query(`SELECT 1 FROM pictures WHERE sha256 = $1`, [sha(plate)])).rowCount).toBe(0);
  });
});
