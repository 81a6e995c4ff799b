import { adaptDepartmentRecord } from '../adapters/department-feed.adapter';
import { EMERGENCY_RECORD_V1_EXAMPLE, FIRE_RECORD_V1_EXAMPLE, POLICE_RECORD_V1_EXAMPLE } from '../adapters/department-feed.examples';
import type { CanonicalEvent, GeoPoint } from '../event/canonical-event';
import { applyDeviceRegister } from '../event/device-register';
import { classify, classifyBatch } from './classify';
import { DEPARTMENT_SEVERITY_TO_ISSUE, departmentSeverity } from './department-record';
import { identityOfKey } from './detected-issue';
import { ISSUE_SEVERITIES, ruleSetSchema } from './rule-set';
import { RECORD_SEVERITIES } from '../adapters/department-feed.adapter';
import { context, ruleSetInput } from '@test/fixtures/test-district.fixture';

/** The test district's rules plus the demo district's department rules (config/demo/rules.yaml). */
const ruleSet = ruleSetSchema.parse({
  ...ruleSetInput,
  categories: [
    ...ruleSetInput.categories,
    { code: 'incident-referral', name: 'Police / emergency referral', nameZh: '警情应急移交', family: '突发事件', severity: 'high' },
    { code: 'blocked-fire-lane', name: 'Blocked fire lane', nameZh: '占用消防通道', family: '突发事件', severity: 'high' },
  ],
  rules: [
    ...ruleSetInput.rules,
    { id: 'police-street-occupation', category: 'street-occupation', labels: ['illegal_vending', 'street_occupation'], minConfidence: 0, sources: ['police'] },
    { id: 'police-referral', category: 'incident-referral', labels: ['public_order', 'noise_nuisance'], minConfidence: 0, sources: ['police'] },
    { id: 'emergency-referral', category: 'incident-referral', labels: ['flooding', 'hazard'], minConfidence: 0, sources: ['emergency'] },
    { id: 'fire-dept-blocked-exit', category: 'blocked-fire-lane', labels: ['blocked_fire_exit'], minConfidence: 0, sources: ['fire'] },
  ],
});
const ctx = context({ ruleSet });

/** A department record as the worker classifies it: adapted from its JSON, then through the device gate. */
function record(topic: string, json: Record<string, unknown>): CanonicalEvent {
  const adapted = adaptDepartmentRecord(topic, JSON.stringify(json));
  if (!adapted.ok) throw new Error(`${adapted.rejection.reason}: ${adapted.rejection.detail}`);
  const gated = applyDeviceRegister(adapted.events[0], (id) => ({ id, kind: 'feed', status: 'active' }));
  if (!gated.ok) throw new Error(gated.rejection.reason);
  return gated.event;
}
const police = (recordId: string, referralNo: string, location: GeoPoint, over: Record<string, unknown> = {}) =>
  record('monitoring.police.v1', {
    ...POLICE_RECORD_V1_EXAMPLE,
    recordId,
    location,
    referral: { ...POLICE_RECORD_V1_EXAMPLE.referral, referralNo },
    ...over,
  });
const emergency = (recordId: string, location: GeoPoint, over: Record<string, unknown> = {}) =>
  record('monitoring.emergency.v1', { ...EMERGENCY_RECORD_V1_EXAMPLE, recordId, location, ...over });

const only = (e: CanonicalEvent) => {
  const r = classify(e, ctx);
  expect(r.issues).toHaveLength(1);
  return r.issues[0];
};

// Township T1's west grid cell, no place: 1.4 km apart (0.0126° of latitude).
const WEST_GRID_A = { lat: 23.03, lng: 113.035 };
const WEST_GRID_B = { lat: 23.0426, lng: 113.035 };
// Outside every township, 50 km apart (0.49° of longitude at 22.5° N ≈ 50.3 km).
const FAR_A = { lat: 22.5, lng: 112.5 };
const FAR_B = { lat: 22.5, lng: 112.99 };

