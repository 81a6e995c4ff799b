import type { DeviceKind } from '../event/canonical-event';

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
 * The topics a device may publish on: its own event topic, the snapshot topics of its own events
 * (`cloudpatrol/v1/devices/<id>/events/<eventId>/snapshot`, docs/schemas/cloudpatrol-device-snapshot.md), and
 * the DJI Cloud API uplink topics of its own serial number (a dock or gateway registered under its SN). A
 * source with devices behind it (an NVR, a dock) may publish more: see `maySourcePublish`.
 */
export function mayDevicePublish(deviceId: string, topic: string): boolean {
  return topic === `cloudpatrol/v1/devices/${deviceId}/events` || ownSnapshotEventId(deviceId, topic) !== undefined || mayDjiUplink(deviceId, topic);
}

/** Longest event id a snapshot topic may name (as the event JSON's `eventId`). */
const MAX_EVENT_ID = 200;

/** The event id of `topic` when it is a snapshot topic of `deviceId`'s own events; wildcards never are. */
function ownSnapshotEventId(deviceId: string, topic: string): string | undefined {
  const prefix = `cloudpatrol/v1/devices/${deviceId}/events/`;
  if (!topic.startsWith(prefix) || !topic.endsWith('/snapshot')) return undefined;
  const eventId = topic.slice(prefix.length, topic.length - '/snapshot'.length);
  if (eventId === '' || eventId.length > MAX_EVENT_ID || eventId.includes('/') || eventId.includes('+') || eventId.includes('#')) return undefined;
  return eventId;
}

/** The DJI Cloud API uplink topics of serial number `sn`. */
function mayDjiUplink(sn: string, topic: string): boolean {
  return DJI_UPLINKS.some((t) => topic === `thing/product/${sn}/${t}`) || topic === `sys/product/${sn}/status`;
}

const DJI_UPLINKS = ['osd', 'state', 'events', 'requests', 'services_reply'];

/** A broker account as the device register knows it: the device, and the devices registered under it. */
export interface BrokerAccount {
  id: string;
  kind: DeviceKind;
  /** Devices registered under it (`parentId`): an NVR's cameras with their Frigate camera names, a dock's aircraft. */
  devices: readonly { id: string; frigateCamera?: string }[];
}

export interface SourcePublishContext {
  /** Frigate's `mqtt.topic_prefix`, as ingest reads it (FRIGATE_TOPIC_PREFIX). */
  frigateTopicPrefix: string;
  /** True when `camera` is the Frigate camera name of any registered device. */
  isFrigateCamera: (camera: string) => boolean;
}

/**
 * What a source with devices behind it may publish, on top of its own topics (`mayDevicePublish`):
 *
 * - an NVR (one Frigate instance, one account for all its cameras): topics under its Frigate topic prefix —
 *   `<prefix>/events`, `<prefix>/available`, `<prefix>/stats`, zone counts, and `<prefix>/<camera>/…`
 *   (snapshots, counts, motion) for its own cameras only: a second segment that names another registered
 *   Frigate camera is refused. Which camera an event on `<prefix>/events` is about is in its payload:
 *   `frigateEventReporter` binds it to the NVR's own cameras.
 * - a dock or gateway: the DJI uplink topics of the aircraft registered under it (`thing/product/<sn>/osd`,
 *   `state`, `events`, `requests`, `services_reply`, `sys/product/<sn>/status`).
 *
 * Frigate publishes many more topics than CloudPatrol reads (and a refused publish disconnects an MQTT 3.1.1
 * client), so within its prefix an NVR is refused only what would speak for another NVR's camera.
 */
export function maySourcePublish(account: BrokerAccount, topic: string, ctx: SourcePublishContext): boolean {
  if (mayDevicePublish(account.id, topic)) return true;
  if (account.kind === 'nvr') {
    const prefix = `${ctx.frigateTopicPrefix}/`;
    if (!topic.startsWith(prefix) || topic.includes('+')) return false;
    const segment = topic.slice(prefix.length).split('/')[0];
    if (segment === '') return false;
    return !ctx.isFrigateCamera(segment) || account.devices.some((d) => d.frigateCamera === segment);
  }
  if (account.kind === 'dock') return account.devices.some((d) => mayDjiUplink(d.id, topic));
  return false;
}

/**
 * The device an NVR's `<prefix>/events` message may name: the registered device of its `after.camera` when that
 * camera is one of the NVR's own, otherwise the NVR itself (so ingest, holding the message to
 * `authenticatedDeviceId`, keeps it aside as "may not report for device …"). Undefined when the publisher is
 * not an NVR, the topic is not its events topic, or the payload names no camera (its adapter says why).
 */
export function frigateEventReporter(account: BrokerAccount, topic: string, payload: Uint8Array | string, frigateTopicPrefix: string): string | undefined {
  if (account.kind !== 'nvr' || topic !== `${frigateTopicPrefix}/events`) return undefined;
  let camera: unknown;
  try {
    const body = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload)) as { after?: { camera?: unknown } } | null;
    camera = body?.after?.camera;
  } catch {
    return undefined;
  }
  if (typeof camera !== 'string' || camera === '') return undefined;
  return account.devices.find((d) => d.frigateCamera === camera)?.id ?? account.id;
}

/** What a picture published on MQTT is the picture of, once its publisher is known to speak for that device. */
export type PicturePublishSubject =
  { kind: 'device-snapshot'; deviceId: string; eventId: string } | { kind: 'frigate-snapshot'; deviceId: string; camera: string; label: string };

/**
 * The device a picture publish may be taken for, judged by its publisher (the embedded broker knows it; on
 * Mosquitto the shipped ACL says the same): a device's snapshot of one of its own events is the device's
 * alone (session binding: the topic names the publisher), and a Frigate MQTT snapshot
 * `<prefix>/<camera>/<label>/snapshot` is an NVR's for the cameras registered under it only. Undefined when the
 * publisher may not speak for it (or the topic is no picture topic): the picture is not taken.
 */
export function picturePublishSubject(account: BrokerAccount, topic: string, frigateTopicPrefix: string): PicturePublishSubject | undefined {
  const eventId = ownSnapshotEventId(account.id, topic);
  if (eventId !== undefined) return { kind: 'device-snapshot', deviceId: account.id, eventId };
  if (account.kind !== 'nvr') return undefined;
  const prefix = `${frigateTopicPrefix}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length).split('/');
  if (rest.length !== 3 || rest[2] !== 'snapshot' || rest[0] === '' || rest[1] === '' || /[+#]/.test(rest[0] + rest[1])) return undefined;
  const [camera, label] = rest;
  const device = account.devices.find((d) => d.frigateCamera === camera);
  return device ? { kind: 'frigate-snapshot', deviceId: device.id, camera, label } : undefined;
}

/** True when `topic` matches the MQTT topic filter `filter` (`+` one level, `#` the rest). */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true; // what came before matched ("a/#" matches "a" too)
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
