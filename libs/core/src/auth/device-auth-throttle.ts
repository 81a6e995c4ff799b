import { BoundedMap, recentFailures } from './bounded-map';

export const DEVICE_THROTTLE = {
  windowMs: 5 * 60_000,
  /** Failed device logins from one address in the window before that address is refused unchecked. */
  perAddress: 10,
  /**
   * Failed logins on one device in the window (from any address) before the device is "under attack": then only
   * addresses without a recent failure are still checked, so its own password from a clean address works.
   */
  perDevice: 20,
  /** Unknown addresses (a transport that does not say) share one check per this interval while under attack. */
  unknownAddressIntervalMs: 2_000,
  maxKeys: 10_000,
} as const;

/**
 * Throttles device password guesses (MQTT CONNECT, HTTP Basic) per address and per device id, before any
 * password is compared. Bounded maps: the oldest keys go one by one, never all at once.
 */
export class DeviceAuthThrottle {
  private readonly byAddress = new BoundedMap<number[]>(DEVICE_THROTTLE.maxKeys);
  private readonly byDevice = new BoundedMap<number[]>(DEVICE_THROTTLE.maxKeys);
  private readonly lastUnknownCheck = new BoundedMap<number>(DEVICE_THROTTLE.maxKeys);

  /** Whether this attempt may be checked at all. */
  allow(deviceId: string, address: string | undefined, now = Date.now()): boolean {
    const since = now - DEVICE_THROTTLE.windowMs;
    const fromAddress = address === undefined ? [] : recentFailures(this.byAddress.get(address), since);
    if (fromAddress.length >= DEVICE_THROTTLE.perAddress) return false;
    if (recentFailures(this.byDevice.get(deviceId), since).length < DEVICE_THROTTLE.perDevice) return true;
    if (address !== undefined) return fromAddress.length === 0;
    const last = this.lastUnknownCheck.get(deviceId);
    if (last !== undefined && now - last < DEVICE_THROTTLE.unknownAddressIntervalMs) return false;
    this.lastUnknownCheck.set(deviceId, now);
    return true;
  }

  failure(deviceId: string, address: string | undefined, now = Date.now()): void {
    const since = now - DEVICE_THROTTLE.windowMs;
    const push = (map: BoundedMap<number[]>, key: string, keep: number) => map.set(key, [...recentFailures(map.get(key), since), now].slice(-keep));
    push(this.byDevice, deviceId, DEVICE_THROTTLE.perDevice);
    if (address !== undefined) push(this.byAddress, address, DEVICE_THROTTLE.perAddress);
  }
}
