import type { MqttClient } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { djiFileMatchKey } from '@app/domain';
import { fileUploadCallback } from '../fixtures/payloads/dji-cloud.fixtures';
import { makeDronePhoto } from '../fixtures/photo-fixtures';
import { createHash } from 'node:crypto';
import { EmbeddedStart, startEmbedded } from '../fixtures/embedded-start';
import type { TestApp } from '../support/test-app';
import { createUser, TestUser } from './case-loop-helpers';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface UploadResult {
  fileName?: string;
  status: string;
  sha256?: string;
  reason?: string;
  linkedCallbacks?: number;
}

interface Slot {
  event_id: string;
  status: string;
  origin: string;
  sha256: string | null;
  match_key: string | null;
}

/**
 * DJI media (issue 14): the dock's `file_upload_callback` (MQTT, thing/product/<gateway>/events) and the pilot's
 * upload of that file (POST /api/v1/flights/{id}/photos with the drone's deviceId) are linked in whichever order
 * they arrive, by the gateway and the file name: the callback event's picture is the uploaded photo. DEMO-DOCK-01
 * is the dock of DRONE-01 (config/demo/devices.yaml). On the embedded broker a publish is acknowledged only once
 * it is stored, so a resolved QoS 1 publish means the event and its picture slot are in the database.
 */
