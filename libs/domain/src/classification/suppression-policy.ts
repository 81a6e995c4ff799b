import type { Place } from '../geo/jurisdiction.schema';
import type { Jurisdiction } from '../geo/jurisdiction-index';
import type { DetectedIssue } from './detected-issue';
import { DoNotDisturbEntry, Inhibition, RuleSet, Silence, severityRank } from './rule-set';

/**
 * Policies that decide whether an otherwise valid issue becomes (part of) a case, modelled on
 * Alertmanager: inhibition (a major incident mutes minor ones nearby), silences (permitted works),
 * plus the do-not-disturb list (无事不扰). All judged at the detection's source time.
 */

/** A muting in force: produced from a source-category issue, stored by the worker, passed back in. */
export interface ActiveInhibitor {
  inhibitionId: string;
  sourceCategory: string;
  sourceIdentityKey: string;
  scope: Inhibition['scope'];
  placeId?: string;
  gridCode?: string;
  townshipCode?: string;
  /** Source time of the inhibiting detection. */
  from: Date;
  until: Date;
}

/** The inhibitors an issue starts (one per inhibition it is a source of and whose scope it can name). */
export function inhibitorsFromIssue(issue: DetectedIssue, ruleSet: RuleSet): ActiveInhibitor[] {
  const out: ActiveInhibitor[] = [];
  for (const inh of ruleSet.inhibitions) {
    if (!inh.sourceCategories.includes(issue.categoryCode)) continue;
    const where = scopeOf(inh.scope, issue);
    // A fire with no known place cannot mute "the same place": it mutes nothing at that scope.
    if (!where) continue;
    out.push({
      inhibitionId: inh.id,
      sourceCategory: issue.categoryCode,
      sourceIdentityKey: issue.identityKey,
      scope: inh.scope,
      ...where,
      from: issue.occurredAt,
      until: new Date(issue.occurredAt.getTime() + inh.minutes * 60_000),
    });
  }
  return out;
}

function scopeOf(scope: Inhibition['scope'], issue: Pick<DetectedIssue, 'placeId' | 'gridCode' | 'townshipCode'>): Partial<ActiveInhibitor> | undefined {
  switch (scope) {
    case 'place':
      return issue.placeId !== undefined ? { placeId: issue.placeId } : undefined;
    case 'grid':
      return issue.gridCode !== undefined ? { gridCode: issue.gridCode } : undefined;
    case 'township':
      return issue.townshipCode !== undefined ? { townshipCode: issue.townshipCode } : undefined;
  }
}

/**
 * The inhibitor muting `issue`, if any. The inhibition's target filter is read from the CURRENT rule set
 * (an inhibitor whose inhibition was removed by a reload mutes nothing); its place and time come from the
 * inhibitor. `placeIds` are all places of the detection (a fire in the street mutes the loading bay in it).
 */
export function findInhibitor(
  issue: InhibitableIssue,
  placeIds: readonly string[],
  inhibitors: readonly ActiveInhibitor[],
  ruleSet: RuleSet,
): ActiveInhibitor | undefined {
  if (inhibitors.length === 0) return undefined;
  // Asked for every detection against every inhibitor in force (a burst of smoke leaves many): no closure or
  // lookup allocated per pair.
  const inhibitions = inhibitionsById(ruleSet);
  const at = issue.occurredAt.getTime();
  const rank = severityRank(issue.severity);
  let best: ActiveInhibitor | undefined;
  for (const a of inhibitors) {
    const inh = inhibitions.get(a.inhibitionId);
    if (!inh || inh.sourceCategories.includes(issue.categoryCode)) continue;
    const targeted = inh.targetCategories ? inh.targetCategories.includes(issue.categoryCode) : rank <= severityRank(inh.targetMaxSeverity);
    if (!targeted || at < a.from.getTime() || at > a.until.getTime()) continue;
    if (!inScope(a, issue, placeIds)) continue;
    if (!best || earlierSource(a, best)) best = a;
  }
  return best;
}

function inScope(a: ActiveInhibitor, issue: InhibitableIssue, placeIds: readonly string[]): boolean {
  switch (a.scope) {
    case 'place':
      return a.placeId !== undefined && placeIds.includes(a.placeId);
    case 'grid':
      return a.gridCode !== undefined && a.gridCode === issue.gridCode;
    case 'township':
      return a.townshipCode !== undefined && a.townshipCode === issue.townshipCode;
  }
}

