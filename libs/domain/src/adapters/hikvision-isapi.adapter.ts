import { AdaptedEvent, AdapterResult, Box, Detection, GeoPoint, accepted, rejected } from '../event/canonical-event';
import { UTC_OFFSET_PATTERN, boundedId, finiteNumber, geoPoint, isPlausibleTime, parseDateTime, readText, unitInterval } from './adapter-support';
import { XmlElement, readXml, xmlChild, xmlChildText, xmlFind, xmlNamespaceOf } from './xml-reader';

/**
 * Hikvision ISAPI alarm push (HTTP POST of `EventNotificationAlert` XML) → canonical events.
 *
 * The HTTP layer hands over the XML text (for multipart posts: the XML part; picture parts are stored by
 * the caller, which appends their MediaRefs). `eventState` "inactive" is a heartbeat, not an alarm.
 */

export const HIKVISION_NAMESPACES = [
  'http://www.hikvision.com/ver20/XMLSchema',
  'http://www.isapi.org/ver20/XMLSchema',
  // Older NVR firmware still posts the PSIA namespace.
  'urn:psialliance-org',
] as const;

export const HIKVISION_DEFAULT_MAX_BYTES = 64 * 1024;
export const HIKVISION_DEFAULT_LOCAL_UTC_OFFSET = '+08:00';

export interface HikvisionAdapterOptions {
  /** Arrival time: used for heartbeats (a device clock can be wrong) and the clock-skew attribute. */
  now: Date;
  /** Registered device id for (ipAddress, macAddress, channelID); undefined = use the default id. */
  deviceIdFor?: (ip: string | undefined, mac: string | undefined, channelId: string | undefined) => string | undefined;
  /** Default 64 KiB: the alarm XML alone, pictures are separate parts. */
  maxBytes?: number;
  /** Offset for a `dateTime` sent without one (misconfigured devices). Default +08:00. */
  localUtcOffset?: string;
}

/** A device saying "I am alive": record liveness, create nothing. */
export interface HikvisionHeartbeat {
  deviceId: string;
  /** Arrival time (`options.now`). */
  at: Date;
  /** The device's own clock, when readable. */
  deviceTime?: Date;
  eventType: string;
}

export type HikvisionResult = AdapterResult & { heartbeat?: HikvisionHeartbeat };

/** Smart (VCA) events that name a behaviour rather than an object: mapped to one source label each. */
const VCA_LABELS: Record<string, string> = {
  fielddetection: 'intrusion',
  linedetection: 'line_crossing',
  regionentrance: 'region_entrance',
  regionexiting: 'region_exiting',
  loitering: 'loitering',
  unattendedbaggage: 'abandonedObject',
  attendedbaggage: 'object_removal',
  parking: 'illegalParking',
};

/** Plates that mean "no plate read". */
const NO_PLATE = new Set(['', 'unknown', 'none', 'null', '无车牌', '车牌']);

/** Event families CloudPatrol turns into detections; anything else is refused as unsupported-message. */
type Kind = 'traffic' | 'anpr' | 'vca';

/** A clock this far from arrival time is flagged (attribute `clockSkewSeconds`), not corrected. */
const CLOCK_SKEW_FLAG_SECONDS = 300;

