import { z } from 'zod';

/**
 * Rules are data (config/<district>/rules.yaml), validated at start. This is the schema of that file.
 * A rule maps detections to an issue category; the category decides grouping and routing.
 */
export const categorySchema = z
  .object({
    code: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes'),
    name: z.string().min(1),
    nameZh: z.string().min(1),
    family: z.string().min(1),
    severity: z.enum(['low', 'medium', 'high', 'critical']),
  })
  .strict();

export const ruleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes'),
    category: z.string().min(1),
    labels: z.array(z.string().min(1)).min(1),
    minConfidence: z.number().min(0).max(1),
    /** Only these device kinds / sources, when given. */
    sources: z.array(z.string()).optional(),
  })
  .strict();

export const ruleSetSchema = z
  .object({
    version: z.number().int().positive(),
    categories: z.array(categorySchema).min(1),
    rules: z.array(ruleSchema),
  })
  .strict()
  .superRefine((set, ctx) => {
    const codes = new Set(set.categories.map((c) => c.code));
    set.rules.forEach((r, i) => {
      if (!codes.has(r.category)) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'category'], message: `unknown category "${r.category}"` });
      }
    });
  });

export type Category = z.infer<typeof categorySchema>;
export type Rule = z.infer<typeof ruleSchema>;
export type RuleSet = z.infer<typeof ruleSetSchema>;
