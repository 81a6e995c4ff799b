import { z } from 'zod';

/** Response schemas of ingest, photos, dead letters, rules and health. */

const instant = z.string().describe('ISO 8601 instant');
const sha256 = z.string().describe('SHA-256, lower-case hex');

const outcomes = [
  z.object({ status: z.literal('stored'), eventIds: z.array(z.string()) }),
  z.object({ status: z.literal('duplicate') }),
  z.object({ status: z.literal('ignored').describe('understood, but carries nothing to store') }),
  z.object({ status: z.literal('rejected'), reason: z.string(), detail: z.string() }),
] as const;

export const ingestOutcomeSchema = z.union(outcomes);

const hikvisionExtras = {
  pictures: z.object({ kept: z.number().int(), refused: z.array(z.object({ part: z.string(), reason: z.string(), detail: z.string() })) }).optional(),
  ignoredParts: z.array(z.string()).optional().describe('parts that were neither the alarm nor a picture (not kept)'),
};

/** Hikvision: the outcome, what became of the pictures, and the parts that were neither alarm nor picture. */
export const hikvisionAnswerSchema = z.union([
  outcomes[0].extend(hikvisionExtras),
  outcomes[1].extend(hikvisionExtras),
  outcomes[2].extend(hikvisionExtras),
  outcomes[3].extend(hikvisionExtras),
]);

export const deadLetterReplaySchema = z.object({
  replayed: z.number().int().describe('dead letters replayed by this call (each once, ever)'),
  stored: z.number().int(),
  duplicate: z.number().int(),
  ignored: z.number().int(),
  rejected: z.number().int().describe('refused again for another reason: kept again as a new dead letter'),
  remaining: z.number().int().describe('matching dead letters still not replayed (call again to go on)'),
  results: z.array(z.object({ deadLetterId: z.string(), outcome: ingestOutcomeSchema })),
});

export const rulesSchema = z.object({
  active: z.object({ version: z.number().int(), sha256 }),
  history: z.array(z.object({ version: z.number().int(), sha256, loadedAt: instant })).describe('every rules text loaded, newest first (one text per version)'),
  activations: z
    .array(
      z.object({
        version: z.number().int(),
        sha256,
        activatedAt: instant,
        reason: z.enum(['start', 'reload', 'recorded']).describe('recorded: loaded before activations were kept'),
        actor: z.object({ id: z.string(), username: z.string() }).nullable().describe('who reloaded; null for a start'),
      }),
    )
    .describe('every time a rules text was put in force, newest first (the first is in force)'),
});

export const rulesReloadSchema = z.object({ version: z.number().int(), sha256, changed: z.boolean() });

export const healthReportSchema = z.object({
  status: z.enum(['ok', 'degraded', 'unavailable']),
  checks: z.record(z.string(), z.object({ status: z.enum(['up', 'down', 'degraded']), detail: z.string().optional() })),
});

export const photoCheckSchema = z.object({
  stored: z.array(sha256),
  missing: z.array(sha256).describe('upload these'),
  invalid: z.array(z.string()),
});

// A union of objects, not an intersection: each object's schema closes its properties (additionalProperties: false).
const uploadResults = <E extends z.ZodRawShape>(extra: E) =>
  z.union([
    z.object({
      fileName: z.string().optional(),
      status: z.enum(['stored', 'duplicate']),
      sha256,
      flags: z.array(z.string()),
      qualityVerdict: z.string().optional(),
      linkedCallbacks: z.number().int().optional().describe('DJI file_upload_callback events that now have this file as their picture'),
      ...extra,
    }),
    z.object({ fileName: z.string().optional(), status: z.literal('rejected'), reason: z.string(), detail: z.string(), sha256: sha256.optional(), ...extra }),
  ]);

export const flightUploadSchema = z.object({ flightId: z.string(), results: z.array(uploadResults({})) });

export const reportPhotosSchema = z.object({
  caseId: z.string(),
  results: z.array(uploadResults({ key: z.string().optional().describe("the media key to pass in the report-back's photos") })),
});

export const photoSchema = z.object({
  sha256,
  flightId: z.string(),
  uploadedBy: z.string(),
  deviceId: z.string().nullable(),
  fileName: z.string().nullable(),
  bytes: z.string().describe('a decimal integer (bigint)'),
  format: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  originalKey: z.string(),
  thumbKey: z.string(),
  previewKey: z.string(),
  takenAt: instant.nullable(),
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  absoluteAltitude: z.number().nullable(),
  relativeAltitude: z.number().nullable(),
  gimbalYaw: z.number().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  quality: z.record(z.string(), z.unknown()),
  qualityVerdict: z.string(),
  townshipCode: z.string().nullable(),
  gridCode: z.string().nullable(),
  flags: z.array(z.string()),
  createdAt: instant,
});
