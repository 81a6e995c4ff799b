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
  issue: DetectedIssue,
  placeIds: readonly string[],
  inhibitors: readonly ActiveInhibitor[],
  ruleSet: RuleSet,
): ActiveInhibitor | undefined {
  const at = issue.occurredAt.getTime();
  return inhibitors.find((a) => {
    const inh = ruleSet.inhibitions.find((i) => i.id === a.inhibitionId);
    if (!inh || inh.sourceCategories.includes(issue.categoryCode)) return false;
    const targeted = inh.targetCategories
      ? inh.targetCategories.includes(issue.categoryCode)
      : severityRank(issue.severity) <= severityRank(inh.targetMaxSeverity);
    if (!targeted || at < a.from.getTime() || at > a.until.getTime()) return false;
    switch (a.scope) {
      case 'place':
        return a.placeId !== undefined && placeIds.includes(a.placeId);
      case 'grid':
        return a.gridCode !== undefined && a.gridCode === issue.gridCode;
      case 'township':
        return a.townshipCode !== undefined && a.townshipCode === issue.townshipCode;
    }
  });
}

/** Every given scope list must match (AND); within a list any entry matches (OR). `to` is exclusive. */
export function findSilence(issue: DetectedIssue, places: readonly Place[], ruleSet: RuleSet): Silence | undefined {
  const at = issue.occurredAt.getTime();
  return ruleSet.silences.find((s) => {
    if (at < Date.parse(s.from) || at >= Date.parse(s.to)) return false;
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
 * "Was there an earlier case for this business / place in [since, until)?" — answered by the caller
 * (the worker looks at cases whose place is one of `placeIds`, by their first source time). Pure input:
 * the worker can prefetch the last case time of every listed place before a batch
 * (`doNotDisturbPlaceIds` lists them).
 */
export interface DoNotDisturbQuery {
  /** `business:<businessId>` or `place:<placeId>` */
  subjectId: string;
  placeIds: string[];
  since: Date;
  until: Date;
}
export type DoNotDisturbHistory = (query: DoNotDisturbQuery) => boolean;

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

/** All place ids whose case history the do-not-disturb check may ask about (prefetch these). */
export function doNotDisturbPlaceIds(ruleSet: RuleSet, jurisdiction: Jurisdiction): string[] {
  const ids = new Set<string>();
  for (const e of ruleSet.doNotDisturb.entries) {
    if (e.placeId !== undefined) ids.add(e.placeId);
    if (e.businessId !== undefined) for (const p of jurisdiction.placesOfBusiness(e.businessId)) ids.add(p.id);
  }
  return [...ids].sort();
}

/** Helper for the worker: answer history queries from "last case first-seen time per place id". */
export function historyFromLastCaseTimes(lastCaseAt: ReadonlyMap<string, Date>): DoNotDisturbHistory {
  return (q) =>
    q.placeIds.some((id) => {
      const t = lastCaseAt.get(id)?.getTime();
      return t !== undefined && t >= q.since.getTime() && t < q.until.getTime();
    });
}
