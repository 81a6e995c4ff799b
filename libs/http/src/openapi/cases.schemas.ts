import { CASE_ACTIONS } from '@app/domain';
import { z } from 'zod';

/** Response schemas of the case endpoints (documentation: ZodResponse checks them against CaseView and co. at compile time). */

const instant = z.string().describe('ISO 8601 instant');
const position = z.object({ lat: z.number(), lng: z.number() });

export const caseLoopViewSchema = z.object({
  review: z.object({ reviewedAt: instant, reviewedBy: z.string().nullable() }).nullable(),
  evidence: z
    .object({ deviceReviewPassed: z.boolean().nullable(), usableForPenalty: z.boolean().nullable(), note: z.string().nullable() })
    .describe('Administrative Penalty Law art. 41: whether the record may be used as penalty evidence, and why not'),
  deadline: z
    .object({
      step: z.string(),
      startedAt: instant.nullable(),
      dueAt: instant,
      state: z.string().nullable(),
      limit: z.record(z.string(), z.unknown()).nullable(),
      escalatedAt: instant.nullable(),
    })
    .nullable()
    .describe('the clock running now (review, handle or verify)'),
  dueAt: instant.nullable().describe('the handling deadline set at dispatch or transfer'),
  dispatchedAt: instant.nullable(),
  acceptedAt: instant.nullable(),
  reportedAt: instant.nullable(),
  closedAt: instant.nullable(),
  rejectedAt: instant.nullable(),
  rejectionReason: z.string().nullable(),
  resultNote: z.string().nullable(),
  afterPhotos: z.array(z.string()),
  counts: z.object({ transitions: z.number().int(), transfers: z.number().int(), sendBacks: z.number().int(), reopens: z.number().int() }),
  partyVerification: z
    .union([z.object({ method: z.literal('plate') }), z.object({ method: z.literal('code'), code: z.string() })])
    .nullable()
    .describe('what the party gives to look the case up'),
});

export const caseViewSchema = z.object({
  id: z.string(),
  caseNumber: z.string(),
  category: z.union([z.object({ code: z.string(), name: z.string(), nameZh: z.string(), severity: z.string() }), z.object({ code: z.string() })]),
  status: z.string(),
  severity: z.string(),
  townshipCode: z.string().nullable(),
  gridCode: z.string().nullable(),
  placeId: z.string().nullable(),
  handlingUnit: z.string().nullable(),
  heldReason: z.string().nullable(),
  officer: z.object({ id: z.string(), name: z.string() }).nullable(),
  deviceId: z.string(),
  location: position.nullable(),
  firstSeenAt: instant,
  lastSeenAt: instant,
  occurrenceCount: z.number().int(),
  latestEventId: z.string(),
  rule: z.object({
    id: z.string(),
    version: z.number().int(),
    ruleSetSha256: z.string().nullable().describe('SHA-256 of the rules text that opened the case (null: opened before texts were pinned)'),
  }),
  explanation: z.record(z.string(), z.unknown()),
  origin: z.string(),
  createdAt: instant,
  updatedAt: instant,
  loop: caseLoopViewSchema.optional(),
  deadlineState: z.enum(['on-track', 'due-soon', 'overdue']).nullable().optional().describe('where the running step clock stands now'),
  allowedActions: z.array(z.enum(CASE_ACTIONS)).optional().describe('the transitions the asking user may make now'),
});

export const caseListSchema = z.object({
  items: z.array(caseViewSchema),
  total: z.number().int().describe('the exact number of cases matching the filter'),
  summary: z
    .object({ open: z.number().int(), awaitingReview: z.number().int(), overdue: z.number().int(), dueSoon: z.number().int() })
    .describe('open cases of the scope (and the category / township / team / source / q filters), whatever the status and deadline filters'),
});

export const transitionViewSchema = z.object({
  seq: z.number().int(),
  action: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  at: instant,
  actor: z.object({ id: z.string(), role: z.string() }),
  reason: z.string().nullable(),
  note: z.string().nullable(),
  fromUnit: z.string().nullable(),
  toUnit: z.string().nullable(),
  photos: z.array(z.string()),
  details: z.record(z.string(), z.unknown()),
  auditSeq: z.number().int(),
});

export const transitionResultSchema = z.object({ case: caseViewSchema, transition: transitionViewSchema });