export function adaptHikvisionAlert(xml: Uint8Array | string, options: HikvisionAdapterOptions): HikvisionResult {
  const decoded = readText(xml, options.maxBytes ?? HIKVISION_DEFAULT_MAX_BYTES);
  if (!decoded.ok) return decoded.result;
  const text = decoded.text;
  const head = text.trimStart();
  if (head.startsWith('{')) return rejected('not-xml', 'payload is JSON; configure the device to push XML EventNotificationAlert');
  const doc = readXml(text);
  if (!doc.ok) return rejected('not-xml', doc.refused ? `refused: ${doc.error}` : `payload is not well-formed XML: ${doc.error}`);
  const root = doc.root;
  if (root.name !== 'EventNotificationAlert') {
    return rejected('unsupported-message', `root element <${root.name}> is not <EventNotificationAlert>`);
  }
  const namespace = xmlNamespaceOf(root);
  if (namespace !== undefined && !(HIKVISION_NAMESPACES as readonly string[]).includes(namespace)) {
    return rejected('invalid-schema', `namespace "${namespace}" is not one of ${HIKVISION_NAMESPACES.join(', ')}`);
  }
  const localUtcOffset = options.localUtcOffset ?? HIKVISION_DEFAULT_LOCAL_UTC_OFFSET;
  if (!UTC_OFFSET_PATTERN.test(localUtcOffset)) return rejected('invalid-schema', `localUtcOffset "${localUtcOffset}" is not ±HH:MM`);

  const field = (name: string) => xmlChildText(root, name);
  const eventType = field('eventType');
  const eventState = field('eventState')?.toLowerCase();
  const dateTime = field('dateTime');
  const missing = [!eventType && 'eventType', !eventState && 'eventState', !dateTime && 'dateTime'].filter((m): m is string => typeof m === 'string');
  if (missing.length > 0 || !eventType || !eventState || !dateTime) return rejected('invalid-schema', missing.map((m) => `${m}: required`).join('; '));
  if (eventState !== 'active' && eventState !== 'inactive') {
    return rejected('invalid-schema', `eventState: expected "active" or "inactive", got "${eventState}"`);
  }
  const occurredAt = parseDateTime(dateTime, localUtcOffset);

  const ip = field('ipAddress') ?? field('ipv6Address');
  const mac = normaliseMac(field('macAddress'));
  const channelId = field('channelID') ?? field('dynChannelID');
  const serial = xmlChildText(xmlChild(root, 'Extensions'), 'serialNumber') ?? field('deviceID');
  const deviceId = options.deviceIdFor?.(ip, mac, channelId) ?? defaultDeviceId(mac, ip, serial, channelId);
  if (!deviceId) return rejected('missing-device-id', 'none of macAddress, ipAddress, ipv6Address, Extensions.serialNumber, deviceID is present');

  if (eventState === 'inactive') {
    const heartbeat: HikvisionHeartbeat = { deviceId, at: options.now, eventType };
    if (occurredAt) heartbeat.deviceTime = occurredAt;
    return { ok: true, events: [], heartbeat };
  }

  if (!occurredAt) return rejected('invalid-schema', `dateTime: "${dateTime}" is not an ISO 8601 date-time`);
  // Evidence needs a true time: a device whose clock was never set (1970) must be fixed, not guessed for.
  if (!isPlausibleTime(occurredAt)) return rejected('invalid-schema', `dateTime: ${dateTime} is implausible (device clock not set?)`);
  const activePostCount = finiteNumber(field('activePostCount'));
  if (activePostCount === undefined || !Number.isInteger(activePostCount) || activePostCount < 0) {
    return rejected('invalid-schema', 'activePostCount: expected a non-negative integer');
  }

  const kind = kindOf(eventType);
  if (!kind)
    return rejected('unsupported-message', `eventType "${eventType}" is not one CloudPatrol uses (AID, TFS, ANPR, ${Object.keys(VCA_LABELS).join(', ')})`);
  const read = readDetections(kind, eventType, root);
  if (!read.ok) return read.result;

  const attributes: Record<string, string | number | boolean> = { eventType, activePostCount };
  const put = (key: string, value: string | number | boolean | undefined) => {
    if (value !== undefined) attributes[key] = value;
  };
  put('channelId', channelId);
  put('channelName', field('channelName'));
  put('ipAddress', field('ipAddress'));
  put('macAddress', mac);
  put('serialNumber', serial);
  put('eventDescription', field('eventDescription'));
  put('namespace', namespace);
  put('uuid', field('UUID'));
  put('picNum', finiteNumber(field('picNum')));
  const retransmitted = field('isDataRetransmission');
  if (retransmitted !== undefined) attributes.isDataRetransmission = retransmitted === 'true';
  const skew = Math.round((options.now.getTime() - occurredAt.getTime()) / 1000);
  if (Math.abs(skew) > CLOCK_SKEW_FLAG_SECONDS) attributes.clockSkewSeconds = skew;
  Object.assign(attributes, read.attributes);

  const event: AdaptedEvent = {
    eventId: boundedId(
      eventIdFor({
        mac,
        ip,
        serial,
        channelId,
        eventType,
        occurredAt,
        activePostCount,
        labels: read.detections,
        uuid: field('UUID'),
        distinguishing: distinguishingFields(root),
      }),
    ),
    source: 'hikvision',
    sourceKind: 'camera',
    deviceId,
    occurredAt,
    location: deviceLocation(root),
    zones: read.zones,
    detections: read.detections,
    media: [],
    attributes,
    raw: text,
  };
  return accepted([event]);
}

