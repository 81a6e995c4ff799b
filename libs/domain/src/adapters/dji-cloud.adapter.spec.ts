import fc from 'fast-check';
import { adaptDjiEvent, adaptDjiOsd, DjiEventResult, DjiOsdResult } from './dji-cloud.adapter';
import { AIRCRAFT_SN, DOCK_ENVIRONMENT_OSD, DOCK_SN, HMS_EVENT, aircraftOsd, fileUploadCallback } from '@test/fixtures/payloads/dji-cloud.fixtures';
import { mutate, outcomeProblem } from './adapter-test-support';

const OSD_TOPIC = `thing/product/${AIRCRAFT_SN}/osd`;
const EVENTS_TOPIC = `thing/product/${DOCK_SN}/events`;
const NOW = new Date('2026-11-28T02:15:00.000Z');

function telemetryOf(r: DjiOsdResult) {
  if (!r.ok) throw new Error(`rejected: ${r.rejection.reason}: ${r.rejection.detail}`);
  if (!r.telemetry) throw new Error(`skipped: ${r.skipped}`);
  return r.telemetry;
}
const osdReason = (r: DjiOsdResult) => (r.ok ? undefined : r.rejection.reason);
const eventReason = (r: DjiEventResult) => (r.ok ? undefined : r.rejection.reason);

describe('DJI OSD telemetry', () => {
  it('reads position, heights, attitude and every gimbal keyed by payload index', () => {
    const t = telemetryOf(adaptDjiOsd(OSD_TOPIC, Buffer.from(aircraftOsd())));
    expect(t.deviceSn).toBe(AIRCRAFT_SN);
    expect(t.gatewaySn).toBe(DOCK_SN);
    expect(t.at.getTime()).toBe(1764296530123);
    expect(t.position).toEqual({ lat: 23.1049213, lng: 113.2551068 });
    expect(t).toMatchObject({ height: 132.4, elevation: 80.1, attitudeHead: -37.5, attitudePitch: -2.1, attitudeRoll: 0.4, modeCode: 5 });
    expect(t.gimbals).toEqual([
      { payloadIndex: '39-0-7', pitch: 0, roll: 0, yaw: -37.5 },
      { payloadIndex: '53-0-0', pitch: -48.3, roll: 0, yaw: -36.9, zoomFactor: 5.6 },
    ]);
  });

  it('reports the laser rangefinder target: the point the camera looks at', () => {
    const t = telemetryOf(adaptDjiOsd(OSD_TOPIC, aircraftOsd()));
    expect(t.target).toEqual({ lat: 23.1041871, lng: 113.2559402, altitude: 14.2, distance: 118.7, payloadIndex: '53-0-0' });
  });

  it('drops the target unless the rangefinder state is NORMAL with a real position', () => {
    const payload = (over: Record<string, unknown>) =>
      aircraftOsd({ '53-0-0': { payload_index: '53-0-0', gimbal_pitch: -30, measure_target_latitude: 0, measure_target_longitude: 0, ...over } });
    expect(telemetryOf(adaptDjiOsd(OSD_TOPIC, payload({ measure_target_error_state: 3, measure_target_distance: 4.2 }))).target).toBeUndefined();
    expect(telemetryOf(adaptDjiOsd(OSD_TOPIC, payload({ measure_target_error_state: 0 }))).target).toBeUndefined();
    const tooFar = payload({ measure_target_error_state: 2, measure_target_latitude: 23.1, measure_target_longitude: 113.2 });
    expect(telemetryOf(adaptDjiOsd(OSD_TOPIC, tooFar)).target).toBeUndefined();
  });

  it('accepts numbers sent as strings and payloads listed in `payloads`', () => {
    const t = telemetryOf(
      adaptDjiOsd(
        OSD_TOPIC,
        aircraftOsd({
          latitude: '23.1049213',
          longitude: '+113.2551068',
          '53-0-0': undefined,
          '39-0-7': undefined,
          payloads: [{ payload_index: '66-0-0', gimbal_pitch: '-90.0' }],
        }),
      ),
    );
    expect(t.position).toEqual({ lat: 23.1049213, lng: 113.2551068 });
    expect(t.gimbals).toEqual([{ payloadIndex: '66-0-0', pitch: -90 }]);
  });

  it('skips frames without a usable position instead of rejecting them', () => {
    const dock = adaptDjiOsd(`thing/product/${DOCK_SN}/osd`, DOCK_ENVIRONMENT_OSD);
    expect(dock).toEqual({ ok: true, telemetry: null, skipped: 'frame has no position' });
    const noFix = adaptDjiOsd(OSD_TOPIC, aircraftOsd({ latitude: 0, longitude: 0 }));
    expect(noFix.ok && noFix.telemetry === null).toBe(true);
    const outOfRange = adaptDjiOsd(OSD_TOPIC, aircraftOsd({ latitude: 123.4 }));
    expect(outOfRange.ok && outOfRange.telemetry === null).toBe(true);
  });

  it.each([
    ['another topic', `thing/product/${AIRCRAFT_SN}/state`, aircraftOsd(), 'unsupported-message'],
    ['truncated JSON', OSD_TOPIC, aircraftOsd().slice(0, 120), 'not-json'],
    ['no timestamp', OSD_TOPIC, aircraftOsd({}, { timestamp: undefined }), 'invalid-schema'],
    ['a timestamp in seconds', OSD_TOPIC, aircraftOsd({}, { timestamp: 1764296530 }), 'invalid-schema'],
    ['data not an object', OSD_TOPIC, aircraftOsd({}, { data: [1, 2] }), 'invalid-schema'],
    ['no tid', OSD_TOPIC, aircraftOsd({}, { tid: undefined }), 'invalid-schema'],
    ['a JSON string', OSD_TOPIC, '"osd"', 'invalid-schema'],
    ['invalid UTF-8', OSD_TOPIC, Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), 'not-utf8'],
  ])('rejects %s', (_name, topic, payload, reason) => {
    expect(osdReason(adaptDjiOsd(topic, payload))).toBe(reason);
  });

  it('rejects an oversized frame', () => {
    expect(osdReason(adaptDjiOsd(OSD_TOPIC, aircraftOsd(), { maxBytes: 512 }))).toBe('payload-too-large');
  });
});

