import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, MetricsService } from '@app/core';
import { HealthService } from '@app/ingest';
import type { Response } from 'express';
import { ApiAccess, ContentResponse, ZodResponse } from './openapi';
import { healthReportSchema } from './openapi/ingest.schemas';

/** What a refused scrape is answered. */
const METRICS_REFUSED = { type: 'object', properties: { statusCode: { type: 'integer' }, message: { type: 'string' } }, required: ['statusCode', 'message'] };

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

  /**
   * Prometheus metrics (they name devices and count their events), no login but not open: by default only to
   * clients on this host (loopback, not forwarded by a proxy); with METRICS_TOKEN to whoever sends that bearer
   * token; with METRICS_PORT only on that port (METRICS_HOST, default 127.0.0.1), 404 here. Enforced before
   * this handler (metricsAccess in configureHttpApp).
   */
  @Get('metrics')
  @Access.public()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ContentResponse(200, 'text/plain', 'Prometheus text exposition format 0.0.4', { type: 'string' })
  @ContentResponse(401, 'application/json', 'METRICS_TOKEN is set and the request lacks Authorization: Bearer <METRICS_TOKEN>', METRICS_REFUSED)
  @ContentResponse(
    403,
    'application/json',
    'neither METRICS_TOKEN nor METRICS_PORT is set and the client is not on this host (or came through a proxy)',
    METRICS_REFUSED,
  )
  @ContentResponse(404, 'application/json', 'METRICS_PORT is set: metrics are served on that port only', METRICS_REFUSED)
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
