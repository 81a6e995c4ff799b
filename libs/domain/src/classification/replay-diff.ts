import type { CanonicalEvent } from '../event/canonical-event';
import { classifyBatch, ClassifyContext } from './classify';
import type { DetectedIssue, Suppression } from './detected-issue';

/**
 * Replay: run a candidate rules file over stored events of a time range and compare with the cases that
 * were actually opened. The worker loads events and cases; everything here is pure.
 */

/** Issues of one identity, as grouping would fold them into one case. */
export interface IssueGroup {
  identityKey: string;
  identity: Record<string, string>;
  categoryCode: string;
  occurrences: number;
  firstAt: Date;
  lastAt: Date;
  ruleIds: string[];
  /** The latest issue (latest evidence wins, as in a case). */
  latest: DetectedIssue;
}

/** Folds issues per identity key (first seen order). Also handy for a batch upsert: one row per key. */
export function groupIssuesByIdentity(issues: readonly DetectedIssue[]): IssueGroup[] {
  const groups = new Map<string, IssueGroup>();
  for (const issue of issues) {
    const g = groups.get(issue.identityKey);
    if (!g) {
      groups.set(issue.identityKey, {
        identityKey: issue.identityKey,
        identity: issue.identity,
        categoryCode: issue.categoryCode,
        occurrences: 1,
        firstAt: issue.occurredAt,
        lastAt: issue.occurredAt,
        ruleIds: [issue.ruleId],
        latest: issue,
      });
      continue;
    }
    g.occurrences += 1;
    if (issue.occurredAt < g.firstAt) g.firstAt = issue.occurredAt;
    if (issue.occurredAt >= g.lastAt) {
      g.lastAt = issue.occurredAt;
      g.latest = issue;
    }
    if (!g.ruleIds.includes(issue.ruleId)) g.ruleIds.push(issue.ruleId);
  }
  return [...groups.values()];
}

export interface ReplayContext extends Omit<ClassifyContext, 'tracks' | 'activeInhibitors'> {
  /** Half-open range [from, to) of source time whose issues count. */
  from: Date;
  to: Date;
}

/**
 * Re-classifies stored events with fresh state. Pass events from a little before `from` (at least the
 * longest dwell) so objects already parked when the range starts are measured correctly; only issues
 * inside [from, to) are returned.
 */
export function replayEvents(events: readonly CanonicalEvent[], ctx: ReplayContext): { issues: DetectedIssue[]; suppressed: Suppression[] } {
  const batch = classifyBatch(events, { ...ctx, tracks: new Map(), activeInhibitors: [] });
  const inRange = (d: Date): boolean => d >= ctx.from && d < ctx.to;
  return {
    issues: batch.results.flatMap((r) => r.issues).filter((i) => inRange(i.occurredAt)),
    suppressed: batch.results.flatMap((r) => r.suppressed).filter((s) => inRange(s.issue.occurredAt)),
  };
}

export interface ActualCase {
  identityKey: string;
  caseId: string;
}

export interface ReplayDiffEntry extends Omit<IssueGroup, 'latest' | 'identity'> {
  /** Existing cases with this identity (for `wouldMerge`). */
  caseIds: string[];
  handlingUnit?: string;
  heldReason?: string;
}

export interface ReplayDiff {
  /** Identities the candidate rules would open a case for, where none was opened. */
  wouldOpen: ReplayDiffEntry[];
  /** Identities the candidate rules would add occurrences to, where a case was opened. */
  wouldMerge: ReplayDiffEntry[];
  /** Cases that were opened but the candidate rules would not have produced. */
  wouldNotOpen: Array<{ identityKey: string; caseIds: string[] }>;
}

const byKey = <T extends { identityKey: string }>(a: T, b: T): number => (a.identityKey < b.identityKey ? -1 : a.identityKey > b.identityKey ? 1 : 0);

export function diffReplay(actual: readonly ActualCase[], candidate: readonly DetectedIssue[]): ReplayDiff {
  const casesByKey = new Map<string, string[]>();
  for (const c of actual) casesByKey.set(c.identityKey, [...(casesByKey.get(c.identityKey) ?? []), c.caseId]);
  const groups = groupIssuesByIdentity(candidate);
  const entry = (g: IssueGroup): ReplayDiffEntry => ({
    identityKey: g.identityKey,
    categoryCode: g.categoryCode,
    occurrences: g.occurrences,
    firstAt: g.firstAt,
    lastAt: g.lastAt,
    ruleIds: g.ruleIds,
    caseIds: casesByKey.get(g.identityKey) ?? [],
    ...(g.latest.handlingUnit !== undefined && { handlingUnit: g.latest.handlingUnit }),
    ...(g.latest.heldReason !== undefined && { heldReason: g.latest.heldReason }),
  });
  const candidateKeys = new Set(groups.map((g) => g.identityKey));
  return {
    wouldOpen: groups
      .filter((g) => !casesByKey.has(g.identityKey))
      .map(entry)
      .sort(byKey),
    wouldMerge: groups
      .filter((g) => casesByKey.has(g.identityKey))
      .map(entry)
      .sort(byKey),
    wouldNotOpen: [...casesByKey.entries()]
      .filter(([k]) => !candidateKeys.has(k))
      .map(([identityKey, caseIds]) => ({ identityKey, caseIds }))
      .sort(byKey),
  };
}

/** A plain-text table for the replay command's output. */
export function renderReplayDiff(diff: ReplayDiff): string {
  const header = ['outcome', 'identity', 'occurrences', 'first', 'last', 'rules', 'unit / held', 'cases'];
  const time = (d: Date): string => d.toISOString().replace('.000Z', 'Z');
  const rows: string[][] = [
    ...diff.wouldOpen.map((e) => [
      'would open',
      e.identityKey,
      String(e.occurrences),
      time(e.firstAt),
      time(e.lastAt),
      e.ruleIds.join(','),
      e.handlingUnit ?? `held: ${e.heldReason ?? '?'}`,
      '-',
    ]),
    ...diff.wouldMerge.map((e) => [
      'would merge',
      e.identityKey,
      String(e.occurrences),
      time(e.firstAt),
      time(e.lastAt),
      e.ruleIds.join(','),
      e.handlingUnit ?? `held: ${e.heldReason ?? '?'}`,
      e.caseIds.join(','),
    ]),
    ...diff.wouldNotOpen.map((e) => ['would not open', e.identityKey, '0', '-', '-', '-', '-', e.caseIds.join(',')]),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const summary = `would open ${diff.wouldOpen.length}, would merge ${diff.wouldMerge.length}, would not open ${diff.wouldNotOpen.length}`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', summary].join('\n');
}
