import { z } from 'zod';
import { AdaptedEvent, AdapterResult, GeoPoint, MediaRef, Rejection, accepted, rejected } from '../event/canonical-event';
import { describeZodError } from '../event/payload';
import {
  UTC_OFFSET_PATTERN,
  boundedId,
  epochMillisToDate,
  finiteNumber,
  isPlausibleTime,
  geoPoint,
  isRecord,
  parseDateTime,
  readJson,
  stripSharePrefix,
} from './adapter-support';

/**
 * DJI Cloud API (MQTT, docks and DJI Pilot 2 gateways) → telemetry and canonical events.
 *
 * Envelope on every topic: `{tid, bid, timestamp (ms), gateway, method?, need_reply?, data}`.
 * - `thing/product/{device_sn}/osd`: periodic properties (0.5 Hz+). Not events: the worker keeps only
 *   the latest telemetry per device, so `adaptDjiOsd` returns a telemetry snapshot.
 * - `thing/product/{gateway_sn}/events`: `file_upload_callback` (a photo or video reached object
 *   storage) becomes a canonical event; every event with `need_reply: 1` gets an `events_reply`.
 */

export const DJI_DEFAULT_MAX_BYTES = 256 * 1024;

// ---------------------------------------------------------------------------------------------------------
// Shared envelope
// ---------------------------------------------------------------------------------------------------------

const djiEnvelopeSchema = z.looseObject({
  tid: z.string().min(1).max(100),
  bid: z.string().min(1).max(100),
  timestamp: z.number().finite().optional(),
  gateway: z.string().max(100).optional(),
  method: z.string().min(1).max(100).optional(),
  need_reply: z.union([z.literal(0), z.literal(1), z.boolean()]).optional(),
  data: z.unknown(),
});
type DjiEnvelope = z.infer<typeof djiEnvelopeSchema>;

const SN = '([A-Za-z0-9_-]{1,64})';
const OSD_TOPIC = new RegExp(`^thing/product/${SN}/osd$`);
const EVENTS_TOPIC = new RegExp(`^thing/product/${SN}/events$`);

/** Device serial number named by an osd topic, or undefined. */
export function djiOsdTopicSn(topic: string): string | undefined {
  return OSD_TOPIC.exec(stripSharePrefix(topic))?.[1];
}

/** Gateway serial number named by an events topic, or undefined. */
export function djiEventsTopicSn(topic: string): string | undefined {
  return EVENTS_TOPIC.exec(stripSharePrefix(topic))?.[1];
}

// ---------------------------------------------------------------------------------------------------------
// OSD telemetry
// ---------------------------------------------------------------------------------------------------------

/** One camera gimbal, from the payload struct keyed by its payload index `{type-subtype-gimbalindex}`. */
export interface DjiGimbal {
  /** e.g. "39-0-7", "53-0-0", "66-0-0". */
  payloadIndex: string;
  pitch?: number;
  roll?: number;
  yaw?: number;
  zoomFactor?: number;
}

/** The point the laser rangefinder is measuring: what the camera is looking at. */
export interface DjiLaserTarget {
  lat: number;
  lng: number;
  /** Metres (ellipsoid height, as DJI reports it). */
  altitude?: number;
  /** Metres from the aircraft. */
  distance?: number;
  payloadIndex: string;
}

export interface DjiTelemetry {
  /** The device the topic names (aircraft or dock). */
  deviceSn: string;
  /** The gateway (dock or remote controller) that relayed it, when given. */
  gatewaySn?: string;
  /** The envelope timestamp: when the device sent this frame. */
  at: Date;
  position: GeoPoint;
  /** Metres above the ellipsoid. */
  height?: number;
  /** Metres above the take-off point. */
  elevation?: number;
  /** Heading, degrees from true north (-180..180). */
  attitudeHead?: number;
  attitudePitch?: number;
  attitudeRoll?: number;
  /** Aircraft or dock state (`mode_code`). */
  modeCode?: number;
  gimbals: DjiGimbal[];
  /** Present only while the rangefinder reports NORMAL and a real position. */
  target?: DjiLaserTarget;
}

export type DjiOsdResult =
  | { ok: true; telemetry: DjiTelemetry }
  /** A well-formed frame with nothing to keep (a dock's environment frame, an aircraft without a GPS fix). */
  | { ok: true; telemetry: null; skipped: string }
  | { ok: false; rejection: Rejection };

