import { Controller, Get, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CASE_READERS, CaseService, CurrentActor } from '@app/core';
import type { Actor } from '@app/domain';
import { z } from 'zod';
import { ApiAccess, ZodQuery, ZodResponse } from './openapi';
import { caseListSchema, caseViewSchema } from './openapi/cases.schemas';

const caseQuerySchema = z
  .object({
    status: z.string().max(50).optional(),
    category: z.string().max(100).optional(),
    township: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    offset: z.coerce.number().int().min(0).optional(),
  })
  .strict();

@ApiTags('cases')
@ApiAccess()
@Controller('api/v1/cases')
export class CasesController {
  constructor(private readonly cases: CaseService) {}

  /** Newest first; filter by status, category and township. */
  @Get()
  @Access(...CASE_READERS)
  @ZodResponse(200, caseListSchema, 'the cases in the caller’s scope, newest first')
  list(@CurrentActor() actor: Actor, @ZodQuery(caseQuerySchema) query: z.infer<typeof caseQuerySchema>) {
    return this.cases.list(actor, query);
  }

  @Get(':id')
  @Access(...CASE_READERS)
  @ZodResponse(200, caseViewSchema, 'the case, with its loop and the actions the caller may take')
  get(@CurrentActor() actor: Actor, @Param('id') id: string) {
    return this.cases.get(actor, id);
  }
}