/**
 * Default device id. The MAC is stable across DHCP changes; the channel tells an NVR's cameras apart
 * (an NVR posts its own MAC for every channel), so it is part of the id: "bc:5e:33:62:2a:5c:ch1".
 * Without a MAC: "10.2.124.188:ch1", then the serial number. Override with `deviceIdFor`.
 */
export function defaultDeviceId(
  mac: string | undefined,
  ip: string | undefined,
  serial: string | undefined,
  channelId: string | undefined,
): string | undefined {
  const who = mac ?? ip ?? serial;
  if (!who) return undefined;
  return channelId ? `${who}:ch${channelId}` : who;
}

function normaliseMac(mac: string | undefined): string | undefined {
  if (!mac) return undefined;
  const hex = mac.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  if (hex.length !== 12 || /^0+$/.test(hex)) return undefined;
  return hex.match(/../g)?.join(':');
}

function kindOf(eventType: string): Kind | undefined {
  const t = eventType.toLowerCase();
  if (t === 'aid' || t === 'tfs') return 'traffic';
  if (t === 'anpr') return 'anpr';
  if (Object.prototype.hasOwnProperty.call(VCA_LABELS, t)) return 'vca';
  return undefined;
}

type ReadDetections =
  { ok: true; detections: Detection[]; zones: string[]; attributes: Record<string, string | number | boolean> } | { ok: false; result: AdapterResult };

