import { Controller, Get, Res, StreamableFile } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, FiguresExportService, FiguresService } from '@app/core';
import type { Actor } from '@app/domain';
import type { Response } from 'express';
import { ApiAccess, ContentResponse, ZodQuery, ZodResponse } from '../openapi';
import { figuresSchema } from '../openapi/loop.schemas';
import { figuresExportQuery, type FiguresExportQuery, figuresQuery, type FiguresQuery } from './case-loop.schemas';

@ApiTags('case loop')
@ApiAccess()
@Controller('api/v1/figures')
export class FiguresController {
  constructor(
    private readonly figures: FiguresService,
    private readonly files: FiguresExportService,
  ) {}

  /**
   * Opened, closed, closure and on-time closure rates (over deadlines met or already passed), median time to close
   * per township / category / team; false-positive rates. A date alone is the district's day (+08:00).
   */
  @Get()
  @Access('operator', 'supervisor', 'admin', 'township_officer')
  @ZodResponse(200, figuresSchema, 'the figures per group, the total, and false-positive rates')
  get(@CurrentActor() actor: Actor, @ZodQuery(figuresQuery) query: FiguresQuery) {
    return this.figures.figures(actor, query);
  }

  /**
   * For the dispatch meeting (调度会): `format=xlsx` is a workbook with the figures and the overdue list (cases past
   * their deadline and still open at the end of the period); `format=csv` is one table (UTF-8 with BOM), the figures
   * or, with `sheet=overdue`, the overdue list. Scoped like GET /figures.
   */
  @Get('export')
  @Access('operator', 'supervisor', 'admin', 'township_officer')
  @ContentResponse(200, ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'text/csv'], 'the workbook, or one table as CSV')
  async export(@CurrentActor() actor: Actor, @ZodQuery(figuresExportQuery) query: FiguresExportQuery, @Res({ passthrough: true }) res: Response) {
    const f = await this.files.export(actor, query);
    res.setHeader('Content-Disposition', `attachment; filename="${f.fileName}"`);
    res.setHeader('Cache-Control', 'private, no-store');
    return new StreamableFile(f.body, { type: f.contentType });
  }
}
