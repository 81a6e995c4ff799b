import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Actor, Category, townshipScope } from '@app/domain';
import { CaseRepository } from '@app/persistence';
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
    return { items: items.map((c) => toCaseView(c, this.categories)), total };
  }

  async get(actor: Actor, id: string): Promise<CaseView> {
    // An id outside the actor's scope answers exactly like a missing one.
    const found = /^[0-9a-f-]{36}$/i.test(id) ? await this.cases.findById(id, townshipScope(actor)) : null;
    if (!found) throw new NotFoundException(`case ${id} not found`);
    return toCaseView(found, this.categories);
  }

  /** For the live stream: the cases named by committed alerts, filtered to what `actor` may see. */
  async viewsForAlert(ids: string[]): Promise<CaseView[]> {
    return (await this.cases.findByIds(ids)).map((c) => toCaseView(c, this.categories));
  }
}
