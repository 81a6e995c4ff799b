import { Inject, Injectable } from '@nestjs/common';
import { DatabaseHealthRepository } from '@app/persistence';
import { IngestWorkerService } from '../ingest/ingest-worker.service';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, { status: 'up' | 'down'; detail?: string }>;
}

@Injectable()
export class HealthService {
  constructor(
    private readonly database: DatabaseHealthRepository,
    private readonly worker: IngestWorkerService,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
  ) {}

  /** Healthy only when the database and every configured broker are reachable. */
  async check(): Promise<HealthReport> {
    const checks: HealthReport['checks'] = {};
    try {
      await this.database.ping();
      checks.database = { status: 'up' };
    } catch (err) {
      checks.database = { status: 'down', detail: (err as Error).message };
    }
    if (this.runtime.runWorker && this.runtime.mqtt) {
      checks.mqtt = this.worker.mqttConnected ? { status: 'up' } : { status: 'down', detail: `not connected to ${this.runtime.mqtt.url}` };
    }
    if (this.runtime.runWorker && this.runtime.env.KAFKA_BROKERS) {
      checks.kafka = this.worker.kafkaConnected ? { status: 'up' } : { status: 'down', detail: `not connected to ${this.runtime.env.KAFKA_BROKERS}` };
    }
    const status = Object.values(checks).every((c) => c.status === 'up') ? 'ok' : 'unavailable';
    return { status, checks };
  }
}
