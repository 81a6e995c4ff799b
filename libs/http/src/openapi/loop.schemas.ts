import { areaGeometrySchema, CASE_STATUSES, ISSUE_SEVERITIES } from '@app/domain';
import { z } from 'zod';

/** Response schemas of the case loop's other endpoints: audit, figures, the party's lookup, Open311, the district. */

const instant = z.string().describe('ISO 8601 instant');

export const auditVerificationSchema = z.object({
  ok: z.boolean(),
  checked: z.number().int().describe('entries found intact before the first broken one'),
  evidenceChecked: z.number().int(),
  head: z.object({ seq: z.number().int(), hash: z.string() }).nullable().describe('the last intact entry'),
  firstBroken: z.object({ id: z.number().int(), action: z.string(), at: instant, reason: z.string() }).optional(),
});

const groupFigures = z.object({
  key: z.string(),
  name: z.string(),
  opened: z.number().int(),
  due: z.number().int(),
  closed: z.number().int(),
  closedOnTime: z.number().int(),
  open: z.number().int(),
  pending: z.number().int().describe('deadline in the period but still ahead, case open: not in the rates'),
  closureRate: z.number().nullable().describe('closed / due; null when nothing was due'),
  onTimeClosureRate: z.number().nullable().describe('closed on time / due, over deadlines met or already passed'),
  medianTimeToCloseMinutes: z.number().nullable().describe('working minutes from dispatch to close'),
});

const falsePositive = z.object({ key: z.string(), reviewed: z.number().int(), rejected: z.number().int(), rate: z.number().nullable() });

export const figuresSchema = z.object({
  from: instant,
  to: instant,
  by: z.enum(['township', 'category', 'team']),
  calendar: z.string(),
  asOf: instant.describe('the moment the deadlines were judged at: now, or the end of a past period'),
  groups: z.array(groupFigures),
  total: groupFigures,
  falsePositives: z.object({ overall: falsePositive, byRule: z.array(falsePositive), byDevice: z.array(falsePositive) }),
});

export const partyCaseSchema = z.object({
  caseNumber: z.string(),
  status: z.enum(CASE_STATUSES),
  statusNote: z.string(),
  category: z.union([z.object({ code: z.string(), name: z.string(), nameZh: z.string() }), z.object({ code: z.string() })]),
  violation: z.object({
    firstSeenAt: instant,
    lastSeenAt: instant,
    occurrences: z.number().int(),
    township: z.string().nullable(),
    place: z.string().nullable(),
    location: z.object({ lat: z.number(), lng: z.number() }).nullable(),
  }),
  handledBy: z.string().nullable(),
  dueAt: instant.nullable(),
  evidence: z.object({
    usableForPenalty: z.boolean().nullable(),
    note: z.string().nullable(),
    items: z.array(
      z.object({
        occurredAt: instant,
        device: z.object({
          id: z.string(),
          name: z.string().nullable(),
          address: z.string().nullable(),
          legalReviewPassed: z.boolean(),
          technicalReviewPassed: z.boolean(),
        }),
        detections: z.array(z.object({ label: z.string(), confidence: z.number() })),
        media: z.array(z.object({ kind: z.string(), uri: z.string() })),
        pictures: z.array(z.object({ sha256: z.string(), capturedAt: instant })),
        sha256: z.string().nullable(),
        usableAsPenaltyEvidence: z.boolean(),
      }),
    ),
  }),
  statements: z.array(z.object({ id: z.string(), submittedAt: instant, statement: z.string() })),
  notice: z
    .object({
      noticeNumber: z.string(),
      legalBasis: z.string().nullable(),
      deliveredAt: instant.nullable(),
      statementDueAt: instant.nullable().describe('statements are due by then (counted from delivery in working days)'),
    })
    .nullable()
    .describe('the notice letter, once the case is registered for enforcement'),
});

export const statementReceiptSchema = z.object({ id: z.string(), caseNumber: z.string(), receivedAt: instant, sha256: z.string() });

export const open311ServicesSchema = z.array(
  z.object({
    service_code: z.string(),
    service_name: z.string(),
    description: z.string(),
    metadata: z.literal(false),
    type: z.enum(['realtime', 'batch', 'blackbox']),
    keywords: z.string(),
    group: z.string(),
  }),
);

export const open311RequestsSchema = z.array(
  z.object({
    service_request_id: z.string(),
    status: z.enum(['open', 'closed']),
    status_notes: z.string(),
    service_name: z.string(),
    service_code: z.string(),
    description: z.string(),
    agency_responsible: z.string(),
    service_notice: z.string(),
    requested_datetime: instant,
    updated_datetime: instant,
    expected_datetime: instant.nullable(),
    address: z.string(),
    address_id: z.string().nullable(),
    zipcode: z.string().nullable(),
    lat: z.number().nullable(),
    long: z.number().nullable(),
    media_url: z.string().nullable(),
  }),
);

/** GET /open311/v2/requests.json: what it reads (parsed by the domain, which answers Open311 errors). */
export const open311RequestsQuery = z.object({
  service_request_id: z.string().optional().describe('comma-separated case numbers'),
  service_code: z.string().optional().describe('comma-separated category codes'),
  status: z.string().optional().describe('open, closed, or both comma-separated'),
  start_date: z.string().optional().describe('ISO 8601 date-time'),
  end_date: z.string().optional().describe('ISO 8601 date-time'),
});

const feature = <P extends z.ZodType>(properties: P) => z.object({ type: z.literal('Feature'), properties, geometry: areaGeometrySchema });
const collection = <P extends z.ZodType>(properties: P) => z.object({ type: z.literal('FeatureCollection'), features: z.array(feature(properties)) });

export const districtSchema = z.object({
  townships: collection(z.record(z.string(), z.unknown()).describe('code, name, nameZh')),
  grids: collection(z.record(z.string(), z.unknown()).describe('code, townshipCode, name, officer')),
  places: collection(z.record(z.string(), z.unknown()).describe('id, name, type, townshipCode, gridCode')),
  timezone: z.string().describe("the district's local time (the rules' timezone)"),
  categories: z.array(z.object({ code: z.string(), name: z.string(), nameZh: z.string(), family: z.string(), severity: z.enum(ISSUE_SEVERITIES) })),
  units: z.array(z.object({ code: z.string(), name: z.string(), nameZh: z.string(), townshipCode: z.string().nullable() })),
});
