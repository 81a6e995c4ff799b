import { DynamicModule, Global, Module } from '@nestjs/common';
import { PersistenceModule } from '@app/persistence';
import { AlertService } from './alerts/alert.service';
import { AuthService } from './auth/auth.service';
import { CaseService } from './cases/case.service';
import { DeviceRegisterService } from './devices/device-register.service';
import { DeviceService } from './devices/device.service';
import { PhotoService } from './imagery/photo.service';
import { PictureService } from './pictures/picture.service';
import { PictureFetchService } from './pictures/picture-fetch.service';
import { PictureStore } from './pictures/picture-store';
import { RuleSetService } from './classification/rule-set.service';
import { UserService } from './auth/user.service';
import { HikvisionIngestService } from './ingest/hikvision-ingest.service';
import { HealthService } from './health/health.service';
import { IngestWatchdogService } from './ingest/ingest-watchdog.service';
import { IngestWorkerService } from './ingest/ingest-worker.service';
import { IngestService } from './ingest/ingest.service';
import { DeadLetterReplayService } from './ingest/dead-letter-replay.service';
import { LOGGER, type Logger } from './observability/logger';
import { MetricsService } from './observability/metrics.service';
import { RUNTIME_OPTIONS, type RuntimeOptions } from './runtime/runtime-options';
import { CASE_LOOP_SERVICES } from './case-loop';

const SERVICES = [
  AlertService,
  AuthService,
  CaseService,
  DeviceRegisterService,
  DeviceService,
  HealthService,
  HikvisionIngestService,
  IngestService,
  DeadLetterReplayService,
  IngestWatchdogService,
  IngestWorkerService,
  MetricsService,
  PhotoService,
  PictureService,
  PictureFetchService,
  PictureStore,
  RuleSetService,
  UserService,
  ...CASE_LOOP_SERVICES,
];

/** Services and their repositories; the apps add transports (worker) and controllers (api). */
@Global()
@Module({})
export class CoreModule {
  static forRoot(runtime: RuntimeOptions, logger: Logger): DynamicModule {
    return {
      module: CoreModule,
      imports: [PersistenceModule.forRoot({
          url: runtime.databaseUrl,
          schema: runtime.env.DATABASE_SCHEMA,
          runMigrations: true,
          pool: { size: runtime.env.DB_POOL_SIZE, connectTimeoutMs: runtime.env.DB_CONNECT_TIMEOUT_MS },
        })],
      providers: [{ provide: RUNTIME_OPTIONS, useValue: runtime }, { provide: LOGGER, useValue: logger }, ...SERVICES],
      exports: [RUNTIME_OPTIONS, LOGGER, ...SERVICES],
    };
  }
}