describe('DJI callbacks and uploaded photos', () => {
  let embedded: EmbeddedStart;
  let app: TestApp;
  let db: Client;
  let dock: MqttClient;
  let pilot: TestUser;

  beforeAll(async () => {
    embedded = await startEmbedded();
    ({ app, db } = embedded);
    dock = await embedded.device('DEMO-DOCK-01');
    pilot = await createUser(app, 'pilot');
  });

  afterAll(async () => {
    await dock?.endAsync();
    await embedded?.stop();
  });

  const objectKey = (name: string) => `wayline/pictures-flight/${name}`;

  /** The dock reports a file; resolves once the callback event is stored (PUBACK after store). */
  const callback = async (name: string, topicSn = 'DEMO-DOCK-01') => {
    await dock.publishAsync(
      `thing/product/${topicSn}/events`,
      fileUploadCallback({ object_key: objectKey(name), name }, { gateway: 'DEMO-DOCK-01', tid: `tid-${name}` }),
      { qos: 1 },
    );
    const rows = await db.query<{ id: string }>(`SELECT id::text AS id FROM events WHERE source = 'dji' AND source_event_id = $1`, [`file:${objectKey(name)}`]);
    expect(rows.rows).toHaveLength(1);
    return rows.rows[0].id;
  };

  const upload = async (flight: string, name: string, data: Buffer, deviceId?: string): Promise<UploadResult> => {
    const req = request(app.url).post(`/api/v1/flights/${flight}/photos`).set('Authorization', `Bearer ${pilot.token}`);
    if (deviceId !== undefined) void req.field('deviceId', deviceId);
    const res = await req.attach('photo', data, { filename: name, contentType: 'image/jpeg' }).expect(200);
    const results = (res.body as { results: UploadResult[] }).results;
    expect(results).toHaveLength(1);
    return results[0];
  };

  const slotsOf = async (eventId: string) =>
    (
      await db.query<Slot>(`SELECT event_id::text AS event_id, status, origin, sha256, match_key FROM event_pictures WHERE event_id = $1 ORDER BY slot`, [
        eventId,
      ])
    ).rows;

  /** Which callback events have this photo as their picture. */
  const eventsWith = async (sha256: string) =>
    (await db.query<{ event_id: string }>(`SELECT event_id::text AS event_id FROM event_pictures WHERE sha256 = $1 ORDER BY event_id`, [sha256])).rows.map(
      (r) => r.event_id,
    );

  it('callback first: the slot waits for the file; the upload (name in another case) completes it, exactly once', async () => {
    const name = 'DJI_20261128101451_0042_W.jpeg';
    const photo = await makeDronePhoto({ width: 640, height: 480, seed: 71 });
    const eventId = await callback(name);
    expect(await slotsOf(eventId)).toEqual([
      { event_id: eventId, status: 'pending', origin: 'dji-upload', sha256: null, match_key: djiFileMatchKey('DEMO-DOCK-01', name) },
    ]);

    const result = await upload('F-PIC-1', name.toUpperCase(), photo, 'DRONE-01');
    expect(result).toMatchObject({ status: 'stored', sha256: sha(photo), linkedCallbacks: 1 });
    expect(await slotsOf(eventId)).toEqual([
      { event_id: eventId, status: 'present', origin: 'dji-upload', sha256: sha(photo), match_key: djiFileMatchKey('DEMO-DOCK-01', name) },
    ]);
    expect(await eventsWith(sha(photo))).toEqual([eventId]);

    // The pilot's retry (a duplicate) links nothing more, and the callback keeps its picture.
    const again = await upload('F-PIC-1', name, photo, 'DRONE-01');
    expect(again).toMatchObject({ status: 'duplicate', sha256: sha(photo) });
    expect(again.linkedCallbacks).toBeUndefined();
    expect(await eventsWith(sha(photo))).toEqual([eventId]);
  });

  it('upload first: the callback that comes later finds its photo at once, exactly once', async () => {
    const name = 'DJI_20261128101503_0043_W.jpeg';
    const photo = await makeDronePhoto({ width: 640, height: 480, seed: 72 });
    const result = await upload('F-PIC-2', name, photo, 'DRONE-01');
    expect(result).toMatchObject({ status: 'stored', sha256: sha(photo) });
    expect(result.linkedCallbacks).toBeUndefined();

    const eventId = await callback(name);
    expect(await slotsOf(eventId)).toEqual([
      { event_id: eventId, status: 'present', origin: 'dji-upload', sha256: sha(photo), match_key: djiFileMatchKey('DEMO-DOCK-01', name) },
    ]);
    expect(await eventsWith(sha(photo))).toEqual([eventId]);
  });

  it('a dock reporting on its aircraft topic is linked too, in both orders', async () => {
    const first = { name: 'DJI_20261128101610_0044_W.jpeg', photo: await makeDronePhoto({ width: 640, height: 480, seed: 73 }) };
    const firstEvent = await callback(first.name, 'DRONE-01');
    expect((await upload('F-PIC-3', first.name, first.photo, 'DRONE-01')).linkedCallbacks).toBe(1);
    expect(await slotsOf(firstEvent)).toMatchObject([{ status: 'present', sha256: sha(first.photo), match_key: djiFileMatchKey('DRONE-01', first.name) }]);

    const second = { name: 'DJI_20261128101622_0045_W.jpeg', photo: await makeDronePhoto({ width: 640, height: 480, seed: 74 }) };
    await upload('F-PIC-3', second.name, second.photo, 'DRONE-01');
    const secondEvent = await callback(second.name, 'DRONE-01');
    expect(await slotsOf(secondEvent)).toMatchObject([{ status: 'present', sha256: sha(second.photo) }]);
    expect(await eventsWith(sha(first.photo))).toEqual([firstEvent]);
    expect(await eventsWith(sha(second.photo))).toEqual([secondEvent]);
  });

  it('the same name alone links nothing: not from a device of another gateway, not without a deviceId, not a refused file', async () => {
    const name = 'DJI_20261128101700_0046_W.jpeg';
    const eventId = await callback(name);
    // Same file name, uploaded for a camera that is not under the dock.
    const other = await makeDronePhoto({ width: 640, height: 480, seed: 75 });
    expect((await upload('F-PIC-4', name, other, 'DEMO-CAM-01')).linkedCallbacks).toBeUndefined();
    // Same name, no deviceId: nothing says which gateway took it.
    const anonymous = await makeDronePhoto({ width: 640, height: 480, seed: 76 });
    expect((await upload('F-PIC-4', name, anonymous)).linkedCallbacks).toBeUndefined();
    // Same name and device, but the bytes are refused: the callback keeps waiting for a good upload.
    expect(await upload('F-PIC-4', name, Buffer.from('not a photo at all'), 'DRONE-01')).toMatchObject({ status: 'rejected', reason: 'not-an-image' });
    expect(await slotsOf(eventId)).toMatchObject([{ status: 'pending', sha256: null }]);
    expect(await eventsWith(sha(other))).toEqual([]);
    expect(await eventsWith(sha(anonymous))).toEqual([]);

    const photo = await makeDronePhoto({ width: 640, height: 480, seed: 77 });
    expect((await upload('F-PIC-4', name, photo, 'DRONE-01')).linkedCallbacks).toBe(1);
    expect(await slotsOf(eventId)).toMatchObject([{ status: 'present', sha256: sha(photo) }]);
  });

  it('the linked picture is a catalogued picture of the stored photo (what sealing and verify read)', async () => {
    const name = 'DJI_20261128101800_0047_W.jpeg';
    const photo = await makeDronePhoto({ width: 640, height: 480, seed: 78 });
    const eventId = await callback(name);
    await upload('F-PIC-5', name, photo, 'DRONE-01');
    const rows = await db.query<{ sha256: string; bytes: string }>(
      `SELECT p.sha256, p.bytes::text AS bytes FROM event_pictures ep JOIN pictures p ON p.sha256 = ep.sha256 WHERE ep.event_id = $1 AND ep.status = 'present'`,
      [eventId],
    );
    expect(rows.rows).toEqual([{ sha256: sha(photo), bytes: String(photo.length) }]);
    const served = await request(app.url)
      .get(`/api/v1/photos/${sha(photo)}/original`)
      .set('Authorization', `Bearer ${pilot.token}`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(sha(served.body as Buffer)).toBe(sha(photo));
  });
});
