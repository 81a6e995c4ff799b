import { ingestPartitionKey } from './ingest-partition-key';

const key = (topic: string, payload: unknown = {}) =>
  ingestPartitionKey({ topic, payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)) }, 'frigate');

describe('ingestPartitionKey (one device, one partition)', () => {
  it('keys a generic event by the device its topic names', () => {
    expect(key('cloudpatrol/v1/devices/DEMO-CAM-01/events')).toBe('DEMO-CAM-01');
  });

  it('keys a DJI dock frame and event by the dock its topic names', () => {
    expect(key('thing/product/DOCK-1/osd')).toBe('DOCK-1');
    expect(key('thing/product/DOCK-1/events')).toBe('DOCK-1');
  });

  it('keys a Frigate event by its camera, so one NVR topic spreads over partitions', () => {
    expect(key('frigate/events', { type: 'new', after: { camera: 'gate_east' } })).toBe('frigate/gate_east');
    expect(key('frigate/events', { type: 'end', before: { camera: 'gate_west' } })).toBe('frigate/gate_west');
  });

  it('falls back to the topic when the payload names no camera or is not JSON', () => {
    expect(key('frigate/events', 'not json')).toBe('frigate/events');
    expect(key('frigate/events', { after: {} })).toBe('frigate/events');
    expect(key('something/else')).toBe('something/else');
  });
});
