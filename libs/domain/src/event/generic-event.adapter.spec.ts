import { adaptGenericEvent, deviceIdFromTopic } from './generic-event.adapter';
import { applyDeviceRegister } from './device-register';

const topic = 'cloudpatrol/v1/devices/DEMO-CAM-01/events';
const smallest = '{"eventId":"e-1","deviceId":"DEMO-CAM-01","occurredAt":"2026-11-28T10:00:00+08:00","detections":[{"label":"garbage","confidence":0.93}]}';

describe('generic canonical JSON adapter', () => {
  it('accepts the smallest valid event and keeps the raw payload', () => {
    const r = adaptGenericEvent(topic, Buffer.from(smallest));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.events).toHaveLength(1);
    expect(r.events[0].eventId).toBe('e-1');
    expect(r.events[0].occurredAt.toISOString()).toBe('2026-11-28T02:00:00.000Z');
    expect(r.events[0].raw).toBe(smallest);
    expect(r.events[0].detections[0]).toEqual({ label: 'garbage', confidence: 0.93 });
  });

  it.each([
    ['not JSON', '{"eventId":', 'not-json'],
    ['wrong types', '{"eventId":1,"deviceId":"DEMO-CAM-01","occurredAt":"x","detections":"no"}', 'invalid-schema'],
    ['missing device id', '{"eventId":"e","occurredAt":"2026-11-28T10:00:00+08:00","detections":[]}', 'missing-device-id'],
    ['confidence above 1', smallest.replace('0.93', '1.5'), 'invalid-schema'],
    ['time without offset', smallest.replace('+08:00', ''), 'invalid-schema'],
    ['unknown field', smallest.replace('{"eventId"', '{"extra":1,"eventId"'), 'invalid-schema'],
  ])('rejects %s with a reason', (_name, payload, reason) => {
    const r = adaptGenericEvent(topic, payload);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.rejection.reason).toBe(reason);
    expect(r.rejection.detail.length).toBeGreaterThan(0);
  });

  it('names every bad field in the detail', () => {
    const r = adaptGenericEvent(topic, '{"eventId":"","deviceId":"DEMO-CAM-01","occurredAt":"x","detections":[]}');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.rejection.detail).toContain('eventId');
    expect(r.rejection.detail).toContain('occurredAt');
  });

  it('rejects invalid UTF-8 bytes', () => {
    const r = adaptGenericEvent(topic, Buffer.from([0xff, 0xfe, 0x00]));
    expect(r.ok ? undefined : r.rejection.reason).toBe('not-utf8');
  });

  it('refuses a payload whose device differs from the topic', () => {
    const r = adaptGenericEvent('cloudpatrol/v1/devices/OTHER/events', smallest);
    expect(r.ok ? undefined : r.rejection.reason).toBe('topic-mismatch');
  });

  it('reads the device id from plain and shared-subscription topics', () => {
    expect(deviceIdFromTopic(topic)).toBe('DEMO-CAM-01');
    expect(deviceIdFromTopic('$share/g/cloudpatrol/v1/devices/X/events')).toBe('X');
    expect(deviceIdFromTopic('frigate/events')).toBeUndefined();
  });

  describe('identity: ids need only be unique per device', () => {
    /** What the events table keys on: (source, device, source_event_id, occurred_at). */
    const identityOf = (deviceId: string, eventId: string, occurredAt = '2026-11-28T10:00:00+08:00') => {
      const r = adaptGenericEvent(`cloudpatrol/v1/devices/${deviceId}/events`, JSON.stringify({ eventId, deviceId, occurredAt, detections: [] }));
      if (!r.ok) throw new Error(r.rejection.detail);
      const e = r.events[0];
      return [e.source, e.deviceId, e.eventId, e.occurredAt.toISOString()].join('|');
    };

    it('keeps evt-0 of two cameras apart, and a re-send of one the same', () => {
      expect(identityOf('CAM-A', 'evt-0')).not.toBe(identityOf('CAM-B', 'evt-0'));
      expect(identityOf('CAM-A', 'evt-0')).toBe(identityOf('CAM-A', 'evt-0'));
      // The same instant written with another offset is the same event.
      expect(identityOf('CAM-A', 'evt-0', '2026-11-28T02:00:00Z')).toBe(identityOf('CAM-A', 'evt-0'));
    });

    it('keeps evt-0 sent again by a camera whose counter restarted (a later event) apart from the first evt-0', () => {
      expect(identityOf('CAM-A', 'evt-0', '2026-11-28T11:30:00+08:00')).not.toBe(identityOf('CAM-A', 'evt-0'));
    });
  });
});

describe('device register gate', () => {
  const adapted = () => {
    const r = adaptGenericEvent(topic, smallest);
    if (!r.ok) throw new Error('fixture');
    return r.events[0];
  };

  it('fills kind and position from the registered device', () => {
    const r = applyDeviceRegister(adapted(), () => ({ id: 'DEMO-CAM-01', kind: 'camera', status: 'active', location: { lat: 23.1, lng: 113.3 } }));
    expect(r.ok && r.event.sourceKind).toBe('camera');
    expect(r.ok && r.event.location).toEqual({ lat: 23.1, lng: 113.3 });
  });

  it('keeps unknown and retired devices out with a reason', () => {
    expect(applyDeviceRegister(adapted(), () => undefined)).toMatchObject({ ok: false, rejection: { reason: 'unknown-device' } });
    expect(applyDeviceRegister(adapted(), () => ({ id: 'DEMO-CAM-01', kind: 'camera', status: 'retired' }))).toMatchObject({
      ok: false,
      rejection: { reason: 'retired-device' },
    });
  });
});
