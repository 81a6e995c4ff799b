import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import {
  type Actor,
  closureFigures,
  type EvaluationWindow,
  falsePositiveRate,
  falsePositiveRates,
  medianTimeToClose,
  type ReviewedCaseRecord,
  reviewOutcomeOf,
  townshipScope,
} from '@app/domain';
import { CaseLoopRepository, type FigureCaseRow } from '@app/persistence';
import { asCaseStatus } from '../cases/case-workflow.mapper';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { DistrictDirectory } from './district-directory';

export const FIGURE_GROUPINGS = ['township', 'category', 'team'] as const;
export type FigureGrouping = (typeof FIGURE_GROUPINGS)[number];

export interface GroupFigures {
  key: string;
  name: string;
  /** Cases created in the window (machine detections included, whatever their review). */
  opened: number;
  /** Due in the window: the earlier of deadline and closure falls in it (case-figures.ts). */
  due: number;
  closed: number;
  closedOnTime: number;
  open: number;
  closureRate: number | null;
  onTimeClosureRate: number | null;
  /** Median working minutes from dispatch to close over cases closed in the window. */
  medianTimeToCloseMinutes: number | null;
}

const MAX_WINDOW_MS = 366 * 86_400_000;

/** The evaluation step (综合评价): indicators for a period, per township, category or team. */
@Injectable()
export class FiguresService {
  constructor(
    private readonly repo: CaseLoopRepository,
    private readonly directory: DistrictDirectory,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
  ) {}

  async figures(actor: Actor, q: { from: Date; to: Date; by: FigureGrouping }) {
    if (q.to.getTime() <= q.from.getTime()) throw new BadRequestException('to must be after from');
    if (q.to.getTime() - q.from.getTime() > MAX_WINDOW_MS) throw new BadRequestException('the period may be at most 366 days');
    const window: EvaluationWindow = { from: q.from, to: q.to };
    const rows = await this.repo.figureCases(q.from, q.to, townshipScope(actor));
    const groups = new Map<string, FigureCaseRow[]>();
    for (const r of rows) {
      const key = this.keyOf(r, q.by);
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const figures = [...groups.entries()]
      .map(([key, list]) => this.groupFigures(key, this.nameOf(key, q.by), list, window))
      .filter((g) => g.opened > 0 || g.due > 0 || g.medianTimeToCloseMinutes !== null)
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
      total: this.groupFigures('all', 'All', rows, window),
      falsePositives: {
        overall: falsePositiveRate(reviewed),
        byRule: falsePositiveRates(reviewed, 'rule'),
        byDevice: falsePositiveRates(reviewed, 'device'),
      },
    };
  }

  private groupFigures(key: string, name: string, rows: FigureCaseRow[], window: EvaluationWindow): GroupFigures {
    const c = closureFigures(
      rows.filter((r) => r.status !== 'rejected'),
      window,
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
