import { connectAsync, IClientOptions, MqttClient } from 'mqtt';
import { Client } from 'pg';
import { fileUploadCallback } from '../fixtures/payloads/dji-cloud.fixtures';
import { EmbeddedStart, startEmbedded } from '../fixtures/embedded-start';
import { ShippedMosquitto, startShippedMosquitto } from '../fixtures/shipped-mosquitto';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 13, items 3 and 4: a client id belongs to one account, and a device reads only what its own protocol
 * sends back to it — on the embedded broker of the one-command start, and on Mosquitto with the shipped
 * configuration (password file, config/mosquitto/acl, use_username_as_clientid).
 */

const PASSWORD = 'cloudpatrol-demo';
const event = (deviceId: string, eventId: string) =>
  JSON.stringify({
    eventId,
    deviceId,
    occurredAt: '2026-11-28T10:00:00+08:00',
    location: { lat: 23.1252, lng: 113.256 },
    detections: [{ label: 'garbage', confidence: 0.9 }],
  });

/** Subscribes and returns the granted QoS (128 = refused). */
async function granted(client: MqttClient, filter: string): Promise<number> {
  try {
    const grants = await client.subscribeAsync(filter, { qos: 1 });
    return grants[0].qos;
  } catch (err) {
    // MQTT.js rejects a SUBACK that refuses the filter; the refusal is what we look for.
    const code = (err as { packet?: { granted?: (number | { qos: number })[] } }).packet?.granted?.[0];
    if (code === undefined) throw err;
    return typeof code === 'number' ? code : code.qos;
  }
}

