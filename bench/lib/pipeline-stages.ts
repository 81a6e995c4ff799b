/**
 * The ingest path's pure stages, timed apart from everything else (no broker, no database, no other process): what
 * each costs per event of the bench stream. On a shared machine the end-to-end figures swing by a fifth from one run
 * to the next; these less (three runs in an hour when the CloudPatrol phase did 5,500–8,100 events/s: 21.5–24.6 µs in
 * all, classification alone 10.8–14.5), and a stage's figure is not mixed with the others'.
 *
 * The stages, in ingest's order, each batch carrying its state to the next as the worker does:
 * - adapt: a message's bytes → canonical event (JSON decoding, the generic adapter, the device register);
 * - classify: `classifyBatch` (tracks, inhibitors and do-not-disturb history carried from batch to batch);
 * - group: `groupClassified` and the case upsert's fold (`foldCaseGroupings`);
 * - document: the events insert's document as the repository writes it (`EventsDocument`).
 */
import type { DistrictConfig } from '@app/config';
import { adaptGenericEvent, applyDeviceRegister, CanonicalEvent, foldCaseGroupings, groupClassified, RegisteredDevice } from '@app/domain';
import { EventsDocument } from '../../libs/persistence/src/repositories/events-document';
import { CarriedClassifier } from './batch-classifier';
import { benchIdentities, benchSourceClock, identityEvent } from './workload';

export interface StageMicros {
  adapt: number;
  classify: number;
  group: number;
  document: number;
  total: number;
}

export interface PipelineStagesResult {
  events: number;
  batchSize: number;
  rounds: number;
  /** Median over the rounds of µs per event, per stage. */
  microsPerEvent: StageMicros;
  /** What one round made of the stream (the same every round): issues, case rows after the fold, suppressions. */
  issues: number;
  caseRows: number;
  suppressions: number;
}

export interface PipelineStagesInput {
  district: DistrictConfig;
  /** The stream: MQTT topic and payload bytes per message. */
  messages: ReadonlyArray<{ topic: string; payload: Buffer }>;
  /** Devices the register knows (the stream's cameras). */
  devices: ReadonlyArray<Pick<RegisteredDevice, 'id' | 'kind' | 'location'>>;
  batchSize: number;
  /** Timed rounds, after one untimed round that compiles the code. */
  rounds: number;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/**
 * `events` messages of the saturation stream's mix, dated in an evening half hour from 21:00 local on a day the demo
 * permit is in force (as the workload spec dates it): the same outcome every run.
 */
export function stageMessages(district: DistrictConfig, events: number): PipelineStagesInput['messages'] {
  const identities = benchIdentities(district, 200);
  const clock = benchSourceClock(district, events, new Date('2026-12-03T13:00:00Z'));
  return Array.from({ length: events }, (_, i) => {
    const m = identityEvent(identities, `stage-${i}`, i, clock(i));
    return { topic: m.topic, payload: Buffer.from(m.payload) };
  });
}

export function measurePipelineStages(o: PipelineStagesInput): PipelineStagesResult {
  const registered = new Map<string, RegisteredDevice>(o.devices.map((d) => [d.id, { id: d.id, kind: d.kind, status: 'active', location: d.location }]));
  const lookup = (id: string) => registered.get(id);
  const samples: StageMicros[] = [];
  let made = { issues: 0, caseRows: 0, suppressions: 0 };

  for (let r = 0; r <= o.rounds; r++) {
    const classifier = new CarriedClassifier(o.district);
    const ns = { adapt: 0, classify: 0, group: 0, document: 0 };
    const counts = { issues: 0, caseRows: 0, suppressions: 0 };
    let nextId = 0;
    for (let from = 0; from < o.messages.length; from += o.batchSize) {
      let t = process.hrtime.bigint();
      const lap = (stage: keyof typeof ns) => {
        const now = process.hrtime.bigint();
        ns[stage] += Number(now - t);
        t = now;
      };
      const events: CanonicalEvent[] = [];
      for (const m of o.messages.slice(from, from + o.batchSize)) {
        const adapted = adaptGenericEvent(m.topic, m.payload);
        if (!adapted.ok) throw new Error(`the bench stream has a message the adapter refuses: ${adapted.rejection.detail}`);
        for (const e of adapted.events) {
          const gated = applyDeviceRegister(e, lookup);
          if (!gated.ok) throw new Error(`the bench stream has an event the register refuses: ${gated.rejection.detail}`);
          events.push(gated.event);
        }
      }
      lap('adapt');
      const result = classifier.classify(events);
      lap('classify');
      const idOf = new Map(events.map((e) => [e, String(++nextId)]));
      const grouped = groupClassified(result.results, (e) => idOf.get(e) as string);
      const caseRows = foldCaseGroupings(grouped.cases);
      lap('group');
      const document = new EventsDocument(events.length);
      for (const e of events) document.add(e);
      const [rows, payloads] = document.parameters();
      lap('document');
      if (rows.length <= events.length || payloads.length <= events.length) throw new Error('the events document is shorter than its events');
      for (const x of result.results) counts.issues += x.issues.length;
      counts.caseRows += caseRows.length;
      counts.suppressions += grouped.suppressions.length;
    }
    if (r === 0) {
      made = counts;
      continue;
    }
    const per = (v: number) => v / o.messages.length / 1000;
    samples.push({
      adapt: per(ns.adapt),
      classify: per(ns.classify),
      group: per(ns.group),
      document: per(ns.document),
      total: per(ns.adapt + ns.classify + ns.group + ns.document),
    });
    if (counts.issues !== made.issues || counts.caseRows !== made.caseRows) throw new Error('a round classified the stream differently from the first');
  }
  const median = (stage: keyof StageMicros) => {
    const sorted = samples.map((s) => s[stage]).sort((a, b) => a - b);
    return round2(sorted[Math.floor(sorted.length / 2)]);
  };
  return {
    events: o.messages.length,
    batchSize: o.batchSize,
    rounds: o.rounds,
    microsPerEvent: { adapt: median('adapt'), classify: median('classify'), group: median('group'), document: median('document'), total: median('total') },
    ...made,
  };
}
