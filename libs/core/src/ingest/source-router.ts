import {
  adaptDepartmentRecord,
  adaptDjiEvent,
  adaptDjiOsd,
  adaptFrigateEvent,
  adaptGenericEvent,
  adaptHikvisionAlert,
  adaptPhotoDetection,
  AdapterResult,
  DjiEventsReply,
  DjiTelemetry,
  GENERIC_EVENT_TOPIC_PREFIX,
  isDepartmentFeedTopic,
  isFrigateEventsTopic,
  PHOTO_DETECTION_TOPIC,
  rejected,
} from '@app/domain';
import type { InboundMessage } from '@app/messaging';

/** Kafka topic carrying CloudPatrol's own canonical JSON (same schema as the MQTT device topic). */
export const GENERIC_KAFKA_TOPIC = 'cloudpatrol.events.v1';
/** Pseudo-topic for Hikvision ISAPI alarms pushed over HTTP. */
export const HIKVISION_HTTP_TOPIC = 'isapi/alarm';

export interface RouteContext {
  kafkaTopicPrefix: string;
  frigateTopicPrefix: string;
  maxPayloadBytes: number;
  deviceForFrigateCamera: (camera: string) => string | undefined;
  deviceForHikvision: (ip: string | undefined, mac: string | undefined, channel: string | undefined) => string | undefined;
}

export interface RoutedMessage {
  /** The source family, for metrics and dead letters. */
  source: string;
  result: AdapterResult;
  /** Telemetry to keep as the device's latest position, not as an event. */
  telemetry?: DjiTelemetry;
  /** A reply the device waits for; sent after the batch is stored. */
  reply?: DjiEventsReply;
  /** The device said it is alive. */
  heartbeat?: { deviceId: string; at: Date };
}

/** MQTT topics the worker subscribes to. */
export function ingestMqttTopics(frigateTopicPrefix: string): string[] {
  return ['cloudpatrol/v1/devices/+/events', `${frigateTopicPrefix}/events`, 'thing/product/+/osd', 'thing/product/+/events'];
}

/** One adapter per source, chosen by transport and topic. */
export function routeMessage(m: InboundMessage, ctx: RouteContext): RoutedMessage {
  const limits = { maxBytes: ctx.maxPayloadBytes };
  switch (m.transport) {
    case 'mqtt': {
      if (m.topic.startsWith(GENERIC_EVENT_TOPIC_PREFIX)) return { source: 'cloudpatrol', result: adaptGenericEvent(m.topic, m.payload) };
      if (isFrigateEventsTopic(m.topic, ctx.frigateTopicPrefix)) {
        return {
          source: 'frigate',
          result: adaptFrigateEvent(m.topic, m.payload, { topicPrefix: ctx.frigateTopicPrefix, cameraToDevice: ctx.deviceForFrigateCamera, ...limits }),
        };
      }
      if (/^thing\/product\/[^/]+\/osd$/.test(m.topic)) {
        const osd = adaptDjiOsd(m.topic, m.payload, limits);
        if (!osd.ok) return { source: 'dji', result: osd };
        return { source: 'dji', result: { ok: true, events: [] }, telemetry: osd.telemetry ?? undefined };
      }
      if (/^thing\/product\/[^/]+\/events$/.test(m.topic)) {
        const r = adaptDjiEvent(m.topic, m.payload, m.receivedAt, limits);
        return { source: 'dji', result: r, reply: r.reply };
      }
      break;
    }
    case 'kafka': {
      const topic = m.topic.startsWith(ctx.kafkaTopicPrefix) ? m.topic.slice(ctx.kafkaTopicPrefix.length) : m.topic;
      if (topic === GENERIC_KAFKA_TOPIC) return { source: 'cloudpatrol', result: adaptGenericEvent(topic, m.payload) };
      if (isDepartmentFeedTopic(topic)) return { source: topic.split('.')[1], result: adaptDepartmentRecord(topic, m.payload, limits) };
      break;
    }
    case 'http': {
      if (m.topic === PHOTO_DETECTION_TOPIC) return { source: 'drone-upload', result: adaptPhotoDetection(m.payload) };
      if (m.topic === HIKVISION_HTTP_TOPIC) {
        const r = adaptHikvisionAlert(m.payload, { now: m.receivedAt, deviceIdFor: ctx.deviceForHikvision, maxBytes: ctx.maxPayloadBytes });
        return { source: 'hikvision', result: r, heartbeat: r.heartbeat ? { deviceId: r.heartbeat.deviceId, at: r.heartbeat.at } : undefined };
      }
      break;
    }
  }
  return { source: 'unknown', result: rejected('unsupported-message', `no adapter for ${m.transport} topic "${m.topic}"`) };
}

/**
 * The source family a message comes from, by transport and topic alone: for dead letters of messages
 * refused before (or despite) their adapter, such as a payload too large to read.
 */
export function sourceOfTopic(m: InboundMessage, ctx: RouteContext): string {
  switch (m.transport) {
    case 'mqtt':
      if (m.topic.startsWith(GENERIC_EVENT_TOPIC_PREFIX)) return 'cloudpatrol';
      if (isFrigateEventsTopic(m.topic, ctx.frigateTopicPrefix)) return 'frigate';
      if (/^thing\/product\/[^/]+\/(osd|events)$/.test(m.topic)) return 'dji';
      break;
    case 'kafka': {
      const topic = m.topic.startsWith(ctx.kafkaTopicPrefix) ? m.topic.slice(ctx.kafkaTopicPrefix.length) : m.topic;
      if (topic === GENERIC_KAFKA_TOPIC) return 'cloudpatrol';
      if (isDepartmentFeedTopic(topic)) return topic.split('.')[1];
      break;
    }
    case 'http':
      if (m.topic === PHOTO_DETECTION_TOPIC) return 'drone-upload';
      if (m.topic === HIKVISION_HTTP_TOPIC) return 'hikvision';
      break;
  }
  return 'unknown';
}
