import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, FiguresService } from '@app/core';
import type { Actor } from '@app/domain';
import { ApiAccess, ZodQuery, ZodResponse } from '../openapi';
import { figuresSchema } from '../openapi/loop.schemas';
import { figuresQuery, type FiguresQuery } from './case-loop.schemas';

@ApiTags('case loop')
@ApiAccess()
@Controller('api/v1/figures')
export class FiguresController {
  constructor(private readonly figures: FiguresService) {}

  /** Opened, closed, closure and on-time closure rates, median time to close per township / category / team; false-positive rates. */
  @Get()
  @Access('operator', 'supervisor', 'admin', 'township_officer')
  @ZodResponse(200, figuresSchema, 'the figures per group, the total, and false-positive rates')
  get(@CurrentActor() actor: Actor, @ZodQuery(figuresQuery) query: FiguresQuery) {
    return this.figures.figures(actor, query);
  }
}
