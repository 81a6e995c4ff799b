import { INestApplication, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AccessGuard, type Logger } from '@app/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AlertsController } from './alerts.controller';
import { AuthController } from './auth.controller';
import { CasesController } from './cases.controller';
import { DevicesController } from './devices.controller';
import { DronesController } from './drones.controller';
import { HealthController } from './health.controller';
import { HikvisionController } from './hikvision.controller';
import { UsersController } from './users.controller';
import { SecurityEventsController } from './security-events.controller';
import { PhotosController } from './photos.controller';
import { RulesController } from './rules.controller';
import { DeadLettersController } from './dead-letters.controller';
import { EventsController } from './events.controller';
import { CaseLoopHttpModule } from './case-loop/case-loop-http.module';
import { raw, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { serveWebApp, WebModule } from './web';
import { useDatabaseUnavailableFilter } from './database-unavailable.filter';
import { BEARER_AUTH, DEVICE_BASIC_AUTH, STREAM_TOKEN_AUTH } from './openapi';
import { accessLog } from './access-log';
import { DeviceAwareAccessGuard } from './device-access.guard';
import { metricsAccess, type MetricsAccessOptions } from './metrics-access';

@Module({
  imports: [CaseLoopHttpModule, WebModule],
  controllers: [
    HealthController,
    AuthController,
    CasesController,
    AlertsController,
    DevicesController,
    DronesController,
    UsersController,
    SecurityEventsController,
    HikvisionController,
    PhotosController,
    RulesController,
    DeadLettersController,
    EventsController,
  ],
  // Device endpoints also take HTTP Digest and answer 401 with challenges (DeviceAwareAccessGuard); the rest is AccessGuard's.
  providers: [AccessGuard, { provide: APP_GUARD, useClass: DeviceAwareAccessGuard }],
})
export class HttpApiModule {}

/** A worker serves only /health and /metrics. */
@Module({
  controllers: [HealthController],
  providers: [{ provide: APP_GUARD, useClass: AccessGuard }],
})
export class OpsHttpModule {}

export interface HttpAppOptions {
  corsOrigins: string[];
  /** Express's `trust proxy` (TRUST_PROXY): false = the socket's address is the client. */
  trustProxy?: false | number | string[];
  /** Who may read /metrics (METRICS_TOKEN, METRICS_PORT); default: this host only. */
  metrics?: MetricsAccessOptions;
  /** The access log (one line per request, request ids); none without a logger. */
  logger?: Logger;
}

/** Applies the HTTP settings every API process shares: proxy trust, access log, body limits, /metrics access, OpenAPI at /api/docs. */
export function configureHttpApp(app: INestApplication, options: HttpAppOptions = { corsOrigins: [] }): void {
  // Behind a proxy, req.ip (and so @Ip() and every throttle) is the client the trusted hops name; off, X-Forwarded-For is ignored.
  (app as NestExpressApplication).set('trust proxy', options.trustProxy ?? false);
  if (options.logger) app.use(accessLog(options.logger));
  app.use('/metrics', metricsAccess(options.metrics ?? {}));
  app.enableShutdownHooks();
  useDatabaseUnavailableFilter(app);
  // Secure headers everywhere; the OpenAPI page needs its own inline script, so it gets a looser policy.
  const strict = helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:', 'blob:'], connectSrc: ["'self'"] } } });
  const docs = helmet({ contentSecurityPolicy: false });
  app.use((req: Request, res: Response, next: NextFunction) => (req.path.startsWith('/api/docs') ? docs(req, res, next) : strict(req, res, next)));
  // CORS is closed unless origins are configured: the console is served by the API itself.
  if (options.corsOrigins.length > 0) app.enableCors({ origin: options.corsOrigins, credentials: false });
  // Hikvision pushes XML or multipart (XML + pictures): read the bytes as they are, within a limit.
  app.use('/api/v1/ingest/hikvision', raw({ type: () => true, limit: '8mb' }));
  const document = SwaggerModule.createDocument(app, openApiConfig());
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  serveWebApp(app);
}

/**
 * The document's frame; each operation's body, query, responses and roles come from its decorators (./openapi):
 * the zod schemas that validate requests, the response schemas checked against the services' types, @Access.
 */
export function openApiConfig() {
  return new DocumentBuilder()
    .setTitle('CloudPatrol API')
    .setDescription('Non-site enforcement monitoring service. Each operation lists the roles that may call it (`x-roles`, and in its description).')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'POST /api/v1/auth/login' }, BEARER_AUTH)
    .addBasicAuth(
      {
        type: 'http',
        scheme: 'basic',
        description:
          'a device: its id and the password from POST /api/v1/devices/{id}/credentials; HTTP Digest (RFC 7616, MD5 or SHA-256, realm "CloudPatrol") is accepted too, and a 401 carries both challenges',
      },
      DEVICE_BASIC_AUTH,
    )
    .addApiKey(
      { type: 'apiKey', in: 'query', name: 'token', description: 'the alerts stream only: a token from POST /api/v1/auth/stream-token' },
      STREAM_TOKEN_AUTH,
    )
    .build();
}
