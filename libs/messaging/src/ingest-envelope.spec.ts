import { fromIngestRecord, INGEST_HEADER, toIngestRecord } from './ingest-envelope';
import type { InboundMessage } from './inbound-message';

describe('the ingest envelope (a device message carried over Kafka)', () => {
  const now = new Date('2026-12-04T10:00:00Z');

  it('reads back the MQTT message a gateway received: topic, bytes, receive time, authenticated device', () => {
    const sent: InboundMessage = {
      transport: 'mqtt',
      topic: 'frigate/events',
      payload: Buffer.from([0x7b, 0x00, 0xff, 0x7d]),
      receivedAt: new Date('2026-12-04T09:59:58.123Z'),
      authenticatedDeviceId: 'CAM-PARK-01',
    };
    const record = toIngestRecord(sent, 'frigate/yunxi_rd_east', 'gw-1');
    expect(record.key).toBe('frigate/yunxi_rd_east');
    expect(record.headers[INGEST_HEADER.gateway]).toBe('gw-1');
    // Headers arrive as Buffers from the Kafka client.
    const headers = Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v)]));
    expect(fromIngestRecord('p.cloudpatrol.ingest.v1', record.value, record.key, headers, now)).toEqual(sent);
  });

  it('leaves out the authenticated device when the broker named none (Mosquitto), as a direct subscription does', () => {
    const sent: InboundMessage = { transport: 'mqtt', topic: 'cloudpatrol/v1/devices/CAM-1/events', payload: Buffer.from('{}'), receivedAt: now };
    const record = toIngestRecord(sent, 'CAM-1', 'gw-1');
    const read = fromIngestRecord('cloudpatrol.ingest.v1', record.value, record.key, record.headers, new Date(0));
    expect(read).toEqual(sent);
    expect('authenticatedDeviceId' in read).toBe(false);
  });

  it('keeps a record no gateway wrote as a Kafka message on the ingest topic (no adapter takes it: a dead letter, not a stuck partition)', () => {
    const read = fromIngestRecord('cloudpatrol.ingest.v1', Buffer.from('x'), 'k', {}, now);
    expect(read).toEqual({ transport: 'kafka', topic: 'cloudpatrol.ingest.v1', payload: Buffer.from('x'), key: 'k', receivedAt: now });
  });
});
