import { z } from 'zod';
import { AdaptedEvent, AdapterResult, Box, Detection, MediaRef, TrackPhase, accepted, rejected } from '../event/canonical-event';
import { describeZodError } from '../event/payload';
import { boundedId, epochSecondsToDate, isRecord, readJson, sha256Hex, stripSharePrefix, unitInterval } from './adapter-support';

/**
 * Frigate NVR → canonical events.
 *
 * Frigate publishes one JSON message per change of a tracked object on `<prefix>/events`:
 * `{"type":"new"|"update"|"end","before":{...},"after":{...}}`. `after` is the state that matters.
 * A stationary object is re-published at least once a minute with the same `id`; a lost and re-found
 * object gets a new `id`. Frigate adds fields between releases, so unknown fields are tolerated.
 */

export interface FrigateAdapterOptions {
  /** Frigate's `mqtt.topic_prefix` (default in Frigate: "frigate"). */
  topicPrefix: string;
  /** Camera name → registered device id. Unmapped cameras use the camera name itself. */
  cameraToDevice?: (camera: string) => string | undefined;
  /** A plate is kept only when Frigate's plate score reaches this (0..1). Default 0.5. */
  minPlateScore?: number;
  /** Default 256 KiB: events carry path data and attributes, never images. */
  maxBytes?: number;
}

export const FRIGATE_DEFAULT_MAX_BYTES = 256 * 1024;
export const FRIGATE_DEFAULT_MIN_PLATE_SCORE = 0.5;

const epochSeconds = z.number().finite().nonnegative();
const nullish = <T extends z.ZodType>(t: T) => t.nullable().optional();

/** Older releases send sub_label as a string; newer ones as [name, score]. Same for plates inside Frigate. */
const labelWithScore = z.union([z.string(), z.tuple([z.string(), z.number()]).rest(z.unknown())]);

export const frigateObjectSchema = z.looseObject({
  id: z.string().min(1).max(200),
  camera: z.string().min(1).max(100),
  label: z.string().min(1).max(100),
  sub_label: nullish(labelWithScore),
  score: nullish(z.number().finite()),
  top_score: nullish(z.number().finite()),
  false_positive: nullish(z.boolean()),
  start_time: epochSeconds,
  end_time: nullish(epochSeconds),
  frame_time: nullish(epochSeconds),
  box: nullish(z.tuple([z.number(), z.number(), z.number(), z.number()])),
  current_zones: nullish(z.array(z.string().max(100)).max(100)),
  entered_zones: nullish(z.array(z.string().max(100)).max(100)),
  stationary: nullish(z.boolean()),
  active: nullish(z.boolean()),
  motionless_count: nullish(z.number().finite()),
  position_changes: nullish(z.number().finite()),
  has_snapshot: nullish(z.boolean()),
  has_clip: nullish(z.boolean()),
  recognized_license_plate: nullish(labelWithScore),
  recognized_license_plate_score: nullish(z.number().finite()),
});

export const frigateEventSchema = z.looseObject({
  type: z.string(),
  before: z.unknown().optional(),
  after: frigateObjectSchema,
});

export type FrigateObject = z.infer<typeof frigateObjectSchema>;

const PHASES = { new: 'start', update: 'update', end: 'end' } as const satisfies Record<string, TrackPhase>;
type FrigateEventType = keyof typeof PHASES;
const isFrigateEventType = (t: string): t is FrigateEventType => Object.prototype.hasOwnProperty.call(PHASES, t);

/** True when `topic` is `<prefix>/events` (plain or as a `$share/<group>/...` subscription). */
export function isFrigateEventsTopic(topic: string, topicPrefix: string): boolean {
  return stripSharePrefix(topic) === `${topicPrefix}/events`;
}

