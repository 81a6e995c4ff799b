import { z } from 'zod';

/** Response schemas of the case file (案卷) and the party's notice (告知书). */

const instant = z.string().describe('ISO 8601 instant');
const sha256 = z.string().describe('SHA-256, 64 lower-case hex digits');

export const deliverySchema = z.object({
  id: z.string(),
  method: z.string().describe('in-person, post, electronic or notifier'),
  recipient: z.string().nullable(),
  note: z.string().nullable(),
  requestedBy: z.string().describe("the user's id, or system when the notifier sent it on registration"),
  requestedAt: instant,
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: instant.nullable(),
  lastError: z.string().nullable(),
  deliveredAt: instant.nullable(),
  auditSeq: z.number().int().nullable(),
});

export const noticeSchema = z.object({
  caseId: z.string(),
  caseNumber: z.string(),
  noticeNumber: z.string(),
  producedAt: instant,
  producedBy: z.string(),
  contentSha256: sha256.describe("SHA-256 of the notice's content as produced (also in the audit chain)"),
  auditSeq: z.number().int(),
  deliveredAt: instant.nullable().describe('the first delivery: the statement window counts from it'),
  statementDueAt: instant.nullable(),
  statementLimit: z.object({ amount: z.number(), unit: z.string(), basis: z.string().optional() }),
  legalBasis: z.string().nullable(),
  lookupUrl: z.string().describe('the party page with this case filled in (the QR code on the letter)'),
  text: z.string().describe('what the outbound notifier sends'),
  deliveries: z.array(deliverySchema),
  notifier: z.object({ enabled: z.boolean() }),
});

export const deliveryResultSchema = z.object({ delivery: deliverySchema, notice: noticeSchema });

export const dossierVerificationSchema = z.object({
  ok: z.boolean().describe('the print is on record, its audit entry intact and every evidence hash still matches'),
  code: z.string(),
  caseNumber: z.string(),
  printedAt: instant,
  auditEntry: z.object({ seq: z.number().int(), hash: z.string(), intact: z.boolean() }),
  evidenceSha256: sha256.describe('SHA-256 over the printed evidence list'),
  evidence: z.array(z.object({ key: z.string(), sha256, status: z.enum(['matches', 'differs', 'missing']) })),
  given: z.array(z.object({ sha256: z.string(), listed: z.boolean() })).optional(),
});
