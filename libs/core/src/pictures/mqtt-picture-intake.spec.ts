import type { BrokerAccount } from '@app/domain';
import pino from 'pino';
import { Registry } from 'prom-client';
import { isPictureTopic, MqttPictureIntake, subjectOfTopic } from './mqtt-picture-intake';
import type { PictureService } from './picture.service';

const cameras: Record<string, string> = { yunxi_rd_east: 'CAM-PARK-01', lanting_market: 'CAM-MARKET-01' };
const devices = new Set(['DEMO-CAM-01', 'CAM-PARK-01', 'CAM-MARKET-01', 'DEMO-NVR-01']);
const ctx = { frigateTopicPrefix: 'frigate', isDevice: (id: string) => devices.has(id), deviceForFrigateCamera: (c: string) => cameras[c] };
const accounts: Record<string, BrokerAccount> = {
  'DEMO-NVR-01': { id: 'DEMO-NVR-01', kind: 'nvr', devices: [{ id: 'CAM-PARK-01', frigateCamera: 'yunxi_rd_east' }] },
  'DEMO-CAM-01': { id: 'DEMO-CAM-01', kind: 'camera', devices: [] },
};

describe('picture topics', () => {
  it('are Frigate snapshots and devices’ event snapshots, nothing else', () => {
    expect(isPictureTopic('frigate/yunxi_rd_east/car/snapshot', 'frigate')).toBe(true);
    expect(isPictureTopic('cloudpatrol/v1/devices/DEMO-CAM-01/events/e1/snapshot', 'frigate')).toBe(true);
    for (const t of [
      'frigate/events',
      'cloudpatrol/v1/devices/DEMO-CAM-01/events',
      'frigate/yunxi_rd_east/car',
      'thing/product/X/events',
      'nvr/cam/car/snapshot',
    ]) {
      expect(isPictureTopic(t, 'frigate')).toBe(false);
    }
  });

  it('on Mosquitto (the ACL bound the topic to its publisher) the topic names a registered device, or nothing', () => {
    expect(subjectOfTopic('cloudpatrol/v1/devices/DEMO-CAM-01/events/e1/snapshot', ctx)).toEqual({
      kind: 'device-snapshot',
      deviceId: 'DEMO-CAM-01',
      eventId: 'e1',
    });
    expect(subjectOfTopic('frigate/yunxi_rd_east/car/snapshot', ctx)).toEqual({
      kind: 'frigate-snapshot',
      deviceId: 'CAM-PARK-01',
      camera: 'yunxi_rd_east',
      label: 'car',
    });
    expect(subjectOfTopic('cloudpatrol/v1/devices/NOBODY/events/e1/snapshot', ctx)).toBeUndefined();
    expect(subjectOfTopic(`cloudpatrol/v1/devices/DEMO-CAM-01/events/${'e'.repeat(201)}/snapshot`, ctx)).toBeUndefined();
    expect(subjectOfTopic('frigate/unregistered_cam/car/snapshot', ctx)).toBeUndefined();
    expect(subjectOfTopic('frigate/events', ctx)).toBeUndefined();
  });
});

