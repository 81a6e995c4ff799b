import { z } from 'zod';
import { AdaptedEvent, AdapterResult, EventSource, MediaRef, accepted, rejected } from '../event/canonical-event';
import { describeZodError } from '../event/payload';
import { boundedId, isRecord, readJson } from './adapter-support';

/**
 * Fire / police / emergency department feeds over Kafka → canonical events.
 *
 * Each topic carries one versioned JSON record schema, documented in docs/schemas/<topic>.md.
 * The version is in the topic name (v1) and in every record (`schemaVersion: 1`): a producer that
 * moves to v2 publishes on `<name>.v2`; a v2 record on a v1 topic is refused, never guessed at.
 * Unknown top-level fields are refused (they are usually typos); anything extra goes in `extensions`.
 * Each department platform is registered as a device of kind "feed" whose id is the record's `platform`.
 */

export const DEPARTMENT_FEED_DEFAULT_MAX_BYTES = 64 * 1024;

export const FIRE_RECORD_TYPES = ['smoke_alarm', 'fire_alarm', 'blocked_fire_exit', 'blocked_fire_lane', 'fire_equipment_fault'] as const;
export const POLICE_RECORD_TYPES = [
  'public_order',
  'illegal_vending',
  'street_occupation',
  'traffic_obstruction',
  'illegal_parking',
  'noise_nuisance',
  'illegal_construction',
] as const;
export const EMERGENCY_RECORD_TYPES = ['hazard', 'flooding', 'collapse', 'gas_leak', 'hazardous_chemicals', 'landslide', 'fallen_tree', 'road_damage'] as const;

export const RECORD_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const WARNING_LEVELS = ['blue', 'yellow', 'orange', 'red'] as const;

const isoWithOffset = z.iso.datetime({ offset: true });

/**
 * A referral (移交) to city management: its number on the referring platform and the referring unit. The number
 * makes the record its own case (the same number sent again joins it), and the case's status changes are
 * answered to the department under it (`referral-reply.ts`).
 */
const referralSchema = z
  .object({
    referralNo: z.string().min(1).max(100),
    referringUnit: z.string().min(1).max(200),
    referredAt: isoWithOffset.optional(),
  })
  .strict();

/** Fields every department record has, whatever the topic. */
const commonShape = (platformPrefix: string) => ({
  schemaVersion: z.literal(1),
  recordId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'letters, digits, "_", ".", ":", "-"; at most 128'),
  revision: z.number().int().min(1).max(10_000).optional(),
  platform: z.string().regex(new RegExp(`^${platformPrefix}-[A-Z0-9][A-Z0-9-]{0,59}$`), `the registered platform id, "${platformPrefix}-..." in capitals`),
  deviceId: z.string().min(1).max(100).optional(),
  stationId: z.string().min(1).max(100).optional(),
  reportedAt: isoWithOffset,
  occurredAt: isoWithOffset.optional(),
  location: z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }).strict(),
  address: z.string().min(1).max(300).optional(),
  severity: z.enum(RECORD_SEVERITIES),
  confidence: z.number().min(0).max(1).optional(),
  description: z.string().max(2000).optional(),
  attachments: z
    .array(
      z
        .object({
          kind: z.enum(['photo', 'clip']),
          url: z.string().min(1).max(2000),
          sha256: z
            .string()
            .regex(/^[0-9a-f]{64}$/)
            .optional(),
        })
        .strict(),
    )
    .max(10)
    .optional(),
  extensions: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/), z.union([z.string().max(500), z.number().finite(), z.boolean()]))
    .refine((r) => Object.keys(r).length <= 30, 'at most 30 keys')
    .optional(),
});

export const fireRecordV1Schema = z
  .object({
    ...commonShape('FIRE'),
    type: z.enum(FIRE_RECORD_TYPES),
    /** The monitored premises (联网单位) the alarm belongs to. */
    premises: z.string().min(1).max(200).optional(),
    /** Optional: present when the fire platform refers the record to city management (issue 17). */
    referral: referralSchema.optional(),
  })
  .strict();

export const policeRecordV1Schema = z
  .object({
    ...commonShape('POLICE'),
    type: z.enum(POLICE_RECORD_TYPES),
    /** A police referral (移交) always names the referral and the referring unit. */
    referral: referralSchema,
  })
  .strict();

export const emergencyRecordV1Schema = z
  .object({
    ...commonShape('EMERGENCY'),
    type: z.enum(EMERGENCY_RECORD_TYPES),
    /** Early-warning colour, when the record relates to an issued warning. */
    warningLevel: z.enum(WARNING_LEVELS).optional(),
    /** Optional: present when the emergency platform refers the record to city management (issue 17). */
    referral: referralSchema.optional(),
  })
  .strict();

export type FireRecordV1 = z.infer<typeof fireRecordV1Schema>;
export type PoliceRecordV1 = z.infer<typeof policeRecordV1Schema>;
export type EmergencyRecordV1 = z.infer<typeof emergencyRecordV1Schema>;
export type DepartmentRecordV1 = FireRecordV1 | PoliceRecordV1 | EmergencyRecordV1;

