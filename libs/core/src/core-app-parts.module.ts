import { Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { AlertService } from './alerts/alert.service';
import { AuthService } from './auth/auth.service';
import { CaseLoopScheduler } from './case-loop/case-loop.scheduler';
import { OutboxRelay } from './case-loop/outbox-relay.service';
import { PictureFetchService } from './pictures/picture-fetch.service';

/** Consoles connect to API processes: they hear every process's committed changes through PostgreSQL. */
@Injectable()
export class LiveAlertFeed implements OnApplicationBootstrap {
  constructor(private readonly alerts: AlertService) {}

  onApplicationBootstrap(): Promise<void> {
    return this.alerts.listen();
  }
}

/** A new install gets its first administrator from the process people log in to. */
@Injectable()
export class AdministratorSeed implements OnApplicationBootstrap {
  constructor(private readonly auth: AuthService) {}

  onApplicationBootstrap(): Promise<void> {
    return this.auth.seedAdministrator();
  }
}

/** What an API process runs besides its controllers (api, standalone). */
@Module({ providers: [LiveAlertFeed, AdministratorSeed] })
export class CoreApiModule {}

/**
 * Background work on cases and pictures (worker, standalone): case intake, evidence sealing, deadline
 * watch, the outbox relay to Kafka, fetching pictures from sources. Several workers may run them: each
 * leases or locks its rows.
 */
@Module({ providers: [CaseLoopScheduler, OutboxRelay, PictureFetchService], exports: [OutboxRelay] })
export class CoreWorkerModule {}