describe('MqttPictureIntake', () => {
  const JPEG = Buffer.from([0xff, 0xd8, 0xff]);
  const at = new Date('2026-11-28T02:00:00Z');

  function intake(receive: PictureService['receiveSeparately'], concurrency = 2) {
    const pictures = { receiveSeparately: jest.fn(receive) };
    const registry = new Registry();
    const it = new MqttPictureIntake({
      pictures: pictures as unknown as PictureService,
      frigateTopicPrefix: 'frigate',
      brokerAccount: (id) => accounts[id],
      isDevice: ctx.isDevice,
      deviceForFrigateCamera: ctx.deviceForFrigateCamera,
      logger: pino({ level: 'silent' }),
      registry,
      concurrency,
    });
    return { it, pictures, registry };
  }
  const stored = (sha256: string) => () => Promise.resolve({ status: 'stored' as const, picture: { sha256 } as never, duplicate: false, linked: 1 });

  it('keys a Frigate snapshot by camera device and label, a device’s snapshot by device and event', async () => {
    const { it, pictures, registry } = intake(stored('a'.repeat(64)));
    await it.receive({ topic: 'frigate/yunxi_rd_east/car/snapshot', payload: JPEG, receivedAt: at, publisher: 'DEMO-NVR-01' });
    await it.receive({ topic: 'cloudpatrol/v1/devices/DEMO-CAM-01/events/e1/snapshot', payload: JPEG, receivedAt: at, publisher: null });
    expect(pictures.receiveSeparately.mock.calls.map((c) => c[0])).toEqual([
      { matchKey: 'frigate-snapshot:CAM-PARK-01:yunxi_rd_east:car', origin: 'frigate-mqtt', deviceId: 'CAM-PARK-01', bytes: JPEG, receivedAt: at },
      { matchKey: 'device-snapshot:DEMO-CAM-01:e1', origin: 'device-publish', deviceId: 'DEMO-CAM-01', bytes: JPEG, receivedAt: at },
    ]);
    expect(await registry.getSingleMetricAsString('cloudpatrol_pictures_received_total')).toContain(
      'cloudpatrol_pictures_received_total{origin="frigate-mqtt",outcome="stored"} 1',
    );
  });

  it('takes nothing a publisher may not speak for, nor a retained Frigate snapshot replayed on subscribing', async () => {
    const { it, pictures } = intake(stored('b'.repeat(64)));
    const outcomes = [
      await it.receive({ topic: 'cloudpatrol/v1/devices/DEMO-CAM-01/events/e1/snapshot', payload: JPEG, receivedAt: at, publisher: 'DEMO-NVR-01' }),
      await it.receive({ topic: 'frigate/yunxi_rd_east/car/snapshot', payload: JPEG, receivedAt: at, publisher: 'DEMO-CAM-01' }),
      await it.receive({ topic: 'frigate/lanting_market/car/snapshot', payload: JPEG, receivedAt: at, publisher: 'DEMO-NVR-01' }),
      await it.receive({ topic: 'frigate/yunxi_rd_east/car/snapshot', payload: JPEG, receivedAt: at, publisher: null, retained: true }),
    ];
    expect(outcomes.map((o) => o.taken)).toEqual([false, false, false, false]);
    expect(pictures.receiveSeparately).not.toHaveBeenCalled();
    // A device's retained snapshot names its event: taken.
    const own = await it.receive({
      topic: 'cloudpatrol/v1/devices/DEMO-CAM-01/events/e1/snapshot',
      payload: JPEG,
      receivedAt: at,
      publisher: null,
      retained: true,
    });
    expect(own).toMatchObject({ taken: true, status: 'stored' });
  });

  it('reports a refused picture (it was recorded), and lets a storage failure through', async () => {
    const refused = intake(() =>
      Promise.resolve({ status: 'refused' as const, reason: 'not-an-image', detail: 'the file is not an image (unknown signature)', linked: 0 }),
    );
    expect(await refused.it.receive({ topic: 'frigate/yunxi_rd_east/car/snapshot', payload: JPEG, receivedAt: at, publisher: null })).toMatchObject({
      taken: true,
      status: 'refused',
      detail: 'not-an-image: the file is not an image (unknown signature)',
    });
    const failing = intake(() => Promise.reject(new Error('database is down')), 1);
    await expect(failing.it.receive({ topic: 'frigate/yunxi_rd_east/car/snapshot', payload: JPEG, receivedAt: at, publisher: null })).rejects.toThrow(
      'database is down',
    );
    // The one slot it held is free again: the next picture is tried (and fails the same way), it does not hang.
    await expect(failing.it.receive({ topic: 'frigate/yunxi_rd_east/car/snapshot', payload: JPEG, receivedAt: at, publisher: null })).rejects.toThrow(
      'database is down',
    );
    expect(failing.pictures.receiveSeparately).toHaveBeenCalledTimes(2);
  });

  it('runs at most `concurrency` pictures through the pipeline at once', async () => {
    let running = 0;
    let most = 0;
    // Each picture holds its slot until the test lets it go.
    const gates: (() => void)[] = [];
    const { it } = intake(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((release) => gates.push(release));
      running--;
      return { status: 'stored' as const, picture: { sha256: 'c'.repeat(64) } as never, duplicate: false, linked: 0 };
    }, 2);
    const all = Array.from({ length: 7 }, (_, i) =>
      it.receive({ topic: `cloudpatrol/v1/devices/DEMO-CAM-01/events/e${i}/snapshot`, payload: JPEG, receivedAt: at, publisher: null }),
    );
    // One turn of the event loop runs every promise that can run now.
    const turn = () => new Promise((r) => setImmediate(r));
    await turn();
    expect(running).toBe(2);
    let released = 0;
    while (gates.length > 0) {
      (gates.shift() as () => void)();
      released++;
      await turn();
      expect(running).toBeLessThanOrEqual(2);
    }
    expect(released).toBe(7);
    const outcomes = await Promise.all(all);
    expect(outcomes.every((o) => o.taken)).toBe(true);
    expect(most).toBe(2);
  });
});
