import type { DistrictConfig } from '@app/config';
import { diffReplay, historyFromLastCaseTimes, renderReplayDiff, ReplayDiff, replayEvents, RuleSet } from '@app/domain';
import { ReplayRepository } from '@app/persistence';
import type { DataSource } from 'typeorm';

export interface ReplayReport {
  from: Date;
  to: Date;
  events: number;
  actualCases: number;
  candidateIssues: number;
  suppressed: number;
  /** The comparison by case id (`caseIds`), as the API names cases. */
  diff: ReplayDiff;
  /** The same with case numbers in `caseIds` (what the text and `--json` print). */
  byCaseNumber: ReplayDiff;
  text: string;
}

/** Longest dwell or grace in the rules: events from that long before `from` are replayed too, so a car already parked is measured. */
function warmUpMinutes(ruleSet: RuleSet): number {
  let m = 0;
  for (const r of ruleSet.rules) {
    m = Math.max(m, r.dwell?.minutes ?? 0, ...(r.exemptions ?? []).map((e) => e.graceMinutes ?? 0));
  }
  return m;
}

/**
 * Re-runs a candidate rules file over the events stored for [from, to) and compares with the cases that
 * were opened: which cases it would open, merge into, or not open. Read-only.
 */
export async function replayCandidateRules(dataSource: DataSource, district: DistrictConfig, candidate: RuleSet, from: Date, to: Date): Promise<ReplayReport> {
  const repo = new ReplayRepository(dataSource);
  const warmFrom = new Date(from.getTime() - warmUpMinutes(candidate) * 60_000);
  const [events, actual, zones] = await Promise.all([repo.events(warmFrom, to), repo.cases(from, to), repo.zones()]);
  const { issues, suppressed } = replayEvents(events, {
    ruleSet: candidate,
    jurisdiction: district.jurisdiction,
    routing: district.routing,
    zoneToPlace: (deviceId, zone) => zones.get(deviceId)?.[zone],
    // Do-not-disturb history as it stands now: the replay answers "what would these rules do here".
    doNotDisturbHistory: historyFromLastCaseTimes(new Map()),
    from,
    to,
  });
  const diff = diffReplay(actual, issues);
  // People know a case by its number (CP-YYYYMMDD-NNNNNN), not by its id: the report names cases by number.
  const numberOf = new Map(actual.map((c) => [c.caseId, c.caseNumber]));
  const numbers = (ids: string[]) => ids.map((id) => numberOf.get(id) ?? id);
  const numbered: ReplayDiff = {
    wouldOpen: diff.wouldOpen.map((e) => ({ ...e, caseIds: numbers(e.caseIds) })),
    wouldMerge: diff.wouldMerge.map((e) => ({ ...e, caseIds: numbers(e.caseIds) })),
    wouldNotOpen: diff.wouldNotOpen.map((e) => ({ ...e, caseIds: numbers(e.caseIds) })),
  };
  const header = [
    `Replay of rules version ${candidate.version} over ${from.toISOString()} – ${to.toISOString()}`,
    `${events.length} stored events, ${actual.length} cases opened, ${issues.length} candidate issues, ${suppressed.length} suppressed`,
    '',
  ].join('\n');
  return {
    from,
    to,
    events: events.length,
    actualCases: actual.length,
    candidateIssues: issues.length,
    suppressed: suppressed.length,
    diff,
    byCaseNumber: numbered,
    text: header + renderReplayDiff(numbered),
  };
}
