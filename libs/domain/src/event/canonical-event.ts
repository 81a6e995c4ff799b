/**
 * The one event type that flows through CloudPatrol:
 * transport → adapter → classify → group → store → alert.
 * Every source adapter produces these; nothing downstream knows a source's wire format.
 */

/** What kind of thing produced the event; defaults to the registered device's kind. */
export const DEVICE_KINDS = ['camera', 'drone', 'dock', 'nvr', 'sensor', 'feed'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Which adapter produced the event (the source family). Part of the idempotency key. */
export const EVENT_SOURCES = [
  'cloudpatrol', // generic canonical JSON over MQTT
  'frigate',
  'dji',
  'hikvision',
  'fire',
  'police',
  'emergency',
  'drone-upload',
  'open311', // GeoReport v2 service requests POSTed by a registered Open311 client (a hotline, a citizen app)
] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

export interface GeoPoint {
  lat: number;
  lng: number;
}

/** [x1, y1, x2, y2] in the source's image coordinates. */
export type Box = [number, number, number, number];

export interface Detection {
  /** The source's label, before classification: "garbage", "car", "illegalParking", ... */
  label: string;
  /** 0..1 */
  confidence: number;
  box?: Box;
  /** A tracker's id for the same object across events (Frigate object id, ...). */
  trackId?: string;
  /** Licence plate, when the source read one. */
  plate?: string;
  /** True when the source says the object has not moved (Frigate `stationary`). */
  stationary?: boolean;
}

export interface MediaRef {
  kind: 'snapshot' | 'photo' | 'clip';
  /** Where the bytes are or will be: a storage key, an object key or a URL given by the source. */
  uri: string;
  sha256?: string;
}

/** A track's phase, for sources that report one object over many messages. */
export type TrackPhase = 'start' | 'update' | 'end';

export interface CanonicalEvent {
  /** Identity within the source and device; (source, deviceId, eventId, occurredAt) is stored once. */
  eventId: string;
  source: EventSource;
  sourceKind: DeviceKind;
  deviceId: string;
  /** When it happened, by the source's clock. Classification runs on this, never on arrival time. */
  occurredAt: Date;
  location?: GeoPoint;
  /** Camera zones / named places the detection is in. */
  zones: string[];
  detections: Detection[];
  media: MediaRef[];
  phase?: TrackPhase;
  /** Source fields worth keeping in structured form (event type, channel, ...). */
  attributes: Record<string, string | number | boolean>;
  /** The payload exactly as received (text; binary sources keep their own bytes elsewhere). */
  raw: string;
}

/** Why an inbound payload was not turned into events. Stored with the payload in the dead-letter table. */
export const REJECTION_REASONS = [
  'payload-too-large',
  'not-utf8',
  'not-json',
  'not-xml',
  'invalid-schema',
  'missing-device-id',
  'unknown-device',
  'retired-device',
  'topic-mismatch',
  'unsupported-message',
  /** Parsed fine, but the database refuses a value in it (a NUL character, year 0000): isolated, kept aside. */
  'unstorable',
  /** More events from one device per second than allowed; the excess is kept aside, not processed. */
  'rate-limited',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Rejection {
  reason: RejectionReason;
  /** Human-readable detail: which field, what was expected. */
  detail: string;
}

/**
 * What an adapter can say from the payload alone. The device register fills the rest
 * (kind, location when absent) in `applyDeviceRegister`.
 */
export type AdaptedEvent = Omit<CanonicalEvent, 'sourceKind'> & { sourceKind?: DeviceKind };

export type AdapterResult = { ok: true; events: AdaptedEvent[] } | { ok: false; rejection: Rejection };

export const rejected = (reason: RejectionReason, detail: string): AdapterResult => ({
  ok: false,
  rejection: { reason, detail },
});
export const accepted = (events: AdaptedEvent[]): AdapterResult => ({ ok: true, events });
