import { z } from 'zod';
import { AdapterResult, accepted, rejected } from '../event/canonical-event';
import { decodeJson, describeZodError } from '../event/payload';

/**
 * Open311 GeoReport v2 service requests (a 12345 hotline, a citizen app) become canonical events of source
 * `open311`: the HTTP intake checks the client's key and the fields, then hands this payload to the ingest
 * path, so the device gate, the rate limit, classification, grouping and routing treat a reported issue like
 * a detected one. The device is the client (`open311.<client-id>`); the detection label is the one the
 * district's rules give the service (`open311LabelFor`), with confidence 1 (a person saw it).
 */
export const OPEN311_REQUEST_TOPIC = 'open311/requests';

export const open311RequestPayloadSchema = z
  .object({
    /** The request's token, unique per request: the event id (a retried POST is a new request, as in GeoReport). */
    token: z.uuid(),
    clientId: z.string().min(1).max(60),
    deviceId: z.string().min(1).max(100),
    receivedAt: z.iso.datetime({ offset: true }),
    serviceCode: z.string().min(1).max(100),
    label: z.string().min(1).max(100),
    position: z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }).optional(),
    addressString: z.string().max(500).optional(),
    description: z.string().max(4000).optional(),
    mediaUrl: z.string().max(2000).optional(),
    /** Personal data for the staff who follow the report up; kept in the raw payload only. */
    reporter: z
      .object({ email: z.string().optional(), firstName: z.string().optional(), lastName: z.string().optional(), phone: z.string().optional() })
      .strict()
      .default({}),
    clientDeviceId: z.string().max(100).optional(),
    accountId: z.string().max(100).optional(),
  })
  .strict();

export type Open311RequestPayload = z.input<typeof open311RequestPayloadSchema>;

export function adaptOpen311Request(payload: Uint8Array | string): AdapterResult {
  const decoded = decodeJson(payload);
  if (!decoded.ok) return decoded.result;
  const parsed = open311RequestPayloadSchema.safeParse(decoded.value);
  if (!parsed.success) return rejected('invalid-schema', describeZodError(parsed.error));
  const r = parsed.data;
  return accepted([
    {
      eventId: r.token,
      source: 'open311',
      sourceKind: 'feed',
      deviceId: r.deviceId,
      occurredAt: new Date(r.receivedAt),
      location: r.position,
      zones: [],
      detections: [{ label: r.label, confidence: 1 }],
      // A URL of somebody else's storage: a plain reference, never fetched nor sealed as if its bytes were here.
      media: r.mediaUrl ? [{ kind: 'photo', uri: r.mediaUrl }] : [],
      attributes: {
        open311Client: r.clientId,
        serviceCode: r.serviceCode,
        ...(r.addressString !== undefined && { addressString: r.addressString }),
        ...(r.description !== undefined && { description: r.description }),
      },
      raw: decoded.text,
    },
  ]);
}
