import { connectAsync, IClientOptions } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { aircraftOsd, fileUploadCallback } from '../fixtures/payloads/dji-cloud.fixtures';
import { frigateCar, frigateMessage } from '../fixtures/payloads/frigate-event.fixtures';
import { closes, EmbeddedStart, startEmbedded } from '../fixtures/embedded-start';
import { ShippedMosquitto, startShippedMosquitto } from '../fixtures/shipped-mosquitto';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 13, item 5: sources with many devices behind them. The demo Frigate NVR DEMO-NVR-01 publishes for the
 * cameras registered under it, on MQTT 3.1.1 as Frigate does; the demo dock DEMO-DOCK-01 publishes for itself
 * and its aircraft DRONE-01 — on the embedded broker of the one-command start, and on Mosquitto with the
 * shipped ACL.
 */

const PASSWORD = 'cloudpatrol-demo';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);

const frigateEvent = (id: string, camera: string) =>
  frigateMessage(
    'new',
    frigateCar({ id, camera, current_zones: [], entered_zones: [], frame_time: 1764295322.9, stationary: false, active: true, has_snapshot: true }),
  );

const storedFrigate = async (db: Client, id: string) =>
  (await db.query<{ device_id: string }>(`SELECT device_id FROM events WHERE source = 'frigate' AND source_event_id = $1`, [`${id}:new`])).rows;

