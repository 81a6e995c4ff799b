import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { dataSourceOptions, PoolOptions } from './data-source-options';
import type { DatabaseLogSink } from './typeorm-json.logger';
import { CaseRepository } from './repositories/case.repository';
import { PhotoRepository } from './repositories/photo.repository';
import { RefreshTokenRepository } from './repositories/refresh-token.repository';
import { ClassificationStateRepository } from './repositories/classification-state.repository';
import { DeviceRepository } from './repositories/device.repository';
import { DatabaseHealthRepository } from './repositories/health.repository';
import { IngestRepository } from './repositories/ingest.repository';
import { SettingRepository } from './repositories/setting.repository';
import { UserRepository } from './repositories/user.repository';
import { CaseLoopRepository } from './repositories/case-loop.repository';
import { AuditLogRepository } from './repositories/audit-log.repository';
import { EvidenceRepository } from './repositories/evidence.repository';
import { OutboxRepository } from './repositories/outbox.repository';
import { DeadLetterRepository } from './repositories/dead-letter.repository';
import { PictureRepository } from './repositories/picture.repository';
import { SecurityEventRepository } from './repositories/security-event.repository';
import { CaseFileRepository } from './repositories/case-file.repository';
import { Open311Repository } from './repositories/open311.repository';
import { DeviceHealthRepository } from './repositories/device-health.repository';
import { EventLogRepository } from './repositories/event-log.repository';
import { FollowUpRepository } from './repositories/follow-up.repository';
import { ADVISORY_LOCKS } from './advisory-locks';

const REPOSITORIES = [
  PhotoRepository,
  RefreshTokenRepository,
  CaseRepository,
  ClassificationStateRepository,
  DeviceRepository,
  DatabaseHealthRepository,
  IngestRepository,
  SettingRepository,
  UserRepository,
  CaseLoopRepository,
  AuditLogRepository,
  EvidenceRepository,
  OutboxRepository,
  DeadLetterRepository,
  PictureRepository,
  SecurityEventRepository,
  CaseFileRepository,
  Open311Repository,
  DeviceHealthRepository,
  EventLogRepository,
  FollowUpRepository,
];

/** Serialises migrations across instances starting at once. */
const MIGRATION_LOCK = ADVISORY_LOCKS.migrations;

export async function runMigrations(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

@Global()
@Module({})
export class PersistenceModule {
  /** `logger`: the app's (pino) logger for failed queries; without it they go to stderr as JSON lines. */
  static forRoot(options: { url: string; schema?: string; runMigrations: boolean; pool?: PoolOptions; logger?: DatabaseLogSink }): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(options.url, options.schema, options.pool, options.logger),
          dataSourceFactory: async (opts) => {
            const ds = await new DataSource(opts!).initialize();
            if (options.runMigrations) await runMigrations(ds);
            return ds;
          },
        }),
      ],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
