import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { IngestRepository } from '@app/persistence';
import { AlertService, IngestAlert, type Logger, LOGGER, MetricsService } from '@app/core';
import type { TransportProgress } from './ingest-progress';
import { IngestWorkerService } from './ingest-worker.service';
import { IngestService } from './ingest.service';

const LOOK_EVERY_MS = 1000;

/**
 * Watches ingest for a stall: work waiting and nothing committed for INGEST_STALL_SECONDS, or batches
 * failing again and again. A stall is logged as an error, shown on /health (degraded), on the
 * `cloudpatrol_ingest_stalled` gauge and as a live alert to the centre; so is the recovery. The centre must
 * never go blind without being told.
 */
@Injectable()
export class IngestWatchdogService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private stalled = new Set<string>();
  private last: TransportProgress[] = [];

  constructor(
    private readonly ingest: IngestService,
    private readonly alerts: AlertService,
    private readonly repository: IngestRepository,
    private readonly metrics: MetricsService,
    @Inject(LOGGER) private readonly logger: Logger,
    // Composed only into the apps that consume the brokers (worker, standalone).
    @Optional() private readonly worker?: IngestWorkerService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.look(), LOOK_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Per transport: moving or stalled, with the reason (for /health). */
  report(): TransportProgress[] {
    return this.last;
  }

  /** Looks now (the timer does it every second). */
  look(): void {
    const progress = this.ingest.progress;
    // MQTT waits either in this worker's transport or, on the embedded broker, as publishes awaiting their PUBACK.
    progress.backlog('mqtt', (this.worker?.mqttBacklog ?? 0) + this.ingest.devicePublishesWaiting);
    progress.backlog('http', this.ingest.pushesWaiting);
    this.last = progress.report();
    for (const t of this.last) {
      this.metrics.ingestStalled.set({ transport: t.transport }, t.stalled ? 1 : 0);
      if (t.stalled && !this.stalled.has(t.transport)) {
        this.stalled.add(t.transport);
        this.logger.error({ transport: t.transport, reason: t.reason, waiting: t.waiting, lastCommitAt: t.lastCommitAt }, 'ingest stalled');
        this.raise({ type: 'ingest.stalled', ingest: summary(t) });
      } else if (!t.stalled && this.stalled.has(t.transport)) {
        this.stalled.delete(t.transport);
        this.logger.info({ transport: t.transport }, 'ingest moving again');
        this.raise({ type: 'ingest.recovered', ingest: summary(t) });
      }
    }
  }

  private raise(alert: IngestAlert): void {
    if (this.alerts.servesLiveStream) return this.alerts.raise(alert);
    // A worker process has no live stream of its own: the API processes hear it through PostgreSQL, when it answers.
    this.repository
      .transaction((tx) => this.repository.notifyAlerts(tx, [alert]))
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'could not pass the ingest alert to the API processes'));
  }
}

function summary(t: TransportProgress): IngestAlert['ingest'] {
  return {
    transport: t.transport,
    ...(t.reason !== undefined && { reason: t.reason }),
    waiting: t.waiting,
    ...(t.lastCommitAt && { lastCommitAt: t.lastCommitAt.toISOString() }),
  };
}