export const timelineSchema = z.object({
  caseId: z.string(),
  caseNumber: z.string(),
  items: z.array(
    z.object({
      type: z.enum(['transition', 'statement']),
      at: instant,
      transition: transitionViewSchema.extend({ actorName: z.string().nullable() }).optional(),
      statement: z.object({ id: z.string(), statement: z.string(), contact: z.string().nullable(), sha256: z.string(), auditSeq: z.number().int() }).optional(),
    }),
  ),
});

const evidenceItemSchema = z.object({
  key: z.string(),
  kind: z.enum(['image', 'event', 'video', 'file', 'reference']),
  status: z.enum(['present', 'pending', 'missing']),
  sha256: z.string().nullable(),
  capturedAt: instant.nullable(),
  eventId: z.string().nullable(),
  deviceId: z.string().nullable(),
  origin: z.string().optional(),
  role: z.enum(['first', 'sample', 'last', 'occurrence', 'after-photo']).optional(),
  detail: z.string().optional(),
  url: z.string().optional().describe('images: the original bytes, hash-checked before they are served'),
  previewUrl: z.string().optional(),
  thumbUrl: z.string().optional(),
  quality: z.object({ verdict: z.string(), reasons: z.array(z.string()) }).optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  bytes: z.number().int().nullable(),
  uri: z.string().nullable().describe('a key under the media root (local) or the reference the source gave'),
  local: z.boolean(),
  deviceReview: z.enum(['passed', 'not-passed']).nullable(),
  positionSource: z.enum(['event', 'device', 'none']).optional(),
  usableAsPenaltyEvidence: z.boolean().nullable(),
  sealed: z.object({ at: instant, auditSeq: z.number().int() }).nullable(),
});

const dwellEndSchema = z.object({ eventId: z.string(), at: instant, image: evidenceItemSchema.nullable() });

export const evidenceViewSchema = z.object({
  caseId: z.string(),
  caseNumber: z.string(),
  completeness: z.object({
    complete: z.boolean(),
    pictures: z.object({ present: z.number().int(), pending: z.number().int(), missing: z.number().int() }),
    quality: z.enum(['ok', 'doubtful']).nullable(),
    deviceReview: z.enum(['passed', 'not-passed']),
    positionSource: z.enum(['event', 'device', 'none', 'mixed']),
    problems: z.array(z.string()),
  }),
  dwell: z.object({ seconds: z.number(), first: dwellEndSchema, last: dwellEndSchema, sample: z.array(dwellEndSchema) }).nullable(),
  items: z.array(evidenceItemSchema),
});

/** The `data` of one `alert` event on the alerts stream. */
export const liveAlertSchema = z.union([
  z.object({
    type: z.enum(['case.opened', 'case.updated', 'case.due-soon', 'case.overdue']),
    case: caseViewSchema,
    deadline: z.object({ step: z.string(), dueAt: instant, escalatedTo: z.string().optional() }).optional(),
  }),
  z.object({
    type: z.enum(['ingest.stalled', 'ingest.recovered']),
    ingest: z.object({ transport: z.string(), reason: z.string().optional(), waiting: z.number().int(), lastCommitAt: instant.optional() }),
  }),
  z.object({
    type: z.enum(['device.offline', 'device.back']),
    device: z.object({
      id: z.string(),
      kind: z.string(),
      name: z.string(),
      townshipCode: z.string().nullable(),
      lastSeenAt: instant,
      offlineAfterSeconds: z.number().int().optional().describe('device.offline: the threshold it passed'),
      silentSeconds: z.number().int().optional().describe('device.back: how long it was silent'),
    }),
  }),
  z.object({
    type: z.literal('case.follow-up').describe("督办 (supervise) or 催办 (urge) on a case in a unit's hands"),
    case: caseViewSchema,
    followUp: z.object({
      id: z.string(),
      kind: z.enum(['supervise', 'urge']),
      note: z.string().describe('at most 500 characters here; GET /cases/{id}/follow-ups has it whole'),
      by: z.object({ id: z.string(), name: z.string(), role: z.string() }),
      at: instant,
      auditSeq: z.number().int(),
    }),
  }),
  z.object({
    type: z.literal('case.assigned').describe('a case claimed or assigned at the centre'),
    case: caseViewSchema,
    assignee: z.object({ id: z.string(), byId: z.string(), at: instant }).nullable(),
  }),
  z.object({
    type: z.literal('alert.acknowledged').describe('a critical alert acknowledged at the centre: it leaves every queue'),
    ack: z.object({ caseId: z.string(), caseNumber: z.string(), byId: z.string(), at: instant }),
  }),
]);
