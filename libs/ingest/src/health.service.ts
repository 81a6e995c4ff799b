import { Inject, Injectable, Optional } from '@nestjs/common';
import { DatabaseHealthRepository } from '@app/persistence';
import { IngestWatchdogService } from './ingest-watchdog.service';
import { IngestWorkerService } from './ingest-worker.service';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '@app/core';
import { settledWithin } from './settled-within';

export interface HealthReport {
  /** `degraded`: every part answers but ingest is not moving (answered 503 too: someone must look). */
  status: 'ok' | 'degraded' | 'unavailable';
  checks: Record<string, { status: 'up' | 'down' | 'degraded'; detail?: string }>;
}

/** /health answers within about a second even when PostgreSQL hangs: a probe must not hang with it. */
const DATABASE_PING_MS = 1000;

@Injectable()
export class HealthService {
  constructor(
    private readonly database: DatabaseHealthRepository,
    private readonly watchdog: IngestWatchdogService,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    // Composed only into the apps that consume the brokers (worker, standalone).
    @Optional() private readonly worker?: IngestWorkerService,
  ) {}

  /** Healthy only when the database and every configured broker are reachable and ingest is moving. */
  async check(): Promise<HealthReport> {
    const checks: HealthReport['checks'] = {};
    try {
      await settledWithin(this.database.ping(), DATABASE_PING_MS, `database did not answer within ${DATABASE_PING_MS} ms`);
      checks.database = { status: 'up' };
    } catch (err) {
      checks.database = { status: 'down', detail: (err as Error).message };
    }
    if (this.worker && this.runtime.mqtt) {
      checks.mqtt = this.worker.mqttConnected ? { status: 'up' } : { status: 'down', detail: `not connected to ${this.runtime.mqtt.url}` };
    }
    if (this.worker && this.runtime.env.KAFKA_BROKERS) {
      checks.kafka = this.worker.kafkaConnected ? { status: 'up' } : { status: 'down', detail: `not connected to ${this.runtime.env.KAFKA_BROKERS}` };
    }
    const stalled = this.watchdog.report().filter((t) => t.stalled);
    checks.ingest =
      stalled.length === 0 ? { status: 'up' } : { status: 'degraded', detail: stalled.map((t) => `${t.transport}: ${t.reason ?? 'stalled'}`).join('; ') };
    const states = Object.values(checks).map((c) => c.status);
    const status = states.includes('down') ? 'unavailable' : states.includes('degraded') ? 'degraded' : 'ok';
    return { status, checks };
  }
}
