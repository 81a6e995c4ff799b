import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import {
  type Actor,
  closureFigures,
  type EvaluationWindow,
  type FiguresTableGroup,
  falsePositiveRate,
  falsePositiveRates,
  medianTimeToClose,
  overdueMinutes,
  readDistrictInstant,
  type ReviewedCaseRecord,
  reviewOutcomeOf,
  townshipScope,
} from '@app/domain';
import { CaseLoopRepository, type FigureCaseRow } from '@app/persistence';
import { asCaseStatus } from '../cases/case-workflow.mapper';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { Clock } from './clock';
import { DistrictDirectory } from './district-directory';

export const FIGURE_GROUPINGS = ['township', 'category', 'team'] as const;
export type FigureGrouping = (typeof FIGURE_GROUPINGS)[number];

/** One group's figures: the domain's table row (the export prints the same shape). */
export type GroupFigures = FiguresTableGroup;

const MAX_WINDOW_MS = 366 * 86_400_000;
const MAX_OVERDUE_ROWS = 5000;

/** A period as typed: a date alone is the district's day (+08:00), an instant carries its offset. */
export interface FiguresPeriod {
  from: string;
  to: string;
}

export interface OverdueCase {
  caseNumber: string;
  categoryCode: string;
  townshipCode: string | null;
  handlingUnit: string | null;
  dueAt: Date;
  /** At the end of the period, or now when the period reaches into the future. */
  overdueMinutes: number;
}

/** The evaluation step (综合评价): indicators for a period, per township, category or team. */
@Injectable()
export class FiguresService {
  constructor(
    private readonly repo: CaseLoopRepository,
    private readonly directory: DistrictDirectory,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    private readonly clock: Clock,
  ) {}

  /** [from, to) as instants; a date alone starts at 00:00 in the district's zone. */
  window(q: FiguresPeriod): EvaluationWindow {
    const offset = this.runtime.district.calendar.utcOffsetMinutes;
    const from = readDistrictInstant(q.from, offset);
    const to = readDistrictInstant(q.to, offset);
    if (!from || !to) throw new BadRequestException('from and to: a date (YYYY-MM-DD, the district day) or an instant with its offset');
    if (to.getTime() <= from.getTime()) throw new BadRequestException('to must be after from');
    if (to.getTime() - from.getTime() > MAX_WINDOW_MS) throw new BadRequestException('the period may be at most 366 days');
    return { from, to };
  }

  async figures(actor: Actor, period: FiguresPeriod & { by: FigureGrouping }) {
    const window = this.window(period);
    const q = { ...window, by: period.by };
    const now = this.clock.now();
    const rows = await this.repo.figureCases(q.from, q.to, townshipScope(actor));
    const groups = new Map<string, FigureCaseRow[]>();
    for (const r of rows) {
      const key = this.keyOf(r, q.by);
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const figures = [...groups.entries()]
      .map(([key, list]) => this.groupFigures(key, this.nameOf(key, q.by), list, window, now))
      .filter((g) => g.opened > 0 || g.due > 0 || g.pending > 0 || g.medianTimeToCloseMinutes !== null)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

    const reviewed: ReviewedCaseRecord[] = rows
      .filter((r) => r.reviewedAt && r.reviewedAt >= q.from && r.reviewedAt < q.to)
      .map((r) => ({
        outcome: reviewOutcomeOf({ status: asCaseStatus(r.status), origin: r.origin === 'manual' ? 'manual' : 'machine', reviewedAt: r.reviewedAt }),
        ruleIds: [r.ruleId],
        deviceIds: [...new Set([r.deviceId, ...(r.deviceIds ?? [])])],
      }));
    return {
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      by: q.by,
      calendar: this.runtime.district.calendar.name,
      groups: figures,
      asOf: (now < q.to ? now : q.to).toISOString(),
      total: this.groupFigures('all', 'All', rows, window, now),
      falsePositives: {
        overall: falsePositiveRate(reviewed),
        byRule: falsePositiveRates(reviewed, 'rule'),
        byDevice: falsePositiveRates(reviewed, 'device'),
      },
    };
  }

  /**
   * The overdue list for the dispatch meeting (调度会): cases past their deadline and still open at the end of the
   * period (or now, for a period reaching into the future), in the caller's scope, longest overdue first.
   */
  async overdue(actor: Actor, period: FiguresPeriod): Promise<{ asOf: Date; cases: OverdueCase[] }> {
    const window = this.window(period);
    const now = this.clock.now();
    const asOf = now < window.to ? now : window.to;
    const rows = await this.repo.overdueCases(asOf, townshipScope(actor), MAX_OVERDUE_ROWS);
    return {
      asOf,
      cases: rows.map((r) => ({
        caseNumber: r.caseNumber,
        categoryCode: r.categoryCode,
        townshipCode: r.townshipCode,
        handlingUnit: r.handlingUnit,
        dueAt: r.dueAt,
        overdueMinutes: overdueMinutes(r, asOf) ?? 0,
      })),
    };
  }

  private groupFigures(key: string, name: string, rows: FigureCaseRow[], window: EvaluationWindow, now: Date): GroupFigures {
    const c = closureFigures(
      rows.filter((r) => r.status !== 'rejected'),
      window,
      now,
    );
    return {
      key,
      name,
      opened: rows.filter((r) => r.createdAt >= window.from && r.createdAt < window.to).length,
      ...c,
      medianTimeToCloseMinutes: medianTimeToClose(
        rows.map((r) => ({ startedAt: r.dispatchedAt, closedAt: r.closedAt })),
        { calendar: this.runtime.district.calendar, window },
      ),
    };
  }

  private keyOf(r: FigureCaseRow, by: FigureGrouping): string {
    switch (by) {
      case 'township':
        return r.townshipCode ?? '(none)';
      case 'category':
        return r.categoryCode;
      case 'team':
        return r.handlingUnit ?? '(none)';
    }
  }

  private nameOf(key: string, by: FigureGrouping): string {
    if (key === '(none)') return by === 'team' ? 'No unit' : 'Outside every township';
    switch (by) {
      case 'township':
        return this.directory.townshipName(key) ?? key;
      case 'category':
        return this.directory.categoryName(key);
      case 'team':
        return this.directory.unitName(key) ?? key;
    }
  }
}
