import { computeDueAt, type DeadlinePolicy, type DeadlineStep, resolveDeadline, type ResolvedDeadline } from '../time/deadline-policy';
import { calendarCovers, type WorkingCalendar } from '../time/working-calendar';
import { deadlineStatus, type DeadlineStatus } from '../time/working-time';
import type { CaseSnapshot, CaseStatus } from './case-state-machine';

/**
 * Which clock runs for a case in each status, and where it stands. One clock at a time:
 *   detected                → review  (from detection, or from a reopen back to detected)
 *   dispatched, in_progress → handle  (the dispatch deadline `dueAt`; a send-back keeps it, a transfer restarts it)
 *   reported                → verify  (from report-back)
 *   registered, closed, rejected → none
 */

export interface StepDeadline {
  step: DeadlineStep;
  startedAt: Date;
  dueAt: Date;
  limit: ResolvedDeadline;
  /** False when dueAt falls after the calendar's known holidays (covers.to): weekends only were counted. */
  calendarCovered: boolean;
}

/** Share of the step's allowance left when a case becomes "due soon". */
export const DUE_SOON_FRACTION = 0.25;

export function deadlineFrom(start: Date, categoryCode: string, step: DeadlineStep, policy: DeadlinePolicy, calendar: WorkingCalendar): StepDeadline {
  const limit = resolveDeadline(policy, categoryCode, step);
  const dueAt = computeDueAt(start, limit, calendar);
  return { step, startedAt: start, dueAt, limit, calendarCovered: limit.unit === 'calendar-hours' || calendarCovers(calendar, dueAt) };
}

/**
 * The running step clock after a case entered `status` at `enteredAt`. For the handle step the deadline
 * is the stored dispatch deadline (so a send-back does not restart it); other steps start at entry.
 */
export function stepDeadlineFor(
  status: CaseStatus,
  enteredAt: Date,
  snapshot: Pick<CaseSnapshot, 'dueAt' | 'dispatchedAt' | 'reportedAt'>,
  categoryCode: string,
  policy: DeadlinePolicy,
  calendar: WorkingCalendar,
): StepDeadline | null {
  switch (status) {
    case 'detected':
      return deadlineFrom(enteredAt, categoryCode, 'review', policy, calendar);
    case 'dispatched':
    case 'in_progress': {
      const limit = resolveDeadline(policy, categoryCode, 'handle');
      if (!snapshot.dueAt || !snapshot.dispatchedAt) return null;
      return {
        step: 'handle',
        startedAt: snapshot.dispatchedAt,
        dueAt: snapshot.dueAt,
        limit,
        calendarCovered: limit.unit === 'calendar-hours' || calendarCovers(calendar, snapshot.dueAt),
      };
    }
    case 'reported':
      return deadlineFrom(snapshot.reportedAt ?? enteredAt, categoryCode, 'verify', policy, calendar);
    case 'registered':
    case 'closed':
    case 'rejected':
      return null;
  }
}

/**
 * on-track / due-soon / overdue at `now`. Working-time limits measure what is left in working minutes
 * (a case due Monday 09:30 is due soon on Friday evening); wall-clock limits in plain minutes.
 */
export function stepDeadlineState(
  d: Pick<StepDeadline, 'startedAt' | 'dueAt'> & { limit: Pick<ResolvedDeadline, 'unit'> },
  now: Date,
  calendar: WorkingCalendar,
  fraction = DUE_SOON_FRACTION,
): DeadlineStatus {
  const cal = d.limit.unit === 'calendar-hours' ? undefined : calendar;
  return deadlineStatus(d.dueAt, now, { fraction, startedAt: d.startedAt }, cal);
}
