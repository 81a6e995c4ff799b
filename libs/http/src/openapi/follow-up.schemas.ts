import { z } from 'zod';
import { caseViewSchema } from './cases.schemas';

/** Response schemas of the follow-up endpoints (issue 18). */

const instant = z.string().describe('ISO 8601 instant');
const person = z.object({ id: z.string(), name: z.string().nullable(), role: z.string().nullable() });

export const assigneeSchema = z.object({ user: person, assignedBy: person, assignedAt: instant, auditSeq: z.number().int() });

export const followUpSchema = z.object({
  id: z.string(),
  caseId: z.string(),
  caseNumber: z.string(),
  kind: z.enum(['supervise', 'urge']).describe('supervise: 督办 (a supervisor); urge: 催办'),
  note: z.string(),
  by: person,
  at: instant,
  handlingUnit: z.string().nullable().describe('the unit that held the case, to which it is addressed'),
  auditSeq: z.number().int(),
  seen: z.object({ at: instant, by: person }).nullable().describe('when the handling team marked it seen'),
});

export const caseFollowUpsSchema = z.object({
  caseId: z.string(),
  caseNumber: z.string(),
  assignee: assigneeSchema.nullable().describe('whose desk at the centre the case is on'),
  items: z.array(followUpSchema),
});

export const followUpListSchema = z.object({ items: z.array(followUpSchema) });

export const assignableSchema = z.object({
  items: z.array(z.object({ id: z.string(), username: z.string(), displayName: z.string(), role: z.string() })),
});

export const criticalQueueSchema = z.object({
  total: z.number().int().describe('how many are unacknowledged in all (at most 100 listed)'),
  items: z.array(caseViewSchema),
});

export const acknowledgementSchema = z.object({ caseId: z.string(), caseNumber: z.string(), by: person, at: instant });
