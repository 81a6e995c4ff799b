import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { KafkaIngestTransport, MqttIngestTransport } from '@app/messaging';
import { hostname } from 'node:os';
import {
  DeviceRegisterService,
  type Logger,
  LOGGER,
  MetricsService,
  MqttPictureIntake,
  type PictureIntakeOutcome,
  PictureService,
  RUNTIME_OPTIONS,
  type RuntimeOptions,
} from '@app/core';
import { IngestService } from './ingest.service';
import { GENERIC_KAFKA_TOPIC, ingestMqttTopics } from './source-router';

/** Pictures published on MQTT going through the imagery pipeline at once (per process). */
const PICTURE_INTAKE_CONCURRENCY = 4;

/**
 * Starts the broker consumers in worker processes; each batch goes through IngestService. Pictures published on
 * MQTT (Frigate's snapshots, devices' event snapshots) are taken one by one by MqttPictureIntake, on Mosquitto
 * through this service's transport and on the embedded broker through `receivePicturePublish`.
 */
@Injectable()
export class IngestWorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private mqtt?: MqttIngestTransport;
  private kafka?: KafkaIngestTransport;
  private kafkaStarting?: Promise<void>;
  private stopping = false;
  private mqttBacklogTimer?: NodeJS.Timeout;
  /** Pictures published on MQTT, on either path. */
  readonly pictureIntake: MqttPictureIntake;

  constructor(
    private readonly ingest: IngestService,
    private readonly metrics: MetricsService,
    pictures: PictureService,
    register: DeviceRegisterService,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.pictureIntake = new MqttPictureIntake({
      pictures,
      frigateTopicPrefix: runtime.env.FRIGATE_TOPIC_PREFIX,
      brokerAccount: (id) => register.brokerAccount(id),
      isDevice: (id) => register.isKnown(id),
      deviceForFrigateCamera: (camera) => register.deviceForFrigateCamera(camera),
      logger,
      registry: metrics.registry,
      concurrency: PICTURE_INTAKE_CONCURRENCY,
    });
  }

  /**
   * A publish on the embedded broker, before its PUBACK: when it is a picture (a Frigate snapshot, a device's
   * snapshot of an event), it is stored and its arrival recorded here, and true is returned; anything else is
   * left to the event path (false). A refused picture is recorded with its reason and acknowledged. While
   * storage is away it waits and tries again, like ingestDevicePublish; it gives up only when the service stops
   * (the device then hears no PUBACK and sends it again).
   */
  async receivePicturePublish(publish: { topic: string; payload: Buffer; username: string | undefined }): Promise<boolean> {
    if (!this.pictureIntake.isPictureTopic(publish.topic)) return false;
    const receivedAt = new Date();
    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 5000)) {
      if (this.stopping) throw new Error('CloudPatrol is stopping; picture not stored');
      try {
        await this.pictureIntake.receive({ topic: publish.topic, payload: publish.payload, receivedAt, publisher: publish.username ?? '' });
        return true;
      } catch (err) {
        this.logger.error({ err: (err as Error).message, topic: publish.topic }, 'picture not stored; trying again');
      }
      await new Promise((r) => setTimeout(r, backoff));
    }
  }

  /** A picture taken off Mosquitto by this worker's transport (the shipped ACL decided who may publish it). */
  private takePicture(topic: string, payload: Buffer, receivedAt: Date, retained: boolean): Promise<PictureIntakeOutcome> {
    return this.pictureIntake.receive({ topic, payload, receivedAt, publisher: null, retained });
  }

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
          // Event topics, and the pictures published beside them (taken one by one, never by an event adapter).
          // With INGEST_VIA_KAFKA the gateways carry the event topics over Kafka: pictures only here.
          topics: [...(env.INGEST_VIA_KAFKA ? [] : ingestMqttTopics(env.FRIGATE_TOPIC_PREFIX)), ...this.pictureIntake.topicFilters()],
          receiveMaximum: env.MQTT_RECEIVE_MAXIMUM,
          maxUnackedBytes: env.MQTT_RECEIVE_MAXIMUM_BYTES,
          batchSize: env.INGEST_BATCH_SIZE,
          batchWaitMs: env.INGEST_BATCH_WAIT_MS,
          pipelineDepth: env.INGEST_PIPELINE_DEPTH,
          onError: onError('mqtt'),
          onLog: (line) => this.logger.info({ source: 'mqtt' }, line),
          singles: {
            matches: (topic) => this.pictureIntake.isPictureTopic(topic),
            take: async (m, retained) => {
              await this.takePicture(m.topic, m.payload, m.receivedAt, retained);
            },
          },
        },
        handler,
      );
      await this.mqtt.start();
      const mqtt = this.mqtt;
      this.mqttBacklogTimer = setInterval(() => this.metrics.lag.set({ transport: 'mqtt', topic: 'all', partition: '-' }, mqtt.backlog), 1000);
      this.logger.info({ url: this.runtime.mqtt.url }, 'MQTT ingest connected');
    }
    if (env.KAFKA_BROKERS) {
      const ingestTopic = env.INGEST_VIA_KAFKA ? env.KAFKA_TOPIC_PREFIX + env.KAFKA_INGEST_TOPIC : undefined;
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
          topics: [
            ...new Set([
              ...env.KAFKA_TOPICS.split(',')
                .map((t) => t.trim())
                .filter(Boolean),
              GENERIC_KAFKA_TOPIC,
            ]),
          ]
            .map((t) => env.KAFKA_TOPIC_PREFIX + t)
            .concat(ingestTopic ?? []),
          // The gateways' device messages, read back as the MQTT messages they carry; the partitions are the workers' shares.
          envelopeTopic: ingestTopic,
          partitionsFor: (topic) => (topic === ingestTopic ? env.KAFKA_INGEST_PARTITIONS : 3),
          sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
          // Batches of different partitions overlap as MQTT's do (ingest keeps classification in batch order).
          partitionsConcurrently: env.INGEST_PIPELINE_DEPTH,
          onAssignment: (assignment) => this.logger.info({ source: 'kafka', assignment }, 'Kafka partitions assigned to this worker'),
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