function readDetections(kind: Kind, eventType: string, root: XmlElement): ReadDetections {
  switch (kind) {
    case 'traffic': {
      // AID (incident detection) and TFS (enforcement) both name the incident in illegalTrafficEvent.
      const section = root.children.find((c) => c.name.toLowerCase() === eventType.toLowerCase());
      const value = xmlChildText(section, 'illegalTrafficEvent');
      if (!section || !value) return { ok: false, result: rejected('invalid-schema', `${eventType}.illegalTrafficEvent: required`) };
      const labels = [
        ...new Set(
          value
            .split(',')
            .map((v) => v.trim())
            .filter((v) => v !== ''),
        ),
      ].slice(0, 10);
      if (labels.length === 0 || labels.some((l) => l.length > 100)) {
        return { ok: false, result: rejected('invalid-schema', `${eventType}.illegalTrafficEvent: "${value.slice(0, 100)}" is not a list of event names`) };
      }
      const plate = plateText(xmlFind(section, 'plate')?.text ?? xmlFind(section, 'licensePlate')?.text);
      const attributes: Record<string, string | number | boolean> = { illegalTrafficEvent: labels.join(',') };
      const lane = finiteNumber(xmlFind(section, 'laneNo')?.text.trim());
      if (lane !== undefined) attributes.laneNo = lane;
      const plateConfidence = finiteNumber(xmlFind(section, 'confidenceLevel')?.text.trim());
      if (plate && plateConfidence !== undefined) attributes.plateConfidence = unitInterval(plateConfidence / 100);
      // The device asserts the incident; it gives no score for it.
      const detections = labels.map((label): Detection => (plate ? { label, confidence: 1, plate } : { label, confidence: 1 }));
      return { ok: true, detections, zones: [], attributes };
    }
    case 'anpr': {
      const section = xmlChild(root, 'ANPR');
      if (!section) return { ok: false, result: rejected('invalid-schema', 'ANPR: required for eventType ANPR') };
      const rawPlate = xmlChildText(section, 'licensePlate');
      const level = finiteNumber(xmlChildText(section, 'confidenceLevel'));
      if (rawPlate === undefined) return { ok: false, result: rejected('invalid-schema', 'ANPR.licensePlate: required') };
      if (level === undefined || level < 0 || level > 100) {
        return { ok: false, result: rejected('invalid-schema', 'ANPR.confidenceLevel: expected a number 0..100') };
      }
      const plate = plateText(rawPlate);
      const detection: Detection = { label: 'vehicle', confidence: unitInterval(level / 100) };
      if (plate) detection.plate = plate;
      const attributes: Record<string, string | number | boolean> = { plateRead: plate !== undefined };
      for (const [key, name] of [
        ['vehicleType', 'vehicleType'],
        ['plateColor', 'plateColor'],
        ['plateType', 'plateType'],
        ['direction', 'direction'],
        ['vehicleListName', 'vehicleListName'],
      ] as const) {
        const v = xmlChildText(section, name);
        if (v !== undefined) attributes[key] = v;
      }
      const line = finiteNumber(xmlChildText(section, 'line'));
      if (line !== undefined) attributes.laneNo = line;
      const color = xmlChildText(xmlChild(section, 'vehicleInfo'), 'color');
      if (color !== undefined) attributes.vehicleColor = color;
      return { ok: true, detections: [detection], zones: [], attributes };
    }
    case 'vca': {
      const label = VCA_LABELS[eventType.toLowerCase()];
      const entries = xmlChild(root, 'DetectionRegionList')?.children.filter((c) => c.name === 'DetectionRegionEntry') ?? [];
      const zones: string[] = [];
      const targets = new Set<string>();
      const detections: Detection[] = [];
      for (const entry of entries.slice(0, 20)) {
        const region = xmlChildText(entry, 'regionID');
        if (region && /^[\w-]{1,20}$/.test(region)) zones.push(`region-${region}`);
        const target = xmlChildText(entry, 'detectionTarget');
        if (target) targets.add(target);
        const detection: Detection = { label, confidence: 1 };
        const box = targetBox(xmlChild(entry, 'TargetRect'));
        if (box) detection.box = box;
        detections.push(detection);
      }
      if (detections.length === 0) detections.push({ label, confidence: 1 });
      const attributes: Record<string, string | number | boolean> = {};
      if (targets.size > 0) attributes.detectionTarget = [...targets].join(',');
      if (detections.some((d) => d.box)) attributes.boxUnits = 'normalized';
      return { ok: true, detections, zones: [...new Set(zones)], attributes };
    }
  }
}

function plateText(raw: string | undefined): string | undefined {
  const t = raw?.trim();
  if (t === undefined || NO_PLATE.has(t.toLowerCase()) || t.length > 20) return undefined;
  return t;
}

/** TargetRect is normalised (0..1) x, y, width, height: kept as [x1, y1, x2, y2] in the same units. */
function targetBox(rect: XmlElement | undefined): Box | undefined {
  const [x, y, w, h] = ['X', 'Y', 'width', 'height'].map((n) => finiteNumber(xmlChildText(rect, n)));
  if (x === undefined || y === undefined || w === undefined || h === undefined || w <= 0 || h <= 0) return undefined;
  return [x, y, x + w, y + h];
}

/** DeviceGPSInfo: degrees / minutes / seconds with hemisphere letters. */
function deviceLocation(root: XmlElement): GeoPoint | undefined {
  const gps = xmlChild(root, 'DeviceGPSInfo');
  if (!gps) return undefined;
  const dms = (e: XmlElement | undefined) => {
    const [d, m, s] = ['degree', 'minute', 'sec'].map((n) => finiteNumber(xmlChildText(e, n)));
    return d === undefined ? undefined : d + (m ?? 0) / 60 + (s ?? 0) / 3600;
  };
  const lat = dms(xmlChild(gps, 'Latitude'));
  const lng = dms(xmlChild(gps, 'Longitude'));
  if (lat === undefined || lng === undefined) return undefined;
  const latSign = xmlChildText(gps, 'latitudeType')?.toUpperCase() === 'S' ? -1 : 1;
  const lngSign = xmlChildText(gps, 'longitudeType')?.toUpperCase() === 'W' ? -1 : 1;
  return geoPoint(latSign * lat, lngSign * lng);
}

