import type { InboundMessage } from './inbound-message';

/**
 * A device message as an MQTT gateway puts it on the Kafka ingest topic (KAFKA_INGEST_TOPIC): the value is the
 * MQTT payload's bytes unchanged, the key names the device (one device's messages stay on one partition, in
 * order), and headers carry what ingest needs to route and judge it exactly as if a worker had read it from
 * MQTT itself: the MQTT topic, when the gateway received it, and the device the broker authenticated when the
 * gateway knows it. Read back, it is the same InboundMessage (transport `mqtt`) a direct subscription gives.
 */
export const INGEST_HEADER = {
  /** The MQTT topic the device published on. */
  topic: 'cp-mqtt-topic',
  /** When the gateway received it (ms since the epoch, decimal). */
  receivedAt: 'cp-received-at',
  /** The transport the gateway read it from (`mqtt`). */
  transport: 'cp-transport',
  /** Which gateway produced it (its MQTT client id), for tracing. */
  gateway: 'cp-gateway',
  /** The device the broker authenticated as the publisher, when known (the device gate holds the events to it). */
  authenticatedDevice: 'cp-authenticated-device',
} as const;

export interface IngestRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** Header values as a Kafka client hands them over. */
export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

export function toIngestRecord(m: InboundMessage, key: string, gateway: string): IngestRecord {
  const headers: Record<string, string> = {
    [INGEST_HEADER.topic]: m.topic,
    [INGEST_HEADER.receivedAt]: String(m.receivedAt.getTime()),
    [INGEST_HEADER.transport]: m.transport,
    [INGEST_HEADER.gateway]: gateway,
  };
  if (m.authenticatedDeviceId !== undefined) headers[INGEST_HEADER.authenticatedDevice] = m.authenticatedDeviceId;
  return { key, value: m.payload, headers };
}

function header(headers: RecordHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : one;
}

/**
 * The message a gateway received. A record that is not a gateway's (no MQTT topic header: someone else produced
 * to the topic) stays a Kafka message on `kafkaTopic`: no adapter takes it, so it becomes a dead letter with
 * its bytes instead of stopping the partition.
 */
export function fromIngestRecord(
  kafkaTopic: string,
  value: Buffer | null,
  key: string | undefined,
  headers: RecordHeaders | undefined,
  now: Date,
): InboundMessage {
  const payload = value ?? Buffer.alloc(0);
  const topic = header(headers, INGEST_HEADER.topic);
  const transport = header(headers, INGEST_HEADER.transport);
  if (topic === undefined || transport !== 'mqtt') return { transport: 'kafka', topic: kafkaTopic, payload, key, receivedAt: now };
  const at = Number(header(headers, INGEST_HEADER.receivedAt));
  const authenticatedDeviceId = header(headers, INGEST_HEADER.authenticatedDevice);
  return {
    transport: 'mqtt',
    topic,
    payload,
    receivedAt: Number.isFinite(at) && at > 0 ? new Date(at) : now,
    ...(authenticatedDeviceId !== undefined && { authenticatedDeviceId }),
  };
}