export function adaptFrigateEvent(topic: string, payload: Uint8Array | string, options: FrigateAdapterOptions): AdapterResult {
  if (!isFrigateEventsTopic(topic, options.topicPrefix)) {
    // frigate/reviews, frigate/tracked_object_update, snapshots, stats ... are not detections.
    return rejected('unsupported-message', `topic "${topic}" is not "${options.topicPrefix}/events"`);
  }
  const decoded = readJson(payload, options.maxBytes ?? FRIGATE_DEFAULT_MAX_BYTES);
  if (!decoded.ok) return decoded.result;
  const body = decoded.value;
  if (!isRecord(body)) return rejected('invalid-schema', '(root): expected a JSON object');
  if (typeof body.type === 'string' && !isFrigateEventType(body.type)) {
    return rejected('unsupported-message', `Frigate event type "${body.type}" is not one of new, update, end`);
  }
  // The camera is the device: say so first when it is missing, as operators look for it first.
  if (isRecord(body.after) && (typeof body.after.camera !== 'string' || body.after.camera === '')) {
    return rejected('missing-device-id', 'after.camera is required (it names the device)');
  }
  const parsed = frigateEventSchema.safeParse(body);
  if (!parsed.success) return rejected('invalid-schema', describeZodError(parsed.error));
  const type = parsed.data.type;
  if (!isFrigateEventType(type)) return rejected('unsupported-message', `Frigate event type "${type}" is not one of new, update, end`);
  const after = parsed.data.after;

  const occurredAt = occurredAtFor(type, after);
  if (!occurredAt) {
    return rejected('invalid-schema', `after: no usable time for a "${type}" event (start_time, frame_time, end_time are epoch seconds)`);
  }
  const deviceId = options.cameraToDevice?.(after.camera) ?? after.camera;
  const minPlateScore = options.minPlateScore ?? FRIGATE_DEFAULT_MIN_PLATE_SCORE;

  const event: AdaptedEvent = {
    eventId: boundedId(eventIdFor(type, after, decoded.text)),
    source: 'frigate',
    sourceKind: 'camera',
    deviceId,
    occurredAt,
    zones: zonesFor(type, after),
    detections: [detectionFor(after, minPlateScore)],
    media: mediaFor(after, options.topicPrefix),
    phase: PHASES[type],
    attributes: attributesFor(type, after),
    raw: decoded.text,
  };
  return accepted([event]);
}

/**
 * Idempotent on redelivery, distinct per message. Frigate sends one `new` and one `end` per object id,
 * and each `update` is for a later frame, so (id, type, frame_time) names a message. A redelivered MQTT
 * message is byte-identical, so when an update has no frame_time the payload hash is just as stable.
 */
function eventIdFor(type: FrigateEventType, after: FrigateObject, raw: string): string {
  switch (type) {
    case 'new':
      return `${after.id}:new`;
    case 'end':
      return `${after.id}:end`;
    case 'update':
      return after.frame_time != null ? `${after.id}:update:${after.frame_time}` : `${after.id}:update:sha256-${sha256Hex(raw).slice(0, 24)}`;
  }
}

/** new → when the object appeared; update → the frame reported; end → when it was lost. */
function occurredAtFor(type: FrigateEventType, after: FrigateObject): Date | undefined {
  switch (type) {
    case 'new':
      return epochSecondsToDate(after.start_time) ?? epochSecondsToDate(after.frame_time);
    case 'update':
      return epochSecondsToDate(after.frame_time) ?? epochSecondsToDate(snapshotFrameTime(after)) ?? epochSecondsToDate(after.start_time);
    case 'end':
      return epochSecondsToDate(after.end_time) ?? epochSecondsToDate(after.frame_time);
  }
}

function snapshotFrameTime(after: FrigateObject): unknown {
  const snapshot: unknown = after.snapshot;
  return isRecord(snapshot) ? snapshot.frame_time : after.snapshot_time;
}

/**
 * Where the object is now. An `end` usually has no current zone (the object left), so it falls back to
 * every zone the object entered; releases without current_zones fall back the same way.
 */
function zonesFor(type: FrigateEventType, after: FrigateObject): string[] {
  const current = after.current_zones;
  if (current && (current.length > 0 || type !== 'end')) return [...current];
  return [...(after.entered_zones ?? [])];
}

