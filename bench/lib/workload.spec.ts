import { join } from 'node:path';
import { loadDistrictConfig, parseEnv } from '@app/config';
import { adaptGenericEvent, applyDeviceRegister, CanonicalEvent, classifyBatch, DetectedIssue, RegisteredDevice, Suppression } from '@app/domain';
import type { SimMessage } from '../../scripts/simulator/payloads';
import { CarriedClassifier } from './batch-classifier';
import { BENCH_CAMERAS, benchDevices, benchIdentities, benchSourceClock, BenchRole, identityEvent, identityOf, probeEvent, SOURCE_MINUTES } from './workload';

/**
 * The benchmark's workload covers the demo rules (issue 22, item 5): a sample of the saturation stream run
 * through the pure classifier with config/demo, in ingest-sized batches with tracks, inhibitors and
 * do-not-disturb history carried from batch to batch as the worker carries them.
 */
const district = loadDistrictConfig(join(__dirname, '..', '..', 'config', 'demo'));
const ruleSet = district.ruleSet;
const identities = benchIdentities(district, 200);
/** 21:00 local on a day the demo permit (SYN-PERMIT-2026-017, 2026-11-01 – 2027-04-01) is in force. */
const NOW = new Date('2026-12-03T13:00:00Z');
const SAMPLE = 20_000;
const BATCH = parseEnv({}).INGEST_BATCH_SIZE;

const registered = new Map<string, RegisteredDevice>(
  [...district.devices, ...benchDevices(8)].map((d) => [d.id, { id: d.id, kind: d.kind, status: 'active' as const, location: d.location }]),
);

function canonical(m: SimMessage): CanonicalEvent {
  const adapted = adaptGenericEvent(m.topic, m.payload);
  if (!adapted.ok) throw new Error(`${m.eventId}: ${adapted.rejection.detail}`);
  const gated = applyDeviceRegister(adapted.events[0], (id) => registered.get(id));
  if (!gated.ok) throw new Error(`${m.eventId}: ${gated.rejection.detail}`);
  return gated.event;
}

interface Outcome {
  i: number;
  batch: number;
  role: BenchRole;
  gridCode: string;
  label: string;
  trackId?: string;
  at: Date;
  issues: DetectedIssue[];
  suppressed: Suppression[];
}

/** Classifies messages in batches of BATCH, carrying state between batches like the ingest worker. */
function classifyInBatches(messages: SimMessage[], index: (eventId: string) => number): Outcome[] {
  const classifier = new CarriedClassifier(district);
  const out: Outcome[] = [];
  for (let b = 0; b * BATCH < messages.length; b++) {
    const events = messages.slice(b * BATCH, (b + 1) * BATCH).map(canonical);
    const r = classifier.classify(events);
    for (const { event, issues, suppressed } of r.results) {
      const i = index(event.eventId);
      const { identity } = identityOf(identities, i);
      const d = event.detections[0];
      out.push({
        i,
        batch: b,
        role: identity.role,
        gridCode: identity.target.gridCode,
        label: d.label,
        trackId: d.trackId,
        at: event.occurredAt,
        issues,
        suppressed,
      });
    }
  }
  return out.sort((a, b) => a.i - b.i);
}

const outcomeOf = (o: Outcome): string[] => {
  const r = [...o.issues.map((i) => `issue:${i.categoryCode}`), ...o.suppressed.map((s) => s.reason)];
  return r.length ? r : ['none'];
};

