/**
 * Who may hold which MQTT session and read which topics, on any broker CloudPatrol runs or ships a
 * configuration for. A device's username is its device id.
 *
 * Sessions: an MQTT broker gives a client id to the latest connection that names it and drops the one before
 * (MQTT 3.1.4-2); if any account could name any client id, any device could take over another device's (or
 * the service's) session and its queued messages. So a client id belongs to one account: the device whose id
 * it is, or the device whose id it starts with followed by a separator ("CAM-01", "CAM-01:dock") — and when
 * several device ids prefix it, the longest one owns it, so "CAM-01" can never claim the session of "CAM-01-B".
 */
const SEPARATORS = ['-', '_', ':', '.', '/', '#'];

/** The account that owns `clientId`, among the accounts `isAccount` knows; undefined when none does. */
export function sessionOwner(clientId: string, isAccount: (id: string) => boolean): string | undefined {
  if (isAccount(clientId)) return clientId;
  for (let end = clientId.length - 1; end > 0; end--) {
    if (!SEPARATORS.includes(clientId[end])) continue;
    const prefix = clientId.slice(0, end);
    if (isAccount(prefix)) return prefix;
  }
  return undefined;
}

/** True when `username` may connect with `clientId`. */
export function mayHoldSession(username: string, clientId: string, isAccount: (id: string) => boolean): boolean {
  return clientId !== '' && sessionOwner(clientId, isAccount) === username;
}

/**
 * The topics a device may subscribe to: only what its own protocol sends back to it, named exactly (no
 * wildcards): DJI Cloud API replies and commands for its own serial number. Never `#`, `$SYS/#` or another
 * device's topics: a camera must not read what other cameras report (plates, positions).
 */
export function deviceSubscriptions(deviceId: string): string[] {
  return [
    `thing/product/${deviceId}/events_reply`,
    `thing/product/${deviceId}/services`,
    `thing/product/${deviceId}/property/set`,
    `thing/product/${deviceId}/requests_reply`,
    `sys/product/${deviceId}/status_reply`,
  ];
}

export function mayDeviceSubscribe(deviceId: string, topicFilter: string): boolean {
  return deviceSubscriptions(deviceId).includes(topicFilter);
}

/**
 * The topics a device may publish on: its own event topic, and the DJI Cloud API uplink topics of its own
 * serial number (a dock or gateway registered under its SN). Publishing for other devices (an NVR for its
 * cameras, a dock for its aircraft) needs those devices registered under it, which the register does not
 * model yet.
 */
export function mayDevicePublish(deviceId: string, topic: string): boolean {
  return (
    topic === `cloudpatrol/v1/devices/${deviceId}/events` ||
    ['osd', 'state', 'events', 'requests', 'services_reply'].some((t) => topic === `thing/product/${deviceId}/${t}`) ||
    topic === `sys/product/${deviceId}/status`
  );
}
