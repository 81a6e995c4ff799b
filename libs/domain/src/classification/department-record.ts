import type { RECORD_SEVERITIES } from '../adapters/department-feed.adapter';
import type { CanonicalEvent } from '../event/canonical-event';
import { type IssueSeverity, severityRank } from './rule-set';

/**
 * What classification reads of a department record (fire / police / emergency feeds, `department-feed.adapter.ts`):
 * its referral, its own id and its severity. Plain functions of the canonical event's attributes.
 */

const DEPARTMENT_SOURCES: ReadonlySet<string> = new Set(['fire', 'police', 'emergency']);

type DepartmentEvent = Pick<CanonicalEvent, 'source' | 'sourceKind' | 'deviceId' | 'attributes'>;

const isDepartmentRecord = (event: DepartmentEvent): boolean => event.sourceKind === 'feed' && DEPARTMENT_SOURCES.has(event.source);

/**
 * The department's severity onto ours, word for word: the feeds' schema (docs/schemas/monitoring.*.v1.md) uses the
 * same four words in the same order as ISSUE_SEVERITIES. Written out so that a word added on either side fails to
 * compile here instead of being guessed.
 */
export const DEPARTMENT_SEVERITY_TO_ISSUE: Readonly<Record<(typeof RECORD_SEVERITIES)[number], IssueSeverity>> = {
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
};

/** A referral (移交) the record carries: the referring platform (the feed device) and its referral number. */
export function referralOf(event: DepartmentEvent): { platform: string; referralNo: string; referringUnit?: string } | undefined {
  if (!isDepartmentRecord(event)) return undefined;
  const no = event.attributes.referralNo;
  if (typeof no !== 'string' || no === '') return undefined;
  const unit = event.attributes.referringUnit;
  return { platform: event.deviceId, referralNo: no, ...(typeof unit === 'string' && { referringUnit: unit }) };
}

/** The record's id on its platform (`<platform>:<recordId>`; revisions of one record share it). */
export function departmentRecordOf(event: DepartmentEvent): string | undefined {
  if (!isDepartmentRecord(event)) return undefined;
  const id = event.attributes.recordId;
  return typeof id === 'string' && id !== '' ? `${event.deviceId}:${id}` : undefined;
}

/**
 * The case's severity for a department record: the higher of the rule's (or category's) default and the
 * department's own, mapped. The default is the district's floor for that kind of issue (a blocked fire exit is
 * never less than high here, whatever a platform calls it — and a platform marking everything "low" must not slip
 * fire lanes under do-not-disturb or inhibition); the department knows this instance (38 cm of water in an
 * underpass is critical, the category says high). Taking the higher keeps both: no case is rated below what the
 * district decided, and a department's escalation is never ignored.
 */
export function departmentSeverity(
  event: DepartmentEvent,
  ruleDefault: IssueSeverity,
): { severity: IssueSeverity; reported?: { reported: string; mapped: IssueSeverity; ruleDefault: IssueSeverity } } {
  if (!isDepartmentRecord(event)) return { severity: ruleDefault };
  const reported = event.attributes.severity;
  const mapped = typeof reported === 'string' ? (DEPARTMENT_SEVERITY_TO_ISSUE as Record<string, IssueSeverity | undefined>)[reported] : undefined;
  if (mapped === undefined) return { severity: ruleDefault };
  return {
    severity: severityRank(mapped) > severityRank(ruleDefault) ? mapped : ruleDefault,
    reported: { reported: reported as string, mapped, ruleDefault },
  };
}
