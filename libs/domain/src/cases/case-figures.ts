import type { WorkingCalendar } from '../time/working-calendar';
import { workingTimeBetween } from '../time/working-time';
import type { CaseSnapshot } from './case-state-machine';

/**
 * The evaluation step (综合评价): indicator maths over plain case records. The caller selects the cases
 * (a township, a unit, a category) and passes the fields below; nothing here reads a database.
 *
 *   closure rate          = closed / due                    (结案率)
 *   on-time closure rate  = closed on time / due            (按期结案率)
 *
 * "Due" only counts deadlines that have been decided by `asOf` (now): met (closed) or missed (passed). An open
 * case whose deadline is still ahead is `pending`, not a failure: otherwise a week in progress reads 66.7 %
 * on time with nothing late.
 *   false-positive rate   = rejected / reviewed, per rule and per device (machine-made cases only)
 */

/** Half-open [from, to). */
export interface EvaluationWindow {
  from: Date;
  to: Date;
}

export interface DueCaseRecord {
  /** The deadline set at dispatch (or transfer); a case without one is never due. */
  dueAt?: Date | null;
  closedAt?: Date | null;
}

export interface ClosureFigures {
  due: number;
  closed: number;
  closedOnTime: number;
  /** Due, and still open at the end of the window. */
  open: number;
  /** Deadline in the window but still ahead at `asOf`, and not closed: left out of due and the rates. */
  pending: number;
  /** null when nothing was due: a rate of 0/0 is unknown, not 0 % or 100 %. */
  closureRate: number | null;
  onTimeClosureRate: number | null;
}

/**
 * A case is due in a window when the EARLIER of its deadline and its closure falls inside it: a case whose
 * deadline passed must be counted whether or not it was closed, and a case closed early is counted when it
 * closes. Each case is counted in exactly one of a series of adjacent windows, so monthly figures add up.
 * Closed = closed before the window ends. Closed on time = closed at or before its deadline.
 * Rejected cases have no place here (no deadline or not a real issue): leave them out.
 */
export function closureFigures(records: readonly DueCaseRecord[], window: EvaluationWindow, asOf: Date = window.to): ClosureFigures {
  const from = window.from.getTime();
  const to = window.to.getTime();
  const now = asOf.getTime();
  let due = 0;
  let pending = 0;
  let closed = 0;
  let closedOnTime = 0;
  for (const r of records) {
    if (!r.dueAt) continue;
    const dueAt = r.dueAt.getTime();
    const closedAt = r.closedAt ? r.closedAt.getTime() : Number.POSITIVE_INFINITY;
    const countsAt = Math.min(dueAt, closedAt);
    if (countsAt < from || countsAt >= to) continue;
    // Neither met nor missed yet: the deadline is still ahead and the case is open.
    if (countsAt > now) {
      pending++;
      continue;
    }
    due++;
    if (closedAt < to) {
      closed++;
      if (closedAt <= dueAt) closedOnTime++;
    }
  }
  return {
    due,
    closed,
    closedOnTime,
    open: due - closed,
    pending,
    closureRate: due === 0 ? null : closed / due,
    onTimeClosureRate: due === 0 ? null : closedOnTime / due,
  };
}

export interface TimeToCloseRecord {
  /** When the clock started: dispatch (use openedAt to measure from detection instead). */
  startedAt?: Date | null;
  closedAt?: Date | null;
}

/**
 * Median minutes from start to close over the closed cases (those closed inside `window`, when given).
 * With a calendar the minutes are working minutes, comparable with working-time limits. null when none.
 */
export function medianTimeToClose(
  records: readonly TimeToCloseRecord[],
  options: { calendar?: WorkingCalendar; window?: EvaluationWindow } = {},
): number | null {
  const { calendar, window } = options;
  const minutes: number[] = [];
  for (const r of records) {
    if (!r.startedAt || !r.closedAt || r.closedAt.getTime() < r.startedAt.getTime()) continue;
    if (window && (r.closedAt.getTime() < window.from.getTime() || r.closedAt.getTime() >= window.to.getTime())) continue;
    minutes.push(calendar ? workingTimeBetween(r.startedAt, r.closedAt, calendar) : (r.closedAt.getTime() - r.startedAt.getTime()) / 60_000);
  }
  return median(minutes);
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const REVIEW_OUTCOMES = ['registered', 'rejected'] as const;
export type ReviewOutcome = (typeof REVIEW_OUTCOMES)[number];

/**
 * The human review result of a machine-made case, from its current snapshot: null when it is not a
 * machine case or not reviewed yet. A case rejected after registration counts as a false positive too.
 */
export function reviewOutcomeOf(snapshot: Pick<CaseSnapshot, 'status' | 'origin' | 'reviewedAt'>): ReviewOutcome | null {
  if (snapshot.origin !== 'machine' || !snapshot.reviewedAt) return null;
  return snapshot.status === 'rejected' ? 'rejected' : 'registered';
}

export interface ReviewedCaseRecord {
  /** null = not reviewed yet: excluded. */
  outcome: ReviewOutcome | null;
  /** Rules whose decisions made the case (a merged case may have several). */
  ruleIds?: readonly string[];
  /** Devices whose evidence is in the case. */
  deviceIds?: readonly string[];
}

export interface FalsePositiveFigure {
  key: string;
  reviewed: number;
  rejected: number;
  /** rejected / reviewed; null when nothing was reviewed. */
  rate: number | null;
}

/** Over all reviewed cases. */
export function falsePositiveRate(records: readonly ReviewedCaseRecord[]): FalsePositiveFigure {
  let reviewed = 0;
  let rejected = 0;
  for (const r of records) {
    if (r.outcome === null) continue;
    reviewed++;
    if (r.outcome === 'rejected') rejected++;
  }
  return { key: 'all', reviewed, rejected, rate: reviewed === 0 ? null : rejected / reviewed };
}

/**
 * Per rule or per device. A case counts once for every distinct rule / device in it, so a noisy camera in a
 * merged case is charged too; the per-key figures therefore do not sum to the overall one.
 * Sorted worst first (rate, then volume), then by key, so the table is stable.
 */
export function falsePositiveRates(records: readonly ReviewedCaseRecord[], by: 'rule' | 'device'): FalsePositiveFigure[] {
  const tally = new Map<string, { reviewed: number; rejected: number }>();
  for (const r of records) {
    if (r.outcome === null) continue;
    const keys = new Set(by === 'rule' ? (r.ruleIds ?? []) : (r.deviceIds ?? []));
    for (const key of keys) {
      const t = tally.get(key) ?? { reviewed: 0, rejected: 0 };
      t.reviewed++;
      if (r.outcome === 'rejected') t.rejected++;
      tally.set(key, t);
    }
  }
  return [...tally.entries()]
    .map(([key, t]) => ({ key, reviewed: t.reviewed, rejected: t.rejected, rate: t.rejected / t.reviewed }))
    .sort((a, b) => b.rate - a.rate || b.reviewed - a.reviewed || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export interface OverdueCaseRecord {
  dueAt: Date;
  closedAt?: Date | null;
}

/** Minutes past the deadline at `asOf` of a case still open; null when it is closed or not yet due. */
export function overdueMinutes(r: OverdueCaseRecord, asOf: Date): number | null {
  if (r.closedAt && r.closedAt.getTime() <= asOf.getTime()) return null;
  const late = (asOf.getTime() - r.dueAt.getTime()) / 60_000;
  return late > 0 ? Math.floor(late) : null;
}
