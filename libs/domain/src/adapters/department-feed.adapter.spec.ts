import fc from 'fast-check';
import { adaptDepartmentRecord, DEPARTMENT_FEED_TOPICS, FIRE_RECORD_TYPES } from './department-feed.adapter';
import { DEPARTMENT_FEED_EXAMPLES, EMERGENCY_RECORD_V1_EXAMPLE, FIRE_RECORD_V1_EXAMPLE, POLICE_RECORD_V1_EXAMPLE } from './department-feed.examples';
import { mutate, outcomeProblem } from './adapter-test-support';
import { AdaptedEvent, AdapterResult } from '../event/canonical-event';

const FIRE = 'monitoring.fire.v1';
const POLICE = 'monitoring.police.v1';
const EMERGENCY = 'monitoring.emergency.v1';

function only(r: AdapterResult): AdaptedEvent {
  if (!r.ok) throw new Error(`rejected: ${r.rejection.reason}: ${r.rejection.detail}`);
  expect(r.events).toHaveLength(1);
  return r.events[0];
}
const reasonOf = (r: AdapterResult) => (r.ok ? undefined : r.rejection.reason);
const detailOf = (r: AdapterResult) => (r.ok ? '' : r.rejection.detail);
const fire = (over: Record<string, unknown> = {}) => JSON.stringify({ ...FIRE_RECORD_V1_EXAMPLE, ...over });
const police = (over: Record<string, unknown> = {}) => JSON.stringify({ ...POLICE_RECORD_V1_EXAMPLE, ...over });

