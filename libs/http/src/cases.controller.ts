import { Controller, Get, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CASE_DEADLINE_FILTERS, CASE_READERS, CASE_SORTS, CaseService, CurrentActor } from '@app/core';
import type { Actor } from '@app/domain';
import { z } from 'zod';
import { ApiAccess, ZodQuery, ZodResponse } from './openapi';
import { caseListSchema, caseViewSchema } from './openapi/cases.schemas';

const caseQuerySchema = z
  .object({
    status: z.string().max(50).optional().describe('a status, or `open` for every open one'),
    category: z.string().max(100).optional(),
    township: z.string().max(100).optional(),
    team: z.string().max(200).optional().describe('the handling unit, e.g. township-team:449901001'),
    source: z.string().max(50).optional().describe('where the case came from (frigate, hikvision, dji, …)'),
    deadline: z.enum(CASE_DEADLINE_FILTERS).optional().describe('overdue: past its running deadline now; due-soon: in the last part of it'),
    q: z.string().max(100).optional().describe('a case number (or its start) or a plate (or part of it)'),
    sort: z.enum(CASE_SORTS).optional().describe('created (newest first, the default), deadline (soonest due first), severity, last-seen'),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    offset: z.coerce.number().int().min(0).optional(),
  })
  .strict();

@ApiTags('cases')
@ApiAccess()
@Controller('api/v1/cases')
export class CasesController {
  constructor(private readonly cases: CaseService) {}

  /** Paged and sorted by the database, exact totals; filter by status, category, township, team, source, deadline; search by case number or plate. */
  @Get()
  @Access(...CASE_READERS)
  @ZodResponse(200, caseListSchema, 'one page of the cases in the caller’s scope, the exact total and the scope’s badge numbers')
  list(@CurrentActor() actor: Actor, @ZodQuery(caseQuerySchema) query: z.infer<typeof caseQuerySchema>) {
    return this.cases.list(actor, query);
  }

  @Get(':id')
  @Access(...CASE_READERS)
  @ZodResponse(200, caseViewSchema, 'the case (by id or case number), with its loop and the actions the caller may take')
  get(@CurrentActor() actor: Actor, @Param('id') id: string) {
    return this.cases.get(actor, id);
  }
}
