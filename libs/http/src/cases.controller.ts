import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Access, CASE_READERS, CaseService, CurrentActor } from '@app/core';
import type { Actor } from '@app/domain';
import { z } from 'zod';
import { ZodValidationPipe } from './zod-validation.pipe';

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
@ApiBearerAuth()
@Controller('api/v1/cases')
export class CasesController {
  constructor(private readonly cases: CaseService) {}

  /** Newest first; filter by status, category and township. */
  @Get()
  @Access(...CASE_READERS)
  list(@CurrentActor() actor: Actor, @Query(new ZodValidationPipe(caseQuerySchema)) query: z.infer<typeof caseQuerySchema>) {
    return this.cases.list(actor, query);
  }

  @Get(':id')
  @Access(...CASE_READERS)
  get(@CurrentActor() actor: Actor, @Param('id') id: string) {
    return this.cases.get(actor, id);
  }
}