// Rule sets are immutable values (a reload brings a new one): their inhibitions by id, once.
const inhibitionIndex = new WeakMap<RuleSet, ReadonlyMap<string, Inhibition>>();
function inhibitionsById(ruleSet: RuleSet): ReadonlyMap<string, Inhibition> {
  let index = inhibitionIndex.get(ruleSet);
  if (!index) {
    // The first of an id wins, as `find` did.
    const byId = new Map<string, Inhibition>();
    for (const i of ruleSet.inhibitions) if (!byId.has(i.id)) byId.set(i.id, i);
    inhibitionIndex.set(ruleSet, (index = byId));
  }
  return index;
}

/** When several inhibitors mute a detection, the one named is the earliest (then by source), whatever order they came in. */
const earlierSource = (a: ActiveInhibitor, b: ActiveInhibitor): boolean =>
  a.from.getTime() !== b.from.getTime()
    ? a.from < b.from
    : a.sourceIdentityKey !== b.sourceIdentityKey
      ? a.sourceIdentityKey < b.sourceIdentityKey
      : a.inhibitionId < b.inhibitionId;

/** What inhibition looks at: a detected issue, or an occurrence already stored in a case. */
export type InhibitableIssue = Pick<DetectedIssue, 'categoryCode' | 'severity' | 'occurredAt' | 'gridCode' | 'townshipCode'>;

/** The suppression detail and reference of an inhibited detection (live or taken off a case afterwards). */
export function inhibitionDetail(inhibitor: ActiveInhibitor): string {
  return `inhibition "${inhibitor.inhibitionId}": ${inhibitor.sourceCategory} at the same ${inhibitor.scope} from ${inhibitor.from.toISOString()} until ${inhibitor.until.toISOString()}`;
}
export const inhibitionReference = (inhibitor: ActiveInhibitor): string => `${inhibitor.inhibitionId} ${inhibitor.sourceIdentityKey}`;

/**
 * Inhibitors of one source merged where their windows overlap or touch, so the union of windows is kept
 * exactly (a fire at 10:00 and another at 13:00 mute 10:00–11:00 and 13:00–14:00, never 11:00–13:00) with
 * one inhibitor per stretch instead of one per detection. Sorted by source, inhibition and start: the same
 * inhibitors in any order give the same list.
 */
export function mergeInhibitors(inhibitors: readonly ActiveInhibitor[]): ActiveInhibitor[] {
  const sorted = [...inhibitors].sort(
    (a, b) =>
      cmp(a.sourceIdentityKey, b.sourceIdentityKey) ||
      cmp(a.inhibitionId, b.inhibitionId) ||
      a.from.getTime() - b.from.getTime() ||
      a.until.getTime() - b.until.getTime(),
  );
  const out: ActiveInhibitor[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && last.inhibitionId === i.inhibitionId && last.sourceIdentityKey === i.sourceIdentityKey && i.from.getTime() <= last.until.getTime()) {
      if (i.until > last.until) out[out.length - 1] = { ...last, until: i.until };
    } else out.push(i);
  }
  return out;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** An occurrence stored in a machine-made case that nobody has acted on yet, as inhibition sees it. */
export interface StoredOccurrence extends InhibitableIssue {
  /** Every place of the occurrence's event (a fire in the street mutes the loading bay in it). */
  placeIds: readonly string[];
}

/**
 * Occurrences that inhibitors started later would have muted had they arrived first: a fire stored after
 * the minor issues of its grid takes them back off their cases, so the outcome does not depend on which
 * arrived first. Same judgement as live classification (`findInhibitor`, current rule set).
 */
export function inhibitedAfterwards<T extends StoredOccurrence>(
  occurrences: readonly T[],
  started: readonly ActiveInhibitor[],
  ruleSet: RuleSet,
): Array<{ occurrence: T; inhibitor: ActiveInhibitor }> {
  if (started.length === 0) return [];
  const out: Array<{ occurrence: T; inhibitor: ActiveInhibitor }> = [];
  for (const occurrence of occurrences) {
    const inhibitor = findInhibitor(occurrence, occurrence.placeIds, started, ruleSet);
    if (inhibitor) out.push({ occurrence, inhibitor });
  }
  return out;
}

