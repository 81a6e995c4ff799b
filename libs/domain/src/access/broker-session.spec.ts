import { mayDevicePublish, mayDeviceSubscribe, mayHoldSession, sessionOwner } from './broker-session';

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

  it('never on another device’s topics or replies meant for devices', () => {
    expect(mayDevicePublish('CAM-01', 'cloudpatrol/v1/devices/CAM-01-B/events')).toBe(false);
    expect(mayDevicePublish('DOCK-7', 'thing/product/CAM-01/osd')).toBe(false);
    expect(mayDevicePublish('DOCK-7', 'thing/product/DOCK-7/events_reply')).toBe(false);
    expect(mayDevicePublish('DOCK-7', 'frigate/events')).toBe(false);
  });
});