describe('department records: referrals are their own cases (issue 17)', () => {
  it('two police referrals 1.4 km apart in one grid cell, with different referral numbers, are two cases', () => {
    const a = only(police('JQ-1', 'YJ-2026-11-0001', WEST_GRID_A));
    const b = only(police('JQ-2', 'YJ-2026-11-0002', WEST_GRID_B));
    expect(a.gridCode).toBe('449901001001001');
    expect(b.gridCode).toBe(a.gridCode);
    expect(a.identityKey).toBe('referral=POLICE-PLATFORM:YJ-2026-11-0001');
    expect(b.identityKey).toBe('referral=POLICE-PLATFORM:YJ-2026-11-0002');
    expect(a.explanation).toMatchObject({
      identityFrom: 'referral',
      referral: { platform: 'POLICE-PLATFORM', referralNo: 'YJ-2026-11-0001', referringUnit: 'Township 01 police station' },
    });
    // Still placed and routed by its position.
    expect(a).toMatchObject({ townshipCode: 'T1', handlingUnit: 'township-team:T1', categoryCode: 'street-occupation' });
  });

  it('the same referral number sent again (a redelivery, a revision, another type) is the same case', () => {
    const first = only(police('JQ-1', 'YJ-2026-11-0001', WEST_GRID_A));
    const revised = only(police('JQ-1', 'YJ-2026-11-0001', WEST_GRID_B, { revision: 2, type: 'public_order' }));
    const again = only(police('JQ-9', 'YJ-2026-11-0001', WEST_GRID_A));
    expect(revised.identityKey).toBe(first.identityKey);
    expect(again.identityKey).toBe(first.identityKey);
  });

  it('the same referral number from two platforms is two cases (numbers are per referring platform)', () => {
    const a = only(police('JQ-1', 'R-1', WEST_GRID_A));
    const b = only(police('JQ-1', 'R-1', WEST_GRID_A, { platform: 'POLICE-DISTRICT-2' }));
    expect(a.identityKey).not.toBe(b.identityKey);
  });

  it('a referral number holding the key separator cannot change another label', () => {
    const i = only(police('JQ-1', 'YJ|category=x%', WEST_GRID_A));
    expect(i.identityKey).toBe('referral=POLICE-PLATFORM:YJ%7Ccategory=x%25');
    expect(identityOfKey(i.identityKey)).toEqual(i.identity);
  });

  it('two emergency records 50 km apart outside every place are two cases, never one per sending platform', () => {
    const a = only(emergency('EM-1', FAR_A));
    const b = only(emergency('EM-2', FAR_B));
    expect(a.heldReason).toBe('outside-every-township');
    expect(a.identityKey).toBe('category=incident-referral|record=EMERGENCY-PLATFORM:EM-1');
    expect(b.identityKey).toBe('category=incident-referral|record=EMERGENCY-PLATFORM:EM-2');
    expect(a.explanation.identityFrom).toBe('record');
    // A revision of one record stays its case.
    expect(only(emergency('EM-1', FAR_B, { revision: 2 })).identityKey).toBe(a.identityKey);
  });

  it('an emergency record in a grid cell still groups by the grid like any source (cross-source merging)', () => {
    const a = only(emergency('EM-1', WEST_GRID_A));
    const b = only(emergency('EM-2', WEST_GRID_B));
    expect(a.identityKey).toBe('category=incident-referral|grid=449901001001001');
    expect(b.identityKey).toBe(a.identityKey);
  });

  it('an emergency or fire record that carries a referral is its own case too', () => {
    const ref = { referralNo: 'YJ-EM-7', referringUnit: 'District emergency bureau' };
    const a = only(emergency('EM-1', WEST_GRID_A, { referral: ref }));
    const b = only(emergency('EM-2', WEST_GRID_B, { referral: { ...ref, referralNo: 'YJ-EM-8' } }));
    expect([a.identityKey, b.identityKey]).toEqual(['referral=EMERGENCY-PLATFORM:YJ-EM-7', 'referral=EMERGENCY-PLATFORM:YJ-EM-8']);
    const f = only(
      record('monitoring.fire.v1', { ...FIRE_RECORD_V1_EXAMPLE, type: 'blocked_fire_exit', location: WEST_GRID_A, referral: { ...ref, referralNo: 'F-1' } }),
    );
    expect(f.identityKey).toBe('referral=FIRE-PLATFORM:F-1');
  });

  it('a batch of referrals gives one issue per referral number', () => {
    const events = [
      police('JQ-1', 'A', WEST_GRID_A),
      police('JQ-2', 'B', WEST_GRID_B),
      police('JQ-1', 'A', WEST_GRID_A, { revision: 2 }),
      emergency('EM-1', FAR_A),
      emergency('EM-2', FAR_B),
    ];
    const keys = classifyBatch(events, ctx).results.flatMap((r) => r.issues.map((i) => i.identityKey));
    expect(new Set(keys).size).toBe(4);
  });
});

describe("department records: the department's severity (issue 17)", () => {
  it('maps every department severity word onto ours, in the same order', () => {
    expect(RECORD_SEVERITIES.map((s) => DEPARTMENT_SEVERITY_TO_ISSUE[s])).toEqual([...ISSUE_SEVERITIES]);
  });

  it('a critical department severity raises the case above its category default (high)', () => {
    const i = only(emergency('EM-1', FAR_A, { severity: 'critical' }));
    expect(i.severity).toBe('critical');
    expect(i.explanation.severity).toBe('critical');
    expect(i.explanation.departmentSeverity).toEqual({ reported: 'critical', mapped: 'critical', ruleDefault: 'high' });
  });

  it("a lower department severity never lowers the district's default (a blocked fire exit called low stays high)", () => {
    const i = only(record('monitoring.fire.v1', { ...FIRE_RECORD_V1_EXAMPLE, type: 'blocked_fire_exit', severity: 'low', location: WEST_GRID_A }));
    expect(i.severity).toBe('high');
    expect(i.explanation.departmentSeverity).toEqual({ reported: 'low', mapped: 'low', ruleDefault: 'high' });
    // The police example (medium) on a medium category: medium.
    expect(only(police('JQ-1', 'A', WEST_GRID_A)).severity).toBe('medium');
  });

  it('other sources keep the rule default, whatever attribute they carry', () => {
    const camera = { source: 'cloudpatrol' as const, sourceKind: 'camera' as const, deviceId: 'CAM-1', attributes: { severity: 'critical' } };
    expect(departmentSeverity(camera, 'medium')).toEqual({ severity: 'medium' });
    const unknownWord = { source: 'police' as const, sourceKind: 'feed' as const, deviceId: 'POLICE-X', attributes: { severity: 'apocalyptic' } };
    expect(departmentSeverity(unknownWord, 'low')).toEqual({ severity: 'low' });
  });
});
