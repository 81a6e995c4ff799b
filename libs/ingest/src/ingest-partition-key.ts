import { GENERIC_EVENT_TOPIC_PREFIX, isFrigateEventsTopic } from '@app/domain';

/** A Frigate event larger than this is not read for its camera (it goes by its topic; the adapter judges its size). */
const FRIGATE_KEY_MAX_BYTES = 256 * 1024;
const DJI_TOPIC = /^thing\/product\/([^/]+)\//;

/**
 * The Kafka key of a device message on the ingest topic: the device it comes from, so that one device's messages
 * stay on one partition, in order, and its per-device state (dwell tracks, rate budget) is worked on by one
 * worker at a time. Generic events and DJI docks name the device in the topic; Frigate publishes every camera of
 * every NVR on one topic, so its key is the camera the event names (else the topic).
 */
export function ingestPartitionKey(m: { topic: string; payload: Buffer }, frigateTopicPrefix: string): string {
  if (m.topic.startsWith(GENERIC_EVENT_TOPIC_PREFIX)) {
    const device = m.topic.slice(GENERIC_EVENT_TOPIC_PREFIX.length).split('/')[0];
    if (device) return device;
  }
  const dji = DJI_TOPIC.exec(m.topic);
  if (dji) return dji[1];
  if (isFrigateEventsTopic(m.topic, frigateTopicPrefix) && m.payload.length <= FRIGATE_KEY_MAX_BYTES) {
    const camera = frigateCamera(m.payload);
    if (camera) return `${frigateTopicPrefix}/${camera}`;
  }
  return m.topic;
}

function frigateCamera(payload: Buffer): string | undefined {
  try {
    const e = JSON.parse(payload.toString('utf8')) as { after?: { camera?: unknown }; before?: { camera?: unknown } } | null;
    const camera = e?.after?.camera ?? e?.before?.camera;
    return typeof camera === 'string' && camera !== '' ? camera : undefined;
  } catch {
    return undefined;
  }
}