function detectionFor(after: FrigateObject, minPlateScore: number): Detection {
  const detection: Detection = {
    label: after.label,
    confidence: unitInterval(after.score ?? after.top_score ?? 0),
    trackId: after.id,
  };
  if (after.box) detection.box = [...after.box] as Box;
  const stationary = after.stationary ?? (after.active == null ? undefined : !after.active);
  if (stationary !== undefined) detection.stationary = stationary;
  const plate = plateOf(after);
  if (plate && (plate.score === undefined || plate.score >= minPlateScore)) detection.plate = plate.text;
  return detection;
}

function plateOf(after: FrigateObject): { text: string; score?: number } | undefined {
  const value = after.recognized_license_plate;
  if (value == null) return undefined;
  const [text, tupleScore] = typeof value === 'string' ? [value, undefined] : [value[0], value[1]];
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > 20) return undefined;
  return { text: trimmed, score: after.recognized_license_plate_score ?? tupleScore };
}

/**
 * Every event of a tracked object has a picture slot (issue 14): CloudPatrol fetches the object's snapshot from
 * the source's Frigate API (`/api/events/<id>/snapshot.jpg`), falling back to the MQTT snapshot. A `new` message
 * usually says `has_snapshot: false` (Frigate has not chosen a frame yet), yet a dwell is proven by its first
 * event's picture, so the slot does not depend on it: the fetcher retries until the snapshot exists. The uri
 * names the MQTT snapshot topic of the camera's label; it is informational (that topic is overwritten by the
 * next object), the bytes that become evidence are stored under their SHA-256.
 */
function mediaFor(after: FrigateObject, topicPrefix: string): MediaRef[] {
  return [{ kind: 'snapshot', uri: `${topicPrefix}/${after.camera}/${after.label}/snapshot` }];
}

/**
 * The camera and label of a Frigate MQTT snapshot topic, `<prefix>/<camera>/<label>/snapshot` (retained, binary
 * JPEG, overwritten by the label's next best frame), or undefined when `topic` is not one.
 */
export function parseFrigateSnapshotTopic(topic: string, topicPrefix: string): { camera: string; label: string } | undefined {
  const plain = stripSharePrefix(topic);
  if (!plain.startsWith(`${topicPrefix}/`)) return undefined;
  const rest = plain.slice(topicPrefix.length + 1).split('/');
  if (rest.length !== 3 || rest[2] !== 'snapshot') return undefined;
  const [camera, label] = rest;
  if (!camera || !label || camera.length > 100 || label.length > 100 || /[+#]/.test(camera + label)) return undefined;
  return { camera, label };
}

/** The subscription filter of Frigate's MQTT snapshots. */
export function frigateSnapshotTopicFilter(topicPrefix: string): string {
  return `${topicPrefix}/+/+/snapshot`;
}

/**
 * False positives are kept, flagged, not dropped: Frigate only publishes objects once they stop being false
 * positives, so a flagged one is unusual and worth seeing; the raw payload and the track stay complete, and
 * classification ignores detections whose `falsePositive` attribute is true.
 */
function attributesFor(type: FrigateEventType, after: FrigateObject): Record<string, string | number | boolean> {
  const a: Record<string, string | number | boolean> = { camera: after.camera, frigateType: type, falsePositive: after.false_positive ?? false };
  if (after.top_score != null) a.topScore = after.top_score;
  if (after.motionless_count != null) a.motionlessCount = after.motionless_count;
  if (after.position_changes != null) a.positionChanges = after.position_changes;
  if (after.has_snapshot != null) a.hasSnapshot = after.has_snapshot;
  if (after.has_clip != null) a.hasClip = after.has_clip;
  if (after.sub_label != null) {
    a.subLabel = typeof after.sub_label === 'string' ? after.sub_label : after.sub_label[0];
    if (typeof after.sub_label !== 'string') a.subLabelScore = after.sub_label[1];
  }
  const plate = plateOf(after);
  if (plate) {
    a.recognizedPlate = plate.text;
    if (plate.score !== undefined) a.plateScore = plate.score;
  }
  if (after.entered_zones && after.entered_zones.length > 0) a.enteredZones = after.entered_zones.join(',');
  a.startTime = after.start_time;
  if (after.end_time != null) a.endTime = after.end_time;
  return a;
}
