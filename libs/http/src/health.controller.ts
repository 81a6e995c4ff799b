import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, MetricsService } from '@app/core';
import { HealthService } from '@app/ingest';
import type { Response } from 'express';
import { ApiAccess, ContentResponse, ZodResponse } from './openapi';
import { healthReportSchema } from './openapi/ingest.schemas';

@ApiTags('operations')
@ApiAccess()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly metrics: MetricsService,
  ) {}

  /** 200 when the database and configured brokers are reachable and ingest is moving; 503 naming the failing part otherwise. */
  @Get('health')
  @Access.public()
  @ZodResponse(200, healthReportSchema, 'the database and configured brokers are reachable and ingest is moving')
  @ZodResponse(503, healthReportSchema, 'a part is down, or ingest is not moving (the checks name it)')
  async check(@Res({ passthrough: true }) res: Response) {
    const report = await this.health.check();
    res.status(report.status === 'ok' ? 200 : 503);
    return report;
  }

  @Get('metrics')
  @Access.public()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ContentResponse(200, 'text/plain', 'Prometheus text exposition format 0.0.4', { type: 'string' })
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
