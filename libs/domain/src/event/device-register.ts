import { AdaptedEvent, CanonicalEvent, DeviceKind, GeoPoint, Rejection } from './canonical-event';

/** What the ingest path needs to know about a registered device. */
export interface RegisteredDevice {
  id: string;
  kind: DeviceKind;
  status: 'active' | 'retired';
  location?: GeoPoint;
  townshipCode?: string;
}

export type DeviceLookup = (deviceId: string) => RegisteredDevice | undefined;

/**
 * Events from unknown or retired devices are kept aside (dead-letter) with the reason, never turned
 * into cases. Known devices lend their kind and position to events that lack them.
 */
export function applyDeviceRegister(
  event: AdaptedEvent,
  lookup: DeviceLookup,
): { ok: true; event: CanonicalEvent } | { ok: false; rejection: Rejection } {
  const device = lookup(event.deviceId);
  if (!device) {
    return { ok: false, rejection: { reason: 'unknown-device', detail: `device "${event.deviceId}" is not registered` } };
  }
  if (device.status === 'retired') {
    return { ok: false, rejection: { reason: 'retired-device', detail: `device "${event.deviceId}" is retired` } };
  }
  return {
    ok: true,
    event: {
      ...event,
      sourceKind: event.sourceKind ?? device.kind,
      location: event.location ?? device.location,
    },
  };
}
