import { FOLLOW_UP_KINDS } from '@app/core';
import { z } from 'zod';

/** POST /cases/{id}/follow-ups: 督办 (supervise) or 催办 (urge), with what the team is to do. NUL cannot be stored. */
export const followUpBody = z
  .object({
    kind: z.enum(FOLLOW_UP_KINDS),
    note: z
      .string()
      .max(2000)
      .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
      .refine((s) => s.trim().length > 0, 'say what the team is to do'),
  })
  .strict();
export type FollowUpBody = z.infer<typeof followUpBody>;

/** PUT /cases/{id}/assignee: an operator or supervisor, or null for nobody. */
export const assigneeBody = z.object({ userId: z.uuid().nullable() }).strict();
export type AssigneeBody = z.infer<typeof assigneeBody>;
