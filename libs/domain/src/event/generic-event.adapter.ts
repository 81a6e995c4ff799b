import { z } from 'zod';
import { AdapterResult, accepted, rejected, DEVICE_KINDS } from './canonical-event';
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
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && !('deviceId' in body)) {
    return rejected('missing-device-id', 'deviceId is required');
  }
  const parsed = genericEventSchema.safeParse(body);
  if (!parsed.success) return rejected('invalid-schema', describeZodError(parsed.error));
  const e = parsed.data;
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
