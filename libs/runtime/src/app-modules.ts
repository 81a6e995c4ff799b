import { DynamicModule, Module, type Type } from '@nestjs/common';
import { CoreApiModule, CoreModule, CoreWorkerModule, type Logger, type RuntimeOptions } from '@app/core';
import { HttpApiModule, OpsHttpModule } from '@app/http';
import { IngestModule, IngestWorkerModule } from '@app/ingest';

/** api: HTTP only; worker: broker consumers (+ /health); standalone: both, on embedded defaults. */
export type RunMode = 'api' | 'worker' | 'standalone';

/**
 * Which parts run in each app is its module set, not a flag read inside services: the API apps serve
 * consoles and seed the first administrator; the consuming apps run the broker consumers and the
 * background jobs. Every app has the core services and the pipeline (HTTP sources and replays use it).
 */
const MODULE_SETS: Readonly<Record<RunMode, readonly Type[]>> = {
  api: [IngestModule, CoreApiModule, HttpApiModule],
  worker: [IngestModule, IngestWorkerModule, CoreWorkerModule, OpsHttpModule],
  standalone: [IngestModule, IngestWorkerModule, CoreWorkerModule, CoreApiModule, HttpApiModule],
};

@Module({})
export class CloudPatrolModule {
  static register(mode: RunMode, runtime: RuntimeOptions, logger: Logger): DynamicModule {
    return { module: CloudPatrolModule, imports: [CoreModule.forRoot(runtime, logger), ...MODULE_SETS[mode]] };
  }
}
