import fc from 'fast-check';
import { adaptFrigateEvent, FrigateAdapterOptions, frigateSnapshotTopicFilter, parseFrigateSnapshotTopic } from './frigate-event.adapter';
import { FRIGATE_END_LEGACY, FRIGATE_NEW_PERSON, frigateCar, frigateMessage } from '@test/fixtures/payloads/frigate-event.fixtures';
import { mutate, outcomeProblem } from './adapter-test-support';
import { AdapterResult, AdaptedEvent } from '../event/canonical-event';

const options: FrigateAdapterOptions = { topicPrefix: 'frigate' };
const TOPIC = 'frigate/events';

function only(result: AdapterResult): AdaptedEvent {
  if (!result.ok) throw new Error(`rejected: ${result.rejection.reason}: ${result.rejection.detail}`);
  expect(result.events).toHaveLength(1);
  return result.events[0];
}
function reasonOf(result: AdapterResult): string | undefined {
  return result.ok ? undefined : result.rejection.reason;
}

describe('Frigate events adapter', () => {
  it('turns a `new` message into a start event keyed by the tracked object', () => {
    const e = only(adaptFrigateEvent(TOPIC, FRIGATE_NEW_PERSON, options));
    expect(e.eventId).toBe('1764300020.552101-q0d3mf:new');
    expect(e.source).toBe('frigate');
    expect(e.sourceKind).toBe('camera');
    expect(e.deviceId).toBe('market_st_gate');
    expect(e.phase).toBe('start');
    expect(e.occurredAt.getTime()).toBe(Math.round(1764300020.552101 * 1000));
    expect(e.zones).toEqual([]);
    // `has_snapshot` is false in a `new` message, yet the event has its picture slot: the fetcher waits for it.
    expect(e.attributes.hasSnapshot).toBe(false);
    expect(e.media).toEqual([{ kind: 'snapshot', uri: 'frigate/market_st_gate/person/snapshot' }]);
    expect(e.detections).toEqual([{ label: 'person', confidence: 0.78125, trackId: '1764300020.552101-q0d3mf', box: [291, 163, 356, 333], stationary: false }]);
    expect(e.raw).toBe(FRIGATE_NEW_PERSON);
  });

  it('reads a stationary parked car update: frame time, zone, plate, snapshot, attributes', () => {
    const payload = frigateMessage('update');
    const e = only(adaptFrigateEvent(TOPIC, Buffer.from(payload), options));
    expect(e.eventId).toBe('1764295322.417655-7ykq2c:update:1764295391.839211');
    expect(e.phase).toBe('update');
    expect(e.occurredAt.toISOString()).toBe(new Date(Math.round(1764295391.839211 * 1000)).toISOString());
    expect(e.zones).toEqual(['no_parking_east']);
    expect(e.detections[0]).toMatchObject({ label: 'car', confidence: 0.83984375, stationary: true, plate: '粤A3K7Q2', trackId: '1764295322.417655-7ykq2c' });
    expect(e.media).toEqual([{ kind: 'snapshot', uri: 'frigate/xihu_rd_east/car/snapshot' }]);
    expect(e.attributes).toMatchObject({
      falsePositive: false,
      motionlessCount: 612,
      positionChanges: 1,
      hasSnapshot: true,
      topScore: 0.861328125,
      enteredZones: 'carriageway,no_parking_east',
      recognizedPlate: '粤A3K7Q2',
      plateScore: 0.912,
    });
    expect(e.raw).toBe(payload);
  });

  it('keeps a low-score plate out of the detection but in the attributes', () => {
    const e = only(adaptFrigateEvent(TOPIC, frigateMessage('update', frigateCar({ recognized_license_plate_score: 0.31 })), options));
    expect(e.detections[0].plate).toBeUndefined();
    expect(e.attributes.recognizedPlate).toBe('粤A3K7Q2');
    const strict = only(adaptFrigateEvent(TOPIC, frigateMessage('update'), { ...options, minPlateScore: 0.95 }));
    expect(strict.detections[0].plate).toBeUndefined();
  });

  it('reads plates and sub labels given as [value, score] tuples', () => {
    const e = only(
      adaptFrigateEvent(
        TOPIC,
        frigateMessage(
          'update',
          frigateCar({ recognized_license_plate: ['粤B88L21', 0.97], recognized_license_plate_score: null, sub_label: ['delivery_van', 0.88] }),
        ),
        options,
      ),
    );
    expect(e.detections[0].plate).toBe('粤B88L21');
    expect(e.attributes).toMatchObject({ subLabel: 'delivery_van', subLabelScore: 0.88, plateScore: 0.97 });
  });

  it('ends a track at end_time and falls back to the entered zones when none is current', () => {
    const e = only(adaptFrigateEvent(TOPIC, FRIGATE_END_LEGACY, options));
    expect(e.eventId).toBe('1700112233.004411-ab12cd:end');
    expect(e.phase).toBe('end');
    expect(e.occurredAt.getTime()).toBe(1700112603900);
    expect(e.zones).toEqual(['fire_lane']);
    expect(e.attributes).toMatchObject({ subLabel: 'muck_truck', endTime: 1700112603.9 });
    expect(e.detections[0].stationary).toBe(false);
  });

  it('does not claim a zone an updated object has left', () => {
    const e = only(adaptFrigateEvent(TOPIC, frigateMessage('update', frigateCar({ current_zones: [] })), options));
    expect(e.zones).toEqual([]);
  });

  it('gives a redelivered message the same id and each later frame a new one', () => {
    const first = only(adaptFrigateEvent(TOPIC, frigateMessage('update'), options));
    const again = only(adaptFrigateEvent(TOPIC, frigateMessage('update'), options));
    const later = only(adaptFrigateEvent(TOPIC, frigateMessage('update', frigateCar({ frame_time: 1764295451.9 })), options));
    expect(again.eventId).toBe(first.eventId);
    expect(later.eventId).not.toBe(first.eventId);
    const start = only(adaptFrigateEvent(TOPIC, frigateMessage('new'), options));
    expect(new Set([start.eventId, first.eventId, later.eventId]).size).toBe(3);
  });

  it('hashes the payload when an update has no frame_time', () => {
    const a = frigateMessage('update', frigateCar({ frame_time: undefined }));
    const b = frigateMessage('update', frigateCar({ frame_time: undefined, motionless_count: 700 }));
    const ea = only(adaptFrigateEvent(TOPIC, a, options));
    expect(ea.eventId).toMatch(/^1764295322\.417655-7ykq2c:update:sha256-[0-9a-f]{24}$/);
    expect(only(adaptFrigateEvent(TOPIC, a, options)).eventId).toBe(ea.eventId);
    expect(only(adaptFrigateEvent(TOPIC, b, options)).eventId).not.toBe(ea.eventId);
    // Without a frame time the snapshot frame is the best "when".
    expect(ea.occurredAt.getTime()).toBe(Math.round(1764295388.104522 * 1000));
  });

  it('maps cameras to registered devices, defaulting to the camera name', () => {
    const map = (camera: string) => (camera === 'xihu_rd_east' ? 'CAM-XH-0007' : undefined);
    expect(only(adaptFrigateEvent(TOPIC, frigateMessage('update'), { ...options, cameraToDevice: map })).deviceId).toBe('CAM-XH-0007');
    expect(only(adaptFrigateEvent(TOPIC, FRIGATE_NEW_PERSON, { ...options, cameraToDevice: map })).deviceId).toBe('market_st_gate');
  });

  it('keeps a false positive, flagged, so classification can ignore it', () => {
    const e = only(adaptFrigateEvent(TOPIC, frigateMessage('update', frigateCar({ false_positive: true })), options));
    expect(e.attributes.falsePositive).toBe(true);
    expect(e.detections).toHaveLength(1);
  });

  it('honours the topic prefix and shared subscriptions', () => {
    const custom = { topicPrefix: 'nvr/site7' };
    expect(adaptFrigateEvent('nvr/site7/events', frigateMessage('update'), custom).ok).toBe(true);
    expect(adaptFrigateEvent('$share/ingest/frigate/events', frigateMessage('update'), options).ok).toBe(true);
    const e = only(adaptFrigateEvent('nvr/site7/events', frigateMessage('update'), custom));
    expect(e.media[0].uri).toBe('nvr/site7/xihu_rd_east/car/snapshot');
  });

  it('gives every event of an object a picture slot, whatever has_snapshot says', () => {
    for (const type of ['new', 'update', 'end'] as const) {
      for (const hasSnapshot of [true, false, undefined]) {
        const e = only(
          adaptFrigateEvent(TOPIC, frigateMessage(type, frigateCar({ has_snapshot: hasSnapshot, end_time: type === 'end' ? 1764295999 : null })), options),
        );
        expect(e.media).toEqual([{ kind: 'snapshot', uri: 'frigate/xihu_rd_east/car/snapshot' }]);
        expect(e.detections[0].trackId).toBe('1764295322.417655-7ykq2c');
      }
    }
    const legacy = only(adaptFrigateEvent(TOPIC, FRIGATE_END_LEGACY, options));
    expect(legacy.media).toEqual([{ kind: 'snapshot', uri: `frigate/${String(legacy.attributes.camera)}/${legacy.detections[0].label}/snapshot` }]);
  });

  it('reads the camera and label of an MQTT snapshot topic, and nothing else', () => {
    expect(parseFrigateSnapshotTopic('frigate/yunxi_rd_east/car/snapshot', 'frigate')).toEqual({ camera: 'yunxi_rd_east', label: 'car' });
    expect(parseFrigateSnapshotTopic('nvr/site7/yunxi_rd_east/car/snapshot', 'nvr/site7')).toEqual({ camera: 'yunxi_rd_east', label: 'car' });
    expect(parseFrigateSnapshotTopic('$share/g1/frigate/cam/person/snapshot', 'frigate')).toEqual({ camera: 'cam', label: 'person' });
    for (const topic of [
      'frigate/events',
      'frigate/cam/car',
      'frigate/cam/car/active',
      'frigate/cam/zone/car/snapshot',
      'frigate//car/snapshot',
      'frigate/cam//snapshot',
      'frigatex/cam/car/snapshot',
      'frigate/+/car/snapshot',
      'other/cam/car/snapshot',
    ]) {
      expect(parseFrigateSnapshotTopic(topic, 'frigate')).toBeUndefined();
    }
    expect(frigateSnapshotTopicFilter('frigate')).toBe('frigate/+/+/snapshot');
  });

  it('clamps a score a hair above 1', () => {
    const e = only(adaptFrigateEvent(TOPIC, frigateMessage('update', frigateCar({ score: 1.0000001 })), options));
    expect(e.detections[0].confidence).toBe(1);
  });

  describe('identity: (camera, Frigate id, message, time)', () => {
    /** What the events table keys on: (source, device, source_event_id, occurred_at). */
    const identity = (e: AdaptedEvent) => [e.source, e.deviceId, e.eventId, e.occurredAt.toISOString()].join('|');
    const cameras = { ...options, cameraToDevice: (camera: string) => ({ yunxi_rd_east: 'CAM-PARK-01', lanting_market: 'CAM-MARKET-01' })[camera] };
    const on = (camera: string, type = 'update', extra: Record<string, unknown> = {}) =>
      only(adaptFrigateEvent(TOPIC, frigateMessage(type, frigateCar({ camera, ...extra })), cameras));

    it('keeps the same Frigate object id on two cameras (two Frigate instances) apart, and a redelivery the same', () => {
      expect(on('yunxi_rd_east').eventId).toBe(on('lanting_market').eventId);
      expect(identity(on('yunxi_rd_east'))).not.toBe(identity(on('lanting_market')));
      expect(identity(on('yunxi_rd_east'))).toBe(identity(on('yunxi_rd_east')));
      expect(identity(on('yunxi_rd_east', 'new'))).toBe(identity(on('yunxi_rd_east', 'new')));
    });

    it('makes each later frame of one object another event, and a re-sent frame the same', () => {
      expect(identity(on('yunxi_rd_east', 'update', { frame_time: 1764295400.5 }))).not.toBe(identity(on('yunxi_rd_east')));
      expect(identity(on('yunxi_rd_east', 'update', { frame_time: 1764295400.5 }))).toBe(identity(on('yunxi_rd_east', 'update', { frame_time: 1764295400.5 })));
    });
  });

  describe('rejections', () => {
    const car = frigateMessage('update');
    it.each([
      ['truncated JSON', car.slice(0, car.length - 40), 'not-json'],
      ['empty payload', '', 'not-json'],
      ['a JSON array', '[1,2]', 'invalid-schema'],
      ['an unknown message type', frigateMessage('description'), 'unsupported-message'],
      ['no after', JSON.stringify({ type: 'update', before: frigateCar() }), 'invalid-schema'],
      ['no camera', frigateMessage('update', frigateCar({ camera: undefined })), 'missing-device-id'],
      ['an empty camera', frigateMessage('update', frigateCar({ camera: '' })), 'missing-device-id'],
      ['a score as text', frigateMessage('update', frigateCar({ score: '0.8' })), 'invalid-schema'],
      ['a three-number box', frigateMessage('update', frigateCar({ box: [1, 2, 3] })), 'invalid-schema'],
      ['zones not a list', frigateMessage('update', frigateCar({ current_zones: 'fire_lane' })), 'invalid-schema'],
      ['no id', frigateMessage('update', frigateCar({ id: undefined })), 'invalid-schema'],
      ['start time in milliseconds', frigateMessage('new', frigateCar({ start_time: 1764295322417, frame_time: 1764295322417 })), 'invalid-schema'],
      ['an end without end time or frame time', frigateMessage('end', frigateCar({ end_time: null, frame_time: null })), 'invalid-schema'],
    ])('rejects %s', (_name, payload, reason) => {
      const r = adaptFrigateEvent(TOPIC, payload, options);
      expect(reasonOf(r)).toBe(reason);
      expect(r.ok ? '' : r.rejection.detail).not.toBe('');
    });

    it('names the bad fields', () => {
      const r = adaptFrigateEvent(TOPIC, frigateMessage('update', frigateCar({ score: 'high', box: [1] })), options);
      expect(r.ok ? '' : r.rejection.detail).toMatch(/after\.score.*after\.box|after\.box.*after\.score/);
    });

    it('rejects other Frigate topics as unsupported', () => {
      expect(reasonOf(adaptFrigateEvent('frigate/reviews', car, options))).toBe('unsupported-message');
      expect(reasonOf(adaptFrigateEvent('frigate/xihu_rd_east/car/snapshot', car, options))).toBe('unsupported-message');
    });

    it('rejects invalid UTF-8 and oversized payloads before parsing', () => {
      expect(reasonOf(adaptFrigateEvent(TOPIC, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), options))).toBe('not-utf8');
      expect(reasonOf(adaptFrigateEvent(TOPIC, car, { ...options, maxBytes: 1024 }))).toBe('payload-too-large');
      expect(reasonOf(adaptFrigateEvent(TOPIC, Buffer.alloc(300 * 1024, 0x20), options))).toBe('payload-too-large');
    });
  });

  describe('properties', () => {
    const mutation = fc.record({
      kind: fc.constantFrom('truncate' as const, 'delete' as const, 'insert' as const, 'replace' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      length: fc.integer({ min: 1, max: 40 }),
      text: fc.string({ maxLength: 8 }),
    });

    it('never throws on random text, JSON or bytes, and always answers ok or a known rejection', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string(),
            fc.json(),
            fc.uint8Array({ maxLength: 200 }),
            fc.jsonValue().map((v) => JSON.stringify({ type: 'update', after: v })),
          ),
          (payload) => outcomeProblem(adaptFrigateEvent(TOPIC, payload, options)) === undefined,
        ),
        { numRuns: 500 },
      );
    });

    it('never throws on corrupted real messages', () => {
      const samples = [frigateMessage('update'), FRIGATE_NEW_PERSON, FRIGATE_END_LEGACY];
      fc.assert(
        fc.property(fc.constantFrom(...samples), mutation, (sample, m) => outcomeProblem(adaptFrigateEvent(TOPIC, mutate(sample, m), options)) === undefined),
        { numRuns: 500 },
      );
    });

    it('accepts any well-typed update and gives it a stable id', () => {
      const object = fc.record({
        id: fc.stringMatching(/^[0-9]{10}\.[0-9]{6}-[a-z0-9]{6}$/),
        camera: fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/),
        label: fc.constantFrom('car', 'person', 'truck', 'bicycle'),
        score: fc.double({ min: 0, max: 1, noNaN: true }),
        start_time: fc.double({ min: 1.6e9, max: 1.9e9, noNaN: true }),
        frame_time: fc.double({ min: 1.6e9, max: 1.9e9, noNaN: true }),
        current_zones: fc.array(fc.stringMatching(/^[a-z_]{1,12}$/), { maxLength: 3 }),
        stationary: fc.boolean(),
      });
      fc.assert(
        fc.property(fc.constantFrom('new', 'update', 'end'), object, (type, after) => {
          const payload = JSON.stringify({ type, after: { ...after, end_time: type === 'end' ? after.frame_time : null } });
          const a = adaptFrigateEvent(TOPIC, payload, options);
          const b = adaptFrigateEvent(TOPIC, payload, options);
          return a.ok && b.ok && a.events[0].eventId === b.events[0].eventId && a.events[0].deviceId === after.camera;
        }),
        { numRuns: 300 },
      );
    });
  });
});
