import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { KafkaIngestTransport, MqttIngestTransport } from '@app/messaging';
import { hostname } from 'node:os';
import { LOGGER, type Logger } from '../observability/logger';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { IngestService } from './ingest.service';
import { MetricsService } from '../observability/metrics.service';
import { GENERIC_KAFKA_TOPIC, ingestMqttTopics } from './source-router';

/** Starts the broker consumers in worker processes; each batch goes through IngestService. */
@Injectable()
export class IngestWorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private mqtt?: MqttIngestTransport;
  private kafka?: KafkaIngestTransport;
  private kafkaStarting?: Promise<void>;
  private stopping = false;
  private mqttBacklogTimer?: NodeJS.Timeout;

  constructor(
    private readonly ingest: IngestService,
    private readonly metrics: MetricsService,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get mqttConnected(): boolean | undefined {
    return this.mqtt?.isConnected;
  }

  /** MQTT messages received and not yet stored, when this process consumes MQTT. */
  get mqttBacklog(): number | undefined {
    return this.mqtt?.backlog;
  }

  get kafkaConnected(): boolean | undefined {
    return this.kafka?.isConnected;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.runtime.runWorker) return;
    const env = this.runtime.env;
    const handler = async (batch: Parameters<IngestService['ingestBatch']>[0]) => {
      const { replies } = await this.ingest.ingestBatch(batch);
      // Stored first, then answered: a dock re-sends until it hears back, and that is harmless now.
      for (const r of replies) await this.mqtt?.publish(r.topic, JSON.stringify(r.payload)).catch((err: Error) => onError('mqtt')(err));
    };
    const onError = (source: string) => (err: Error) => this.logger.error({ err: err.message, source }, 'ingest transport error');
    if (this.runtime.mqtt) {
      this.mqtt = new MqttIngestTransport(
        {
          url: this.runtime.mqtt.url,
          username: this.runtime.mqtt.username,
          password: this.runtime.mqtt.password,
          protocolVersion: this.runtime.mqtt.protocolVersion,
          clientId: env.MQTT_CLIENT_ID ?? `cloudpatrol-worker-${env.WORKER_ID ?? hostname()}`,
          shareGroup: env.MQTT_SHARE_GROUP,
          topics: ingestMqttTopics(env.FRIGATE_TOPIC_PREFIX),
          receiveMaximum: env.MQTT_RECEIVE_MAXIMUM,
          batchSize: env.INGEST_BATCH_SIZE,
          batchWaitMs: env.INGEST_BATCH_WAIT_MS,
          pipelineDepth: env.INGEST_PIPELINE_DEPTH,
          onError: onError('mqtt'),
          onLog: (line) => this.logger.info({ source: 'mqtt' }, line),
        },
        handler,
      );
      await this.mqtt.start();
      const mqtt = this.mqtt;
      this.mqttBacklogTimer = setInterval(() => this.metrics.lag.set({ transport: 'mqtt', topic: 'all', partition: '-' }, mqtt.backlog), 1000);
      this.logger.info({ url: this.runtime.mqtt.url }, 'MQTT ingest connected');
    }
    if (env.KAFKA_BROKERS) {
      this.kafka = new KafkaIngestTransport(
        {
          connection: {
            brokers: env.KAFKA_BROKERS.split(','),
            clientId: env.KAFKA_CLIENT_ID,
            ssl: env.KAFKA_SSL,
            sasl:
              env.KAFKA_SASL_MECHANISM && env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
                ? { mechanism: env.KAFKA_SASL_MECHANISM, username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD }
                : undefined,
          },
          groupId: env.KAFKA_GROUP_ID,
          topics: [...new Set([...env.KAFKA_TOPICS.split(',').map((t) => t.trim()).filter(Boolean), GENERIC_KAFKA_TOPIC])].map((t) => env.KAFKA_TOPIC_PREFIX + t),
          batchSize: env.INGEST_BATCH_SIZE,
          onError: onError('kafka'),
          onLog: (line) => this.logger.info({ source: 'kafka' }, line),
          onLag: (topic, partition, lag) => this.metrics.lag.set({ transport: 'kafka', topic, partition: String(partition) }, lag),
        },
        handler,
      );
      // Joining the group can wait out a crashed member's session (30 s): serve /health meanwhile
      // (Kafka reported down until joined) and keep MQTT ingesting.
      this.kafkaStarting = this.startKafka(this.kafka, env.KAFKA_BROKERS);
    }
  }

  private async startKafka(kafka: KafkaIngestTransport, brokers: string): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await kafka.start();
        this.logger.info({ brokers }, 'Kafka ingest consuming');
        return;
      } catch (err) {
        this.logger.error({ err: (err as Error).message, attempt }, 'Kafka ingest could not start; retrying');
        await kafka.stop();
        await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 10_000)));
      }
    }
  }

  /** Before the database closes: a batch in flight finishes storing and is acknowledged. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.mqttBacklogTimer) clearInterval(this.mqttBacklogTimer);
    await this.mqtt?.stop();
    await this.kafka?.stop(); // also cuts short a group join in progress
    await this.kafkaStarting?.catch(() => undefined);
  }
}
