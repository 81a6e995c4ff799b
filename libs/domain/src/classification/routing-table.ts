import { z } from 'zod';
import { ConfigProblem, duplicateProblems, parseConfigText } from './config-source.parser';

/**
 * The published responsibility list (职责边界清单) as data: category × place type → handling unit.
 * Township teams exist once per township (`township-team:<townshipCode>`); departments are district-wide.
 * A case nobody owns is never dropped: it is held for an operator with the reason.
 */

const code = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'lower-case letters, digits and dashes');
const codeOrAny = z.union([z.literal('*'), code]);

export const routingUnitSchema = z
  .object({
    code,
    name: z.string().min(1),
    nameZh: z.string().min(1).optional(),
    /** One team per township: the routed unit is `<code>:<townshipCode>`. */
    perTownship: z.boolean().default(false),
  })
  .strict();

export const responsibilitySchema = z
  .object({
    category: codeOrAny,
    /** The type of the place the case is about; `*` = anywhere (also where no place is known). */
    placeType: codeOrAny,
    unit: code,
    note: z.string().optional(),
  })
  .strict();

export const routingTableSchema = z
  .object({
    version: z.number().int().positive(),
    units: z.array(routingUnitSchema).min(1),
    responsibilities: z.array(responsibilitySchema).min(1),
  })
  .strict()
  .superRefine((t, ctx) => {
    const units = new Set(t.units.map((u) => u.code));
    t.responsibilities.forEach((r, i) => {
      if (!units.has(r.unit)) ctx.addIssue({ code: 'custom', path: ['responsibilities', i, 'unit'], message: `unknown unit "${r.unit}"` });
    });
  });

export type RoutingUnit = z.infer<typeof routingUnitSchema>;
export type Responsibility = z.infer<typeof responsibilitySchema>;
export type RoutingTable = z.infer<typeof routingTableSchema>;

/**
 * - `outside-every-township`: the case has a position, outside every township boundary;
 * - `no-position`: the case has no position at all (a drone photo without GPS, nothing placing it) — an
 *   operator must place it by hand;
 * - `no-unit-owns-category`: no responsibility entry covers it.
 */
export const HELD_REASONS = ['outside-every-township', 'no-position', 'no-unit-owns-category'] as const;
export type HeldReason = (typeof HELD_REASONS)[number];

export type RouteDecision = { held: false; unit: string; unitName: string; reason: string } | { held: true; reason: HeldReason; detail: string };

export interface RoutingReferences {
  categories?: ReadonlySet<string>;
  placeTypes?: ReadonlySet<string>;
}

function routingProblems(t: RoutingTable, refs: RoutingReferences | undefined): ConfigProblem[] {
  const problems = [
    ...duplicateProblems(
      t.units,
      (u) => u.code,
      (i) => ['units', i, 'code'],
      'unit',
    ),
    ...duplicateProblems(
      t.responsibilities,
      (r) => `${r.category} × ${r.placeType}`,
      (i) => ['responsibilities', i],
      'responsibility',
    ),
  ];
  t.responsibilities.forEach((r, i) => {
    if (r.category !== '*' && refs?.categories && !refs.categories.has(r.category)) {
      problems.push({ path: ['responsibilities', i, 'category'], message: `unknown category "${r.category}"` });
    }
    if (r.placeType !== '*' && refs?.placeTypes && !refs.placeTypes.has(r.placeType)) {
      problems.push({ path: ['responsibilities', i, 'placeType'], message: `no place has type "${r.placeType}"` });
    }
  });
  return problems;
}

/** Parses routing.yaml with line-precise errors; `refs` adds checks against rules.yaml and places.geojson. */
export function parseRoutingYaml(
  text: string,
  fileName: string,
  refs?: RoutingReferences,
): { ok: true; routing: RoutingTable } | { ok: false; errors: string[] } {
  const r = parseConfigText(text, fileName, routingTableSchema, (t) => routingProblems(t, refs));
  return r.ok ? { ok: true, routing: r.value } : r;
}

/** Categories of a rule set no responsibility entry covers: their cases will be held. Worth a start-up warning. */
export function unownedCategories(routing: RoutingTable, categoryCodes: readonly string[]): string[] {
  if (routing.responsibilities.some((r) => r.category === '*')) return [];
  const owned = new Set(routing.responsibilities.map((r) => r.category));
  return categoryCodes.filter((c) => !owned.has(c));
}

export interface RouteInput {
  townshipCode?: string;
  /** Types of the places the case is about, the identity's place first. */
  placeTypes: readonly string[];
  /** The event has no position at all and nothing (no camera zone) places it: held as `no-position`. */
  noPosition?: boolean;
}

/**
 * Most specific entry wins: exact category and place type (in `placeTypes` order), then the category
 * anywhere (`*`), then `*` categories. Without a township the case is held: a point outside every
 * township may be outside the district altogether, and a township team cannot be chosen; without any
 * position (`noPosition`) it is held for an operator to place it by hand.
 */
export function routeIssue(routing: RoutingTable, categoryCode: string, where: RouteInput): RouteDecision {
  // Pure in its inputs and asked for every detection: remembered per routing table (a reload brings a new one).
  let known = decided.get(routing);
  if (!known) decided.set(routing, (known = new Map<string, RouteDecision>()));
  const key = `${categoryCode}\u0000${where.townshipCode ?? ''}\u0000${where.noPosition === true ? 'x' : ''}\u0000${where.placeTypes.join('\u0001')}`;
  const hit = known.get(key);
  if (hit) return hit;
  const decision = Object.freeze(decide(routing, categoryCode, where));
  if (known.size >= 10_000) known.clear();
  known.set(key, decision);
  return decision;
}

const decided = new WeakMap<RoutingTable, Map<string, RouteDecision>>();

function decide(routing: RoutingTable, categoryCode: string, where: RouteInput): RouteDecision {
  if (where.townshipCode === undefined) {
    if (where.noPosition === true)
      return {
        held: true,
        reason: 'no-position',
        detail: 'the photo has no position (no GPS) and nothing else places it (no device position, no mapped camera zone); place it by hand',
      };
    return { held: true, reason: 'outside-every-township', detail: 'the location is outside every township boundary' };
  }
  const find = (category: string, placeType: string): Responsibility | undefined =>
    routing.responsibilities.find((r) => r.category === category && r.placeType === placeType);
  let entry: Responsibility | undefined;
  for (const category of [categoryCode, '*']) {
    for (const placeType of [...where.placeTypes, '*']) {
      entry ??= find(category, placeType);
    }
  }
  if (!entry) {
    return { held: true, reason: 'no-unit-owns-category', detail: `no responsibility entry for category "${categoryCode}"` };
  }
  const unit = routing.units.find((u) => u.code === entry.unit);
  if (!unit) return { held: true, reason: 'no-unit-owns-category', detail: `unit "${entry.unit}" is not listed` };
  const unitCode = unit.perTownship ? `${unit.code}:${where.townshipCode}` : unit.code;
  return {
    held: false,
    unit: unitCode,
    unitName: unit.name,
    reason: `${entry.category} × ${entry.placeType} → ${unit.code} (routing v${routing.version})`,
  };
}
