import fc from 'fast-check';
import { adaptGenericEvent, deviceIdFromTopic, genericEventSchema, plainlyValidGenericEvent } from './generic-event.adapter';
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

describe('the plain-validity check beside the schema', () => {
  // `loose`: values around the bounds and of the wrong kind too; otherwise only values the schema accepts.
  const arbitraries = (loose: boolean) => {
    const text = (max: number) =>
      loose ? fc.oneof(fc.string({ minLength: 1, maxLength: max }), fc.string({ maxLength: max + 5 })) : fc.string({ minLength: 1, maxLength: max });
    const validTime = fc.oneof(
      fc.date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom('2026-11-28T10:00:00+08:00', '2026-02-28T10:00:00Z', '2028-02-29T23:59:59.5-03:30'),
    );
    const time = loose ? fc.oneof(validTime, fc.constantFrom('2026-02-29T10:00:00Z', '2026-11-28T10:00:00', '2026-11-28 10:00:00Z', 'x')) : validTime;
    const num = (min: number, max: number) =>
      loose
        ? fc.oneof(fc.double({ min, max, noNaN: true }), fc.double({ min: min - 10, max: max + 10, noNaN: true }), fc.constant(min), fc.constant(max))
        : fc.oneof(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), fc.constant(min), fc.constant(max));
    const double = fc.double({ noNaN: true, noDefaultInfinity: true });
    const detection = fc.record(
      {
        label: text(100),
        confidence: num(0, 1),
        box: loose ? fc.oneof(fc.tuple(double, double, double, double), fc.array(fc.integer(), { maxLength: 6 })) : fc.tuple(double, double, double, double),
        trackId: text(200),
        plate: text(20),
        stationary: loose ? fc.oneof(fc.boolean(), fc.constant(0)) : fc.boolean(),
      },
      { requiredKeys: ['label', 'confidence'] },
    );
    const sha = fc.stringMatching(/^[0-9a-f]{64}$/);
    const media = fc.record(
      {
        kind: loose ? fc.constantFrom('snapshot', 'photo', 'clip', 'video') : fc.constantFrom('snapshot', 'photo', 'clip'),
        uri: text(2000),
        sha256: loose ? fc.oneof(sha, fc.stringMatching(/^[0-9a-f]{60,66}$/), fc.constant('A'.repeat(64))) : sha,
      },
      { requiredKeys: ['kind', 'uri'] },
    );
    return fc.record(
      {
        eventId: text(200),
        deviceId: text(100),
        occurredAt: time,
        sourceKind: loose
          ? fc.constantFrom('camera', 'drone', 'dock', 'nvr', 'sensor', 'feed', 'robot')
          : fc.constantFrom('camera', 'drone', 'dock', 'nvr', 'sensor', 'feed'),
        location: fc.record({ lat: num(-90, 90), lng: num(-180, 180) }),
        zones: fc.array(text(100), { maxLength: loose ? 52 : 50 }),
        detections: fc.array(detection, { maxLength: loose ? 102 : 8 }),
        media: fc.array(media, { maxLength: loose ? 21 : 20 }),
      },
      { requiredKeys: ['eventId', 'deviceId', 'occurredAt', 'detections'] },
    );
  };
  const event = arbitraries(true);
  const validEvent = arbitraries(false);
  // A valid-looking body with one thing changed: a field replaced by any JSON value, an extra key at any depth.
  const mutated = fc
    .tuple(
      fc.oneof(event, validEvent),
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.double({ min: -200, max: 200, noNaN: true }),
        // Just past each bound of the schema, and just inside.
        fc.constantFrom(-180.5, -180, -90.5, -90, -0.5, 0, 1, 1.5, 90, 90.5, 180, 180.5),
        fc.constantFrom(0, 1, 20, 21, 50, 51, 100, 101, 200, 201, 2000, 2001).map((n) => 'x'.repeat(n)),
        fc.constantFrom(0, 1, 4, 5, 20, 21, 50, 51, 100, 101).map((n) => Array.from({ length: n }, () => 'z')),
      ),
      fc.nat(),
      fc.constantFrom('replace', 'replace-nested', 'extra-top', 'extra-nested', 'none'),
    )
    .map(([e, value, pick, how]) => {
      const body = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
      const keys = Object.keys(body);
      const nested = [body.location, ...((body.detections as unknown[]) ?? []), ...((body.media as unknown[]) ?? [])].filter((o) => typeof o === 'object');
      if (how === 'replace') body[keys[pick % keys.length]] = value;
      else if (how === 'replace-nested' && nested.length > 0) {
        const o = nested[pick % nested.length] as Record<string, unknown>;
        const k = Object.keys(o);
        o[k[pick % k.length]] = value;
      } else if (how === 'extra-top') body.extra = value;
      else if (how === 'extra-nested' && nested.length > 0) (nested[pick % nested.length] as Record<string, unknown>).extra = value;
      return body;
    });

  it('accepts only what the schema accepts, as the schema outputs it', () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.oneof(validEvent, event, mutated, fc.jsonValue()), (candidate) => {
        const body = JSON.parse(JSON.stringify(candidate)) as unknown;
        const fast = plainlyValidGenericEvent(body);
        const parsed = genericEventSchema.safeParse(JSON.parse(JSON.stringify(candidate)));
        if (fast === undefined) return;
        taken++;
        expect(parsed.success).toBe(true);
        expect(fast).toEqual(parsed.data);
      }),
      { numRuns: 3000 },
    );
    // It must also be the path valid events take, or it saves nothing.
    expect(taken).toBeGreaterThan(500);
  });

  it('takes every valid event without keys the schema does not name', () => {
    fc.assert(
      fc.property(fc.oneof(validEvent, event), (candidate) => {
        const body = JSON.parse(JSON.stringify(candidate)) as unknown;
        expect(plainlyValidGenericEvent(body) !== undefined).toBe(genericEventSchema.safeParse(body).success);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the schema at every bound of every field', () => {
    const full = () => ({
      eventId: 'e-1',
      deviceId: 'DEMO-CAM-01',
      occurredAt: '2026-11-28T10:00:00+08:00',
      sourceKind: 'camera',
      location: { lat: 23.1, lng: 113.3 },
      zones: ['loading_bay'],
      detections: [{ label: 'car', confidence: 0.9, box: [1, 2, 3, 4], trackId: 't-1', plate: '粤A12345', stationary: true }],
      media: [{ kind: 'snapshot', uri: 'https://nvr/1.jpg', sha256: 'a'.repeat(64) }],
    });
    const paths = [
      'eventId',
      'deviceId',
      'occurredAt',
      'sourceKind',
      'location',
      'location.lat',
      'location.lng',
      'zones',
      'zones.0',
      'detections',
      'detections.0',
      'detections.0.label',
      'detections.0.confidence',
      'detections.0.box',
      'detections.0.box.0',
      'detections.0.trackId',
      'detections.0.plate',
      'detections.0.stationary',
      'media',
      'media.0',
      'media.0.kind',
      'media.0.uri',
      'media.0.sha256',
    ];
    const values: unknown[] = [
      null,
      true,
      false,
      {},
      [],
      'camera',
      'robot',
      'photo',
      'video',
      '2026-02-28T10:00:00Z',
      '2026-02-29T10:00:00Z',
      '2026-11-28T10:00:00',
      'a'.repeat(64),
      'A'.repeat(64),
      'a'.repeat(63),
      -180.5,
      -180,
      -90.5,
      -90,
      -0.5,
      0,
      1,
      1.5,
      90,
      90.5,
      180,
      180.5,
      1e308,
      ...[0, 1, 20, 21, 100, 101, 200, 201, 2000, 2001].map((n) => 'x'.repeat(n)),
      ...[0, 1, 3, 4, 5, 20, 21, 50, 51, 100, 101].map((n) => Array.from({ length: n }, () => 1)),
      ...[1, 20, 21, 50, 51, 100, 101].map((n) => Array.from({ length: n }, () => 'z')),
      ...[1, 100, 101].map((n) => Array.from({ length: n }, () => ({ label: 'car', confidence: 0.5 }))),
      ...[1, 20, 21].map((n) => Array.from({ length: n }, () => ({ kind: 'photo', uri: 'u' }))),
    ];
    let compared = 0;
    for (const path of paths)
      for (const value of values) {
        const body = full() as Record<string, unknown>;
        const keys = path.split('.');
        let at = body;
        for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
        at[keys[keys.length - 1]] = value;
        const json = JSON.stringify(body);
        const fast = plainlyValidGenericEvent(JSON.parse(json));
        const parsed = genericEventSchema.safeParse(JSON.parse(json));
        expect({ path, value, accepted: fast !== undefined }).toEqual({ path, value, accepted: parsed.success });
        if (fast) expect(fast).toEqual(parsed.data);
        compared++;
      }
    expect(compared).toBe(paths.length * values.length);
  });

  it('leaves a body with keys to strip to the schema, which strips them', () => {
    const body = JSON.parse(smallest.replace('"confidence":0.93', '"confidence":0.93,"colour":"red"')) as unknown;
    expect(plainlyValidGenericEvent(body)).toBeUndefined();
    const r = adaptGenericEvent(topic, smallest.replace('"confidence":0.93', '"confidence":0.93,"colour":"red"'));
    expect(r.ok && r.events[0].detections[0]).toEqual({ label: 'garbage', confidence: 0.93 });
  });
});