/**
 * Same alert → same id, whatever the transport does: a retried POST or a device's retransmission
 * (`isDataRetransmission`) carries the same source, channel, time, type, post count and body. The post count
 * tells repeated alarms for the same target apart; the incident names, plate, UUID and the body's
 * distinguishing fields (lane, region, rule, target, pictures, see `distinguishingFields`) tell apart two
 * alarms of one camera in the same second: two abandoned objects on lanes 1 and 3 are two events.
 */
function eventIdFor(f: {
  mac?: string;
  ip?: string;
  serial?: string;
  channelId?: string;
  eventType: string;
  occurredAt: Date;
  activePostCount: number;
  labels: Detection[];
  uuid?: string;
  distinguishing: string[];
}): string {
  const who = f.mac ?? f.ip ?? f.serial ?? 'unknown';
  const parts = [who, `ch${f.channelId ?? '-'}`, f.eventType, f.occurredAt.toISOString(), `n${f.activePostCount}`];
  const labels = [...new Set(f.labels.map((d) => d.label))].join('+');
  parts.push(labels);
  const plate = f.labels.find((d) => d.plate)?.plate;
  if (plate) parts.push(plate);
  if (f.uuid) parts.push(f.uuid);
  // Appended last, so an alarm without any keeps the id it had before these were part of it.
  parts.push(...f.distinguishing);
  return parts.join('|');
}

/**
 * Body fields (by local name, lower-cased) that name *which* incident, place or target an alarm is about, in any
 * event section (AID, TFS, ANPR, DetectionRegionList...): lane, direction, region, rule, scene, target, the
 * device's alarm serial numbers, the violation code and the picture files. None of them changes when the
 * same alarm is sent again, so a re-send keeps its id.
 */
const DISTINGUISHING_FIELDS = new Set([
  'laneno',
  'line',
  'lane',
  'direction',
  'regionid',
  'ruleid',
  'rulename',
  'sceneid',
  'targetid',
  'detectiontarget',
  'serialno',
  'parkingserialno',
  'illegalcode',
  'filename',
  'picname',
]);
/** Target rectangles: two targets of one rule in the same second differ at least in where they are. */
const RECT_ELEMENTS = new Set(['targetrect', 'rect']);
const MAX_DISTINGUISHING_VALUE = 100;

/** The distinguishing fields of an alert, as "name=value" in document order (no header field is one of them). */
export function distinguishingFields(root: XmlElement): string[] {
  const out: string[] = [];
  const value = (text: string) => text.trim().replace(/\s+/g, ' ').slice(0, MAX_DISTINGUISHING_VALUE);
  // Iterative depth-first walk in document order (the reader bounds depth and size; no recursion here either).
  const stack: { element: XmlElement; parent: string }[] = root.children.map((element) => ({ element, parent: root.name })).reverse();
  while (stack.length > 0) {
    const { element, parent } = stack.pop() as { element: XmlElement; parent: string };
    const name = element.name.toLowerCase();
    if (name === 'extensions' || name === 'devicegpsinfo') continue;
    if (RECT_ELEMENTS.has(name)) {
      const rect = ['X', 'Y', 'width', 'height'].map((n) => xmlChildText(element, n) ?? '');
      if (rect.some((v) => v !== '')) out.push(`rect=${value(rect.join(','))}`);
      continue;
    }
    const text = element.children.length === 0 ? value(element.text) : '';
    if (text !== '') {
      if (DISTINGUISHING_FIELDS.has(name)) out.push(`${element.name}=${text}`);
      // ANPR numbers each vehicle it reads (vehicleInfo/index): two cars in one second are two reads.
      else if (name === 'index' && parent.toLowerCase() === 'vehicleinfo') out.push(`vehicleIndex=${text}`);
    }
    for (let i = element.children.length - 1; i >= 0; i--) stack.push({ element: element.children[i], parent: element.name });
  }
  return out;
}
