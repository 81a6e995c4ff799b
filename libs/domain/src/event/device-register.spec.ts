import type { AdaptedEvent } from './canonical-event';
import { applyDeviceRegister, RegisteredDevice } from './device-register';

const home = { lat: 23.1, lng: 113.3 };
const gps = { lat: 23.05, lng: 113.07 };

const adapted = (extra: Partial<AdaptedEvent> = {}): AdaptedEvent => ({
  eventId: 'e-1',
  source: 'cloudpatrol',
  deviceId: 'DEV-1',
  occurredAt: new Date('2026-11-28T10:00:00+08:00'),
  zones: [],
  detections: [{ label: 'garbage', confidence: 0.9 }],
  media: [],
  attributes: {},
  raw: '{}',
  ...extra,
});

const device = (extra: Partial<RegisteredDevice> = {}): RegisteredDevice => ({ id: 'DEV-1', kind: 'camera', status: 'active', location: home, ...extra });

function gate(event: AdaptedEvent, registered: RegisteredDevice = device()) {
  const r = applyDeviceRegister(event, () => registered);
  if (!r.ok) throw new Error(r.rejection.detail);
  return r.event;
}

describe('applyDeviceRegister: where the position comes from', () => {
  it('keeps the position the event carried (positionSource event)', () => {
    const e = gate(adapted({ location: gps }));
    expect(e.location).toEqual(gps);
    expect(e.attributes).toEqual({ positionSource: 'event' });
  });

  it('lends a fixed device its registered position (positionSource device)', () => {
    const e = gate(adapted());
    expect(e.location).toEqual(home);
    expect(e.sourceKind).toBe('camera');
    expect(e.attributes.positionSource).toBe('device');
  });

  it('says none when neither the event nor the register has one', () => {
    const e = gate(adapted(), device({ location: undefined }));
    expect(e).not.toHaveProperty('location');
    expect(e.attributes.positionSource).toBe('none');
  });

  it("never places a drone photo at the drone's registered home: without GPS it has no position", () => {
    const photo = adapted({ source: 'drone-upload', sourceKind: 'drone', location: undefined, attributes: { flightId: 'F-1', markedBy: 'pilot' } });
    const e = gate(photo, device({ kind: 'drone' }));
    expect(e).not.toHaveProperty('location');
    expect(e.attributes).toEqual({ flightId: 'F-1', markedBy: 'pilot', positionSource: 'none' });
    // with GPS the photo keeps its own position
    const withGps = gate({ ...photo, location: gps }, device({ kind: 'drone' }));
    expect(withGps.location).toEqual(gps);
    expect(withGps.attributes.positionSource).toBe('event');
  });

  it('keeps a positionSource an adapter already set, and leaves the input untouched', () => {
    const input = adapted({ location: gps, attributes: { positionSource: 'dock' } });
    const e = gate(input);
    expect(e.attributes).toEqual({ positionSource: 'dock' });
    expect(input.attributes).toEqual({ positionSource: 'dock' });
    const plain = adapted();
    gate(plain);
    expect(plain.attributes).toEqual({});
  });

  it('keeps unknown and retired devices out with a reason', () => {
    expect(applyDeviceRegister(adapted(), () => undefined)).toMatchObject({ ok: false, rejection: { reason: 'unknown-device' } });
    expect(applyDeviceRegister(adapted(), () => device({ status: 'retired' }))).toMatchObject({ ok: false, rejection: { reason: 'retired-device' } });
  });
});
