import { DeviceHealthService } from '@app/core';
import type { MqttClient } from 'mqtt';
import request from 'supertest';
import { aircraftOsd, DOCK_ENVIRONMENT_OSD } from '../fixtures/payloads/dji-cloud.fixtures';
import { hikAlert } from '../fixtures/payloads/hikvision-isapi.fixtures';
import { EmbeddedStart, startEmbedded } from '../fixtures/embedded-start';
import { SseClient } from '../support/sse-client';
import { eventually } from '../support/test-app';
import { createUser, type TestUser } from './case-loop-helpers';

interface DeviceAlert {
  type: string;
  device?: { id: string; kind: string; lastSeenAt: string; offlineAfterSeconds?: number; silentSeconds?: number };
}

interface DeviceView {
  id: string;
  lastSeenAt: string | null;
  health: { state: string; offlineSince: string | null; offlineAfterSeconds: number | null };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** HIK-GATE-01 (camera, alias 44:19:b6:00:00:01:ch1) and DEMO-CAM-01 (camera) in config/demo/devices.yaml: 600 s for cameras. */
const gate = { macAddress: '44:19:b6:00:00:01', channelID: '1' };
const parkingAlarm = (dateTime: string) =>
  hikAlert(
    { ...gate, dateTime },
    '  <AID><illegalTrafficEvent>illegalParking</illegalTrafficEvent><PlateInfo><plate>粤A7H3K2</plate><confidenceLevel>95</confidenceLevel></PlateInfo></AID>\n',
  );
const heartbeat = hikAlert({ ...gate, eventState: 'inactive', activePostCount: '0' }, '  <AID><illegalTrafficEvent>unknown</illegalTrafficEvent></AID>\n');

/**
 * Device health (issue 17): last seen from any message, `device.offline` once past the kind's threshold and
 * `device.back` once when heard again — on the live stream and in the audit log — and a drone's osd kept as a track
 * of one point per second. The watcher is run with an injected instant (its `now`), while the standalone app's own
 * watcher runs on the real clock beside it: a second worker deciding the same rows.
 */
describe('device health: last seen, offline and back, tracks', () => {
  let embedded: EmbeddedStart;
  let operator: TestUser;
  let health: DeviceHealthService;
  let stream: SseClient;
  let dock: MqttClient;

  beforeAll(async () => {
    embedded = await startEmbedded();
    operator = await createUser(embedded.app, 'operator');
    health = embedded.app.app.get(DeviceHealthService);
    stream = await SseClient.open(`${embedded.app.url}/api/v1/alerts/stream`, operator.token);
    dock = await embedded.device('DEMO-DOCK-01');
  });

  afterAll(async () => {
    stream?.close();
    await dock?.endAsync();
    await embedded?.stop();
  });

  const device = async (id: string): Promise<DeviceView> =>
    (await request(embedded.app.url).get(`/api/v1/devices/${id}`).set('Authorization', `Bearer ${operator.token}`).expect(200)).body as DeviceView;
  const pushHikvision = (xml: string) =>
    request(embedded.app.url)
      .post('/api/v1/ingest/hikvision')
      .set('Authorization', basic('HIK-GATE-01', 'cloudpatrol-demo'))
      .set('Content-Type', 'application/xml')
      .send(xml)
      .expect(200);
  const alertsFor = (id: string, type: string) => (stream.events as DeviceAlert[]).filter((a) => a.type === type && a.device?.id === id);
  const auditFor = async (id: string) =>
    (
      await embedded.db.query<{ action: string; actor_role: string }>(
        `SELECT action, actor_role FROM audit_log WHERE action LIKE 'device.%' AND data->>'deviceId' = $1 ORDER BY seq`,
        [id],
      )
    ).rows;

  it('shows when a device was last heard, raises device.offline once past its threshold and device.back once when a heartbeat comes', async () => {
    expect(await device('HIK-GATE-01')).toMatchObject({ lastSeenAt: null, health: { state: 'never-seen', offlineSince: null, offlineAfterSeconds: 600 } });

    const before = Date.now();
    expect((await pushHikvision(parkingAlarm('2026-12-03T10:21:07+08:00'))).body).toMatchObject({ status: 'stored' });
    const after = Date.now();
    const seen = await device('HIK-GATE-01');
    // Arrival time, not the camera's own clock.
    expect(new Date(seen.lastSeenAt!).getTime()).toBeGreaterThanOrEqual(before);
    expect(new Date(seen.lastSeenAt!).getTime()).toBeLessThanOrEqual(after);
    expect(seen.health).toEqual({ state: 'online', offlineSince: null, offlineAfterSeconds: 600 });
    const lastSeen = new Date(seen.lastSeenAt!).getTime();

    // Exactly 600 s of silence is not yet offline.
    expect((await health.scan(new Date(lastSeen + 600_000))).offline).toBe(0);
    expect((await device('HIK-GATE-01')).health.state).toBe('online');

    // Two workers judge the same moment at once: one of them takes the transition.
    const [a, b] = await Promise.all([health.scan(new Date(lastSeen + 601_000)), health.scan(new Date(lastSeen + 601_000))]);
    expect(a.offline + b.offline).toBe(1);
    expect((await health.scan(new Date(lastSeen + 900_000))).offline).toBe(0);
    const offline = await eventually('the device.offline alert', async () => alertsFor('HIK-GATE-01', 'device.offline')[0]);
    expect(offline.device).toMatchObject({ id: 'HIK-GATE-01', kind: 'camera', lastSeenAt: seen.lastSeenAt, offlineAfterSeconds: 600 });
    expect(await device('HIK-GATE-01')).toMatchObject({ lastSeenAt: seen.lastSeenAt, health: { state: 'offline', offlineSince: seen.lastSeenAt } });

    // A heartbeat (an AID "inactive" alert) is answered as before and counts as being heard.
    expect((await pushHikvision(heartbeat)).body).toMatchObject({ status: 'ignored' });
    const heard = await device('HIK-GATE-01');
    expect(new Date(heard.lastSeenAt!).getTime()).toBeGreaterThan(lastSeen);
    expect((await health.scan()).back).toBeLessThanOrEqual(1);
    const back = await eventually('the device.back alert', async () => alertsFor('HIK-GATE-01', 'device.back')[0]);
    expect(back.device).toMatchObject({ id: 'HIK-GATE-01', lastSeenAt: heard.lastSeenAt });
    expect(back.device?.silentSeconds).toBe(Math.round((new Date(heard.lastSeenAt!).getTime() - lastSeen) / 1000));
    expect((await device('HIK-GATE-01')).health).toEqual({ state: 'online', offlineSince: null, offlineAfterSeconds: 600 });
    expect((await health.scan()).back).toBe(0);

    // A barrier: a case alert committed after the scans comes after every notice before it (one LISTEN connection,
    // commit order; device notices are passed on as they arrive, case alerts after a view query).
    const seenSoFar = stream.events.length;
    expect((await pushHikvision(parkingAlarm('2026-12-03T11:40:00+08:00').replace('粤A7H3K2', '粤B9C4D1'))).body).toMatchObject({ status: 'stored' });
    await eventually('a case alert after the scans', async () => (stream.events.slice(seenSoFar) as DeviceAlert[]).find((e) => e.type.startsWith('case.')));
    expect(alertsFor('HIK-GATE-01', 'device.offline')).toHaveLength(1);
    expect(alertsFor('HIK-GATE-01', 'device.back')).toHaveLength(1);
    expect(await auditFor('HIK-GATE-01')).toEqual([
      { action: 'device.offline', actor_role: 'system' },
      { action: 'device.back', actor_role: 'system' },
    ]);
  });

  it('keeps a drone’s osd as a track of one point per second, and counts a dock’s frame without a position as being heard', async () => {
    // Ten frames over four seconds of frame time (the aircraft's clock), relayed by its dock.
    const base = Date.parse('2026-12-03T02:00:00.000Z');
    const offsets = [0, 200, 400, 600, 800, 1000, 1500, 2000, 2999, 3000];
    for (const [i, ms] of offsets.entries()) {
      await dock.publishAsync(
        'thing/product/DRONE-01/osd',
        aircraftOsd(
          { latitude: Number((23.1 + i / 10_000).toFixed(4)), longitude: 113.25, height: 120 + i, attitude_head: -30 + i },
          { gateway: 'DEMO-DOCK-01', timestamp: base + ms, tid: `trk-${i}` },
        ),
        { qos: 1 },
      );
    }
    const track = await request(embedded.app.url)
      .get('/api/v1/devices/DRONE-01/track')
      .query({ from: '2026-12-03T02:00:00Z', to: '2026-12-03T03:00:00Z' })
      .set('Authorization', `Bearer ${operator.token}`)
      .expect(200);
    const body = track.body as {
      deviceId: string;
      truncated: boolean;
      points: { at: string; lat: number; height: number | null; heading: number | null; gatewayId: string | null }[];
    };
    expect(body.deviceId).toBe('DRONE-01');
    expect(body.truncated).toBe(false);
    // The first frame of each second is kept, at that second.
    expect(body.points.map((p) => [p.at, p.lat])).toEqual([
      ['2026-12-03T02:00:00.000Z', 23.1],
      ['2026-12-03T02:00:01.000Z', 23.1005],
      ['2026-12-03T02:00:02.000Z', 23.1007],
      ['2026-12-03T02:00:03.000Z', 23.1009],
    ]);
    expect(body.points[0]).toMatchObject({ height: 120, heading: -30, gatewayId: 'DEMO-DOCK-01' });
    const rows = await embedded.db.query(`SELECT count(*)::int AS n FROM device_track_points WHERE device_id = 'DRONE-01'`);
    expect(rows.rows[0]).toEqual({ n: 4 });

    // The aircraft is heard (its frames arrived now) though aircraft are not watched by default.
    const drone = await device('DRONE-01');
    expect(drone.lastSeenAt).not.toBeNull();
    expect(drone.health).toEqual({ state: 'online', offlineSince: null, offlineAfterSeconds: null });

    // Another range has nothing; a range longer than 7 days is refused; an unknown device is 404.
    const empty = await request(embedded.app.url)
      .get('/api/v1/devices/DRONE-01/track')
      .query({ from: '2026-12-03T03:00:00Z', to: '2026-12-03T04:00:00Z' })
      .set('Authorization', `Bearer ${operator.token}`)
      .expect(200);
    expect((empty.body as { points: unknown[] }).points).toEqual([]);
    await request(embedded.app.url)
      .get('/api/v1/devices/DRONE-01/track')
      .query({ from: '2026-11-01T00:00:00Z', to: '2026-12-03T00:00:00Z' })
      .set('Authorization', `Bearer ${operator.token}`)
      .expect(400);
    await request(embedded.app.url).get('/api/v1/devices/NO-SUCH-DRONE/track').set('Authorization', `Bearer ${operator.token}`).expect(404);

    // A dock's environment frame (no position) keeps no track point but says the dock is alive.
    const dockBefore = (await device('DEMO-DOCK-01')).lastSeenAt;
    await dock.publishAsync('thing/product/DEMO-DOCK-01/osd', DOCK_ENVIRONMENT_OSD.replace('"gateway":"7CTDM4100B0SYN"', '"gateway":"DEMO-DOCK-01"'), {
      qos: 1,
    });
    const dockAfter = await device('DEMO-DOCK-01');
    expect(dockAfter.lastSeenAt).not.toBeNull();
    expect(dockAfter.lastSeenAt! > (dockBefore ?? '')).toBe(true);
    expect((await embedded.db.query(`SELECT count(*)::int AS n FROM device_track_points WHERE device_id = 'DEMO-DOCK-01'`)).rows[0]).toEqual({ n: 0 });
  });
});