type DepartmentSource = Extract<EventSource, 'fire' | 'police' | 'emergency'>;

export const DEPARTMENT_FEED_TOPICS = {
  'monitoring.fire.v1': { source: 'fire', platformPrefix: 'FIRE', schemaVersion: 1 },
  'monitoring.police.v1': { source: 'police', platformPrefix: 'POLICE', schemaVersion: 1 },
  'monitoring.emergency.v1': { source: 'emergency', platformPrefix: 'EMERGENCY', schemaVersion: 1 },
} as const satisfies Record<string, { source: DepartmentSource; platformPrefix: string; schemaVersion: number }>;

export type DepartmentFeedTopic = keyof typeof DEPARTMENT_FEED_TOPICS;

export function isDepartmentFeedTopic(topic: string): topic is DepartmentFeedTopic {
  return Object.prototype.hasOwnProperty.call(DEPARTMENT_FEED_TOPICS, topic);
}

function parseRecord(source: DepartmentSource, body: unknown): { ok: true; record: DepartmentRecordV1 } | { ok: false; error: z.ZodError } {
  switch (source) {
    case 'fire': {
      const r = fireRecordV1Schema.safeParse(body);
      return r.success ? { ok: true, record: r.data } : { ok: false, error: r.error };
    }
    case 'police': {
      const r = policeRecordV1Schema.safeParse(body);
      return r.success ? { ok: true, record: r.data } : { ok: false, error: r.error };
    }
    case 'emergency': {
      const r = emergencyRecordV1Schema.safeParse(body);
      return r.success ? { ok: true, record: r.data } : { ok: false, error: r.error };
    }
  }
}

export function adaptDepartmentRecord(topic: string, payload: Uint8Array | string, options: { maxBytes?: number } = {}): AdapterResult {
  if (!isDepartmentFeedTopic(topic)) {
    return rejected('unsupported-message', `topic "${topic}" is not one of ${Object.keys(DEPARTMENT_FEED_TOPICS).join(', ')}`);
  }
  const feed = DEPARTMENT_FEED_TOPICS[topic];
  const decoded = readJson(payload, options.maxBytes ?? DEPARTMENT_FEED_DEFAULT_MAX_BYTES);
  if (!decoded.ok) return decoded.result;
  const body = decoded.value;
  if (!isRecord(body)) return rejected('invalid-schema', '(root): expected a JSON object');

  // The version decides which schema applies, so it is checked before anything else.
  if (!('schemaVersion' in body)) return rejected('invalid-schema', 'schemaVersion: required');
  if (body.schemaVersion !== feed.schemaVersion) {
    return rejected(
      'unsupported-message',
      `schemaVersion ${JSON.stringify(body.schemaVersion)} is not supported on ${topic} (supported: ${feed.schemaVersion})`,
    );
  }
  if (body.platform === undefined || body.platform === '') return rejected('missing-device-id', 'platform is required (it names the registered feed device)');
  if (typeof body.platform === 'string' && !body.platform.startsWith(`${feed.platformPrefix}-`)) {
    // A record of one department on another department's topic: never re-label it.
    return rejected('topic-mismatch', `topic ${topic} carries ${feed.platformPrefix}-* platforms but the record says "${body.platform}"`);
  }
  const parsed = parseRecord(feed.source, body);
  if (!parsed.ok) return rejected('invalid-schema', describeZodError(parsed.error));
  const record = parsed.record;
  const revision = record.revision ?? 1;

  const attributes: Record<string, string | number | boolean> = {
    recordId: record.recordId,
    revision,
    schemaVersion: record.schemaVersion,
    type: record.type,
    severity: record.severity,
    reportedAt: record.reportedAt,
  };
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) attributes[key] = value;
  };
  put('sourceDeviceId', record.deviceId);
  put('stationId', record.stationId);
  put('address', record.address);
  put('description', record.description);
  if ('premises' in record) put('premises', record.premises);
  if ('referral' in record && record.referral) {
    put('referralNo', record.referral.referralNo);
    put('referringUnit', record.referral.referringUnit);
    put('referredAt', record.referral.referredAt);
  }
  if ('warningLevel' in record) put('warningLevel', record.warningLevel);
  for (const [key, value] of Object.entries(record.extensions ?? {})) attributes[`ext.${key}`] = value;

  const media: MediaRef[] = (record.attachments ?? []).map((a) => (a.sha256 ? { kind: a.kind, uri: a.url, sha256: a.sha256 } : { kind: a.kind, uri: a.url }));

  const event: AdaptedEvent = {
    // Record ids are unique per platform, not across platforms; a later revision is a new event.
    eventId: boundedId(`${record.platform}:${record.recordId}${revision > 1 ? `:r${revision}` : ''}`),
    source: feed.source,
    sourceKind: 'feed',
    deviceId: record.platform,
    occurredAt: new Date(record.occurredAt ?? record.reportedAt),
    location: { lat: record.location.lat, lng: record.location.lng },
    zones: [],
    // The department has already judged the record: full confidence unless it says otherwise.
    detections: [{ label: record.type, confidence: record.confidence ?? 1 }],
    media,
    attributes,
    raw: decoded.text,
  };
  return accepted([event]);
}
