import {
  BrokerAccount,
  frigateEventReporter,
  mayDevicePublish,
  mayDeviceSubscribe,
  mayHoldSession,
  maySourcePublish,
  picturePublishSubject,
  sessionOwner,
  topicMatchesFilter,
} from './broker-session';

const accounts = new Set(['CAM-01', 'CAM-01-B', 'DOCK-7']);
const isAccount = (id: string) => accounts.has(id);

describe('broker sessions', () => {
  it('a device holds its own id, or its id followed by a separator', () => {
    expect(mayHoldSession('CAM-01', 'CAM-01', isAccount)).toBe(true);
    expect(mayHoldSession('CAM-01', 'CAM-01:gateway', isAccount)).toBe(true);
    expect(mayHoldSession('DOCK-7', 'DOCK-7_1', isAccount)).toBe(true);
  });

  it('an impostor cannot take another account’s session, nor an id it only shares a prefix with', () => {
    expect(mayHoldSession('CAM-01', 'DOCK-7', isAccount)).toBe(false);
    expect(mayHoldSession('CAM-01', 'CAM-01-B', isAccount)).toBe(false); // CAM-01-B's own session
    expect(mayHoldSession('CAM-01', 'CAM-01-B:x', isAccount)).toBe(false); // the longest owner wins
    expect(mayHoldSession('CAM-01-B', 'CAM-01-B:x', isAccount)).toBe(true);
    expect(mayHoldSession('CAM-01', 'cloudpatrol-worker-host1', isAccount)).toBe(false);
    expect(mayHoldSession('CAM-01', 'mqttjs_3f2a', isAccount)).toBe(false);
    expect(mayHoldSession('CAM-01', 'CAM-010', isAccount)).toBe(false);
    expect(mayHoldSession('CAM-01', '', isAccount)).toBe(false);
  });

  it('names the owner of an id', () => {
    expect(sessionOwner('CAM-01-B/2', isAccount)).toBe('CAM-01-B');
    expect(sessionOwner('nobody', isAccount)).toBeUndefined();
  });
});

describe('device subscriptions', () => {
  it('allows a dock its own DJI replies and commands only', () => {
    expect(mayDeviceSubscribe('DOCK-7', 'thing/product/DOCK-7/events_reply')).toBe(true);
    expect(mayDeviceSubscribe('DOCK-7', 'thing/product/DOCK-7/services')).toBe(true);
    expect(mayDeviceSubscribe('DOCK-7', 'thing/product/CAM-01/events_reply')).toBe(false);
  });

  it('refuses wildcards, $SYS and other devices’ event topics', () => {
    for (const filter of ['#', '$SYS/#', 'cloudpatrol/v1/devices/+/events', 'cloudpatrol/v1/devices/CAM-01-B/events', 'thing/product/DOCK-7/#', 'frigate/#']) {
      expect(mayDeviceSubscribe('DOCK-7', filter)).toBe(false);
    }
  });
});

describe('device publications', () => {
  it('a device publishes its own events and, as a DJI gateway, its own uplink topics', () => {
    expect(mayDevicePublish('CAM-01', 'cloudpatrol/v1/devices/CAM-01/events')).toBe(true);
    expect(mayDevicePublish('DOCK-7', 'thing/product/DOCK-7/osd')).toBe(true);
    expect(mayDevicePublish('DOCK-7', 'thing/product/DOCK-7/events')).toBe(true);
    expect(mayDevicePublish('DOCK-7', 'sys/product/DOCK-7/status')).toBe(true);
  });

  it('a device publishes the snapshot of each of its own events, on its own topic only', () => {
    expect(mayDevicePublish('CAM-01', 'cloudpatrol/v1/devices/CAM-01/events/evt-42/snapshot')).toBe(true);
    expect(mayDevicePublish('CAM-01', `cloudpatrol/v1/devices/CAM-01/events/${'e'.repeat(200)}/snapshot`)).toBe(true);
    for (const topic of [
      'cloudpatrol/v1/devices/CAM-01-B/events/evt-42/snapshot',
      'cloudpatrol/v1/devices/CAM-01/events//snapshot',
      'cloudpatrol/v1/devices/CAM-01/events/a/b/snapshot',
      'cloudpatrol/v1/devices/CAM-01/events/+/snapshot',
      'cloudpatrol/v1/devices/CAM-01/events/#/snapshot',
      'cloudpatrol/v1/devices/CAM-01/events/evt-42/clip',
      'cloudpatrol/v1/devices/CAM-01/events/evt-42',
      `cloudpatrol/v1/devices/CAM-01/events/${'e'.repeat(201)}/snapshot`,
    ]) {
      expect(mayDevicePublish('CAM-01', topic)).toBe(false);
    }
  });

  it('never on another device’s topics or replies meant for devices', () => {
    expect(mayDevicePublish('CAM-01', 'cloudpatrol/v1/devices/CAM-01-B/events')).toBe(false);
    expect(mayDevicePublish('DOCK-7', 'thing/product/CAM-01/osd')).toBe(false);
    expect(mayDevicePublish('DOCK-7', 'thing/product/DOCK-7/events_reply')).toBe(false);
    expect(mayDevicePublish('DOCK-7', 'frigate/events')).toBe(false);
  });
});