describe('department feed adapter', () => {
  it('accepts every documented example', () => {
    for (const [topic, json] of Object.entries(DEPARTMENT_FEED_EXAMPLES)) {
      const e = only(adaptDepartmentRecord(topic, json));
      expect(e.raw).toBe(json);
      expect(e.sourceKind).toBe('feed');
      expect(e.source).toBe(DEPARTMENT_FEED_TOPICS[topic as keyof typeof DEPARTMENT_FEED_TOPICS].source);
    }
  });

  it('maps a fire alarm: platform as device, record type as detection, occurrence time, position, attachments', () => {
    const e = only(adaptDepartmentRecord(FIRE, Buffer.from(DEPARTMENT_FEED_EXAMPLES[FIRE])));
    expect(e.eventId).toBe('FIRE-PLATFORM:FA-20261128-000731');
    expect(e.source).toBe('fire');
    expect(e.deviceId).toBe('FIRE-PLATFORM');
    expect(e.occurredAt.toISOString()).toBe('2026-11-28T02:02:37.000Z');
    expect(e.location).toEqual({ lat: 23.10412, lng: 113.25633 });
    expect(e.detections).toEqual([{ label: 'smoke_alarm', confidence: 0.9 }]);
    expect(e.media).toEqual([{ kind: 'photo', uri: 'https://fire.example.invalid/alarms/FA-20261128-000731/1.jpg' }]);
    expect(e.attributes).toMatchObject({
      recordId: 'FA-20261128-000731',
      revision: 1,
      schemaVersion: 1,
      type: 'smoke_alarm',
      severity: 'high',
      reportedAt: '2026-11-28T10:02:41+08:00',
      sourceDeviceId: 'SD-0571-33A0-0192',
      stationId: 'FS-XIHU-02',
      premises: 'Synthetic Noodle House',
    });
  });

  it('maps a police referral with full confidence and the referral details', () => {
    const e = only(adaptDepartmentRecord(POLICE, DEPARTMENT_FEED_EXAMPLES[POLICE]));
    expect(e.source).toBe('police');
    expect(e.detections).toEqual([{ label: 'illegal_vending', confidence: 1 }]);
    expect(e.attributes).toMatchObject({ referralNo: 'YJ-2026-11-0391', referringUnit: 'Township 01 police station', referredAt: '2026-11-28T21:13:40+08:00' });
    expect(e.occurredAt.toISOString()).toBe('2026-11-28T12:55:00.000Z');
  });

  it('maps an emergency record, using reportedAt when occurredAt is absent, and keeps extensions', () => {
    const e = only(adaptDepartmentRecord(EMERGENCY, DEPARTMENT_FEED_EXAMPLES[EMERGENCY]));
    expect(e.occurredAt.toISOString()).toBe('2026-11-27T22:40:12.000Z');
    expect(e.attributes).toMatchObject({ warningLevel: 'orange', 'ext.waterLevelCm': 38, 'ext.sensorModel': 'WL-2' });
  });

  it('gives a redelivered record the same id and a revision a new one', () => {
    const a = only(adaptDepartmentRecord(FIRE, fire()));
    expect(only(adaptDepartmentRecord(FIRE, fire())).eventId).toBe(a.eventId);
    expect(only(adaptDepartmentRecord(FIRE, fire({ revision: 1 }))).eventId).toBe(a.eventId);
    expect(only(adaptDepartmentRecord(FIRE, fire({ revision: 2 }))).eventId).toBe('FIRE-PLATFORM:FA-20261128-000731:r2');
  });

  it('keeps the same record id from two platforms apart (the platform is the device), and a re-sent record the same', () => {
    /** What the events table keys on: (source, device, source_event_id, occurred_at). */
    const identity = (e: AdaptedEvent) => [e.source, e.deviceId, e.eventId, e.occurredAt.toISOString()].join('|');
    const a = only(adaptDepartmentRecord(FIRE, fire()));
    const b = only(adaptDepartmentRecord(FIRE, fire({ platform: 'FIRE-PLATFORM-B' })));
    expect(b.attributes.recordId).toBe(a.attributes.recordId);
    expect(identity(b)).not.toBe(identity(a));
    expect(identity(only(adaptDepartmentRecord(FIRE, fire())))).toBe(identity(a));
    expect(identity(only(adaptDepartmentRecord(FIRE, fire({ revision: 2 }))))).not.toBe(identity(a));
  });

  it('takes an optional referral on fire and emergency records (issue 17) and keeps it like a police one', () => {
    const referral = { referralNo: 'YJ-EM-7', referringUnit: 'District emergency bureau', referredAt: '2026-11-28T06:41:00+08:00' };
    const em = only(adaptDepartmentRecord(EMERGENCY, JSON.stringify({ ...EMERGENCY_RECORD_V1_EXAMPLE, referral })));
    expect(em.attributes).toMatchObject({ referralNo: 'YJ-EM-7', referringUnit: 'District emergency bureau', referredAt: '2026-11-28T06:41:00+08:00' });
    expect(only(adaptDepartmentRecord(FIRE, fire({ referral }))).attributes.referralNo).toBe('YJ-EM-7');
    // Without one nothing is invented; a malformed one is refused, naming the field.
    expect(only(adaptDepartmentRecord(EMERGENCY, DEPARTMENT_FEED_EXAMPLES[EMERGENCY])).attributes.referralNo).toBeUndefined();
    const bad = adaptDepartmentRecord(FIRE, fire({ referral: { referralNo: '' } }));
    expect(reasonOf(bad)).toBe('invalid-schema');
    expect(detailOf(bad)).toContain('referral');
    // Police referrals stay required.
    expect(reasonOf(adaptDepartmentRecord(POLICE, police({ referral: undefined })))).toBe('invalid-schema');
  });

  it('accepts every fire record type', () => {
    for (const type of FIRE_RECORD_TYPES) expect(only(adaptDepartmentRecord(FIRE, fire({ type }))).detections[0].label).toBe(type);
  });

  describe('rejections', () => {
    it.each([
      ['an unknown topic', 'monitoring.water.v1', fire(), 'unsupported-message'],
      ['a v2 record on the v1 topic', FIRE, fire({ schemaVersion: 2 }), 'unsupported-message'],
      ['a version as text', FIRE, fire({ schemaVersion: '1' }), 'unsupported-message'],
      ['no schemaVersion', FIRE, fire({ schemaVersion: undefined }), 'invalid-schema'],
      ['no platform', FIRE, fire({ platform: undefined }), 'missing-device-id'],
      ['a police platform on the fire topic', FIRE, fire({ platform: 'POLICE-PLATFORM' }), 'topic-mismatch'],
      ['a lower-case platform', FIRE, fire({ platform: 'FIRE-platform' }), 'invalid-schema'],
      ['a police type on the fire topic', FIRE, fire({ type: 'illegal_vending' }), 'invalid-schema'],
      ['a time without offset', FIRE, fire({ reportedAt: '2026-11-28T10:02:41' }), 'invalid-schema'],
      ['no location', FIRE, fire({ location: undefined }), 'invalid-schema'],
      ['a latitude out of range', FIRE, fire({ location: { lat: 123, lng: 113 } }), 'invalid-schema'],
      ['a misspelt field', FIRE, fire({ reportedat: '2026-11-28T10:02:41+08:00' }), 'invalid-schema'],
      ['confidence above 1', FIRE, fire({ confidence: 1.2 }), 'invalid-schema'],
      ['an unknown severity', FIRE, fire({ severity: 'urgent' }), 'invalid-schema'],
      ['a record id with spaces', FIRE, fire({ recordId: 'FA 1' }), 'invalid-schema'],
      ['a police record without referral', POLICE, police({ referral: undefined }), 'invalid-schema'],
      ['nested extensions', EMERGENCY, JSON.stringify({ ...EMERGENCY_RECORD_V1_EXAMPLE, extensions: { a: { b: 1 } } }), 'invalid-schema'],
      ['truncated JSON', FIRE, fire().slice(0, 90), 'not-json'],
      ['a JSON array', FIRE, '[]', 'invalid-schema'],
    ])('rejects %s', (_name, topic, payload, reason) => {
      const r = adaptDepartmentRecord(topic, payload);
      expect(reasonOf(r)).toBe(reason);
      expect(detailOf(r)).not.toBe('');
    });

    it('names the bad fields', () => {
      const d = detailOf(adaptDepartmentRecord(FIRE, fire({ reportedAt: 'now', type: 'fire' })));
      expect(d).toContain('reportedAt');
      expect(d).toContain('type');
    });

    it('rejects invalid UTF-8 and oversized records', () => {
      expect(reasonOf(adaptDepartmentRecord(FIRE, Buffer.from([0x7b, 0xe2, 0x28, 0xa1, 0x7d])))).toBe('not-utf8');
      expect(reasonOf(adaptDepartmentRecord(FIRE, fire({ description: 'x'.repeat(1500) }), { maxBytes: 1024 }))).toBe('payload-too-large');
    });
  });

  describe('properties', () => {
    const mutation = fc.record({
      kind: fc.constantFrom('truncate' as const, 'delete' as const, 'insert' as const, 'replace' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      length: fc.integer({ min: 1, max: 40 }),
      text: fc.string({ maxLength: 8 }),
    });
    const topics = fc.constantFrom(FIRE, POLICE, EMERGENCY, 'monitoring.fire.v2');

    it('never throws on random input and always answers ok or a known rejection', () => {
      fc.assert(
        fc.property(
          topics,
          fc.oneof(
            fc.string(),
            fc.json(),
            fc.uint8Array({ maxLength: 200 }),
            fc.jsonValue().map((v) => JSON.stringify({ schemaVersion: 1, platform: 'FIRE-PLATFORM', location: v })),
          ),
          (t, p) => {
            return outcomeProblem(adaptDepartmentRecord(t, p)) === undefined;
          },
        ),
        { numRuns: 500 },
      );
    });

    it('never throws on corrupted examples', () => {
      fc.assert(
        fc.property(
          topics,
          fc.constantFrom(...Object.values(DEPARTMENT_FEED_EXAMPLES)),
          mutation,
          (t, json, m) => outcomeProblem(adaptDepartmentRecord(t, mutate(json, m))) === undefined,
        ),
        { numRuns: 1000 },
      );
    });

    it('accepts any well-formed fire record and keys it by platform and record id', () => {
      const record = fc.record({
        recordId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,40}$/),
        platform: fc.stringMatching(/^FIRE-[A-Z0-9][A-Z0-9-]{0,20}$/),
        type: fc.constantFrom(...FIRE_RECORD_TYPES),
        severity: fc.constantFrom('low', 'medium', 'high', 'critical'),
        location: fc.record({ lat: fc.double({ min: -90, max: 90, noNaN: true }), lng: fc.double({ min: -180, max: 180, noNaN: true }) }),
        reportedAt: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
      });
      fc.assert(
        fc.property(record, (r) => {
          const result = adaptDepartmentRecord(FIRE, JSON.stringify({ schemaVersion: 1, ...r }));
          return result.ok && result.events[0].eventId === `${r.platform}:${r.recordId}` && result.events[0].deviceId === r.platform;
        }),
        { numRuns: 300 },
      );
    });
  });
});
