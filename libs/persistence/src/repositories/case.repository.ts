import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CaseEntity } from '../entities';

export const CASE_SORTS = ['created', 'deadline', 'severity', 'last-seen'] as const;
export type CaseSort = (typeof CASE_SORTS)[number];
export const CASE_DEADLINE_FILTERS = ['overdue', 'due-soon'] as const;

export interface CaseFilter {
  /** One status, or several (e.g. every open one). */
  statuses?: string[];
  categoryCode?: string;
  townshipCode?: string;
  /** The handling unit (a township team or a department). */
  team?: string;
  /** The source the case came from (explanation.source). */
  source?: string;
  /** overdue: the running step clock is past due now; due-soon: the deadline watcher's last verdict, not yet past due. */
  deadline?: (typeof CASE_DEADLINE_FILTERS)[number];
  /** A case number (whole or its start) or a plate (any part), case and space insensitive. */
  q?: string;
  sort?: CaseSort;
  /** Scope: when set, only cases of these townships are visible (township officers). */
  scopeTownships?: string[];
  limit: number;
  offset: number;
}

/** How many cases of the scope (and the place / kind filters) wait for review or are late, whatever the status filter. */
export interface CaseSummary {
  open: number;
  awaitingReview: number;
  overdue: number;
  dueSoon: number;
}

/** The domain's open statuses as an SQL list (constants, checked to be plain words). */
const openList = (statuses: readonly string[]): string => {
  if (!statuses.every((s) => /^[a-z_]+$/.test(s))) throw new Error('status names are plain words');
  return `(${statuses.map((s) => `'${s}'`).join(', ')})`;
};
/** The running step clock of open cases only: an ended case has nothing due. */
const STEP_DUE = `(CASE WHEN c.status IN $OPEN THEN w.step_due_at END)`;
const SEVERITY_RANK = `(CASE c.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)`;
const ORDER_BY: Record<CaseSort, string> = {
  created: 'c.created_at DESC, c.id DESC',
  deadline: `${STEP_DUE} ASC NULLS LAST, c.created_at DESC, c.id DESC`,
  severity: `${SEVERITY_RANK} DESC, c.created_at DESC, c.id DESC`,
  'last-seen': 'c.last_seen_at DESC, c.id DESC',
};