const PAYLOAD_INDEX = /^\d{1,4}-\d{1,4}-\d{1,4}$/;
/** `measure_target_error_state`: 0 NORMAL, 1 TOO_CLOSE, 2 TOO_FAR, 3 NO_SIGNAL. */
const RANGEFINDER_NORMAL = 0;

export function adaptDjiOsd(topic: string, payload: Uint8Array | string, options: { maxBytes?: number } = {}): DjiOsdResult {
  const deviceSn = djiOsdTopicSn(topic);
  if (!deviceSn) return reject('unsupported-message', `topic "${topic}" is not thing/product/{sn}/osd`);
  const env = readEnvelope(payload, options.maxBytes);
  if (!env.ok) return env.result;
  const { envelope } = env;
  const at = epochMillisToDate(envelope.timestamp);
  if (!at) return reject('invalid-schema', 'timestamp: expected epoch milliseconds (the frame time)');
  if (!isRecord(envelope.data)) return reject('invalid-schema', 'data: expected an object');
  const data = envelope.data;

  const position = geoPoint(data.latitude, data.longitude);
  if (!position) {
    const why = data.latitude === undefined && data.longitude === undefined ? 'frame has no position' : 'position is missing, out of range or (0, 0) (no fix)';
    return { ok: true, telemetry: null, skipped: why };
  }
  const gimbals = gimbalsOf(data);
  const telemetry: DjiTelemetry = { deviceSn, at, position, gimbals: gimbals.map((g) => g.gimbal) };
  if (envelope.gateway) telemetry.gatewaySn = envelope.gateway;
  assignNumber(telemetry, 'height', data.height);
  assignNumber(telemetry, 'elevation', data.elevation);
  assignNumber(telemetry, 'attitudeHead', data.attitude_head);
  assignNumber(telemetry, 'attitudePitch', data.attitude_pitch);
  assignNumber(telemetry, 'attitudeRoll', data.attitude_roll);
  assignNumber(telemetry, 'modeCode', data.mode_code);
  const target = gimbals.map((g) => g.target).find((t) => t !== undefined);
  if (target) telemetry.target = target;
  return { ok: true, telemetry };
}

/** Payload structs sit under keys equal to their payload index; some gateways list them in `payloads`. */
function gimbalsOf(data: Record<string, unknown>): { gimbal: DjiGimbal; target?: DjiLaserTarget }[] {
  const structs: [string, Record<string, unknown>][] = [];
  for (const [key, value] of Object.entries(data)) {
    if (PAYLOAD_INDEX.test(key) && isRecord(value)) structs.push([key, value]);
  }
  if (Array.isArray(data.payloads)) {
    for (const value of data.payloads as unknown[]) {
      if (isRecord(value) && typeof value.payload_index === 'string' && PAYLOAD_INDEX.test(value.payload_index)) {
        if (!structs.some(([k]) => k === value.payload_index)) structs.push([value.payload_index, value]);
      }
    }
  }
  structs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return structs.map(([payloadIndex, s]) => {
    const gimbal: DjiGimbal = { payloadIndex };
    assignNumber(gimbal, 'pitch', s.gimbal_pitch);
    assignNumber(gimbal, 'roll', s.gimbal_roll);
    assignNumber(gimbal, 'yaw', s.gimbal_yaw);
    assignNumber(gimbal, 'zoomFactor', s.zoom_factor);
    let target: DjiLaserTarget | undefined;
    const point =
      finiteNumber(s.measure_target_error_state) === RANGEFINDER_NORMAL ? geoPoint(s.measure_target_latitude, s.measure_target_longitude) : undefined;
    if (point) {
      target = { ...point, payloadIndex };
      assignNumber(target, 'altitude', s.measure_target_altitude);
      assignNumber(target, 'distance', s.measure_target_distance);
    }
    return { gimbal, target };
  });
}

function assignNumber<T extends object, K extends keyof T>(target: T, key: K, value: unknown): void {
  const n = finiteNumber(value);
  if (n !== undefined) (target as Record<K, number>)[key] = n;
}

