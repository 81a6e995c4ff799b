import { z } from 'zod';
import { DEVICE_KINDS, EVENT_SOURCES } from '../event/canonical-event';

/**
 * Rules are data (config/<district>/rules.yaml), validated at start and on every reload.
 * This is the schema of that file. A rule maps detections to an issue category; the category decides
 * severity, grouping and (with routing.yaml) the handling unit. Policy around the rules (silences,
 * do-not-disturb, inhibition) lives in the same file so one version number explains a decision.
 */

const code = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'lower-case letters, digits and dashes');
const placeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash or underscore');
const text = z.string().min(1);
const isoTime = z.iso.datetime({ offset: true, error: 'an ISO 8601 time with offset, e.g. 2026-11-01T00:00:00+08:00' });

export const ISSUE_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type IssueSeverity = (typeof ISSUE_SEVERITIES)[number];
export const severityRank = (s: IssueSeverity): number => ISSUE_SEVERITIES.indexOf(s);

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** `HH:MM` local time; `24:00` only makes sense as an end. */
const clock = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM between 00:00 and 24:00');

export const categorySchema = z
  .object({
    code,
    name: text,
    nameZh: text,
    family: text,
    severity: z.enum(ISSUE_SEVERITIES),
    /**
     * Put the licence plate into the grouping identity (two cars in one place => two cases).
     * Off by default: most categories are about a place, not an object.
     */
    identityIncludesPlate: z.boolean().default(false),
    /** The provisions a violation of this category breaks, printed on the party's notice (告知书). */
    legalBasis: text.optional(),
    /**
     * A report-back needs at least one after-photo stored with the case (an uploaded report photo, sealed with its
     * SHA-256; a URL alone does not count): for violations whose removal the verifier judges by the site's picture.
     */
    reportBackRequiresPhoto: z.boolean().default(false),
  })
  .strict();

/**
 * A local-time window. `from` > `to` wraps past midnight (22:00–06:00); `days` are the days the window
 * starts on. With `places` / `placeTypes` the window only counts where the detection is in such a place.
 */
export const ruleTimeWindowSchema = z
  .object({
    from: clock,
    to: clock,
    days: z.array(z.enum(WEEKDAYS)).min(1).optional(),
    places: z.array(placeId).min(1).optional(),
    placeTypes: z.array(code).min(1).optional(),
    note: z.string().optional(),
  })
  .strict()
  .refine((w) => w.from !== w.to, { path: ['to'], message: 'an empty window: from equals to' });

export const dwellSchema = z
  .object({
    /** Minutes the object must stay (stationary) before the rule fires, measured in source time. */
    minutes: z.number().positive().max(1440),
    /** Count only the time the object is stationary (a moving car resets the clock). */
    requireStationary: z.boolean().default(true),
  })
  .strict();

export const exemptionSchema = z
  .object({
    places: z.array(placeId).min(1).optional(),
    placeTypes: z.array(code).min(1).optional(),
    /** Allowed stay in minutes (loading bays); absent = always exempt there. */
    graceMinutes: z.number().min(0).max(1440).optional(),
    reason: text,
  })
  .strict()
  .refine((e) => e.places !== undefined || e.placeTypes !== undefined, { message: 'an exemption needs places or placeTypes' });

export const ruleSchema = z
  .object({
    id: code,
    category: z.string().min(1),
    description: z.string().optional(),
    labels: z.array(z.string().min(1)).min(1),
    minConfidence: z.number().min(0).max(1),
    /** Only these event sources or device kinds, when given. */
    sources: z
      .array(z.enum([...EVENT_SOURCES, ...DEVICE_KINDS]))
      .min(1)
      .optional(),
    /** Overrides the category's severity for this rule. */
    severity: z.enum(ISSUE_SEVERITIES).optional(),
    /** Only inside these places / place types (either list matches), when given. */
    places: z.array(placeId).min(1).optional(),
    placeTypes: z.array(code).min(1).optional(),
    dwell: dwellSchema.optional(),
    timeWindows: z
      .object({
        /** The rule only applies inside one of these windows. */
        active: z.array(ruleTimeWindowSchema).min(1).optional(),
        /** The activity is allowed inside these windows (night market 18:00–22:00): suppressed, recorded. */
        allowed: z.array(ruleTimeWindowSchema).min(1).optional(),
      })
      .strict()
      .optional(),
    exemptions: z.array(exemptionSchema).min(1).optional(),
  })
  .strict();

