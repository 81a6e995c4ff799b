import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, FiguresService } from '@app/core';
import type { Actor } from '@app/domain';
import { ZodValidationPipe } from '../zod-validation.pipe';
import { figuresQuery, type FiguresQuery } from './case-loop.schemas';

@ApiTags('case loop')
@ApiBearerAuth()
@Controller('api/v1/figures')
export class FiguresController {
  constructor(private readonly figures: FiguresService) {}

  /** Opened, closed, closure and on-time closure rates, median time to close per township / category / team; false-positive rates. */
  @Get()
  @Access('operator', 'supervisor', 'admin', 'township_officer')
  get(@CurrentActor() actor: Actor, @Query(new ZodValidationPipe(figuresQuery)) query: FiguresQuery) {
    return this.figures.figures(actor, query);
  }
}
