import { z } from 'zod';
import { type ConfigParseResult, toConfigIssues } from './config-issues';
import type { WorkingCalendar } from './working-calendar';
import { addWorkingTime } from './working-time';

/**
 * Time limits per issue category and loop step (config/calendar/deadlines.yaml). Category codes are the
 * ones of the rule set (config/<district>/rules.yaml); a category without its own limit for a step uses
 * `default`, and the resolved limit says which one applied, so a deadline can be explained.
 */

export const DEADLINE_UNITS = ['working-hours', 'working-days', 'calendar-hours'] as const;
export type DeadlineUnit = (typeof DEADLINE_UNITS)[number];

/**
 * Where each step's clock starts and what stops it:
 * - review: detection (case opened as `detected`) → a human registers or rejects it (Art. 41 review);
 * - handle: dispatch → report-back (the handling unit's time limit; 处置时限);
 * - verify: report-back → verify-close (核查时限).
 */
export const DEADLINE_STEPS = ['review', 'handle', 'verify'] as const;
export type DeadlineStep = (typeof DEADLINE_STEPS)[number];

const codeSchema = z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes');

/** Where the statement window comes from when the district's deadlines file does not say. */
export const DEFAULT_STATEMENT_BASIS = '《中华人民共和国行政处罚法》第四十四条、第四十五条';

export const deadlineLimitSchema = z
  .object({
    amount: z.number().positive(),
    unit: z.enum(DEADLINE_UNITS),
    /** The rule or document this limit comes from, shown with the deadline. */
    basis: z.string().min(1).optional(),
  })
  .strict()
  .refine((l) => l.unit !== 'working-days' || Number.isInteger(l.amount), {
    message: 'working days must be a whole number',
    path: ['amount'],
  });

const categoryLimitsSchema = z
  .object({
    review: deadlineLimitSchema.optional(),
    handle: deadlineLimitSchema.optional(),
    verify: deadlineLimitSchema.optional(),
    /**
     * Intermediate targets inside the handle step, all measured from dispatch (e.g. illegal construction:
     * stop works 4 working hours, penalty decision 7 working days, demolition 20 working days).
     */
    milestones: z.record(codeSchema, deadlineLimitSchema).optional(),
  })
  .strict();

export const deadlinePolicySchema = z
  .object({
    version: z.number().int().positive(),
    default: z.object({ review: deadlineLimitSchema, handle: deadlineLimitSchema, verify: deadlineLimitSchema }).strict(),
    categories: z.record(codeSchema, categoryLimitsSchema).default({}),
    /**
     * The party's time to state and defend (陈述申辩), counted from the notice's delivery (Administrative Penalty
     * Law art. 44, 45). Working days are usual; three is a common local rule.
     */
    party: z
      .object({ statement: deadlineLimitSchema })
      .strict()
      .default({ statement: { amount: 3, unit: 'working-days', basis: DEFAULT_STATEMENT_BASIS } }),
  })
  .strict();

export type DeadlineLimit = z.output<typeof deadlineLimitSchema>;
export type DeadlinePolicy = z.output<typeof deadlinePolicySchema>;

export interface ResolvedDeadline extends DeadlineLimit {
  categoryCode: string;
  step: DeadlineStep;
  /** Whether the category's own limit or the policy default applied. */
  source: 'category' | 'default';
}

export interface ResolvedMilestone extends DeadlineLimit {
  code: string;
}

/**
 * Validate a parsed deadlines document. Pass the rule set's category codes to catch a misspelt
 * category, which would otherwise silently fall back to the default limit.
 */
export function parseDeadlinePolicy(data: unknown, options: { categoryCodes?: readonly string[] } = {}): ConfigParseResult<DeadlinePolicy> {
  const r = deadlinePolicySchema.safeParse(data);
  if (!r.success) return { ok: false, errors: toConfigIssues(r.error) };
  const problems = options.categoryCodes ? unknownDeadlineCategories(r.data, options.categoryCodes) : [];
  if (problems.length > 0) return { ok: false, errors: problems.map((p) => ({ path: p.path.join('.'), message: p.message })) };
  return { ok: true, value: r.data };
}

/**
 * Categories the rule set does not know. Shaped like classification's ConfigProblem, so it can be the
 * `check` of parseConfigText(text, file, deadlinePolicySchema, (p) => unknownDeadlineCategories(p, codes)).
 */
export function unknownDeadlineCategories(
  policy: DeadlinePolicy,
  categoryCodes: readonly string[],
): Array<{ path: [string, string]; message: string; at: 'key' }> {
  const known = new Set(categoryCodes);
  return Object.keys(policy.categories)
    .filter((code) => !known.has(code))
    .map((code) => ({ path: ['categories', code], message: `unknown category "${code}"`, at: 'key' }));
}

export function resolveDeadline(policy: DeadlinePolicy, categoryCode: string, step: DeadlineStep): ResolvedDeadline {
  // Own-property lookup: a category code such as "constructor" must not reach Object.prototype.
  const own = Object.prototype.hasOwnProperty.call(policy.categories, categoryCode) ? policy.categories[categoryCode][step] : undefined;
  if (own) return { ...own, categoryCode, step, source: 'category' };
  return { ...policy.default[step], categoryCode, step, source: 'default' };
}

export function resolveMilestones(policy: DeadlinePolicy, categoryCode: string): ResolvedMilestone[] {
  if (!Object.prototype.hasOwnProperty.call(policy.categories, categoryCode)) return [];
  const milestones = policy.categories[categoryCode].milestones ?? {};
  return Object.entries(milestones).map(([code, limit]) => ({ ...limit, code }));
}

/** The due instant of a limit whose clock starts at `start`. */
export function computeDueAt(start: Date, limit: Pick<DeadlineLimit, 'amount' | 'unit'>, cal: WorkingCalendar): Date {
  switch (limit.unit) {
    case 'working-hours':
      return addWorkingTime(start, { hours: limit.amount }, cal);
    case 'working-days':
      return addWorkingTime(start, { days: limit.amount }, cal);
    case 'calendar-hours':
      // Emergencies (fire, blocked fire lanes) run on the wall clock, nights and holidays included.
      return new Date(start.getTime() + Math.round(limit.amount * 3_600_000));
  }
}