// ---------------------------------------------------------------------------------------------------------
// Events (+ events_reply)
// ---------------------------------------------------------------------------------------------------------

export interface DjiEventsReply {
  topic: string;
  payload: { tid: string; bid: string; timestamp: number; gateway: string; method: string; data: { result: number } };
}

/**
 * `reply` is present whenever the device asked for one (`need_reply: 1`) and the envelope could be read,
 * whatever became of the message: an unknown method, or one we had to dead-letter, must not leave the
 * dock re-sending it. Publish the reply only after the events (or the dead-letter row) are stored.
 */
export type DjiEventResult = AdapterResult & { reply?: DjiEventsReply };

export interface DjiEventOptions {
  /** Offset for media times that arrive without one ("2026-11-28 10:15:02"). Default +08:00 (PRC, no DST). */
  localUtcOffset?: string;
  maxBytes?: number;
}

export const DJI_DEFAULT_LOCAL_UTC_OFFSET = '+08:00';

const numberLike = z.union([z.number().finite(), z.string().max(40)]);

export const djiFileUploadCallbackSchema = z.looseObject({
  file: z.looseObject({
    object_key: z.string().min(1).max(1024),
    name: z.string().max(255).optional(),
    path: z.string().max(1024).optional(),
    ext: z
      .looseObject({
        flight_id: z.string().max(100).optional(),
        drone_model_key: z.string().max(20).optional(),
        payload_model_key: z.string().max(20).optional(),
        is_original: z.union([z.boolean(), z.literal(0), z.literal(1)]).optional(),
        sn: z.string().max(64).optional(),
      })
      .optional(),
    metadata: z
      .looseObject({
        shoot_position: z.looseObject({ lat: numberLike, lng: numberLike }).optional(),
        gimbal_yaw_degree: numberLike.optional(),
        relative_altitude: numberLike.optional(),
        absolute_altitude: numberLike.optional(),
        // The SDK writes created_time; the published examples write create_time. Accept both.
        created_time: z.string().max(40).optional(),
        create_time: z.string().max(40).optional(),
      })
      .optional(),
  }),
  flight_task: z
    .looseObject({ expected_file_count: z.number().optional(), uploaded_file_count: z.number().optional(), flight_type: z.number().optional() })
    .optional(),
});

const VIDEO_EXTENSIONS = /\.(mp4|mov|m4v)$/i;

