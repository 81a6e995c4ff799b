import { Global, Module } from '@nestjs/common';
import { DeadLetterReplayService } from './dead-letter-replay.service';
import { HealthService } from './health.service';
import { HikvisionIngestService } from './hikvision-ingest.service';
import { IngestWatchdogService } from './ingest-watchdog.service';
import { IngestWorkerService } from './ingest-worker.service';
import { IngestService } from './ingest.service';
import { PhotoService } from './photo.service';
import { ReportPhotoService } from './report-photo.service';
import { Open311IntakeService } from './open311-intake.service';

const SERVICES = [
  IngestService,
  HikvisionIngestService,
  PhotoService,
  ReportPhotoService,
  DeadLetterReplayService,
  IngestWatchdogService,
  HealthService,
  Open311IntakeService,
];

/** The pipeline, in every app: HTTP sources (Hikvision, drone photos) and dead-letter replay use it too. */
@Global()
@Module({ providers: SERVICES, exports: SERVICES })
export class IngestModule {}

/** The broker consumers (MQTT, Kafka): only in the apps that consume (worker, standalone); /health asks it when present. */
@Global()
@Module({ providers: [IngestWorkerService], exports: [IngestWorkerService] })
export class IngestWorkerModule {}