/** Where to look for occurrences the inhibitors may mute: grids and townships (a place's township), and the time span. */
export function inhibitorSearchScope(
  inhibitors: readonly ActiveInhibitor[],
  jurisdiction: Pick<Jurisdiction, 'place'>,
): { gridCodes: string[]; townshipCodes: string[]; from: Date; until: Date } | undefined {
  if (inhibitors.length === 0) return undefined;
  const grids = new Set<string>();
  const townships = new Set<string>();
  let from = inhibitors[0].from;
  let until = inhibitors[0].until;
  for (const i of inhibitors) {
    if (i.gridCode !== undefined) grids.add(i.gridCode);
    if (i.townshipCode !== undefined) townships.add(i.townshipCode);
    if (i.placeId !== undefined) {
      const t = jurisdiction.place(i.placeId)?.townshipCode;
      if (t !== undefined) townships.add(t);
    }
    if (i.from < from) from = i.from;
    if (i.until > until) until = i.until;
  }
  return { gridCodes: [...grids].sort(), townshipCodes: [...townships].sort(), from, until };
}

// A silence's bounds read once, not for every detection it is checked against (rule sets are immutable values).
const silenceBounds = new WeakMap<Silence, { from: number; to: number }>();
function boundsOf(s: Silence): { from: number; to: number } {
  let bounds = silenceBounds.get(s);
  if (!bounds) {
    bounds = { from: Date.parse(s.from), to: Date.parse(s.to) };
    silenceBounds.set(s, bounds);
  }
  return bounds;
}

/** Every given scope list must match (AND); within a list any entry matches (OR). `to` is exclusive. */
export function findSilence(issue: DetectedIssue, places: readonly Place[], ruleSet: RuleSet): Silence | undefined {
  const at = issue.occurredAt.getTime();
  return ruleSet.silences.find((s) => {
    const { from, to } = boundsOf(s);
    if (at < from || at >= to) return false;
    if (s.categories && !s.categories.includes(issue.categoryCode)) return false;
    if (s.places && !places.some((p) => s.places?.includes(p.id))) return false;
    if (s.placeTypes && !places.some((p) => s.placeTypes?.includes(p.type))) return false;
    if (s.gridCodes && (issue.gridCode === undefined || !s.gridCodes.includes(issue.gridCode))) return false;
    if (s.townshipCodes && (issue.townshipCode === undefined || !s.townshipCodes.includes(issue.townshipCode))) return false;
    if (s.deviceIds && !s.deviceIds.includes(issue.deviceId)) return false;
    return true;
  });
}

/**
 * "Was there an earlier minor-or-worse issue of this business / place in [since, until)?" — answered by the
 * caller. An issue is a case at one of `placeIds` or a first issue that do-not-disturb suppressed for
 * `subjectId`: without the latter a suppressed first issue never became history, so no repeat ever opened a
 * case. `until` is the detection's own time and excluded: issues at the same instant are not earlier than
 * each other, so which of them arrived first changes nothing.
 */
export interface DoNotDisturbQuery {
  /** `business:<businessId>` or `place:<placeId>` */
  subjectId: string;
  placeIds: string[];
  since: Date;
  until: Date;
}
export type DoNotDisturbHistory = (query: DoNotDisturbQuery) => boolean;

/**
 * One earlier issue for do-not-disturb history: a case seen at a place (`placeId`, its first and last
 * detection are each a record) or a suppressed first issue of a subject (`subjectId`).
 */
export type DoNotDisturbRecord = { at: Date; placeId: string; subjectId?: undefined } | { at: Date; subjectId: string; placeId?: undefined };

/**
 * Do-not-disturb history that grows: the worker fills it with stored records (cases and suppressed first
 * issues, `doNotDisturbSubjectsOf` names what to load), and classifyBatch adds each decision of the batch,
 * so a repeat in the same batch, or in the next one, is a repeat.
 */
export class DoNotDisturbLedger {
  private readonly times = new Map<string, number[]>();

  constructor(records: Iterable<DoNotDisturbRecord> = []) {
    for (const r of records) this.add(r);
  }

  add(record: DoNotDisturbRecord): void {
    const key = record.placeId !== undefined ? `p:${record.placeId}` : `s:${record.subjectId}`;
    const list = this.times.get(key);
    if (list) list.push(record.at.getTime());
    else this.times.set(key, [record.at.getTime()]);
  }