export function adaptDjiEvent(topic: string, payload: Uint8Array | string, now: Date, options: DjiEventOptions = {}): DjiEventResult {
  const gatewaySn = djiEventsTopicSn(topic);
  if (!gatewaySn) return rejected('unsupported-message', `topic "${topic}" is not thing/product/{gateway_sn}/events`);
  const env = readEnvelope(payload, options.maxBytes);
  if (!env.ok) return env.result;
  const { envelope, text } = env;
  if (!envelope.method) return rejected('invalid-schema', 'method: required on the events topic');
  const reply = needsReply(envelope) ? replyFor(gatewaySn, envelope, envelope.method, now) : undefined;
  const withReply = (result: AdapterResult): DjiEventResult => (reply ? { ...result, reply } : result);

  if (envelope.method !== 'file_upload_callback') {
    // hms, flighttask_progress, ...: not evidence. Acknowledge so the device stops re-sending.
    return withReply(accepted([]));
  }
  // Parsed inside {data} so that error paths read "data.file.object_key".
  const parsed = z.object({ data: djiFileUploadCallbackSchema }).safeParse({ data: envelope.data });
  if (!parsed.success) return withReply(rejected('invalid-schema', describeZodError(parsed.error)));
  const { file, flight_task: flightTask } = parsed.data.data;
  const metadata = file.metadata;
  const offset = options.localUtcOffset ?? DJI_DEFAULT_LOCAL_UTC_OFFSET;
  if (!UTC_OFFSET_PATTERN.test(offset)) return withReply(rejected('invalid-schema', `localUtcOffset "${offset}" is not ±HH:MM`));

  const shotTime = metadata?.created_time ?? metadata?.create_time;
  let occurredAt = shotTime === undefined ? undefined : parseDateTime(shotTime, offset);
  if (shotTime !== undefined && (!occurredAt || !isPlausibleTime(occurredAt))) {
    return withReply(rejected('invalid-schema', `data.file.metadata.created_time: "${shotTime}" is not a plausible date-time`));
  }
  // No capture time at all: the device's send time is the closest honest clock.
  occurredAt ??= epochMillisToDate(envelope.timestamp);
  if (!occurredAt) return withReply(rejected('invalid-schema', 'data.file.metadata.created_time and timestamp are both missing'));

  const media: MediaRef = { kind: VIDEO_EXTENSIONS.test(file.name ?? file.object_key) ? 'clip' : 'photo', uri: file.object_key };
  const location = metadata?.shoot_position ? geoPoint(metadata.shoot_position.lat, metadata.shoot_position.lng) : undefined;
  const attributes: Record<string, string | number | boolean> = { method: envelope.method, gatewaySn, tid: envelope.tid, bid: envelope.bid };
  const ext = file.ext;
  if (ext?.flight_id) attributes.flightId = ext.flight_id;
  if (ext?.sn) attributes.aircraftSn = ext.sn;
  if (ext?.drone_model_key) attributes.droneModelKey = ext.drone_model_key;
  if (ext?.payload_model_key) attributes.payloadModelKey = ext.payload_model_key;
  if (ext?.is_original !== undefined) attributes.isOriginal = ext.is_original === true || ext.is_original === 1;
  if (file.name) attributes.fileName = file.name;
  if (file.path) attributes.filePath = file.path;
  putNumber(attributes, 'gimbalYawDegree', metadata?.gimbal_yaw_degree);
  putNumber(attributes, 'relativeAltitude', metadata?.relative_altitude);
  putNumber(attributes, 'absoluteAltitude', metadata?.absolute_altitude);
  if (shotTime !== undefined) attributes.createdTime = shotTime;
  putNumber(attributes, 'expectedFileCount', flightTask?.expected_file_count);
  putNumber(attributes, 'uploadedFileCount', flightTask?.uploaded_file_count);

  const event: AdaptedEvent = {
    // One stored object = one event: a redelivered or re-sent callback names the same object key.
    eventId: boundedId(`file:${file.object_key}`),
    source: 'dji',
    // The topic's gateway is the identity the broker authenticated; the aircraft sn is kept as an attribute.
    deviceId: gatewaySn,
    occurredAt,
    location,
    zones: [],
    // A photo is evidence, not a detection: image analysis or an operator labels it later.
    detections: [],
    media: [media],
    attributes,
    raw: text,
  };
  return withReply(accepted([event]));
}

function needsReply(envelope: DjiEnvelope): boolean {
  return envelope.need_reply === 1 || envelope.need_reply === true;
}

function replyFor(gatewaySn: string, envelope: DjiEnvelope, method: string, now: Date): DjiEventsReply {
  return {
    topic: `thing/product/${gatewaySn}/events_reply`,
    payload: { tid: envelope.tid, bid: envelope.bid, timestamp: now.getTime(), gateway: gatewaySn, method, data: { result: 0 } },
  };
}

function putNumber(attributes: Record<string, string | number | boolean>, key: string, value: unknown): void {
  const n = finiteNumber(value);
  if (n !== undefined) attributes[key] = n;
}

// ---------------------------------------------------------------------------------------------------------

function readEnvelope(
  payload: Uint8Array | string,
  maxBytes = DJI_DEFAULT_MAX_BYTES,
): { ok: true; envelope: DjiEnvelope; text: string } | { ok: false; result: { ok: false; rejection: Rejection } } {
  const decoded = readJson(payload, maxBytes);
  if (!decoded.ok) return { ok: false, result: asRejection(decoded.result) };
  if (!isRecord(decoded.value)) return { ok: false, result: reject('invalid-schema', '(root): expected a JSON object') };
  const parsed = djiEnvelopeSchema.safeParse(decoded.value);
  if (!parsed.success) return { ok: false, result: reject('invalid-schema', describeZodError(parsed.error)) };
  return { ok: true, envelope: parsed.data, text: decoded.text };
}

function reject(reason: Rejection['reason'], detail: string): { ok: false; rejection: Rejection } {
  return { ok: false, rejection: { reason, detail } };
}

function asRejection(result: AdapterResult): { ok: false; rejection: Rejection } {
  return result.ok ? reject('invalid-schema', 'payload could not be read') : result;
}