async function countStored(db: Client, prefix: string): Promise<number> {
  return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE $1`, [`${prefix}%`])).rows[0].n;
}

describe('broker sessions and subscriptions', () => {
  describe('the embedded broker', () => {
    let embedded: EmbeddedStart;
    let db: Client;

    beforeAll(async () => {
      embedded = await startEmbedded();
      ({ db } = embedded);
    });

    afterAll(async () => {
      await embedded?.stop();
    });

    const device = (id: string, options: IClientOptions = {}) => embedded.device(id, options);

    it('refuses an impostor client id, and the real device keeps its session and keeps storing', async () => {
      const market = await device('CAM-MARKET-01');
      await expect(device('DEMO-CAM-01', { clientId: 'CAM-MARKET-01' })).rejects.toThrow(/Identifier rejected|client id/i);
      await expect(device('DEMO-CAM-01', { clientId: 'mqttjs_1234' })).rejects.toThrow(/Identifier rejected|client id/i);
      // Its own id, or its id and a suffix, are fine.
      const own = await device('DEMO-CAM-01', { clientId: 'DEMO-CAM-01:uplink' });
      await own.endAsync();
      for (let i = 0; i < 20; i++) await market.publishAsync('cloudpatrol/v1/devices/CAM-MARKET-01/events', event('CAM-MARKET-01', `sess-${i}`), { qos: 1 });
      expect(market.connected).toBe(true);
      expect(await countStored(db, 'sess-')).toBe(20); // a PUBACK from the embedded broker means stored
      await market.endAsync();
    });

    it('refuses #, $SYS/# and other devices’ topics; a device gets its own replies only', async () => {
      const spy = await device('DEMO-CAM-01');
      expect(await granted(spy, '#')).toBe(128);
      expect(await granted(spy, '$SYS/#')).toBe(128);
      expect(await granted(spy, 'cloudpatrol/v1/devices/CAM-MARKET-01/events')).toBe(128);
      expect(await granted(spy, 'thing/product/DEMO-CAM-01/events_reply')).toBe(1);
      const received: string[] = [];
      spy.on('message', (topic) => received.push(topic));
      const market = await device('CAM-MARKET-01');
      await market.publishAsync('cloudpatrol/v1/devices/CAM-MARKET-01/events', event('CAM-MARKET-01', 'spy-1'), { qos: 1 });
      await eventually('the event stored', async () => ((await countStored(db, 'spy-1')) === 1 ? true : undefined));
      expect(received).toEqual([]);
      await market.endAsync();
      await spy.endAsync();
    });

    it('a DJI gateway publishes on its own uplink topics and hears its events_reply once the callback is stored', async () => {
      const dock = await device('DRONE-01');
      expect(await granted(dock, 'thing/product/DRONE-01/events_reply')).toBe(1);
      const replies: { tid?: string }[] = [];
      dock.on('message', (_topic, payload) => replies.push(JSON.parse(payload.toString()) as { tid?: string }));
      const callback = fileUploadCallback(
        { object_key: 'wayline/sess-flight/DJI_0009.jpeg', name: 'DJI_0009.jpeg' },
        { tid: 'sess-tid-1', bid: 'sess-bid-1', gateway: 'DRONE-01' },
      );
      await dock.publishAsync('thing/product/DRONE-01/events', callback, { qos: 1 });
      // The PUBACK came after the store: the event is there, and the reply follows.
      expect((await db.query(`SELECT 1 FROM events WHERE source = 'dji' AND source_event_id = 'file:wayline/sess-flight/DJI_0009.jpeg'`)).rowCount).toBe(1);
      await eventually('the events_reply', async () => (replies.some((r) => r.tid === 'sess-tid-1') ? true : undefined));
      await dock.endAsync();
    });
  });

  describe('Mosquitto with the shipped configuration', () => {
    let mosquitto: ShippedMosquitto;
    let url: string;
    let app: TestApp;
    let db: Client;

    beforeAll(async () => {
      mosquitto = await startShippedMosquitto({
        'cloudpatrol-worker-1': 'worker-secret',
        'cloudpatrol-worker-2': 'worker-secret',
        'DEMO-CAM-01': PASSWORD,
        'CAM-MARKET-01': PASSWORD,
      });
      expect(mosquitto.config).toMatch(/^use_username_as_clientid true$/m);
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

    const device = (id: string, options: IClientOptions = {}) =>
      connectAsync(url, { protocolVersion: 5, username: id, password: PASSWORD, clientId: id, reconnectPeriod: 0, ...options });

    it('a device naming the worker’s client id does not take over the worker’s session: every event is stored', async () => {
      const impostor = await device('DEMO-CAM-01', { clientId: 'cloudpatrol-worker-1' });
      const market = await device('CAM-MARKET-01');
      for (let i = 0; i < 20; i++) await market.publishAsync('cloudpatrol/v1/devices/CAM-MARKET-01/events', event('CAM-MARKET-01', `mq-sess-${i}`), { qos: 1 });
      await eventually('all 20 stored by the worker', async () => ((await countStored(db, 'mq-sess-')) === 20 ? true : undefined), 15_000);
      await impostor.endAsync();
      await market.endAsync();
    });

    it('delivers nothing of #, $SYS/# or other devices’ topics to a device, only its own replies', async () => {
      // Mosquitto grants the SUBSCRIBE and applies the ACL to every message it would deliver.
      const spy = await device('DEMO-CAM-01');
      const received: string[] = [];
      spy.on('message', (topic) => received.push(topic));
      for (const filter of ['#', '$SYS/#', 'cloudpatrol/v1/devices/CAM-MARKET-01/events', 'thing/product/DEMO-CAM-01/events_reply']) await granted(spy, filter);
      const market = await device('CAM-MARKET-01');
      await market.publishAsync('cloudpatrol/v1/devices/CAM-MARKET-01/events', event('CAM-MARKET-01', 'mq-spy-1'), { qos: 1 });
      await eventually('the event stored', async () => ((await countStored(db, 'mq-spy-1')) === 1 ? true : undefined));
      // A second worker account answers the dock: the one message this device may read.
      const worker = await connectAsync(url, { protocolVersion: 5, username: 'cloudpatrol-worker-2', password: 'worker-secret', reconnectPeriod: 0 });
      await worker.publishAsync('thing/product/DEMO-CAM-01/events_reply', '{"data":{"result":0}}', { qos: 1 });
      await eventually('its own reply delivered', async () => (received.includes('thing/product/DEMO-CAM-01/events_reply') ? true : undefined));
      // (Once per matching subscription: `#` and the exact one both match the reply; nothing else came.)
      expect([...new Set(received)]).toEqual(['thing/product/DEMO-CAM-01/events_reply']);
      await worker.endAsync();
      await market.endAsync();
      await spy.endAsync();
    });
  });
});
