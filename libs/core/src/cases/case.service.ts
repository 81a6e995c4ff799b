import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Actor, allowedActions, CASE_STATUSES, Category, townshipScope } from '@app/domain';
import { CaseEntity, CaseLoopRepository, CaseRepository } from '@app/persistence';
import { snapshotOf, toCaseLoopView } from './case-workflow.mapper';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { CaseView, toCaseView } from './case.view';

export interface CaseQuery {
  status?: string;
  category?: string;
  township?: string;
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

  async list(actor: Actor, query: CaseQuery): Promise<{ items: CaseView[]; total: number }> {
    const { items, total } = await this.cases.list({
      status: query.status,
      categoryCode: query.category,
      townshipCode: query.township,
      scopeTownships: townshipScope(actor),
      limit: Math.min(Math.max(query.limit ?? 50, 1), 500),
      offset: Math.max(query.offset ?? 0, 0),
    });
    return { items: await this.withLoop(items, actor), total };
  }

  async get(actor: Actor, id: string): Promise<CaseView> {
    // An id outside the actor's scope answers exactly like a missing one.
    const found = /^[0-9a-f-]{36}$/i.test(id) ? await this.cases.findById(id, townshipScope(actor)) : null;
    if (!found) throw new NotFoundException(`case ${id} not found`);
    return (await this.withLoop([found], actor))[0];
  }

  /** For the live stream: the cases named by committed alerts, filtered to what `actor` may see. */
  async viewsForAlert(ids: string[]): Promise<CaseView[]> {
    return this.withLoop(await this.cases.findByIds(ids));
  }

  /** After a transition: the acting user gets the case back even when it has just left their scope (a transfer). */
  async viewAfterAction(actor: Actor, id: string): Promise<CaseView> {
    const found = await this.cases.findById(id);
    if (!found) throw new NotFoundException(`case ${id} not found`);
    return (await this.withLoop([found], actor))[0];
  }

  /** Adds the loop state (and, for a known user, the actions they may take). */
  private async withLoop(rows: CaseEntity[], actor?: Actor): Promise<CaseView[]> {
    const states = await this.loop.loopStates(rows.map((c) => c.id));
    return rows.map((c) => {
      const state = states.get(c.id);
      const view: CaseView = { ...toCaseView(c, this.categories), loop: toCaseLoopView(state, c.identity) };
      if (actor && (CASE_STATUSES as readonly string[]).includes(c.status)) view.allowedActions = allowedActions(snapshotOf(c, state?.workflow ?? null), actor);
      return view;
    });
  }
}
