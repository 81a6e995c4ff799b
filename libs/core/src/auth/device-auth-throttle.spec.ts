import { BoundedMap } from './bounded-map';
import { DEVICE_THROTTLE, DeviceAuthThrottle } from './device-auth-throttle';

describe('DeviceAuthThrottle', () => {
  it('refuses an address unchecked after its failures, while the same device from another address is still checked', () => {
    const th = new DeviceAuthThrottle();
    let checked = 0;
    for (let i = 0; i < 500; i++) {
      if (th.allow('CAM-1', '10.0.0.66', 1000 + i)) {
        checked++;
        th.failure('CAM-1', '10.0.0.66', 1000 + i);
      }
    }
    expect(checked).toBe(DEVICE_THROTTLE.perAddress);
    expect(th.allow('CAM-1', '10.0.0.7', 2000)).toBe(true);
    expect(th.allow('CAM-2', '10.0.0.66', 2000)).toBe(false);
    expect(th.allow('CAM-1', '10.0.0.66', 1000 + DEVICE_THROTTLE.windowMs + 500)).toBe(true);
  });

  it('under a spread attack on one device: clean addresses are still checked, failed ones are not', () => {
    const th = new DeviceAuthThrottle();
    for (let i = 0; i < DEVICE_THROTTLE.perDevice; i++) th.failure('CAM-1', `10.1.0.${i}`, 1000);
    expect(th.allow('CAM-1', '10.1.0.1', 1001)).toBe(false);
    expect(th.allow('CAM-1', '10.2.0.1', 1001)).toBe(true);
    // A transport without addresses: one check per interval.
    expect(th.allow('CAM-1', undefined, 1001)).toBe(true);
    expect(th.allow('CAM-1', undefined, 1002)).toBe(false);
    expect(th.allow('CAM-1', undefined, 1001 + DEVICE_THROTTLE.unknownAddressIntervalMs)).toBe(true);
  });

  it('a spray of addresses cannot wipe out a refused address (bounded, oldest evicted one by one)', () => {
    const th = new DeviceAuthThrottle();
    for (let i = 0; i < DEVICE_THROTTLE.perAddress; i++) th.failure('CAM-1', 'attacker', 1000);
    for (let i = 0; i < 5000; i++) th.failure(`X-${i}`, `10.3.${i >> 8}.${i & 255}`, 1001);
    th.failure('CAM-1', 'attacker', 1002);
    expect(th.allow('CAM-1', 'attacker', 1003)).toBe(false);
  });
});

describe('BoundedMap', () => {
  it('evicts the least recently written key, one at a time', () => {
    const m = new BoundedMap<number>(3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    m.set('a', 4);
    m.set('d', 5);
    expect([m.get('a'), m.get('b'), m.get('c'), m.get('d'), m.size]).toEqual([4, undefined, 3, 5, 3]);
  });
});
