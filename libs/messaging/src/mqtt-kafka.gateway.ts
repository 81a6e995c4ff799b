import type { InboundMessage } from './inbound-message';
import { toIngestRecord } from './ingest-envelope';
import { KafkaConnection, KafkaPublisher } from './kafka-ingest.transport';
import { MqttIngestOptions, MqttIngestTransport } from './mqtt-ingest.transport';

export interface MqttKafkaGatewayOptions {
  /** The MQTT side: a persistent session (stable client id), QoS 1, batches as a worker takes them. */
  mqtt: Omit<MqttIngestOptions, 'onError' | 'onLog' | 'singles'>;
  kafka: KafkaConnection;
  /** The ingest topic (with the deployment's prefix). */
  topic: string;
  /** Partitions of the ingest topic if this gateway creates it. */
  partitions: number;
  /** The record key: the device a message is from, so its messages stay on one partition, in order. */
  keyOf: (m: InboundMessage) => string;
  onError: (err: Error) => void;
  onLog: (line: string) => void;
}

/**
 * MQTT gateway mode: holds the MQTT subscription and puts every message on the Kafka ingest topic before its
 * PUBACK. A batch is produced with acks=all by an idempotent producer; only when Kafka has acknowledged it are its
 * PUBACKs sent (the MQTT transport's store-then-ack seam, with "stored" meaning "on Kafka"). A batch Kafka does
 * not take is kept unacknowledged and produced again after a pause; the broker holds the rest (Receive Maximum).
 *
 * Each message reaches Kafka at least once: a gateway that dies after Kafka's ack and before the PUBACK gets the
 * message again from the broker and produces it a second time. Ingest keeps one copy (events are unique by
 * source, device, event id and time), so the stored result is exactly once.
 */
export class MqttKafkaGateway {
  private readonly mqtt: MqttIngestTransport;
  private publisher?: KafkaPublisher;
  /** Set after a failed produce: the next batch starts a fresh producer (its sequence numbers cannot be trusted). */
  private publisherBroken = false;
  private forwardedCount = 0;

  constructor(private readonly options: MqttKafkaGatewayOptions) {
    this.mqtt = new MqttIngestTransport({ ...options.mqtt, onError: options.onError, onLog: options.onLog }, (batch) => this.forward(batch));
  }

  /** Messages Kafka acknowledged (so PUBACKed, or about to be) since the start. */
  get forwarded(): number {
    return this.forwardedCount;
  }

  get mqttConnected(): boolean {
    return this.mqtt.isConnected;
  }

  get kafkaConnected(): boolean {
    return !this.publisherBroken && (this.publisher?.isConnected ?? false);
  }

  /** Messages received and not yet on Kafka. */
  get backlog(): number {
    return this.mqtt.backlog;
  }

  async start(): Promise<void> {
    const publisher = new KafkaPublisher(this.options.kafka);
    await publisher.ensureTopics([this.options.topic], this.options.partitions, this.options.onLog);
    await publisher.start();
    this.publisher = publisher;
    // Kafka first: a message taken from MQTT has somewhere to go.
    await this.mqtt.start();
  }

  private async forward(batch: InboundMessage[]): Promise<void> {
    const gateway = this.options.mqtt.clientId;
    const records = batch.map((m) => toIngestRecord(m, this.options.keyOf(m), gateway));
    try {
      if (this.publisherBroken || !this.publisher) await this.restartPublisher();
      await (this.publisher as KafkaPublisher).send(this.options.topic, records);
    } catch (err) {
      this.publisherBroken = true;
      throw err; // not acknowledged: the transport keeps the batch and tries again after a pause
    }
    this.forwardedCount += batch.length;
  }

  private async restartPublisher(): Promise<void> {
    const old = this.publisher;
    this.publisher = undefined;
    await old?.stop();
    const fresh = new KafkaPublisher(this.options.kafka);
    await fresh.start();
    this.publisher = fresh;
    this.publisherBroken = false;
    this.options.onLog('Kafka producer started again');
  }

  /** Batches being produced finish and are acknowledged; the rest stays with the broker for the next start. */
  async stop(): Promise<void> {
    await this.mqtt.stop();
    await this.publisher?.stop();
    this.publisher = undefined;
  }
}
