import { DynamicModule, Global, Module } from '@nestjs/common';
import { PersistenceModule } from '@app/persistence';
import { AlertService } from './alerts/alert.service';
import { AuthService } from './auth/auth.service';
import { CaseService } from './cases/case.service';
import { DeviceRegisterService } from './devices/device-register.service';
import { DeviceService } from './devices/device.service';
import { DeviceDigestAuth } from './devices/device-digest-auth.service';
import { DeviceHealthService } from './devices/device-health.service';
import { EventLogService } from './integration/event-log.service';
import { PictureService } from './pictures/picture.service';
import { PictureStore } from './pictures/picture-store';
import { RuleSetService } from './classification/rule-set.service';
import { UserService } from './auth/user.service';
import { PasswordHashRepository } from './auth/password-hash.repository';
import { LOGGER, type Logger } from './observability/logger';
import { MetricsService } from './observability/metrics.service';
import { RUNTIME_OPTIONS, type RuntimeOptions } from './runtime/runtime-options';
import { IngestPressure } from './runtime/ingest-pressure';
import { CASE_LOOP_SERVICES } from './case-loop';
import { CASE_FILE_SERVICES } from './case-file';

const SERVICES = [
  AlertService,
  AuthService,
  CaseService,
  DeviceRegisterService,
  DeviceService,
  DeviceDigestAuth,
  DeviceHealthService,
  EventLogService,
  IngestPressure,
  MetricsService,
  PasswordHashRepository,
  PictureService,
  PictureStore,
  RuleSetService,
  UserService,
  ...CASE_LOOP_SERVICES,
  ...CASE_FILE_SERVICES,
];

/** Services and their repositories, in every app; each app adds its parts (core-app-parts.module.ts, ingest, http). */
@Global()
@Module({})
export class CoreModule {
  static forRoot(runtime: RuntimeOptions, logger: Logger): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        PersistenceModule.forRoot({
          url: runtime.databaseUrl,
          schema: runtime.env.DATABASE_SCHEMA,
          runMigrations: true,
          // Failed queries are logged through the app's logger: one JSON line, never the parameters.
          logger,
          pool: { size: runtime.env.DB_POOL_SIZE, connectTimeoutMs: runtime.env.DB_CONNECT_TIMEOUT_MS },
        }),
      ],
      providers: [{ provide: RUNTIME_OPTIONS, useValue: runtime }, { provide: LOGGER, useValue: logger }, ...SERVICES],
      exports: [RUNTIME_OPTIONS, LOGGER, ...SERVICES],
    };
  }
}
