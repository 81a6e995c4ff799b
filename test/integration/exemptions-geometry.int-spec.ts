import { connectAsync, MqttClient } from 'mqtt';
import { Client } from 'pg';
import { frigateTrack } from '../support/frigate-stream';
import { readServices } from '../support/services';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 17: the loading-bay exemption by geometry as well as zones. CAM-PARK-01 (Frigate camera `yunxi_rd_east`)
 * maps its `loading_bay` zone to t01-yunxi-rd-loading-bay, which lies inside the no-parking street
 * t01-yunxi-rd-no-parking (config/demo/places.geojson). A car the camera reports in `loading_bay` only used to be
 * neither cased nor counted as suppressed; now it is in the street too: exempt for the bay's 30 minutes, recorded
 * as an exemption, and cased after the grace.
 */
describe('exemptions by geometry as well as zones: a car the camera reports in the loading bay only', () => {
  let app: TestApp;
  let mqtt: MqttClient;
  let db: Client;

  beforeAll(async () => {
    app = await startTestApp();
    mqtt = await connectAsync(readServices().mqttUrl, { protocolVersion: 5 });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await db?.end();
    await app?.stop();
  });

  const publishAll = async (messages: string[]) => {
    for (const m of messages) await mqtt.publishAsync('frigate/events', m, { qos: 1 });
  };
  const storedFrom = async (trackId: string) =>
    Number((await db.query(`SELECT count(*) AS n FROM events WHERE source = 'frigate' AND source_event_id LIKE $1`, [`${trackId}:%`])).rows[0].n);
  const bayTrack = (id: string, plate: string, start: string, minutes: number) =>
    frigateTrack({ id, camera: 'yunxi_rd_east', label: 'car', plate, zones: ['loading_bay'], start: new Date(start), minutes, stepSeconds: 15 });

  it('is exempt within the 30-minute grace, and the suppression says why', async () => {
    const stream = bayTrack('bay-only-12min', '粤A0B001', '2026-11-28T02:00:00Z', 12);
    await publishAll(stream);
    await eventually('all updates stored', async () => ((await storedFrom('bay-only-12min')) === stream.length ? true : undefined));

    const suppressed = await eventually('the exemption recorded', async () => {
      const { rows } = await db.query<{ reason: string; reference: string; detail: string; identity_key: string; count: number }>(
        `SELECT reason, reference, detail, identity_key, count FROM suppressions WHERE category_code = 'motor-parking' AND identity_key LIKE '%粤A0B001%'`,
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]).toMatchObject({
      reason: 'exemption',
      reference: 't01-yunxi-rd-loading-bay',
      identity_key: 'category=motor-parking|place=t01-yunxi-rd-no-parking|plate=粤A0B001',
    });
    expect(suppressed[0].detail).toContain('within 30 min grace');
    // Counted: every update from the 10-minute dwell on (10:00 to 12:00 at 15 s), none of them a case.
    expect(suppressed[0].count).toBe(9);
    const cases = await db.query(`SELECT id FROM cases WHERE identity_key LIKE '%粤A0B001%'`);
    expect(cases.rows).toEqual([]);
  });

  it('after the grace it is a case of the no-parking street, with the exemption it outstayed', async () => {
    const stream = bayTrack('bay-only-32min', '粤A0B002', '2026-11-28T03:00:00Z', 32);
    await publishAll(stream);
    await eventually('all updates stored', async () => ((await storedFrom('bay-only-32min')) === stream.length ? true : undefined));
    const { rows } = await db.query<{ place_id: string; identity_key: string; explanation: { exemption?: { placeId: string; graceMinutes: number } } }>(
      `SELECT place_id, identity_key, explanation FROM cases WHERE identity_key LIKE '%粤A0B002%'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ place_id: 't01-yunxi-rd-no-parking', identity_key: 'category=motor-parking|place=t01-yunxi-rd-no-parking|plate=粤A0B002' });
    expect(rows[0].explanation.exemption).toMatchObject({ placeId: 't01-yunxi-rd-loading-bay', graceMinutes: 30 });
  });
});