describe('DJI events', () => {
  it('turns file_upload_callback into a photo event and builds the events_reply', () => {
    const payload = fileUploadCallback();
    const r = adaptDjiEvent(EVENTS_TOPIC, Buffer.from(payload), NOW);
    if (!r.ok) throw new Error(r.rejection.detail);
    expect(r.events).toHaveLength(1);
    const e = r.events[0];
    expect(e.eventId).toBe('file:wayline/8c1f2e3d-syn/DJI_202611281014_0042_W.jpeg');
    expect(e.source).toBe('dji');
    expect(e.deviceId).toBe(DOCK_SN);
    expect(e.occurredAt.toISOString()).toBe('2026-11-28T02:14:51.000Z');
    expect(e.location).toEqual({ lat: 23.1049102, lng: 113.2551241 });
    expect(e.media).toEqual([{ kind: 'photo', uri: 'wayline/8c1f2e3d-syn/DJI_202611281014_0042_W.jpeg' }]);
    expect(e.detections).toEqual([]);
    expect(e.attributes).toMatchObject({
      flightId: '8c1f2e3d-4b5a-4697-8a1b-2c3d4e5f6syn',
      aircraftSn: AIRCRAFT_SN,
      gimbalYawDegree: -36.9,
      relativeAltitude: 80.12,
      absoluteAltitude: 132.41,
      isOriginal: true,
      createdTime: '2026-11-28T10:14:51+08:00',
      expectedFileCount: 64,
      uploadedFileCount: 42,
    });
    expect(e.raw).toBe(payload);
    expect(r.reply).toEqual({
      topic: `thing/product/${DOCK_SN}/events_reply`,
      payload: {
        tid: '9b8f3c21-2a7d-4e0b-b0a4-7f1d2e3c4b5a',
        bid: '3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f',
        timestamp: NOW.getTime(),
        gateway: DOCK_SN,
        method: 'file_upload_callback',
        data: { result: 0 },
      },
    });
  });

  it('reads the documented create_time without an offset as local time (+08:00 by default)', () => {
    const payload = fileUploadCallback({
      metadata: { create_time: '2026-11-28 10:04:20', gimbal_yaw_degree: '-91.40', shoot_position: { lat: 22.1, lng: 113.5 } },
    });
    const r = adaptDjiEvent(EVENTS_TOPIC, payload, NOW);
    expect(r.ok && r.events[0].occurredAt.toISOString()).toBe('2026-11-28T02:04:20.000Z');
    const utc = adaptDjiEvent(EVENTS_TOPIC, payload, NOW, { localUtcOffset: '+00:00' });
    expect(utc.ok && utc.events[0].occurredAt.toISOString()).toBe('2026-11-28T10:04:20.000Z');
  });

  it('falls back to the envelope time when the file has no capture time', () => {
    const r = adaptDjiEvent(EVENTS_TOPIC, fileUploadCallback({ metadata: { shoot_position: { lat: 23.1, lng: 113.2 } } }), NOW);
    expect(r.ok && r.events[0].occurredAt.getTime()).toBe(1764296702456);
  });

  it('gives a redelivered callback the same id, and marks videos as clips', () => {
    const a = adaptDjiEvent(EVENTS_TOPIC, fileUploadCallback(), NOW);
    const b = adaptDjiEvent(EVENTS_TOPIC, fileUploadCallback({}, { tid: 'another-tid' }), new Date());
    expect(a.ok && b.ok && a.events[0].eventId === b.events[0].eventId).toBe(true);
    const video = adaptDjiEvent(EVENTS_TOPIC, fileUploadCallback({ object_key: 'wayline/x/DJI_0043_V.MP4', name: 'DJI_0043_V.MP4' }), NOW);
    expect(video.ok && video.events[0].media[0].kind).toBe('clip');
  });

  it('omits the reply when none is asked for', () => {
    const r = adaptDjiEvent(EVENTS_TOPIC, fileUploadCallback({}, { need_reply: 0 }), NOW);
    expect(r.ok).toBe(true);
    expect(r.reply).toBeUndefined();
  });

  it('acknowledges other methods without creating events, so they do not block the dock', () => {
    const r = adaptDjiEvent(EVENTS_TOPIC, HMS_EVENT, NOW);
    expect(r.ok && r.events).toEqual([]);
    expect(r.reply?.payload).toMatchObject({ method: 'hms', tid: 'a1b2c3d4-0000-4000-8000-0000000hms01', data: { result: 0 } });
  });

  it('still replies when a callback it must dead-letter asked for a reply', () => {
    const r = adaptDjiEvent(EVENTS_TOPIC, fileUploadCallback({ object_key: undefined }), NOW);
    expect(eventReason(r)).toBe('invalid-schema');
    expect(r.ok ? '' : r.rejection.detail).toContain('data.file.object_key');
    expect(r.reply?.topic).toBe(`thing/product/${DOCK_SN}/events_reply`);
  });

  it.each([
    ['another topic', `thing/product/${DOCK_SN}/requests`, fileUploadCallback(), 'unsupported-message'],
    ['truncated JSON', EVENTS_TOPIC, fileUploadCallback().slice(0, 200), 'not-json'],
    ['no method', EVENTS_TOPIC, fileUploadCallback({}, { method: undefined }), 'invalid-schema'],
    ['no bid', EVENTS_TOPIC, fileUploadCallback({}, { bid: undefined }), 'invalid-schema'],
    ['need_reply of 2', EVENTS_TOPIC, fileUploadCallback({}, { need_reply: 2 }), 'invalid-schema'],
    ['an unreadable capture time', EVENTS_TOPIC, fileUploadCallback({ metadata: { created_time: 'yesterday' } }), 'invalid-schema'],
    ['a capture time from an unset clock', EVENTS_TOPIC, fileUploadCallback({ metadata: { created_time: '1970-01-01T08:00:12+08:00' } }), 'invalid-schema'],
    ['a position as words', EVENTS_TOPIC, fileUploadCallback({ metadata: { shoot_position: { lat: true, lng: 1 } } }), 'invalid-schema'],
    ['no file', EVENTS_TOPIC, fileUploadCallback({}, { data: { flight_task: {} } }), 'invalid-schema'],
  ])('rejects %s', (_name, topic, payload, reason) => {
    expect(eventReason(adaptDjiEvent(topic, payload, NOW))).toBe(reason);
  });

  it('gives no reply when the envelope itself cannot be read', () => {
    const r = adaptDjiEvent(EVENTS_TOPIC, '{"tid":', NOW);
    expect(eventReason(r)).toBe('not-json');
    expect(r.reply).toBeUndefined();
  });

  it('rejects an oversized event', () => {
    expect(eventReason(adaptDjiEvent(EVENTS_TOPIC, fileUploadCallback(), NOW, { maxBytes: 300 }))).toBe('payload-too-large');
  });
});

