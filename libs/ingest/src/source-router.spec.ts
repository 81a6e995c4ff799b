import type { InboundMessage } from '@app/messaging';
import {
  GENERIC_KAFKA_TOPIC,
  HIKVISION_HTTP_TOPIC,
  ingestMqttTopics,
  routeMessage,
  type RouteContext,
  sourceOfTopic,
  sourceTableProblems,
} from './source-router';

const ctx: RouteContext = {
  kafkaTopicPrefix: 'city-a.',
  frigateTopicPrefix: 'frigate',
  maxPayloadBytes: 256 * 1024,
  deviceForFrigateCamera: () => undefined,
  deviceForHikvision: () => undefined,
};
const message = (transport: InboundMessage['transport'], topic: string, payload = '{}'): InboundMessage => ({
  transport,
  topic,
  payload: Buffer.from(payload),
  receivedAt: new Date('2026-12-03T10:00:00Z'),
});

describe('the source table', () => {
  it('names the source of every transport and topic it knows, the same whether the adapter runs or not', () => {
    const cases: [InboundMessage['transport'], string, string][] = [
      ['mqtt', 'cloudpatrol/v1/devices/CAM-1/events', 'cloudpatrol'],
      ['mqtt', 'frigate/events', 'frigate'],
      ['mqtt', 'thing/product/DOCK-1/osd', 'dji'],
      ['mqtt', 'thing/product/DOCK-1/events', 'dji'],
      ['kafka', `city-a.${GENERIC_KAFKA_TOPIC}`, 'cloudpatrol'],
      ['kafka', 'city-a.monitoring.fire.v1', 'fire'],
      ['kafka', 'monitoring.police.v1', 'police'],
      ['http', 'drone-upload/detections', 'drone-upload'],
      ['http', HIKVISION_HTTP_TOPIC, 'hikvision'],
      ['mqtt', 'frigate/stats', 'unknown'],
      ['kafka', 'city-a.something.else', 'unknown'],
      ['http', 'frigate/events', 'unknown'],
    ];
    for (const [transport, topic, source] of cases) {
      const m = message(transport, topic);
      expect([topic, sourceOfTopic(m, ctx)]).toEqual([topic, source]);
      expect([topic, routeMessage(m, ctx).source]).toEqual([topic, source]);
    }
  });

  it('refuses a topic no row takes, with the reason', () => {
    expect(routeMessage(message('mqtt', 'frigate/stats'), ctx).result).toEqual({
      ok: false,
      rejection: { reason: 'unsupported-message', detail: 'no adapter for mqtt topic "frigate/stats"' },
    });
  });

  it('gives the worker one subscription per MQTT row, under the configured Frigate prefix', () => {
    expect(ingestMqttTopics('nvr1')).toEqual(['cloudpatrol/v1/devices/+/events', 'nvr1/events', 'thing/product/+/osd', 'thing/product/+/events']);
  });

  it('holds together with the default and a custom Frigate prefix: every source reaches its own row', () => {
    expect(sourceTableProblems({ frigateTopicPrefix: 'frigate' })).toEqual([]);
    expect(sourceTableProblems({ frigateTopicPrefix: 'site-3/nvr' })).toEqual([]);
  });

  it("finds a Frigate prefix that would take another source's messages", () => {
    // thing/product/DOCK-1 + /events is a DJI dock's events topic: Frigate's row comes first and would take it.
    expect(sourceTableProblems({ frigateTopicPrefix: 'thing/product/DOCK-1' })).toEqual([
      'mqtt topic "thing/product/DOCK-1/events" of source dji is taken by source frigate',
    ]);
  });
});