describe('sources with devices behind them', () => {
  const nvr: BrokerAccount = {
    id: 'NVR-01',
    kind: 'nvr',
    devices: [
      { id: 'CAM-PARK-01', frigateCamera: 'yunxi_rd_east' },
      { id: 'CAM-MARKET-01', frigateCamera: 'lanting_market' },
    ],
  };
  const dock: BrokerAccount = { id: 'DOCK-01', kind: 'dock', devices: [{ id: 'UAV-01' }] };
  const registered = new Set(['yunxi_rd_east', 'lanting_market', 'other_nvr_cam']);
  const ctx = { frigateTopicPrefix: 'frigate', isFrigateCamera: (c: string) => registered.has(c) };

  it('an NVR publishes its Frigate topics: events, instance topics, zones and its own cameras', () => {
    for (const topic of [
      'frigate/events',
      'frigate/available',
      'frigate/stats',
      'frigate/reviews',
      'frigate/yunxi_rd_east/car/snapshot',
      'frigate/lanting_market/person',
      'frigate/no_parking/car',
    ]) {
      expect(maySourcePublish(nvr, topic, ctx)).toBe(true);
    }
    // With another topic_prefix, that one.
    expect(maySourcePublish(nvr, 'cp-nvr/events', { ...ctx, frigateTopicPrefix: 'cp-nvr' })).toBe(true);
  });

  it('an NVR is refused another NVR’s (or an unowned) camera, topics outside its prefix and other devices’ topics', () => {
    expect(maySourcePublish(nvr, 'frigate/other_nvr_cam/car/snapshot', ctx)).toBe(false);
    expect(maySourcePublish(nvr, 'frigatex/events', ctx)).toBe(false);
    expect(maySourcePublish(nvr, 'frigate/', ctx)).toBe(false);
    expect(maySourcePublish(nvr, 'cloudpatrol/v1/devices/CAM-PARK-01/events', ctx)).toBe(false);
    expect(maySourcePublish(nvr, 'thing/product/UAV-01/osd', ctx)).toBe(false);
    // Its own device topic stays its own.
    expect(maySourcePublish(nvr, 'cloudpatrol/v1/devices/NVR-01/events', ctx)).toBe(true);
  });

  it('a dock publishes its own and its aircraft’s DJI uplinks, nobody else’s', () => {
    for (const sn of ['DOCK-01', 'UAV-01']) {
      for (const t of ['osd', 'state', 'events', 'requests', 'services_reply']) expect(maySourcePublish(dock, `thing/product/${sn}/${t}`, ctx)).toBe(true);
      expect(maySourcePublish(dock, `sys/product/${sn}/status`, ctx)).toBe(true);
    }
    expect(maySourcePublish(dock, 'thing/product/UAV-02/osd', ctx)).toBe(false);
    expect(maySourcePublish(dock, 'thing/product/UAV-01/events_reply', ctx)).toBe(false);
    expect(maySourcePublish(dock, 'frigate/events', ctx)).toBe(false);
    expect(maySourcePublish(dock, 'cloudpatrol/v1/devices/UAV-01/events', ctx)).toBe(false);
  });

  it('devices under a camera or a feed give it nothing more', () => {
    const camera: BrokerAccount = { id: 'CAM-01', kind: 'camera', devices: [{ id: 'UAV-01', frigateCamera: 'yunxi_rd_east' }] };
    expect(maySourcePublish(camera, 'thing/product/UAV-01/osd', ctx)).toBe(false);
    expect(maySourcePublish(camera, 'frigate/events', ctx)).toBe(false);
    expect(maySourcePublish(camera, 'cloudpatrol/v1/devices/CAM-01/events', ctx)).toBe(true);
  });

  it('binds an NVR’s Frigate event to its own camera, or to itself when it names another camera', () => {
    const message = (camera: unknown) => JSON.stringify({ type: 'new', before: {}, after: { id: '1', camera, label: 'car' } });
    expect(frigateEventReporter(nvr, 'frigate/events', message('yunxi_rd_east'), 'frigate')).toBe('CAM-PARK-01');
    expect(frigateEventReporter(nvr, 'frigate/events', Buffer.from(message('lanting_market')), 'frigate')).toBe('CAM-MARKET-01');
    expect(frigateEventReporter(nvr, 'frigate/events', message('other_nvr_cam'), 'frigate')).toBe('NVR-01');
    // Not an event, not an NVR, no camera, not JSON: left to the adapter.
    expect(frigateEventReporter(nvr, 'frigate/available', 'online', 'frigate')).toBeUndefined();
    expect(frigateEventReporter(dock, 'frigate/events', message('yunxi_rd_east'), 'frigate')).toBeUndefined();
    expect(frigateEventReporter(nvr, 'frigate/events', message(undefined), 'frigate')).toBeUndefined();
    expect(frigateEventReporter(nvr, 'frigate/events', '{not json', 'frigate')).toBeUndefined();
  });
});