describe('bench workload: the saturation stream covers the demo rules', () => {
  const clock = benchSourceClock(district, SAMPLE, NOW);
  const messages = Array.from({ length: SAMPLE }, (_, i) => identityEvent(identities, `sat-test-${i}`, i, clock(i)));
  const outcomes = classifyInBatches(messages, (id) => Number(id.slice('sat-test-'.length)));
  const byRole = (role: BenchRole) => outcomes.filter((o) => o.role === role);
  const outcomesOf = (role: BenchRole) => new Set(byRole(role).flatMap(outcomeOf));
  const fireGrids = new Set(identities.filter((i) => i.role === 'fire').map((i) => i.target.gridCode));

  it('raises an issue of every category a camera can raise, and names the one only department feeds raise', () => {
    const cameraCategories = new Set(
      ruleSet.rules.filter((r) => !r.sources || r.sources.some((s) => s === 'cloudpatrol' || s === 'camera')).map((r) => r.category),
    );
    const raised = new Set(outcomes.flatMap((o) => o.issues.map((i) => i.categoryCode)));
    for (const category of cameraCategories) expect([category, raised.has(category)]).toEqual([category, true]);
    // incident-referral has rules for the fire / police / emergency feeds only (Kafka, the mixed-sources phase).
    expect(ruleSet.categories.map((c) => c.code).filter((c) => !cameraCategories.has(c))).toEqual(['incident-referral']);
    expect([...cameraCategories].sort()).toEqual(
      [
        'blocked-fire-lane',
        'exposed-garbage',
        'fire-smoke',
        'illegal-advertising',
        'illegal-construction',
        'motor-parking',
        'non-motor-parking',
        'street-occupation',
      ].sort(),
    );
  });

  it('meets every policy: inhibition, silence, allowed window, grace exemption and do-not-disturb', () => {
    const reasons = new Set<string>(outcomes.flatMap((o) => o.suppressed.map((s) => s.reason)));
    for (const reason of ['inhibited', 'silenced', 'allowed-window', 'exemption', 'do-not-disturb'])
      expect([reason, reasons.has(reason)]).toEqual([reason, true]);
  });

  it('classifies each role as intended', () => {
    expect(outcomesOf('fire')).toEqual(new Set(['issue:fire-smoke']));
    expect(outcomesOf('night-market')).toEqual(new Set(['allowed-window']));
    expect(outcomesOf('permitted-works')).toEqual(new Set(['silenced']));
    expect(outcomesOf('no-parking')).toEqual(new Set(['none', 'issue:motor-parking']));
    expect(outcomesOf('loading-bay')).toEqual(new Set(['none', 'exemption']));
    expect(outcomesOf('passing')).toEqual(new Set(['none']));
    expect(outcomesOf('bicycle')).toEqual(new Set(['none', 'issue:non-motor-parking']));
    expect(outcomesOf('fire-lane')).toEqual(new Set(['none', 'issue:blocked-fire-lane']));
    expect(outcomesOf('frontage')).toEqual(new Set(['do-not-disturb', 'issue:exposed-garbage', 'issue:illegal-advertising']));
    expect(outcomesOf('grid')).toEqual(
      new Set(['issue:exposed-garbage', 'issue:illegal-construction', 'issue:illegal-advertising', 'issue:street-occupation', 'inhibited']),
    );

    // Inhibited: exactly the minor grid detections in the burning cells (construction is high severity: still a case).
    const grid = byRole('grid');
    expect(grid.filter((o) => outcomeOf(o).includes('inhibited')).every((o) => fireGrids.has(o.gridCode) && o.label !== 'construction')).toBe(true);
    expect(grid.filter((o) => fireGrids.has(o.gridCode) && o.label === 'construction').every((o) => outcomeOf(o)[0] === 'issue:illegal-construction')).toBe(
      true,
    );
    // The silence names the permit; the frontage's first issue is the one spared, the repeats open a case.
    expect(new Set(byRole('permitted-works').flatMap((o) => o.suppressed.map((s) => s.reference)))).toEqual(
      new Set(['permit-riverside-works SYN-PERMIT-2026-017']),
    );
    const frontage = byRole('frontage').map(outcomeOf);
    expect(frontage[0]).toEqual(['do-not-disturb']);
    expect(frontage.slice(1).flat()).not.toContain('do-not-disturb');
  });

  it('confirms dwell for every parked vehicle within the half hour, each after its own dwell', () => {
    const firstSeen = new Map<string, number>();
    for (const o of outcomes) if (o.trackId && !firstSeen.has(o.trackId)) firstSeen.set(o.trackId, o.at.getTime());
    const confirmedAfter = (role: BenchRole, reason: string) => {
      const first = new Map<string, number>();
      for (const o of byRole(role))
        if (o.trackId && outcomeOf(o).includes(reason) && !first.has(o.trackId))
          first.set(o.trackId, (o.at.getTime() - (firstSeen.get(o.trackId) ?? 0)) / 60_000);
      return first;
    };
    const expectDwell = (role: BenchRole, reason: string, minutes: number) => {
      const tracked = new Set(identities.filter((i) => i.role === role).map((i) => i.track?.id));
      const confirmed = confirmedAfter(role, reason);
      expect(confirmed.size).toBe(tracked.size);
      for (const after of confirmed.values()) expect(after).toBeGreaterThanOrEqual(minutes);
      for (const after of confirmed.values()) expect(after).toBeLessThan(minutes + 1);
    };
    expectDwell('no-parking', 'issue:motor-parking', 10);
    expectDwell('loading-bay', 'exemption', 10);
    expectDwell('bicycle', 'issue:non-motor-parking', 15);
    expectDwell('fire-lane', 'issue:blocked-fire-lane', 3);
    // Motor-vehicle cases are per place and plate.
    const parked = byRole('no-parking').flatMap((o) => o.issues);
    expect(parked.every((i) => i.identity.place !== undefined && i.identity.plate !== undefined)).toBe(true);
    expect(new Set(parked.map((i) => i.identityKey)).size).toBe(identities.filter((i) => i.role === 'no-parking').length);
  });

  it('puts several smoke detections of one grid cell in one ingest batch', () => {
    const perBatchAndGrid = new Map<string, number>();
    for (const o of outcomes)
      for (const i of o.issues)
        if (i.categoryCode === 'fire-smoke') perBatchAndGrid.set(`${o.batch}|${i.gridCode}`, (perBatchAndGrid.get(`${o.batch}|${i.gridCode}`) ?? 0) + 1);
    const batches = Math.ceil(SAMPLE / BATCH); // the last may be partial
    // Every batch holds smoke of both burning cells, dozens of each.
    expect(perBatchAndGrid.size).toBe(batches * fireGrids.size);
    expect(Math.min(...perBatchAndGrid.values())).toBeGreaterThanOrEqual(20);
    // In bursts: detections of one fire follow each other in the stream.
    const fireIndexes = byRole('fire').map((o) => o.i);
    const consecutive = fireIndexes.filter((i, k) => k > 0 && fireIndexes[k - 1] === i - 1).length;
    expect(consecutive / fireIndexes.length).toBeGreaterThan(0.7);
  });

  it('has the documented shares, a few % of them fire and smoke', () => {
    const cycle = identities.reduce((sum, i) => sum + i.weight, 0);
    const share = new Map<BenchRole, number>();
    for (let i = 0; i < cycle; i++) {
      const role = identityOf(identities, i).identity.role;
      share.set(role, (share.get(role) ?? 0) + 1 / cycle);
    }
    const percent = Object.fromEntries([...share].map(([role, s]) => [role, Math.round(s * 1000) / 10]));
    expect(percent).toEqual({
      grid: 75,
      fire: 3,
      'night-market': 4,
      'permitted-works': 3,
      'no-parking': 6,
      'loading-bay': 2,
      passing: 1,
      bicycle: 3,
      'fire-lane': 2,
      frontage: 1,
    });
  });

  it('keeps event times realistic: an evening half hour before now, in order', () => {
    const times = messages.map((m) => Date.parse((JSON.parse(m.payload) as { occurredAt: string }).occurredAt));
    expect(times.every((t, k) => k === 0 || t >= times[k - 1])).toBe(true);
    expect(times[times.length - 1]).toBeLessThanOrEqual(NOW.getTime());
    expect(times[times.length - 1] - times[0]).toBeGreaterThan((SOURCE_MINUTES - 1) * 60_000);
    const local = (t: number) => new Date(t + 8 * 3600_000).toISOString().slice(11, 16);
    expect([local(times[0]), local(times[times.length - 1])]).toEqual(['20:29', '20:58']);
    // Run in the morning, the stream is the last evening's half hour before the night market closes.
    const morning = benchSourceClock(district, SAMPLE, new Date('2026-12-03T01:00:00Z'));
    expect([morning(0).toISOString(), morning(SAMPLE).toISOString()]).toEqual(['2026-12-02T13:25:00.000Z', '2026-12-02T13:55:00.000Z']);
  });

  it('keeps every camera far under the per-device limit, and a tracked object on one camera', () => {
    const limit = parseEnv({}).DEVICE_EVENTS_PER_SECOND;
    const full = benchSourceClock(district, 50_000, NOW);
    const perDeviceSecond = new Map<string, number>();
    const devices = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const m = identityEvent(identities, `x-${i}`, i, full(i));
      devices.add(m.sender);
      const key = `${m.sender}|${Math.floor(full(i).getTime() / 1000)}`;
      perDeviceSecond.set(key, (perDeviceSecond.get(key) ?? 0) + 1);
    }
    expect(devices.size).toBeLessThanOrEqual(BENCH_CAMERAS);
    expect(Math.max(...perDeviceSecond.values())).toBeLessThan(limit / 100);
    // The fixed load (1,000 events/s dated now): the busiest camera's share of it, per second.
    const cycle = identities.reduce((sum, i) => sum + i.weight, 0);
    const perCamera = new Map<string, number>();
    for (let i = 0; i < cycle; i++) {
      const m = identityEvent(identities, `y-${i}`, i, NOW);
      perCamera.set(m.sender, (perCamera.get(m.sender) ?? 0) + 1);
    }
    expect((Math.max(...perCamera.values()) / cycle) * 1000).toBeLessThan(limit / 10);
    for (const id of identities) if (id.track) expect(id.cameras).toHaveLength(1);
  });

  it('leaves the latency probes as they were: each opens a new case by device', () => {
    const probes = Array.from({ length: 8 }, (_, k) => canonical(probeEvent('fixed', k, 2, NOW)));
    const r = classifyBatch(probes, {
      ruleSet,
      jurisdiction: district.jurisdiction,
      routing: district.routing,
      zoneToPlace: () => undefined,
      tracks: new Map(),
      activeInhibitors: [],
      doNotDisturbHistory: () => false,
    });
    const issues = r.results.flatMap((x) => x.issues);
    expect(issues).toHaveLength(8);
    expect(issues.every((i) => i.explanation.identityFrom === 'device')).toBe(true);
    expect(new Set(issues.map((i) => i.identityKey)).size).toBe(8);
  });
});
