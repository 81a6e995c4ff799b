import {
  adaptDepartmentRecord,
  adaptDjiEvent,
  adaptDjiOsd,
  adaptFrigateEvent,
  adaptGenericEvent,
  adaptHikvisionAlert,
  adaptOpen311Request,
  adaptPhotoDetection,
  AdapterResult,
  DjiEventsReply,
  DjiTelemetry,
  GENERIC_EVENT_TOPIC_PREFIX,
  isDepartmentFeedTopic,
  isFrigateEventsTopic,
  OPEN311_REQUEST_TOPIC,
  PHOTO_DETECTION_TOPIC,
  rejected,
  topicMatchesFilter,
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

type Routed = Omit<RoutedMessage, 'source'>;

interface SourceRow<T extends InboundMessage['transport']> {
  transport: T;
  /** The source family (metrics, dead letters); department feeds name theirs in the topic. */
  source: (topic: string) => string;
  /** `topic` is the message's topic, for Kafka without the deployment's topic prefix. */
  matches: (topic: string, ctx: RouteContext) => boolean;
  /** A topic of this source (for Kafka without the prefix): checked at start to reach this row and no other. */
  example: (ctx: Pick<RouteContext, 'frigateTopicPrefix'>) => string;
  adapt: (m: InboundMessage, ctx: RouteContext) => Routed;
}

/** One row of the source table: which messages are this source's, and its adapter. An MQTT row must say its subscription. */
type SourceEntry =
  | (SourceRow<'mqtt'> & {
      /** The subscription filter that brings these messages to a worker on Mosquitto. */
      subscription: (ctx: Pick<RouteContext, 'frigateTopicPrefix'>) => string;
    })
  | SourceRow<'kafka'>
  | SourceRow<'http'>;

const named = (source: string) => (): string => source;
const DJI_OSD = /^thing\/product\/[^/]+\/osd$/;
const DJI_EVENTS = /^thing\/product\/[^/]+\/events$/;

/**
 * The source table: one row per source, in the order messages are matched. Routing a message, naming the source
 * of a message refused before its adapter ran, and the MQTT subscriptions a worker makes all read this one table.
 */
export const SOURCE_TABLE: readonly SourceEntry[] = [
  {
    transport: 'mqtt',
    source: named('cloudpatrol'),
    matches: (topic) => topic.startsWith(GENERIC_EVENT_TOPIC_PREFIX),
    subscription: () => 'cloudpatrol/v1/devices/+/events',
    example: () => `${GENERIC_EVENT_TOPIC_PREFIX}CAM-1/events`,
    adapt: (m) => ({ result: adaptGenericEvent(m.topic, m.payload) }),
  },
  {
    transport: 'mqtt',
    source: named('frigate'),
    matches: (topic, ctx) => isFrigateEventsTopic(topic, ctx.frigateTopicPrefix),
    subscription: (ctx) => `${ctx.frigateTopicPrefix}/events`,
    example: (ctx) => `${ctx.frigateTopicPrefix}/events`,
    adapt: (m, ctx) => ({
      result: adaptFrigateEvent(m.topic, m.payload, {
        topicPrefix: ctx.frigateTopicPrefix,
        cameraToDevice: ctx.deviceForFrigateCamera,
        maxBytes: ctx.maxPayloadBytes,
      }),
    }),
  },
  {
    transport: 'mqtt',
    source: named('dji'),
    matches: (topic) => DJI_OSD.test(topic),
    subscription: () => 'thing/product/+/osd',
    example: () => 'thing/product/DOCK-1/osd',
    adapt: (m, ctx) => {
      const osd = adaptDjiOsd(m.topic, m.payload, { maxBytes: ctx.maxPayloadBytes });
      if (!osd.ok) return { result: osd };
      // A frame without a position (a dock's environment frame, no GPS fix) still says the device is alive.
      return { result: { ok: true, events: [] }, telemetry: osd.telemetry ?? undefined, heartbeat: { deviceId: m.topic.split('/')[2], at: m.receivedAt } };
    },
  },
  {
    transport: 'mqtt',
    source: named('dji'),
    matches: (topic) => DJI_EVENTS.test(topic),
    subscription: () => 'thing/product/+/events',
    example: () => 'thing/product/DOCK-1/events',
    adapt: (m, ctx) => {
      const r = adaptDjiEvent(m.topic, m.payload, m.receivedAt, { maxBytes: ctx.maxPayloadBytes });
      return { result: r, reply: r.reply };
    },
  },
  {
    transport: 'kafka',
    source: named('cloudpatrol'),
    matches: (topic) => topic === GENERIC_KAFKA_TOPIC,
    example: () => GENERIC_KAFKA_TOPIC,
    adapt: (m) => ({ result: adaptGenericEvent(GENERIC_KAFKA_TOPIC, m.payload) }),
  },
  {
    transport: 'kafka',
    source: (topic) => topic.split('.')[1],
    matches: (topic) => isDepartmentFeedTopic(topic),
    example: () => 'monitoring.fire.v1',
    adapt: (m, ctx) => ({ result: adaptDepartmentRecord(kafkaTopic(m, ctx), m.payload, { maxBytes: ctx.maxPayloadBytes }) }),
  },
  {
    transport: 'http',
    source: named('drone-upload'),
    matches: (topic) => topic === PHOTO_DETECTION_TOPIC,
    example: () => PHOTO_DETECTION_TOPIC,
    adapt: (m) => ({ result: adaptPhotoDetection(m.payload) }),
  },
  {
    transport: 'http',
    source: named('hikvision'),
    matches: (topic) => topic === HIKVISION_HTTP_TOPIC,
    example: () => HIKVISION_HTTP_TOPIC,
    adapt: (m, ctx) => {
      const r = adaptHikvisionAlert(m.payload, { now: m.receivedAt, deviceIdFor: ctx.deviceForHikvision, maxBytes: ctx.maxPayloadBytes });
      return { result: r, heartbeat: r.heartbeat ? { deviceId: r.heartbeat.deviceId, at: r.heartbeat.at } : undefined };
    },
  },
  {
    transport: 'http',
    source: named('open311'),
    matches: (topic) => topic === OPEN311_REQUEST_TOPIC,
    example: () => OPEN311_REQUEST_TOPIC,
    adapt: (m) => ({ result: adaptOpen311Request(m.payload) }),
  },
];

/** A Kafka topic without the deployment's prefix; other transports' topics as they are. */
function kafkaTopic(m: InboundMessage, ctx: RouteContext): string {
  return m.transport === 'kafka' && m.topic.startsWith(ctx.kafkaTopicPrefix) ? m.topic.slice(ctx.kafkaTopicPrefix.length) : m.topic;
}

function entryOf(m: InboundMessage, ctx: RouteContext): { entry: SourceEntry; topic: string } | undefined {
  const topic = kafkaTopic(m, ctx);
  const entry = SOURCE_TABLE.find((e) => e.transport === m.transport && e.matches(topic, ctx));
  return entry && { entry, topic };
}

/** MQTT topics the worker subscribes to (the table's MQTT rows). */
export function ingestMqttTopics(frigateTopicPrefix: string): string[] {
  return SOURCE_TABLE.flatMap((e) => (e.transport === 'mqtt' ? [e.subscription({ frigateTopicPrefix })] : []));
}

/**
 * Checked at start, with this deployment's prefixes: each row's example topic reaches that row and no
 * earlier one, and an MQTT row's subscription brings it. A Frigate prefix that shadows another source's
 * topics would otherwise route that source's messages to the wrong adapter. Returns the problems found.
 */
export function sourceTableProblems(ctx: Pick<RouteContext, 'frigateTopicPrefix'>): string[] {
  const full: RouteContext = { ...ctx, kafkaTopicPrefix: '', maxPayloadBytes: 0, deviceForFrigateCamera: () => undefined, deviceForHikvision: () => undefined };
  const problems: string[] = [];
  SOURCE_TABLE.forEach((row, i) => {
    const topic = row.example(ctx);
    const first = SOURCE_TABLE.findIndex((e) => e.transport === row.transport && e.matches(topic, full));
    if (first !== i)
      problems.push(
        `${row.transport} topic "${topic}" of source ${row.source(topic)} is taken by ${first < 0 ? 'no source' : `source ${SOURCE_TABLE[first].source(topic)}`}`,
      );
    if (row.transport === 'mqtt' && !topicMatchesFilter(row.subscription(ctx), topic))
      problems.push(`mqtt subscription "${row.subscription(ctx)}" does not bring topic "${topic}"`);
  });
  return problems;
}

/** One adapter per source, chosen by transport and topic (the source table). */
export function routeMessage(m: InboundMessage, ctx: RouteContext): RoutedMessage {
  const found = entryOf(m, ctx);
  if (!found) return { source: 'unknown', result: rejected('unsupported-message', `no adapter for ${m.transport} topic "${m.topic}"`) };
  return { source: found.entry.source(found.topic), ...found.entry.adapt(m, ctx) };
}

/**
 * The source family a message comes from, by transport and topic alone: for dead letters of messages
 * refused before (or despite) their adapter, such as a payload too large to read.
 */
export function sourceOfTopic(m: InboundMessage, ctx: RouteContext): string {
  const found = entryOf(m, ctx);
  return found ? found.entry.source(found.topic) : 'unknown';
}
