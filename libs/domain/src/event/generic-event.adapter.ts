import { z } from 'zod';
import { AdapterResult, accepted, rejected, DEVICE_KINDS } from './canonical-event';
import { isRecord } from '../adapters/adapter-support';
import { decodeJson, describeZodError } from './payload';

/**
 * CloudPatrol's own JSON event, published on `cloudpatrol/v1/devices/{deviceId}/events`.
 * The smallest valid event: {"eventId","deviceId","occurredAt","detections":[{"label","confidence"}]}.
 * `eventId` need only be unique per device: an event is identified by (deviceId, eventId, occurredAt), so two
 * cameras both counting evt-0, evt-1… or a camera whose counter restarts after a reboot lose nothing, while a
 * re-send (same device, id and time) is stored once.
 */
export const genericEventSchema = z
  .object({
    eventId: z.string().min(1).max(200),
    deviceId: z.string().min(1).max(100),
    occurredAt: z.iso.datetime({ offset: true }),
    sourceKind: z.enum(DEVICE_KINDS).optional(),
    location: z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }).optional(),
    zones: z.array(z.string().min(1).max(100)).max(50).optional(),
    detections: z
      .array(
        z.object({
          label: z.string().min(1).max(100),
          confidence: z.number().min(0).max(1),
          box: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
          trackId: z.string().min(1).max(200).optional(),
          plate: z.string().min(1).max(20).optional(),
          stationary: z.boolean().optional(),
        }),
      )
      .max(100),
    media: z
      .array(
        z.object({
          kind: z.enum(['snapshot', 'photo', 'clip']),
          uri: z.string().min(1).max(2000),
          sha256: z
            .string()
            .regex(/^[0-9a-f]{64}$/)
            .optional(),
        }),
      )
      .max(20)
      .optional(),
  })
  .strict();

export type GenericEventPayload = z.infer<typeof genericEventSchema>;

const OCCURRED_AT = z.regexes.datetime({ offset: true });
const SHA256_HEX = /^[0-9a-f]{64}$/;
const MEDIA_KINDS: readonly unknown[] = ['snapshot', 'photo', 'clip'];
const SOURCE_KINDS: readonly unknown[] = DEVICE_KINDS;
const EVENT_KEYS = new Set(['eventId', 'deviceId', 'occurredAt', 'sourceKind', 'location', 'zones', 'detections', 'media']);
const LOCATION_KEYS = new Set(['lat', 'lng']);
const DETECTION_KEYS = new Set(['label', 'confidence', 'box', 'trackId', 'plate', 'stationary']);
const MEDIA_KEYS = new Set(['kind', 'uri', 'sha256']);

const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length >= 1 && v.length <= max;
const isNumberIn = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** Only the keys named, so the body is what the schema would output (nested objects strip unknown keys in zod). */
const onlyKeys = (o: Record<string, unknown>, keys: ReadonlySet<string>): boolean => {
  for (const k in o) if (!keys.has(k)) return false;
  return true;
};

function isDetection(d: unknown): boolean {
  if (!isRecord(d) || !onlyKeys(d, DETECTION_KEYS)) return false;
  if (!isText(d.label, 100) || !isNumberIn(d.confidence, 0, 1)) return false;
  if (d.box !== undefined && !(Array.isArray(d.box) && d.box.length === 4 && d.box.every(isNumber))) return false;
  if (d.trackId !== undefined && !isText(d.trackId, 200)) return false;
  if (d.plate !== undefined && !isText(d.plate, 20)) return false;
  return d.stationary === undefined || typeof d.stationary === 'boolean';
}

function isMedia(m: unknown): boolean {
  if (!isRecord(m) || !onlyKeys(m, MEDIA_KEYS)) return false;
  if (!MEDIA_KINDS.includes(m.kind) || !isText(m.uri, 2000)) return false;
  return m.sha256 === undefined || (typeof m.sha256 === 'string' && SHA256_HEX.test(m.sha256));
}

/**
 * The body as `genericEventSchema` would output it, when it is plainly valid: every field of the schema's type
 * and within its bounds, and no key the schema does not name at any depth. Anything else (invalid, or valid with
 * extra keys zod would strip) is left to zod, which words the reason. Every device message passes here, and zod's
 * parse made a copy of every object and array of it (issue 20: 3 % of the ingest thread and 8 % of its allocations
 * at saturation); a property test holds this to the schema.
 */
export function plainlyValidGenericEvent(body: unknown): GenericEventPayload | undefined {
  if (!isRecord(body) || !onlyKeys(body, EVENT_KEYS)) return undefined;
  if (!isText(body.eventId, 200) || !isText(body.deviceId, 100)) return undefined;
  if (typeof body.occurredAt !== 'string' || !OCCURRED_AT.test(body.occurredAt)) return undefined;
  if (body.sourceKind !== undefined && !SOURCE_KINDS.includes(body.sourceKind)) return undefined;
  const location = body.location;
  if (
    location !== undefined &&
    !(isRecord(location) && onlyKeys(location, LOCATION_KEYS) && isNumberIn(location.lat, -90, 90) && isNumberIn(location.lng, -180, 180))
  )
    return undefined;
  const zones = body.zones;
  if (zones !== undefined && !(Array.isArray(zones) && zones.length <= 50 && zones.every((z) => isText(z, 100)))) return undefined;
  const detections = body.detections;
  if (!Array.isArray(detections) || detections.length > 100 || !detections.every(isDetection)) return undefined;
  const media = body.media;
  if (media !== undefined && !(Array.isArray(media) && media.length <= 20 && media.every(isMedia))) return undefined;
  return body as GenericEventPayload;
}

export const GENERIC_EVENT_TOPIC_PREFIX = 'cloudpatrol/v1/devices/';

/** The device id a topic names, or undefined when the topic is not a device event topic. */
export function deviceIdFromTopic(topic: string): string | undefined {
  const m = /^(?:\$share\/[^/]+\/)?cloudpatrol\/v1\/devices\/([^/]+)\/events$/.exec(topic);
  return m?.[1];
}

export function adaptGenericEvent(topic: string, payload: Uint8Array | string): AdapterResult {
  const decoded = decodeJson(payload);
  if (!decoded.ok) return decoded.result;
  const body = decoded.value;
  // A missing device id is its own reason: operators look for it first.
  if (isRecord(body) && !('deviceId' in body)) {
    return rejected('missing-device-id', 'deviceId is required');
  }
  let e = plainlyValidGenericEvent(body);
  if (e === undefined) {
    const parsed = genericEventSchema.safeParse(body);
    if (!parsed.success) return rejected('invalid-schema', describeZodError(parsed.error));
    e = parsed.data;
  }
  const topicDevice = deviceIdFromTopic(topic);
  if (topicDevice !== undefined && topicDevice !== e.deviceId) {
    return rejected('topic-mismatch', `topic names device "${topicDevice}" but payload says "${e.deviceId}"`);
  }
  return accepted([
    {
      eventId: e.eventId,
      source: 'cloudpatrol',
      sourceKind: e.sourceKind,
      deviceId: e.deviceId,
      occurredAt: new Date(e.occurredAt),
      location: e.location,
      zones: e.zones ?? [],
      detections: e.detections.map((d) => ({ ...d, box: d.box })),
      media: e.media ?? [],
      attributes: {},
      raw: decoded.text,
    },
  ]);
}
