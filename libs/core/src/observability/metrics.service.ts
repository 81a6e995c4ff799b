import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics. Per source and device: received, stored, duplicates, rejected by reason. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly received = new Counter({
    name: 'cloudpatrol_events_received_total',
    help: 'Inbound messages received',
    labelNames: ['transport', 'source'],
    registers: [this.registry],
  });
  readonly stored = new Counter({
    name: 'cloudpatrol_events_stored_total',
    help: 'Events stored for the first time',
    labelNames: ['source', 'device'],
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'cloudpatrol_events_duplicate_total',
    help: 'Events already stored (redelivery, retry)',
    labelNames: ['source', 'device'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'cloudpatrol_events_rejected_total',
    help: 'Inbound messages kept aside as dead letters, by reason',
    labelNames: ['transport', 'source', 'reason'],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'cloudpatrol_dead_letters_total',
    help: 'Dead letters kept (the message could not become an event), by reason and source; counted when the row is committed',
    labelNames: ['reason', 'source'],
    registers: [this.registry],
  });
  readonly casesOpened = new Counter({ name: 'cloudpatrol_cases_opened_total', help: 'Cases opened', labelNames: ['category'], registers: [this.registry] });
  readonly occurrences = new Counter({
    name: 'cloudpatrol_case_occurrences_total',
    help: 'Detections added to cases',
    labelNames: ['category'],
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'cloudpatrol_ingest_batch_seconds',
    help: 'Time to store one batch',
    labelNames: ['transport'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly batchFailures = new Counter({
    name: 'cloudpatrol_ingest_batch_failures_total',
    help: 'Batch attempts that failed: transient (retried in place) or persistent (split to isolate the failing messages)',
    labelNames: ['transport', 'kind'],
    registers: [this.registry],
  });
  readonly lag = new Gauge({
    name: 'cloudpatrol_ingest_lag',
    help: 'Messages waiting: Kafka records behind the committed offset per partition; MQTT messages received but not yet stored',
    labelNames: ['transport', 'topic', 'partition'],
    registers: [this.registry],
  });
  readonly ingestStalled = new Gauge({
    name: 'cloudpatrol_ingest_stalled',
    help: '1 while a transport has work waiting and nothing committed (INGEST_STALL_SECONDS), or its batches keep failing',
    labelNames: ['transport'],
    registers: [this.registry],
  });
  readonly sseClients = new Gauge({ name: 'cloudpatrol_alert_stream_clients', help: 'Open live alert streams', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cloudpatrol_' });
  }
}