/** Permitted works and the like: matching detections are suppressed between `from` and `to` (event time). */
export const silenceSchema = z
  .object({
    id: code,
    from: isoTime,
    to: isoTime,
    reason: text,
    /** Permit number or document that justifies it. */
    reference: z.string().optional(),
    categories: z.array(z.string().min(1)).min(1).optional(),
    places: z.array(placeId).min(1).optional(),
    placeTypes: z.array(code).min(1).optional(),
    gridCodes: z.array(z.string().min(1)).min(1).optional(),
    townshipCodes: z.array(z.string().min(1)).min(1).optional(),
    deviceIds: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict()
  .refine((s) => Date.parse(s.from) < Date.parse(s.to), { path: ['to'], message: 'must be after from' })
  .refine((s) => Boolean(s.places ?? s.placeTypes ?? s.gridCodes ?? s.townshipCodes ?? s.deviceIds), {
    message: 'a silence needs a scope: places, placeTypes, gridCodes, townshipCodes or deviceIds',
  });

export const doNotDisturbEntrySchema = z
  .object({
    businessId: z.string().min(1).optional(),
    placeId: placeId.optional(),
    name: text,
    reason: z.string().optional(),
    reference: z.string().optional(),
  })
  .strict()
  .refine((e) => (e.businessId === undefined) !== (e.placeId === undefined), { message: 'give exactly one of businessId or placeId' });

/** 无事不扰: no case for a listed business / place's minor first issue. */
export const doNotDisturbSchema = z
  .object({
    /** "First" = no earlier case for the business / place within this many days. */
    windowDays: z.number().int().min(1).max(3650).default(365),
    /** Issues up to this severity count as minor. */
    maxSeverity: z.enum(ISSUE_SEVERITIES).default('medium'),
    entries: z.array(doNotDisturbEntrySchema),
  })
  .strict();

/** A major incident (fire) suppresses minor detections at the same place / grid / township for a while. */
export const inhibitionSchema = z
  .object({
    id: code,
    sourceCategories: z.array(z.string().min(1)).min(1),
    /** Only these target categories; otherwise every category up to `targetMaxSeverity`. */
    targetCategories: z.array(z.string().min(1)).min(1).optional(),
    targetMaxSeverity: z.enum(ISSUE_SEVERITIES).default('medium'),
    scope: z.enum(['place', 'grid', 'township']),
    minutes: z
      .number()
      .positive()
      .max(7 * 24 * 60),
  })
  .strict();

export const trackingSchema = z
  .object({
    /**
     * An observation older than the track's latest one by at most this is still applied (conservatively);
     * older ones are ignored for dwell and reported as `late-event`.
     */
    lateToleranceSeconds: z.number().int().min(0).max(3600).default(120),
    /** A track silent for longer than this restarts (Frigate re-publishes stationary objects every minute). */
    maxGapSeconds: z.number().int().min(1).max(86400).default(300),
    /** Without a `stationary` flag, boxes overlapping at least this much (IoU) count as not moved. */
    stationaryIou: z.number().min(0).max(1).default(0.8),
  })
  .strict();

export const ruleSetSchema = z
  .object({
    version: z.number().int().positive(),
    /** Fixed UTC offset for local-time windows (China has no DST). */
    timezone: z
      .string()
      .regex(/^[+-](?:[01]\d|2[0-3]):[0-5]\d$/, 'a UTC offset like +08:00')
      .default('+08:00'),
    tracking: trackingSchema.prefault({}),
    categories: z.array(categorySchema).min(1),
    rules: z.array(ruleSchema),
    silences: z.array(silenceSchema).default([]),
    doNotDisturb: doNotDisturbSchema.prefault({ entries: [] }),
    inhibitions: z.array(inhibitionSchema).default([]),
  })
  .strict()
  .superRefine((set, ctx) => {
    const codes = new Set<string>();
    set.categories.forEach((c, i) => {
      if (codes.has(c.code)) ctx.addIssue({ code: 'custom', path: ['categories', i, 'code'], message: `duplicate category "${c.code}"` });
      codes.add(c.code);
    });
    const unknown = (path: (string | number)[], category: string): void => {
      if (!codes.has(category)) ctx.addIssue({ code: 'custom', path, message: `unknown category "${category}"` });
    };
    const ruleIds = new Set<string>();
    set.rules.forEach((r, i) => {
      unknown(['rules', i, 'category'], r.category);
      if (ruleIds.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${r.id}"` });
      ruleIds.add(r.id);
    });
    const silenceIds = new Set<string>();
    set.silences.forEach((s, i) => {
      s.categories?.forEach((c, j) => unknown(['silences', i, 'categories', j], c));
      if (silenceIds.has(s.id)) ctx.addIssue({ code: 'custom', path: ['silences', i, 'id'], message: `duplicate silence id "${s.id}"` });
      silenceIds.add(s.id);
    });
    const inhibitionIds = new Set<string>();
    set.inhibitions.forEach((inh, i) => {
      inh.sourceCategories.forEach((c, j) => unknown(['inhibitions', i, 'sourceCategories', j], c));
      inh.targetCategories?.forEach((c, j) => {
        unknown(['inhibitions', i, 'targetCategories', j], c);
        if (inh.sourceCategories.includes(c)) {
          ctx.addIssue({ code: 'custom', path: ['inhibitions', i, 'targetCategories', j], message: `"${c}" cannot inhibit itself` });
        }
      });
      if (inhibitionIds.has(inh.id)) ctx.addIssue({ code: 'custom', path: ['inhibitions', i, 'id'], message: `duplicate inhibition id "${inh.id}"` });
      inhibitionIds.add(inh.id);
    });
  });

export type Category = z.infer<typeof categorySchema>;
export type Rule = z.infer<typeof ruleSchema>;
export type RuleTimeWindow = z.infer<typeof ruleTimeWindowSchema>;
export type RuleExemption = z.infer<typeof exemptionSchema>;
export type Silence = z.infer<typeof silenceSchema>;
export type DoNotDisturbEntry = z.infer<typeof doNotDisturbEntrySchema>;
export type Inhibition = z.infer<typeof inhibitionSchema>;
export type TrackingSettings = z.infer<typeof trackingSchema>;
/** A validated rule set, defaults applied. */
export type RuleSet = z.infer<typeof ruleSetSchema>;
/** What a rules file may contain (defaults not yet applied): handy for tests and tools. */
export type RuleSetInput = z.input<typeof ruleSetSchema>;