describe('sources with devices behind them', () => {
  describe('the embedded broker (MQTT 3.1.1)', () => {
    let embedded: EmbeddedStart;
    let app: TestApp;
    let db: Client;
    let url: string;

    beforeAll(async () => {
      embedded = await startEmbedded();
      ({ app, db, url } = embedded);
    });

    afterAll(async () => {
      await embedded?.stop();
    });

    const connect = (id: string, options: IClientOptions = {}) => embedded.device(id, options);

    it('the demo NVR publishes events, snapshots and availability for its cameras; events are stored under the camera', async () => {
      const nvr = await connect('DEMO-NVR-01', { clientId: 'DEMO-NVR-01:frigate' });
      await nvr.publishAsync('frigate/available', 'online', { qos: 1, retain: true });
      await nvr.publishAsync('frigate/events', frigateEvent('src-nvr-1', 'yunxi_rd_east'), { qos: 1 });
      await nvr.publishAsync('frigate/events', frigateEvent('src-nvr-2', 'lanting_market'), { qos: 1 });
      await nvr.publishAsync('frigate/yunxi_rd_east/car/snapshot', JPEG, { qos: 1, retain: true });
      await nvr.publishAsync('frigate/stats', '{"service":{"uptime":12}}', { qos: 0 });
      // PUBACK means stored: no waiting.
      expect(await storedFrigate(db, 'src-nvr-1')).toEqual([{ device_id: 'CAM-PARK-01' }]);
      expect(await storedFrigate(db, 'src-nvr-2')).toEqual([{ device_id: 'CAM-MARKET-01' }]);
      // What ingest does not read (snapshot bytes, availability, stats) is taken, not dead-lettered.
      expect((await db.query(`SELECT 1 FROM dead_letters WHERE topic LIKE 'frigate/%' AND topic <> 'frigate/events'`)).rowCount).toBe(0);
      expect(nvr.connected).toBe(true);
      await nvr.endAsync();
    });

    it('an NVR reports only its own cameras: another NVR’s camera is dead-lettered with the reason, its topics refused', async () => {
      const admin = await app.token();
      const api = (path: string, body: object) => request(app.url).post(path).set('Authorization', `Bearer ${admin}`).send(body).expect(201);
      const other = (await api('/api/v1/devices', { id: 'SRC-NVR-02', kind: 'nvr', name: 'Second NVR', ownerDepartment: 'city-management' })).body as {
        credentials: { password: string };
      };
      await api('/api/v1/devices', {
        id: 'SRC-CAM-02',
        kind: 'camera',
        name: 'Its camera',
        ownerDepartment: 'city-management',
        frigateCamera: 'src_other_cam',
        parentId: 'SRC-NVR-02',
        location: { lat: 23.12, lng: 113.25 },
      });
      // Only an nvr or a dock has devices under it.
      await request(app.url)
        .post('/api/v1/devices')
        .set('Authorization', `Bearer ${admin}`)
        .send({ id: 'SRC-CAM-03', kind: 'camera', name: 'x', ownerDepartment: 'city-management', parentId: 'DEMO-CAM-01' })
        .expect(400);

      const nvr = await connect('DEMO-NVR-01');
      await nvr.publishAsync('frigate/events', frigateEvent('src-foreign-1', 'src_other_cam'), { qos: 1 });
      expect(await storedFrigate(db, 'src-foreign-1')).toEqual([]);
      const dead = (
        await db.query<{ reason: string; detail: string; device_id: string }>(
          `SELECT reason, detail, device_id FROM dead_letters WHERE topic = 'frigate/events' AND payload = $1`,
          [Buffer.from(frigateEvent('src-foreign-1', 'src_other_cam'))],
        )
      ).rows;
      expect(dead).toEqual([{ reason: 'topic-mismatch', detail: 'device "DEMO-NVR-01" may not report for device "SRC-CAM-02"', device_id: 'DEMO-NVR-01' }]);
      // Its own camera's topics are its own; another NVR's camera's are not (the broker drops the connection).
      const closed = closes(nvr);
      nvr.publish('frigate/src_other_cam/car/snapshot', JPEG, { qos: 0 });
      expect(await closed).toBe(true);

      // The second NVR, with the credentials the API issued, reports its own camera.
      const second = await connectAsync(url, {
        protocolVersion: 4,
        username: 'SRC-NVR-02',
        password: other.credentials.password,
        clientId: 'SRC-NVR-02',
        reconnectPeriod: 0,
      });
      await second.publishAsync('frigate/events', frigateEvent('src-second-1', 'src_other_cam'), { qos: 1 });
      expect(await storedFrigate(db, 'src-second-1')).toEqual([{ device_id: 'SRC-CAM-02' }]);
      await second.endAsync();
    });

    it('a camera account may not speak Frigate for the NVR', async () => {
      const camera = await connect('CAM-PARK-01');
      const closed = closes(camera);
      camera.publish('frigate/events', frigateEvent('src-cam-1', 'yunxi_rd_east'), { qos: 1 });
      expect(await closed).toBe(true);
      expect(await storedFrigate(db, 'src-cam-1')).toEqual([]);
    });

    it('the demo dock publishes for itself and its aircraft, not for an aircraft that is not under it', async () => {
      const dock = await connect('DEMO-DOCK-01');
      await dock.publishAsync('sys/product/DRONE-01/status', '{"method":"update_topo","data":{}}', { qos: 1 });
      await dock.publishAsync('thing/product/DEMO-DOCK-01/state', '{"data":{}}', { qos: 1 });
      await dock.publishAsync('thing/product/DRONE-01/osd', aircraftOsd({}, { gateway: 'DEMO-DOCK-01', timestamp: 1764296530123 }), { qos: 1 });
      const callback = fileUploadCallback(
        { object_key: 'wayline/src-flight/DJI_0001.jpeg', name: 'DJI_0001.jpeg' },
        { gateway: 'DEMO-DOCK-01', tid: 'src-tid-1', bid: 'src-bid-1' },
      );
      await dock.publishAsync('thing/product/DRONE-01/events', callback, { qos: 1 });
      expect((await db.query(`SELECT 1 FROM device_telemetry WHERE device_id = 'DRONE-01'`)).rowCount).toBe(1);
      expect((await db.query(`SELECT 1 FROM events WHERE source = 'dji' AND source_event_id = 'file:wayline/src-flight/DJI_0001.jpeg'`)).rowCount).toBe(1);
      expect(dock.connected).toBe(true);
      const closed = closes(dock);
      dock.publish('thing/product/SRC-NOT-MINE/osd', aircraftOsd(), { qos: 1 });
      expect(await closed).toBe(true);
    });
  });

  describe('Mosquitto with the shipped configuration', () => {
    let mosquitto: ShippedMosquitto;
    let url: string;
    let app: TestApp;
    let db: Client;

    beforeAll(async () => {
      mosquitto = await startShippedMosquitto({ 'cloudpatrol-worker-1': 'worker-secret', 'DEMO-NVR-01': PASSWORD, 'DEMO-DOCK-01': PASSWORD });
      url = mosquitto.url;
      app = await startTestApp({
        env: { MQTT_URL: url, MQTT_USERNAME: 'cloudpatrol-worker-1', MQTT_PASSWORD: 'worker-secret', MQTT_CLIENT_ID: 'cloudpatrol-worker-1' },
      });
      db = new Client({ connectionString: app.databaseUrl });
      await db.connect();
    });

    afterAll(async () => {
      await db?.end();
      await app?.stop();
      await mosquitto?.stop();
    });

    it('the demo NVR on MQTT 3.1.1 delivers its cameras’ events', async () => {
      const nvr = await connectAsync(url, { protocolVersion: 4, username: 'DEMO-NVR-01', password: PASSWORD, reconnectPeriod: 0 });
      await nvr.publishAsync('frigate/available', 'online', { qos: 1, retain: true });
      await nvr.publishAsync('frigate/yunxi_rd_east/car/snapshot', JPEG, { qos: 1, retain: true });
      await nvr.publishAsync('frigate/events', frigateEvent('mq-src-nvr-1', 'yunxi_rd_east'), { qos: 1 });
      await eventually('the Frigate event stored', async () => ((await storedFrigate(db, 'mq-src-nvr-1')).length === 1 ? true : undefined));
      expect(await storedFrigate(db, 'mq-src-nvr-1')).toEqual([{ device_id: 'CAM-PARK-01' }]);
      await nvr.endAsync();
    });

    it('the demo dock delivers its aircraft’s telemetry and events; topics of aircraft not listed for it are dropped', async () => {
      const dock = await connectAsync(url, { protocolVersion: 4, username: 'DEMO-DOCK-01', password: PASSWORD, reconnectPeriod: 0 });
      await dock.publishAsync('thing/product/DRONE-01/osd', aircraftOsd({}, { gateway: 'DEMO-DOCK-01' }), { qos: 1 });
      const callback = fileUploadCallback(
        { object_key: 'wayline/mq-src-flight/DJI_0001.jpeg', name: 'DJI_0001.jpeg' },
        { gateway: 'DEMO-DOCK-01', tid: 'mq-src-tid-1', bid: 'mq-src-bid-1' },
      );
      await dock.publishAsync('thing/product/DRONE-01/events', callback, { qos: 1 });
      await eventually('the callback stored', async () =>
        (await db.query(`SELECT 1 FROM events WHERE source = 'dji' AND source_event_id = 'file:wayline/mq-src-flight/DJI_0001.jpeg'`)).rowCount === 1
          ? true
          : undefined,
      );
      await eventually('the telemetry stored', async () =>
        (await db.query(`SELECT 1 FROM device_telemetry WHERE device_id = 'DRONE-01'`)).rowCount === 1 ? true : undefined,
      );
      // Not listed for the dock: Mosquitto drops it at once (MQTT 3.1.1 has no way to say so). Mosquitto 2.0.11
      // with the shipped delivery.conf (max_queued_messages 0) then stops taking that connection's publishes,
      // so the marker that shows nothing more came through goes on a new connection.
      await dock.publishAsync(
        'thing/product/CAM-PARK-01/events',
        fileUploadCallback({ object_key: 'wayline/mq-src-flight/NOT_MINE.jpeg', name: 'NOT_MINE.jpeg' }, { gateway: 'DEMO-DOCK-01' }),
        { qos: 1 },
      );
      dock.end(true);
      const again = await connectAsync(url, { protocolVersion: 4, username: 'DEMO-DOCK-01', password: PASSWORD, reconnectPeriod: 0 });
      await again.publishAsync(
        'thing/product/DRONE-01/events',
        fileUploadCallback({ object_key: 'wayline/mq-src-flight/MARKER.jpeg', name: 'MARKER.jpeg' }, { gateway: 'DEMO-DOCK-01', tid: 'mq-src-tid-2' }),
        { qos: 1 },
      );
      await eventually('the marker stored', async () =>
        (await db.query(`SELECT 1 FROM events WHERE source_event_id LIKE '%MARKER%'`)).rowCount === 1 ? true : undefined,
      );
      expect((await db.query(`SELECT 1 FROM events WHERE source_event_id LIKE '%NOT_MINE%'`)).rowCount).toBe(0);
      expect((await db.query(`SELECT 1 FROM dead_letters WHERE topic = 'thing/product/CAM-PARK-01/events'`)).rowCount).toBe(0);
      await again.endAsync();
    });
  });
});