/** Explicit SQL with numbered parameters, built from the filter (only values are parameters, never text). */
class Where {
  readonly params: unknown[] = [];
  readonly parts: string[] = [];
  param(v: unknown): string {
    this.params.push(v);
    return `$${this.params.length}`;
  }
  add(sql: string): void {
    this.parts.push(sql);
  }
  get sql(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

@Injectable()
export class CaseRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One page of cases, sorted and filtered in the database, with the exact number matching the filter.
   * `openStatuses` tells which statuses have a running deadline (the domain's list, passed in).
   */
  /**
   * A page with its exact total and the badges' summary, read in one read-only transaction: one connection per
   * request however many statements (a list that took several connections at once could starve the pool), and one
   * snapshot, so the total, the page and the badges agree with each other.
   */
  listWithSummary(
    filter: CaseFilter,
    summaryFilter: Omit<CaseFilter, 'statuses' | 'deadline' | 'sort' | 'limit' | 'offset'>,
    openStatuses: readonly string[],
  ): Promise<{ items: CaseEntity[]; total: number; summary: CaseSummary }> {
    return this.dataSource.transaction('REPEATABLE READ', async (db) => {
      await db.query('SET TRANSACTION READ ONLY');
      const { items, total } = await this.list(filter, openStatuses, db);
      return { items, total, summary: await this.summary(summaryFilter, openStatuses, db) };
    });
  }

  async list(
    filter: CaseFilter,
    openStatuses: readonly string[],
    db: DataSource | EntityManager = this.dataSource,
  ): Promise<{ items: CaseEntity[]; total: number }> {
    const where = new Where();
    const open = openList(openStatuses);
    this.placeAndKind(where, filter);
    if (filter.statuses?.length) where.add(`c.status = ANY(${where.param(filter.statuses)}::text[])`);
    if (filter.deadline === 'overdue') where.add(`${STEP_DUE} < now()`);
    if (filter.deadline === 'due-soon') where.add(`${STEP_DUE} >= now() AND w.deadline_state = 'due-soon'`);
    const from = `FROM cases c LEFT JOIN case_workflow w ON w.case_id = c.id ${where.sql}`.replaceAll('$OPEN', open);
    const [count] = await db.query<{ total: number }[]>(`SELECT count(*)::int AS total ${from}`, where.params);
    const limit = where.param(filter.limit);
    const offset = where.param(filter.offset);
    const order = ORDER_BY[filter.sort ?? 'created'].replaceAll('$OPEN', open);
    const page = await db.query<{ id: string }[]>(`SELECT c.id ${from} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`, where.params);
    const byId = new Map(
      (
        await this.findByIds(
          page.map((r) => r.id),
          db,
        )
      ).map((c) => [c.id, c]),
    );
    return { items: page.map((r) => byId.get(r.id)).filter((c): c is CaseEntity => !!c), total: count.total };
  }

  /** The badges' numbers: open, awaiting review, overdue and due soon within the scope and the place / kind filters. */
  async summary(
    filter: Omit<CaseFilter, 'statuses' | 'deadline' | 'sort' | 'limit' | 'offset'>,
    openStatuses: readonly string[],
    db: DataSource | EntityManager = this.dataSource,
  ): Promise<CaseSummary> {
    const where = new Where();
    const open = openList(openStatuses);
    this.placeAndKind(where, filter);
    where.add(`c.status IN $OPEN`);
    const due = STEP_DUE;
    const sql = `SELECT count(*)::int AS open,
                        count(*) FILTER (WHERE c.status = 'detected')::int AS "awaitingReview",
                        count(*) FILTER (WHERE ${due} < now())::int AS overdue,
                        count(*) FILTER (WHERE ${due} >= now() AND w.deadline_state = 'due-soon')::int AS "dueSoon"
                   FROM cases c LEFT JOIN case_workflow w ON w.case_id = c.id ${where.sql}`.replaceAll('$OPEN', open);
    const [row] = await db.query<CaseSummary[]>(sql, where.params);
    return row;
  }

  private placeAndKind(where: Where, filter: Omit<CaseFilter, 'limit' | 'offset'>): void {
    if (filter.scopeTownships) where.add(`c.township_code = ANY(${where.param(filter.scopeTownships)}::text[])`);
    if (filter.categoryCode) where.add(`c.category_code = ${where.param(filter.categoryCode)}`);
    if (filter.townshipCode) where.add(`c.township_code = ${where.param(filter.townshipCode)}`);
    if (filter.team) where.add(`c.handling_unit = ${where.param(filter.team)}`);
    if (filter.source) where.add(`c.explanation->>'source' = ${where.param(filter.source)}`);
    if (filter.q) {
      // Case numbers from their start; plates anywhere in them ("A123" finds 浙A12345), spaces and case ignored.
      const q = filter.q.replace(/\s+/g, '').toUpperCase();
      const prefix = where.param(`${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
      const anywhere = where.param(`%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
      where.add(
        `(upper(c.case_number) LIKE ${prefix}
          OR upper(replace(c.identity->>'plate', ' ', '')) LIKE ${anywhere}
          OR upper(replace(c.explanation->>'plate', ' ', '')) LIKE ${anywhere})`,
      );
    }
  }

  /** A case by its number, within the scope (null when missing or outside it). */
  async findByNumber(caseNumber: string, scopeTownships?: string[]): Promise<CaseEntity | null> {
    const qb = this.dataSource.getRepository(CaseEntity).createQueryBuilder('c').where('c.case_number = :n', { n: caseNumber });
    if (scopeTownships) qb.andWhere('c.township_code = ANY(:scope)', { scope: scopeTownships });
    return qb.getOne();
  }

  async findById(id: string, scopeTownships?: string[]): Promise<CaseEntity | null> {
    const qb = this.dataSource.getRepository(CaseEntity).createQueryBuilder('c').where('c.id = :id', { id });
    if (scopeTownships) qb.andWhere('c.township_code = ANY(:scope)', { scope: scopeTownships });
    return qb.getOne();
  }

  async findByIds(ids: string[], db: DataSource | EntityManager = this.dataSource): Promise<CaseEntity[]> {
    if (ids.length === 0) return [];
    return db.getRepository(CaseEntity).createQueryBuilder('c').where('c.id = ANY(:ids)', { ids }).getMany();
  }
}
