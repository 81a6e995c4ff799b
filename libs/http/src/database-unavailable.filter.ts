import { ArgumentsHost, Catch, HttpException, ServiceUnavailableException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { LOGGER, type Logger } from '@app/core';
import { isDatabaseUnavailable } from '@app/ingest';
import type { INestApplication } from '@nestjs/common';

/**
 * A request that fails because PostgreSQL cannot be reached (down, restarting, every connection taken past
 * DB_CONNECT_TIMEOUT_MS) answers 503 "try again" and is logged, never a bare 500 or a hang. Everything else
 * goes to Nest's own handling unchanged.
 */
@Catch()
export class DatabaseUnavailableFilter extends BaseExceptionFilter {
  constructor(
    app: INestApplication,
    private readonly logger: Logger,
  ) {
    super(app.getHttpAdapter());
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (!(exception instanceof HttpException) && isDatabaseUnavailable(exception) && host.getType() === 'http') {
      this.logger.error({ err: (exception as Error).message }, 'request failed: database unavailable');
      return super.catch(new ServiceUnavailableException('the database is not available right now; try again shortly'), host);
    }
    super.catch(exception, host);
  }
}

export function useDatabaseUnavailableFilter(app: INestApplication): void {
  app.useGlobalFilters(new DatabaseUnavailableFilter(app, app.get<Logger>(LOGGER)));
}
