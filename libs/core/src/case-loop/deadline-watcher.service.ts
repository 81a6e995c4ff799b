import { Inject, Injectable } from '@nestjs/common';
import { stepDeadlineState } from '@app/domain/cases/case-deadlines';
import { AuditLogRepository, CaseLoopRepository } from '@app/persistence';
import { LOGGER, type Logger } from '../observability/logger';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { Clock } from './clock';

export interface DeadlineScan {
  checked: number;
  dueSoon: number;
  overdue: number;
}

/** How many running clocks one scan looks at (the soonest due first). */
const SCAN_LIMIT = 2_000;

/**
 * Watches every running step clock (review, handle, verify). A case entering the last quarter of its
 * allowance raises a `case.due-soon` live alert once; a case past its deadline raises `case.overdue`, is
 * escalated to supervisors (escalated_at, an audit entry) once per step. Working-time limits are measured
 * in working time (config/calendar), so nights, weekends and holidays neither run the clock nor alert.
 */
@Injectable()
export class DeadlineWatcher {
  constructor(
    private readonly repo: CaseLoopRepository,
    private readonly audit: AuditLogRepository,
    private readonly clock: Clock,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async scan(now: Date = this.clock.now()): Promise<DeadlineScan> {
    const calendar = this.runtime.district.calendar;
    return this.repo.transaction(async (tx) => {
      const result: DeadlineScan = { checked: 0, dueSoon: 0, overdue: 0 };
      for (const c of await this.repo.deadlineCandidates(tx, SCAN_LIMIT)) {
        const w = c.workflow;
        if (!w.step || !w.stepDueAt || !w.stepStartedAt) continue;
        result.checked++;
        const unit = typeof w.stepLimit?.unit === 'string' ? w.stepLimit.unit : 'working-hours';
        const state = stepDeadlineState({ startedAt: w.stepStartedAt, dueAt: w.stepDueAt, limit: { unit: unit as 'working-hours' } }, now, calendar);
        const alertDueSoon = state === 'due-soon' && !w.dueSoonAlertedAt;
        const escalate = state === 'overdue' && !w.escalatedAt;
        if (state === w.deadlineState && !alertDueSoon && !escalate) continue;
        await this.repo.updateDeadlineState(tx, w.caseId, {
          deadlineState: state,
          dueSoonAlertedAt: alertDueSoon ? now : w.dueSoonAlertedAt,
          escalatedAt: escalate ? now : w.escalatedAt,
        });
        const deadline = { step: w.step, dueAt: w.stepDueAt.toISOString() };
        if (alertDueSoon) {
          result.dueSoon++;
          await this.repo.notifyAlert(tx, { caseId: w.caseId, opened: false, type: 'case.due-soon', deadline });
        }
        if (escalate) {
          result.overdue++;
          await this.audit.append(tx, {
            at: now,
            actorId: null,
            actorRole: 'system',
            action: 'case.escalated',
            caseId: w.caseId,
            data: { caseNumber: c.caseNumber, status: c.status, ...deadline, escalatedTo: 'supervisor', reason: `the ${w.step} step is overdue` },
          });
          await this.repo.notifyAlert(tx, { caseId: w.caseId, opened: false, type: 'case.overdue', deadline: { ...deadline, escalatedTo: 'supervisor' } });
          this.logger.info({ caseId: w.caseId, caseNumber: c.caseNumber, step: w.step, dueAt: w.stepDueAt }, 'case overdue: escalated to supervisors');
        }
      }
      return result;
    });
  }
}
