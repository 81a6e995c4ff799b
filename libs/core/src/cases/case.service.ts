import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Actor, allowedActions, CASE_STATUSES, caseRefKind, Category, OPEN_CASE_STATUSES, townshipScope } from '@app/domain';
import {
  CASE_DEADLINE_FILTERS,
  CASE_SORTS,
  CaseEntity,
  CaseLoopRepository,
  CaseRepository,
  type CaseSort,
  type CaseSummary,
  type LoopStateRow,
} from '@app/persistence';
import { snapshotOf, toCaseLoopView } from './case-workflow.mapper';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { CaseView, toCaseView } from './case.view';

/** The list's sorts and deadline filters, for the API's schema. */
export { CASE_DEADLINE_FILTERS, CASE_SORTS };

export interface CaseQuery {
  /** A status, or `open` for every open one. */
  status?: string;
  category?: string;
  township?: string;
  /** The handling unit, e.g. `township-team:449901001`. */
  team?: string;
  source?: string;
  deadline?: 'overdue' | 'due-soon';
  /** A case number (or its start) or a plate (or part of it). */
  q?: string;
  sort?: CaseSort;
  limit?: number;
  offset?: number;
}

/** Reads of cases, always scoped by who is asking: an officer only ever sees its own township. */
@Injectable()
export class CaseService {
  private readonly categories: Map<string, Category>;

  constructor(
    private readonly cases: CaseRepository,
    @Inject(RUNTIME_OPTIONS) runtime: RuntimeOptions,
    private readonly loop: CaseLoopRepository,
  ) {
    this.categories = new Map(runtime.district.ruleSet.categories.map((c) => [c.code, c]));
  }

  /**
   * One page of the caller's cases, filtered and sorted by the database; `total` is the exact number matching
   * the filter and `summary` the scope's open / awaiting review / overdue / due-soon numbers (for the badges).
   */
  async list(actor: Actor, query: CaseQuery): Promise<{ items: CaseView[]; total: number; summary: CaseSummary }> {
    const place = {
      categoryCode: query.category || undefined,
      townshipCode: query.township || undefined,
      team: query.team || undefined,
      source: query.source || undefined,
      q: query.q?.trim() || undefined,
      scopeTownships: townshipScope(actor),
    };
    const statuses = query.status === 'open' ? [...OPEN_CASE_STATUSES] : query.status ? [query.status] : undefined;
    const { items, total, summary } = await this.cases.listWithSummary(
      {
        ...place,
        statuses,
        deadline: query.deadline,
        sort: query.sort,
        limit: Math.min(Math.max(query.limit ?? 50, 1), 500),
        offset: Math.max(query.offset ?? 0, 0),
      },
      place,
      OPEN_CASE_STATUSES,
    );
    return { items: await this.withLoop(items, actor), total, summary };
  }

  /** A case by its id or its case number (`#/cases/CP-20261204-000123` works as well as the id). */
  async get(actor: Actor, idOrNumber: string): Promise<CaseView> {
    // An id outside the actor's scope answers exactly like a missing one.
    const scope = townshipScope(actor);
    const kind = caseRefKind(idOrNumber);
    const found =
      kind === 'id' ? await this.cases.findById(idOrNumber, scope) : kind === 'number' ? await this.cases.findByNumber(idOrNumber.toUpperCase(), scope) : null;
    if (!found) throw new NotFoundException(`case ${idOrNumber} not found`);
    return (await this.withLoop([found], actor))[0];
  }

  /** For the live stream: the cases named by committed alerts, filtered to what `actor` may see. */
  async viewsForAlert(ids: string[]): Promise<CaseView[]> {
    // Both reads at once: a new case's alert waits for one round trip after the commit, not two in a row.
    const [rows, states] = await Promise.all([this.cases.findByIds(ids), this.loop.loopStates(ids)]);
    return this.toViews(rows, states);
  }

  /** After a transition: the acting user gets the case back even when it has just left their scope (a transfer). */
  async viewAfterAction(actor: Actor, id: string): Promise<CaseView> {
    const found = await this.cases.findById(id);
    if (!found) throw new NotFoundException(`case ${id} not found`);
    return (await this.withLoop([found], actor))[0];
  }

  /** Adds the loop state (and, for a known user, the actions they may take). */
  private async withLoop(rows: CaseEntity[], actor?: Actor): Promise<CaseView[]> {
    return this.toViews(rows, await this.loop.loopStates(rows.map((c) => c.id)), actor);
  }

  private toViews(rows: CaseEntity[], states: Map<string, LoopStateRow>, actor?: Actor): CaseView[] {
    const now = new Date();
    return rows.map((c) => {
      const state = states.get(c.id);
      const view: CaseView = { ...toCaseView(c, this.categories), loop: toCaseLoopView(state, c.identity), deadlineState: this.deadlineStateOf(c, state, now) };
      if (actor && (CASE_STATUSES as readonly string[]).includes(c.status)) view.allowedActions = allowedActions(snapshotOf(c, state?.workflow ?? null), actor);
      return view;
    });
  }

  /**
   * Where the running step clock stands now (null: ended or no clock). Overdue is exact (past due now); due-soon
   * is the deadline watcher's last verdict (measured in working time), the same rule the `deadline` filter uses.
   */
  private deadlineStateOf(c: CaseEntity, state: LoopStateRow | undefined, now: Date): CaseView['deadlineState'] {
    const w = state?.workflow;
    if (!(OPEN_CASE_STATUSES as readonly string[]).includes(c.status) || !w?.stepDueAt) return null;
    if (now.getTime() > w.stepDueAt.getTime()) return 'overdue';
    return w.deadlineState === 'due-soon' ? 'due-soon' : 'on-track';
  }
}