  readonly history: DoNotDisturbHistory = (q) => {
    const since = q.since.getTime();
    const until = q.until.getTime();
    const within = (key: string) => this.times.get(key)?.some((t) => t >= since && t < until) === true;
    return within(`s:${q.subjectId}`) || q.placeIds.some((id) => within(`p:${id}`));
  };
}

/**
 * Stored first issues that a batch's issues make repeats: an issue of the subject that arrived later but
 * happened before (within the window) means the stored one was never the first. The worker turns these into
 * case occurrences, so which of two workers stored its events first does not decide which gets a case.
 */
export function repeatsAfterwards<T extends { at: Date; subjectId: string }>(
  storedFirsts: readonly T[],
  batch: readonly DoNotDisturbRecord[],
  subjects: ReadonlyArray<{ subjectId: string; placeIds: string[] }>,
  windowDays: number,
): T[] {
  if (storedFirsts.length === 0 || batch.length === 0) return [];
  const { history } = new DoNotDisturbLedger(batch);
  const placesOf = new Map(subjects.map((s) => [s.subjectId, s.placeIds]));
  return storedFirsts.filter((f) =>
    history({ subjectId: f.subjectId, placeIds: placesOf.get(f.subjectId) ?? [], since: new Date(f.at.getTime() - windowDays * 86_400_000), until: f.at }),
  );
}

/** Either history says yes (stored history, then the batch's own decisions). */
export const eitherHistory =
  (a: DoNotDisturbHistory, b: DoNotDisturbHistory): DoNotDisturbHistory =>
  (q) =>
    a(q) || b(q);

export interface DoNotDisturbSubject {
  subjectId: string;
  placeIds: string[];
  entry: DoNotDisturbEntry;
}

/** The listed subjects a detection in `places` concerns. */
export function doNotDisturbSubjects(places: readonly Place[], ruleSet: RuleSet, jurisdiction: Jurisdiction): DoNotDisturbSubject[] {
  const out: DoNotDisturbSubject[] = [];
  for (const entry of ruleSet.doNotDisturb.entries) {
    if (entry.placeId !== undefined && places.some((p) => p.id === entry.placeId)) {
      out.push({ subjectId: `place:${entry.placeId}`, placeIds: [entry.placeId], entry });
    }
    if (entry.businessId !== undefined && places.some((p) => p.businessId === entry.businessId)) {
      out.push({ subjectId: `business:${entry.businessId}`, placeIds: jurisdiction.placesOfBusiness(entry.businessId).map((p) => p.id), entry });
    }
  }
  return out;
}

/** Every listed subject with its places: what the worker loads history for. */
export function doNotDisturbSubjectsOf(ruleSet: RuleSet, jurisdiction: Jurisdiction): Array<{ subjectId: string; placeIds: string[] }> {
  const out = new Map<string, string[]>();
  for (const e of ruleSet.doNotDisturb.entries) {
    if (e.placeId !== undefined) out.set(`place:${e.placeId}`, [e.placeId]);
    if (e.businessId !== undefined)
      out.set(
        `business:${e.businessId}`,
        jurisdiction.placesOfBusiness(e.businessId).map((p) => p.id),
      );
  }
  return [...out.entries()].map(([subjectId, placeIds]) => ({ subjectId, placeIds }));
}

/** All place ids whose case history the do-not-disturb check may ask about (prefetch these). */
export function doNotDisturbPlaceIds(ruleSet: RuleSet, jurisdiction: Jurisdiction): string[] {
  const ids = new Set<string>();
  for (const e of ruleSet.doNotDisturb.entries) {
    if (e.placeId !== undefined) ids.add(e.placeId);
    if (e.businessId !== undefined) for (const p of jurisdiction.placesOfBusiness(e.businessId)) ids.add(p.id);
  }
  return [...ids].sort();
}

/** History from "last case first-seen time per place id" only (the replay command, which has no suppressions). */
export function historyFromLastCaseTimes(lastCaseAt: ReadonlyMap<string, Date>): DoNotDisturbHistory {
  return (q) =>
    q.placeIds.some((id) => {
      const t = lastCaseAt.get(id)?.getTime();
      return t !== undefined && t >= q.since.getTime() && t < q.until.getTime();
    });
}