describe('DJI file identity: (gateway, object key, capture time)', () => {
  /** What the events table keys on: (source, device, source_event_id, occurred_at). */
  const identity = (gateway: string, payload: string) => {
    const r = adaptDjiEvent(`thing/product/${gateway}/events`, payload, NOW);
    if (!r.ok) throw new Error(r.rejection.detail);
    const e = r.events[0];
    return [e.source, e.deviceId, e.eventId, e.occurredAt.toISOString()].join('|');
  };

  it('keeps the same object key from two docks apart, and a re-sent callback (new tid, bid and send time) the same', () => {
    const photo = fileUploadCallback();
    expect(identity(DOCK_SN, photo)).not.toBe(identity('7CTDM4100B0SYN2', fileUploadCallback({}, { gateway: '7CTDM4100B0SYN2' })));
    const resent = fileUploadCallback({}, { tid: 'resent-tid', bid: 'resent-bid', timestamp: 1764296760000 });
    expect(identity(DOCK_SN, resent)).toBe(identity(DOCK_SN, photo));
  });
});

describe('DJI adapter properties', () => {
  const mutation = fc.record({
    kind: fc.constantFrom('truncate' as const, 'delete' as const, 'insert' as const, 'replace' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.integer({ min: 1, max: 40 }),
    text: fc.string({ maxLength: 8 }),
  });
  const randomPayload = fc.oneof(
    fc.string(),
    fc.json(),
    fc.uint8Array({ maxLength: 200 }),
    fc.jsonValue().map((data) => JSON.stringify({ tid: 't', bid: 'b', timestamp: 1764296530123, method: 'file_upload_callback', need_reply: 1, data })),
  );

  it('OSD never throws and always answers telemetry, a skip or a known rejection', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          randomPayload,
          fc.tuple(fc.constantFrom(aircraftOsd(), DOCK_ENVIRONMENT_OSD), mutation).map(([s, m]) => mutate(s, m)),
        ),
        (p) => {
          return outcomeProblem(adaptDjiOsd(OSD_TOPIC, p)) === undefined;
        },
      ),
      { numRuns: 500 },
    );
  });

  it('events never throw and always answer ok or a known rejection', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          randomPayload,
          fc.tuple(fc.constantFrom(fileUploadCallback(), HMS_EVENT), mutation).map(([s, m]) => mutate(s, m)),
        ),
        (p) => {
          return outcomeProblem(adaptDjiEvent(EVENTS_TOPIC, p, NOW)) === undefined;
        },
      ),
      { numRuns: 500 },
    );
  });
});