describe('pictures published on MQTT', () => {
  const nvr: BrokerAccount = { id: 'NVR-01', kind: 'nvr', devices: [{ id: 'CAM-PARK-01', frigateCamera: 'yunxi_rd_east' }, { id: 'UAV-X' }] };
  const camera: BrokerAccount = { id: 'CAM-01', kind: 'camera', devices: [] };

  it('a device’s snapshot of its own event is taken for that device and event', () => {
    expect(picturePublishSubject(camera, 'cloudpatrol/v1/devices/CAM-01/events/evt-1/snapshot', 'frigate')).toEqual({
      kind: 'device-snapshot',
      deviceId: 'CAM-01',
      eventId: 'evt-1',
    });
    expect(picturePublishSubject(nvr, 'cloudpatrol/v1/devices/NVR-01/events/e.2/snapshot', 'frigate')).toEqual({
      kind: 'device-snapshot',
      deviceId: 'NVR-01',
      eventId: 'e.2',
    });
  });

  it('never another device’s snapshot, not even for an NVR’s own camera', () => {
    expect(picturePublishSubject(camera, 'cloudpatrol/v1/devices/CAM-02/events/evt-1/snapshot', 'frigate')).toBeUndefined();
    expect(picturePublishSubject(nvr, 'cloudpatrol/v1/devices/CAM-PARK-01/events/evt-1/snapshot', 'frigate')).toBeUndefined();
    expect(picturePublishSubject(camera, 'cloudpatrol/v1/devices/CAM-01/events', 'frigate')).toBeUndefined();
  });

  it('a Frigate MQTT snapshot is an NVR’s for its own registered cameras only', () => {
    expect(picturePublishSubject(nvr, 'frigate/yunxi_rd_east/car/snapshot', 'frigate')).toEqual({
      kind: 'frigate-snapshot',
      deviceId: 'CAM-PARK-01',
      camera: 'yunxi_rd_east',
      label: 'car',
    });
    expect(picturePublishSubject(nvr, 'cp/yunxi_rd_east/person/snapshot', 'cp')).toEqual({
      kind: 'frigate-snapshot',
      deviceId: 'CAM-PARK-01',
      camera: 'yunxi_rd_east',
      label: 'person',
    });
    // Another NVR's (or an unregistered) camera, another prefix, other Frigate topics, a camera account: not taken.
    for (const [account, topic] of [
      [nvr, 'frigate/other_cam/car/snapshot'],
      [nvr, 'frigatex/yunxi_rd_east/car/snapshot'],
      [nvr, 'frigate/yunxi_rd_east/car'],
      [nvr, 'frigate/yunxi_rd_east/zone/car/snapshot'],
      [nvr, 'frigate/yunxi_rd_east/+/snapshot'],
      [nvr, 'frigate/events'],
      [{ ...camera, devices: [{ id: 'CAM-PARK-01', frigateCamera: 'yunxi_rd_east' }] }, 'frigate/yunxi_rd_east/car/snapshot'],
    ] as const) {
      expect(picturePublishSubject(account, topic, 'frigate')).toBeUndefined();
    }
  });
});

describe('topic filters', () => {
  it('matches + and # as MQTT does', () => {
    expect(topicMatchesFilter('thing/product/+/osd', 'thing/product/UAV-01/osd')).toBe(true);
    expect(topicMatchesFilter('thing/product/+/osd', 'thing/product/UAV-01/state')).toBe(false);
    expect(topicMatchesFilter('thing/product/+/osd', 'thing/product/osd')).toBe(false);
    expect(topicMatchesFilter('frigate/events', 'frigate/events')).toBe(true);
    expect(topicMatchesFilter('frigate/events', 'frigate/events/x')).toBe(false);
    expect(topicMatchesFilter('frigate/#', 'frigate')).toBe(true);
    expect(topicMatchesFilter('frigate/#', 'frigate/a/b')).toBe(true);
    expect(topicMatchesFilter('frigate/#', 'other/a')).toBe(false);
  });
});
