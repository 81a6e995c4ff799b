import { adaptGenericEvent, AdapterResult, GENERIC_EVENT_TOPIC_PREFIX, rejected } from '@app/domain';
import type { InboundMessage } from '@app/messaging';

/** Kafka topic carrying CloudPatrol's own canonical JSON (same schema as the MQTT device topic). */
export const GENERIC_KAFKA_TOPIC = 'cloudpatrol.events.v1';

export interface RoutedMessage {
  /** The source family, for metrics and dead letters. */
  source: string;
  result: AdapterResult;
}

/** One adapter per source, chosen by transport and topic. */
export function routeMessage(m: InboundMessage, kafkaTopicPrefix = ''): RoutedMessage {
  const topic = m.transport === 'kafka' && m.topic.startsWith(kafkaTopicPrefix) ? m.topic.slice(kafkaTopicPrefix.length) : m.topic;
  if (m.transport === 'mqtt' && m.topic.startsWith(GENERIC_EVENT_TOPIC_PREFIX)) {
    return { source: 'cloudpatrol', result: adaptGenericEvent(m.topic, m.payload) };
  }
  if (m.transport === 'kafka' && topic === GENERIC_KAFKA_TOPIC) {
    return { source: 'cloudpatrol', result: adaptGenericEvent(topic, m.payload) };
  }
  return { source: 'unknown', result: rejected('unsupported-message', `no adapter for ${m.transport} topic "${m.topic}"`) };
}
