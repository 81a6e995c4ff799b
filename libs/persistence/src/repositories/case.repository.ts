import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CaseEntity } from '../entities';

export interface CaseFilter {
  status?: string;
  categoryCode?: string;
  townshipCode?: string;
  /** Scope: when set, only cases of these townships are visible (township officers). */
  scopeTownships?: string[];
  limit: number;
  offset: number;
}

@Injectable()
export class CaseRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(filter: CaseFilter): Promise<{ items: CaseEntity[]; total: number }> {
    const qb = this.dataSource.getRepository(CaseEntity).createQueryBuilder('c');
    if (filter.status) qb.andWhere('c.status = :status', { status: filter.status });
    if (filter.categoryCode) qb.andWhere('c.category_code = :category', { category: filter.categoryCode });
    if (filter.townshipCode) qb.andWhere('c.township_code = :township', { township: filter.townshipCode });
    if (filter.scopeTownships) qb.andWhere('c.township_code = ANY(:scope)', { scope: filter.scopeTownships });
    qb.orderBy('c.created_at', 'DESC').addOrderBy('c.id', 'DESC').take(filter.limit).skip(filter.offset);
    const [items, total] = await qb.getManyAndCount();
    return { items, total };
  }

  async findById(id: string, scopeTownships?: string[]): Promise<CaseEntity | null> {
    const qb = this.dataSource.getRepository(CaseEntity).createQueryBuilder('c').where('c.id = :id', { id });
    if (scopeTownships) qb.andWhere('c.township_code = ANY(:scope)', { scope: scopeTownships });
    return qb.getOne();
  }

  async findByIds(ids: string[]): Promise<CaseEntity[]> {
    if (ids.length === 0) return [];
    return this.dataSource.getRepository(CaseEntity).createQueryBuilder('c').where('c.id = ANY(:ids)', { ids }).getMany();
  }
}
