/**
 * Benchmark results: the JSON (headline keys first, then details), a Markdown table with every figure,
 * its target and a pass/fail mark, and a hand-written SVG bar chart.
 */
import type { RateResult } from '../phases/broker-limit';
import type { CloudPatrolResult } from '../phases/cloudpatrol';
import type { EmbeddedResult } from '../phases/embedded';
import type { ScaleOutResult } from '../phases/scale-out';
import type { NaiveResult } from '../phases/naive';
import type { PhotoResult } from '../phases/photos';
import type { PgRates } from '../phases/postgres';
import type { BoundedMemoryResult } from '../children/bounded-memory';
import { type MachineMicrosPerEvent, microsLeftAt } from './cpu';
import type { PipelineStagesResult } from './pipeline-stages';
import { round } from './stats';

export interface BenchDetails {
  mqttLimit?: RateResult;
  kafkaLimit?: RateResult;
  postgres?: PgRates;
  cloudpatrol?: CloudPatrolResult;
  embedded?: EmbeddedResult;
  naive?: NaiveResult;
  photos?: PhotoResult;
  scaleOut?: ScaleOutResult;
  boundedMemory?: BoundedMemoryResult;
  stages?: PipelineStagesResult;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryMb: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started and ended (the machine may be shared). */
  loadAverageStart: number;
  loadAverageEnd?: number;
  postgres?: string;
  mosquitto?: string;
}

/** Issue 20's targets (the photo pipeline's own RSS bound is issue 9's). */
export const TARGETS = {
  eventsPerSecond: 10_000,
  embeddedEventsPerSecond: 5_000,
  speedupVsNaive: 10,
  p99Ms: 100,
  photosPerSecond: 10,
  photoShareOfBare: 0.8,
  peakRssMb: 600,
  cloudPatrolPeakRssMb: 500,
  intakeCatchUpSeconds: 2,
  boundedMemoryFullToFilling: 3,
} as const;

export interface BenchResults {
  eventsPerSecond?: number;
  /** The one-command start: embedded broker, a PUBACK only once stored. */
  embeddedEventsPerSecond?: number;
  naiveEventsPerSecond?: number;
  speedupVsNaive?: number;
  brokerLimitEventsPerSecond?: number;
  shareOfBrokerLimit?: number;
  kafkaLimitMessagesPerSecond?: number;
  /** The Kafka path end to end: department records produced → stored and grouped, per second. */
  kafkaEventsPerSecond?: number;
  /** After the saturation burst: its end (last event stored) → the last new case's opening recorded. */
  intakeCatchUpSeconds?: number;
  /** The larger of the bounded memories' cost per operation once full ÷ while filling (rate limiter, throttle). */
  boundedMemoryFullToFilling?: number;
  /**
   * µs per event of the ingest path's pure stages over the bench stream, in a process of their own (adapt, classify,
   * group, events document, and their total): steadier than events/s on a shared machine.
   */
  stageMicrosPerEvent?: PipelineStagesResult['microsPerEvent'];
  /**
   * CPU seconds per 1,000 events of the saturation burst and the background work it left (sealing, case intake):
   * the CloudPatrol process and its PostgreSQL backends. Independent of how busy the machine was, unlike events/s.
   */
  cpuSecondsPer1000Events?: { cloudPatrol: number; postgresBackends: number };
  /** The burst's whole machine, µs of CPU per event by who used it; the parts add up to cores × seconds ÷ events. */
  burstMachineMicrosPerEvent?: MachineMicrosPerEvent;
  /**
   * µs of CPU per event the rate targets leave CloudPatrol and its PostgreSQL backends once the rest of the machine
   * (broker, the bench's client, the kernel, stolen time) is paid at this run's cost per event, beside what the two
   * used in the burst. A negative figure: the target asks more of the machine than it has.
   */
  microsLeftPerEvent?: { atEventsPerSecondTarget: number; atSpeedupTarget?: number; used: number };
  copyRowsPerSecond?: number;
  unnestRowsPerSecond?: number;
  singleInsertRowsPerSecond?: number;
  fixedLoadOfferedPerSecond?: number;
  fixedLoadEventsPerSecond?: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  storeP50Ms?: number;
  storeP99Ms?: number;
  /** Probes at the fixed load: their storing transaction's start → live alert (the rest of p99Ms is before it). */
  alertAfterStoreP50Ms?: number;
  alertAfterStoreP99Ms?: number;
  saturationAlertP50Ms?: number;
  saturationAlertP99Ms?: number;
  saturationStoreP50Ms?: number;
  saturationStoreP99Ms?: number;
  naiveSaturationStoreP50Ms?: number;
  naiveSaturationStoreP99Ms?: number;
  naiveFixedLoadEventsPerSecond?: number;
  naiveStoreP50Ms?: number;
  naiveStoreP99Ms?: number;
  naiveLost?: number;
  photosPerSecond?: number;
  barePhotosPerSecond?: number;
  photoShareOfBare?: number;
  peakRssMb?: number;
  barePeakRssMb?: number;
  cloudPatrolPeakRssMb?: number;
  naivePeakRssMb?: number;
  targets: typeof TARGETS;
  checks: Record<string, boolean | null>;
  runtimeSeconds: number;
  timestamp: string;
  machine: Machine;
  errors: string[];
  details: BenchDetails;
}

export function summarise(d: BenchDetails, machine: Machine, startedAt: number, errors: string[]): BenchResults {
  const cp = d.cloudpatrol;
  const eventsPerSecond = cp?.saturation?.eventsPerSecond;
  const naiveEventsPerSecond = d.naive?.saturation?.eventsPerSecond;
  const broker = d.mqttLimit?.messagesPerSecond;
  const ratio = (a?: number, b?: number, digits = 2) => (a !== undefined && b ? round(a / b, digits) : undefined);
  const machineUs = cp?.saturation?.machineMicrosPerEvent;
  const r: Omit<BenchResults, 'checks'> = {
    eventsPerSecond,
    embeddedEventsPerSecond: d.embedded?.eventsPerSecond,
    naiveEventsPerSecond,
    speedupVsNaive: ratio(eventsPerSecond, naiveEventsPerSecond),
    brokerLimitEventsPerSecond: broker,
    shareOfBrokerLimit: ratio(eventsPerSecond, broker, 3),
    kafkaLimitMessagesPerSecond: d.kafkaLimit?.messagesPerSecond,
    kafkaEventsPerSecond: cp?.kafkaFeed?.eventsPerSecond,
    intakeCatchUpSeconds: cp?.saturation?.intakeCatchUpSeconds,
    boundedMemoryFullToFilling: d.boundedMemory && Math.max(d.boundedMemory.rateLimiter.ratio, d.boundedMemory.throttle.ratio),
    stageMicrosPerEvent: d.stages?.microsPerEvent,
    cpuSecondsPer1000Events: cp?.saturation?.cpuSecondsPer1000EventsWithBackground,
    burstMachineMicrosPerEvent: machineUs,
    microsLeftPerEvent: machineUs && {
      atEventsPerSecondTarget: microsLeftAt(TARGETS.eventsPerSecond, machineUs),
      atSpeedupTarget: naiveEventsPerSecond ? microsLeftAt(TARGETS.speedupVsNaive * naiveEventsPerSecond, machineUs) : undefined,
      used: machineUs.cloudPatrol + machineUs.postgresBackends,
    },
    copyRowsPerSecond: d.postgres?.copyRowsPerSecond,
    unnestRowsPerSecond: d.postgres?.unnestRowsPerSecond,
    singleInsertRowsPerSecond: d.postgres?.singleRowsPerSecond,
    fixedLoadOfferedPerSecond: cp?.fixedLoad?.offeredPerSecond,
    fixedLoadEventsPerSecond: cp?.fixedLoad?.sustainedEventsPerSecond,
    p50Ms: cp?.fixedLoad?.alertLatency.p50Ms,
    p95Ms: cp?.fixedLoad?.alertLatency.p95Ms,
    p99Ms: cp?.fixedLoad?.alertLatency.p99Ms,
    storeP50Ms: cp?.fixedLoad?.storeLatency.p50Ms,
    storeP99Ms: cp?.fixedLoad?.storeLatency.p99Ms,
    alertAfterStoreP50Ms: cp?.fixedLoad?.alertAfterStoreLatency.p50Ms,
    alertAfterStoreP99Ms: cp?.fixedLoad?.alertAfterStoreLatency.p99Ms,
    saturationAlertP50Ms: cp?.saturation?.alertLatency.p50Ms,
    saturationAlertP99Ms: cp?.saturation?.alertLatency.p99Ms,
    saturationStoreP50Ms: cp?.saturation?.storeLatency.p50Ms,
    saturationStoreP99Ms: cp?.saturation?.storeLatency.p99Ms,
    naiveSaturationStoreP50Ms: d.naive?.saturation?.storeLatency.p50Ms,
    naiveSaturationStoreP99Ms: d.naive?.saturation?.storeLatency.p99Ms,
    naiveFixedLoadEventsPerSecond: d.naive?.fixedLoad?.sustainedEventsPerSecond,
    naiveStoreP50Ms: d.naive?.fixedLoad?.storeLatency.p50Ms,
    naiveStoreP99Ms: d.naive?.fixedLoad?.storeLatency.p99Ms,
    naiveLost: d.naive?.saturation?.lost,
    photosPerSecond: d.photos?.pipeline?.photosPerSecond,
    barePhotosPerSecond: d.photos?.bare?.photosPerSecond,
    photoShareOfBare: d.photos?.shareOfBare,
    peakRssMb: d.photos?.pipeline?.peakRssMb,
    barePeakRssMb: d.photos?.bare?.peakRssMb,
    cloudPatrolPeakRssMb: cp?.peakRssMb,
    naivePeakRssMb: d.naive?.peakRssMb,
    targets: TARGETS,
    runtimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    timestamp: new Date(startedAt).toISOString(),
    machine,
    errors,
    details: d,
  };
  const check = (v: number | undefined, ok: (v: number) => boolean) => (v === undefined ? null : ok(v));
  return {
    ...r,
    checks: {
      eventsPerSecond: check(r.eventsPerSecond, (v) => v >= TARGETS.eventsPerSecond),
      embeddedEventsPerSecond: check(r.embeddedEventsPerSecond, (v) => v >= TARGETS.embeddedEventsPerSecond),
      speedupVsNaive: check(r.speedupVsNaive, (v) => v >= TARGETS.speedupVsNaive),
      p99Ms: check(r.p99Ms, (v) => v <= TARGETS.p99Ms),
      photosPerSecond: check(r.photosPerSecond, (v) => v >= TARGETS.photosPerSecond),
      photoShareOfBare: check(r.photoShareOfBare, (v) => v >= TARGETS.photoShareOfBare),
      peakRssMb: check(r.peakRssMb, (v) => v < TARGETS.peakRssMb),
      cloudPatrolPeakRssMb: check(r.cloudPatrolPeakRssMb, (v) => v < TARGETS.cloudPatrolPeakRssMb),
      intakeCatchUpSeconds: check(r.intakeCatchUpSeconds, (v) => v <= TARGETS.intakeCatchUpSeconds),
      boundedMemoryFullToFilling: check(r.boundedMemoryFullToFilling, (v) => v <= TARGETS.boundedMemoryFullToFilling),
    },
  };
}

const fmt = (v: number | undefined, unit = '', digits = 0): string =>
  v === undefined ? 'not measured' : `${v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })}${unit}`;
const mark = (ok: boolean | null | undefined): string => (ok === null || ok === undefined ? '–' : ok ? '✅ pass' : '❌ fail');

/** What the machine had per event: every part, idle and stolen time included. */
const machineTotal = (m: MachineMicrosPerEvent | undefined): number | undefined =>
  m && m.cloudPatrol + m.postgresBackends + m.broker + m.benchClient + m.other + m.steal + m.idle;

export function markdown(r: BenchResults): string {
  const d = r.details;
  const cp = d.cloudpatrol;
  const sat = cp?.saturation;
  const fixed = cp?.fixedLoad;
  const nsat = d.naive?.saturation;
  const rows: [string, string, string, string][] = [
    [
      `CloudPatrol end-to-end at saturation (publish → stored, classified and grouped, ${fmt(sat?.events)} events: every camera category of the demo rules + ${fmt(sat?.probes)} probes)`,
      fmt(r.eventsPerSecond, ' events/s'),
      `≥ ${fmt(TARGETS.eventsPerSecond)} events/s`,
      mark(r.checks.eventsPerSecond),
    ],
    [
      `CPU per 1,000 events of the burst (first publish → all stored), CloudPatrol process / its PostgreSQL backends; with the background work it left (sealing, case intake): ${fmt(sat?.cpuSecondsPer1000EventsWithBackground?.cloudPatrol, ' s', 3)} / ${fmt(sat?.cpuSecondsPer1000EventsWithBackground?.postgresBackends, ' s', 3)}`,
      `${fmt(sat?.cpuSecondsPer1000Events?.cloudPatrol, ' s', 3)} / ${fmt(sat?.cpuSecondsPer1000Events?.postgresBackends, ' s', 3)}`,
      'reference (lower is better)',
      '',
    ],
    [
      `The machine during the burst (${fmt(r.burstMachineMicrosPerEvent?.cores)} cores), µs of CPU per event: CloudPatrol ${fmt(r.burstMachineMicrosPerEvent?.cloudPatrol)}, its PostgreSQL backends ${fmt(r.burstMachineMicrosPerEvent?.postgresBackends)}, Mosquitto ${fmt(r.burstMachineMicrosPerEvent?.broker)}, the bench's publisher and client ${fmt(r.burstMachineMicrosPerEvent?.benchClient)}, the kernel and the rest ${fmt(r.burstMachineMicrosPerEvent?.other)}, stolen by the host ${fmt(r.burstMachineMicrosPerEvent?.steal)}, idle ${fmt(r.burstMachineMicrosPerEvent?.idle)}`,
      fmt(machineTotal(r.burstMachineMicrosPerEvent), ' µs'),
      'reference: the machine per event',
      '',
    ],
    [
      `What the rate targets leave CloudPatrol and its PostgreSQL backends per event, the rest of the machine paid at this burst's cost per event: at ${fmt(TARGETS.eventsPerSecond)} events/s ${fmt(r.microsLeftPerEvent?.atEventsPerSecondTarget, ' µs')}; at ${TARGETS.speedupVsNaive}× the naive baseline (${fmt(r.naiveEventsPerSecond && TARGETS.speedupVsNaive * r.naiveEventsPerSecond, ' events/s')}) ${fmt(r.microsLeftPerEvent?.atSpeedupTarget, ' µs')}. Used in the burst`,
      fmt(r.microsLeftPerEvent?.used, ' µs'),
      'reference (lower is better)',
      '',
    ],
    [
      'CPU per 1,000 events at the fixed load of 1,000/s (20 s; sealing, case intake and alerts included), CloudPatrol process / its PostgreSQL backends',
      `${fmt(cp?.fixedLoad?.cpuSecondsPer1000Events?.cloudPatrol, ' s', 3)} / ${fmt(cp?.fixedLoad?.cpuSecondsPer1000Events?.postgresBackends, ' s', 3)}`,
      'reference (lower is better)',
      '',
    ],
    [
      `Default start (embedded broker; a PUBACK only once stored), the same stream from ${fmt(d.embedded?.devices)} device connections: acknowledged = stored (${fmt(d.embedded?.acknowledged)} acknowledged, ${fmt(d.embedded?.stored)} stored; CPU s per 1,000 events: CloudPatrol with its broker ${fmt(d.embedded?.cpuSecondsPer1000Events?.cloudPatrol, '', 3)}, PostgreSQL backends ${fmt(d.embedded?.cpuSecondsPer1000Events?.postgresBackends, '', 3)})`,
      fmt(r.embeddedEventsPerSecond, ' events/s'),
      `≥ ${fmt(TARGETS.embeddedEventsPerSecond)} events/s`,
      mark(r.checks.embeddedEventsPerSecond),
    ],
    [
      `Default start: ${fmt(d.embedded?.signInStall?.count)} operators sign in at once (the default account cost, 12; all done in ${fmt(d.embedded?.signInStall?.workMs, ' ms')}): slowest answer of a request that needs neither the database nor a file (idle: ${fmt(d.embedded?.signInStall?.probeIdle.maxMs, ' ms', 1)})`,
      fmt(d.embedded?.signInStall?.probeDuring.maxMs, ' ms', 1),
      'reference (lower is better)',
      '',
    ],
    [
      `Default start: ${fmt(d.embedded?.deviceReconnectStall?.count)} registered devices, each with its own password (cost 10), connect at once (all connected in ${fmt(d.embedded?.deviceReconnectStall?.workMs, ' ms')}): the same request's slowest answer`,
      fmt(d.embedded?.deviceReconnectStall?.probeDuring.maxMs, ' ms', 1),
      'reference (lower is better)',
      '',
    ],
    [
      `Scale-out path: Mosquitto → gateway (PUBACK after Kafka acks) → Kafka (${fmt(d.scaleOut?.partitions)} partitions) → ${fmt(d.scaleOut?.workers)} worker(s) in one group, the same stream (${fmt(d.scaleOut?.stored)} stored, by worker ${d.scaleOut?.storedByWorker.map((n) => fmt(n)).join(' + ') || '–'}; gateway alone ${fmt(d.scaleOut?.gatewayMessagesPerSecond, ' msg/s')}; CPU s per 1,000 events: gateway ${fmt(d.scaleOut?.cpuSecondsPer1000Events?.gateway, '', 3)}, workers ${fmt(d.scaleOut?.cpuSecondsPer1000Events?.workers, '', 3)}, PostgreSQL backends ${fmt(d.scaleOut?.cpuSecondsPer1000Events?.postgresBackends, '', 3)})`,
      fmt(d.scaleOut?.eventsPerSecond, ' events/s'),
      'beside the direct path above',
      '',
    ],
    [`Naive baseline at saturation (stock Nest MQTT + TypeORM save() per event, stored only)`, fmt(r.naiveEventsPerSecond, ' events/s'), '', ''],
    ['CloudPatrol / naive', fmt(r.speedupVsNaive, '×', 2), `≥ ${TARGETS.speedupVsNaive}×`, mark(r.checks.speedupVsNaive)],
    [
      'Broker limit: MQTT.js QoS 1 publish → subscribe through Mosquitto, no processing',
      fmt(r.brokerLimitEventsPerSecond, ' msg/s'),
      'reference (§8: ≈ 29k)',
      '',
    ],
    ['CloudPatrol / broker limit', r.shareOfBrokerLimit === undefined ? 'not measured' : `${fmt(r.shareOfBrokerLimit * 100, ' %', 1)}`, '', ''],
    ['Kafka produce → consume (kafkajs, batches of 1,000, acks all, 3 partitions)', fmt(r.kafkaLimitMessagesPerSecond, ' msg/s'), 'reference', ''],
    [
      `CloudPatrol Kafka path end to end: ${fmt(cp?.kafkaFeed?.records)} fire / police / emergency records produced (batches of 500, acks all) → stored and grouped (${fmt(cp?.kafkaFeed?.grouped)} into ${fmt(cp?.kafkaFeed?.cases)} cases)`,
      fmt(r.kafkaEventsPerSecond, ' events/s'),
      '',
      '',
    ],
    ['PostgreSQL COPY FROM STDIN into an events-like table', fmt(r.copyRowsPerSecond, ' rows/s'), 'reference (§8: ≈ 52k)', ''],
    ['PostgreSQL 1,000-row unnest INSERT … ON CONFLICT', fmt(r.unnestRowsPerSecond, ' rows/s'), 'reference (§8: ≈ 31k)', ''],
    ['PostgreSQL single-row INSERT (autocommit)', fmt(r.singleInsertRowsPerSecond, ' rows/s'), 'reference (§8: ≈ 3.4k)', ''],
    [
      `CloudPatrol at a fixed offered load of ${fmt(r.fixedLoadOfferedPerSecond, '/s')} for ${fmt(fixed?.seconds, ' s')}: sustained`,
      fmt(r.fixedLoadEventsPerSecond, ' events/s'),
      '= offered load',
      mark(fixed ? fixed.allStored : null),
    ],
    [
      `Publish → live alert p50 (${fmt(fixed?.alertLatency.samples)} probes = 1 event in ${fmt(fixed?.probeEvery)}, each opening a new case; ${fmt(fixed?.alertsReceived)} alerts streamed in the window)`,
      fmt(r.p50Ms, ' ms', 1),
      '',
      '',
    ],
    ['Publish → live alert p95', fmt(r.p95Ms, ' ms', 1), '', ''],
    ['Publish → live alert p99', fmt(r.p99Ms, ' ms', 1), `≤ ${TARGETS.p99Ms} ms`, mark(r.checks.p99Ms)],
    ['Publish → stored p50 / p99, CloudPatrol (probes)', `${fmt(r.storeP50Ms, ' ms', 1)} / ${fmt(r.storeP99Ms, ' ms', 1)}`, '', ''],
    [
      "Storing transaction start → live alert p50 / p99 (probes: the part of an alert's time inside and after its batch)",
      `${fmt(r.alertAfterStoreP50Ms, ' ms', 1)} / ${fmt(r.alertAfterStoreP99Ms, ' ms', 1)}`,
      '',
      '',
    ],
    [
      `Case intake after the burst (${fmt(sat?.cases)} cases): burst end → last case opening recorded (transition, audit entry, outbox)`,
      fmt(r.intakeCatchUpSeconds, ' s', 1),
      '≤ 2 s',
      mark(r.checks.intakeCatchUpSeconds),
    ],
    [
      `Bounded memories once full, µs per operation while filling → full: device rate limiter (${fmt(d.boundedMemory?.rateLimiter.capacity)} charges remembered) ${fmt(d.boundedMemory?.rateLimiter.fillingMicros, '', 2)} → ${fmt(d.boundedMemory?.rateLimiter.fullMicros, '', 2)}; sign-in throttle under a spray of addresses (${fmt(d.boundedMemory?.throttle.capacity)} keys) ${fmt(d.boundedMemory?.throttle.fillingMicros, '', 2)} → ${fmt(d.boundedMemory?.throttle.fullMicros, '', 2)}. The larger ratio`,
      fmt(r.boundedMemoryFullToFilling, '×', 2),
      `≤ ${TARGETS.boundedMemoryFullToFilling}×`,
      mark(r.checks.boundedMemoryFullToFilling),
    ],
    [
      `The ingest path's pure stages, µs per event (${fmt(d.stages?.events)} events of the bench stream in batches of ${fmt(d.stages?.batchSize)}, median of ${fmt(d.stages?.rounds)} rounds, a process of their own): adapt ${fmt(d.stages?.microsPerEvent.adapt, '', 2)}, classify ${fmt(d.stages?.microsPerEvent.classify, '', 2)}, group ${fmt(d.stages?.microsPerEvent.group, '', 2)}, events document ${fmt(d.stages?.microsPerEvent.document, '', 2)}; in all`,
      fmt(d.stages?.microsPerEvent.total, ' µs', 2),
      'reference (lower is better)',
      '',
    ],
    [
      `Naive at the same fixed load: sustained; publish → stored p50 / p99`,
      `${fmt(r.naiveFixedLoadEventsPerSecond, ' events/s')}; ${fmt(r.naiveStoreP50Ms, ' ms', 1)} / ${fmt(r.naiveStoreP99Ms, ' ms', 1)}`,
      '',
      '',
    ],
    [
      `At saturation (the burst queues in the broker): publish → live alert p50 / p99 (${fmt(sat?.alertLatency.samples)} probes)`,
      `${fmt(r.saturationAlertP50Ms, ' ms')} / ${fmt(r.saturationAlertP99Ms, ' ms')}`,
      '',
      '',
    ],
    [
      'At saturation: publish → stored p50 / p99, CloudPatrol (every event)',
      `${fmt(r.saturationStoreP50Ms, ' ms')} / ${fmt(r.saturationStoreP99Ms, ' ms')}`,
      '',
      '',
    ],
    [
      'At saturation: publish → stored p50 / p99, naive (every stored event)',
      `${fmt(r.naiveSaturationStoreP50Ms, ' ms')} / ${fmt(r.naiveSaturationStoreP99Ms, ' ms')}`,
      '',
      '',
    ],
    [
      'Naive: messages acknowledged by the broker but never stored',
      nsat ? `${fmt(r.naiveLost)}${nsat.partial ? ` (${nsat.partial})` : ''}` : 'not measured',
      '',
      '',
    ],
    [
      `Photos/s, imagery pipeline (${fmt(d.photos?.photos)} × 12 MP JPEG, 2 in flight; best of ${d.photos?.runs.pipeline.length ?? 0} runs: ${d.photos?.runs.pipeline.join(', ') ?? '–'})`,
      fmt(r.photosPerSecond, '/s', 1),
      '≥ 10/s',
      mark(r.checks.photosPerSecond),
    ],
    [
      `Photos/s, bare sharp resize to 720 px (reference; best of ${d.photos?.runs.bare.length ?? 0} runs: ${d.photos?.runs.bare.join(', ') ?? '–'})`,
      fmt(r.barePhotosPerSecond, '/s', 1),
      'reference (§8: ≈ 16/s)',
      '',
    ],
    [
      'Pipeline / bare',
      r.photoShareOfBare === undefined ? 'not measured' : fmt(r.photoShareOfBare * 100, ' %', 0),
      `≥ ${TARGETS.photoShareOfBare * 100} %`,
      mark(r.checks.photoShareOfBare),
    ],
    ['Peak RSS, photo pipeline process', fmt(r.peakRssMb, ' MB'), `< ${TARGETS.peakRssMb} MB`, mark(r.checks.peakRssMb)],
    ['Peak RSS, bare resize process', fmt(r.barePeakRssMb, ' MB'), '', ''],
    [
      'Peak RSS, CloudPatrol process (whole CloudPatrol phase)',
      fmt(r.cloudPatrolPeakRssMb, ' MB'),
      `< ${TARGETS.cloudPatrolPeakRssMb} MB`,
      mark(r.checks.cloudPatrolPeakRssMb),
    ],
    ['Peak RSS, naive process (whole naive phase)', fmt(r.naivePeakRssMb, ' MB'), '', ''],
  ];
  const mix = cp?.mix;
  if (mix) {
    rows.push([
      `Device simulator, all sources (${mix.rate}/s for ${mix.seconds} s, 5 % duplicates, 2 % malformed): well-formed generic + department events stored`,
      `${mix.storedOfExpected} / ${mix.expectedEvents}`,
      'all',
      mark(mix.storedOfExpected === mix.expectedEvents),
    ]);
  }
  const m = r.machine;
  const lines = [
    `# CloudPatrol benchmark — ${r.timestamp}`,
    '',
    `Machine: ${m.cpus} × ${m.cpuModel}, ${Math.round(m.memoryMb / 1024)} GB, Node ${m.node}, ${m.postgres ?? 'PostgreSQL ?'}, ${m.mosquitto ?? 'Mosquitto ?'}; ` +
      `load average ${m.loadAverageStart} at start, ${m.loadAverageEnd ?? '?'} at end. Run took ${r.runtimeSeconds} s.`,
    '',
    '| Figure | Value | Target | |',
    '|---|---:|---|---|',
    ...rows.map(([a, b, c, e]) => `| ${a} | ${b} | ${c} | ${e} |`),
    '',
  ];
  if (sat) {
    lines.push(
      `Saturation detail: ${fmt(sat.published)} published in ${fmt(sat.publishSeconds, ' s', 2)} (${fmt(sat.publishPerSecond, '/s')}); ` +
        `${fmt(sat.stored)} events stored, ${fmt(sat.grouped)} of them grouped into ${fmt(sat.cases)} cases, suppressed ${JSON.stringify(sat.suppressedByReason ?? {})}, ${fmt(sat.deadLetters)} dead letters` +
        `${sat.deadLetters ? ` ${JSON.stringify(sat.deadLettersByReason)}` : ''}, in ${fmt(sat.seconds, ' s', 2)}; ` +
        `${fmt(sat.alertsReceived)} alerts streamed during the burst; the background work it left (sealing every event into the audit chain, ` +
        `recording each new case's opening) was done ${fmt(sat.backgroundCatchUpSeconds, ' s', 1)} later (openings ${fmt(sat.intakeCatchUpSeconds, ' s', 1)}, ` +
        `sealing ${fmt(sat.sealingCatchUpSeconds, ' s', 1)} after the burst's end), before the fixed load started.`,
    );
  }
  if (mix)
    lines.push(`Simulator detail: stored by source ${JSON.stringify(mix.storedBySource)}; dead letters by reason ${JSON.stringify(mix.deadLettersByReason)}.`);
  if (r.errors.length) lines.push('', 'Errors / partial results:', ...r.errors.map((e) => `- ${e.split('\n')[0]}`));
  lines.push('', '![chart](latest.svg)', '');
  return lines.join('\n');
}

interface Bar {
  label: string;
  value: number | undefined;
  color: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel(x: number, y: number, w: number, title: string, bars: Bar[], unit: string, target?: { value: number; label: string }): string {
  const labelW = 190;
  const barH = 20;
  const gap = 8;
  const chartW = w - labelW - 70;
  const max = Math.max(1, target?.value ?? 0, ...bars.map((b) => b.value ?? 0)) * 1.05;
  const out = [`<text x="${x}" y="${y}" font-size="14" font-weight="bold">${esc(title)}</text>`];
  if (target) {
    const tx = x + labelW + (target.value / max) * chartW;
    const h = bars.length * (barH + gap);
    out.push(`<line x1="${tx.toFixed(1)}" y1="${y + 8}" x2="${tx.toFixed(1)}" y2="${y + 14 + h}" stroke="#c00" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${tx.toFixed(1)}" y="${y + 24 + h}" font-size="10" fill="#c00" text-anchor="middle">${esc(target.label)}</text>`);
  }
  bars.forEach((b, i) => {
    const by = y + 14 + i * (barH + gap);
    const bw = b.value === undefined ? 0 : Math.max(1, (b.value / max) * chartW);
    out.push(`<text x="${x + labelW - 6}" y="${by + 14}" font-size="11" text-anchor="end">${esc(b.label)}</text>`);
    out.push(`<rect x="${x + labelW}" y="${by}" width="${bw.toFixed(1)}" height="${barH}" fill="${b.color}"/>`);
    const text =
      b.value === undefined
        ? 'not measured'
        : `${Math.round(b.value * 10) / 10 >= 100 ? Math.round(b.value).toLocaleString('en-US') : (Math.round(b.value * 10) / 10).toString()}${unit}`;
    out.push(`<text x="${x + labelW + bw + 4}" y="${by + 14}" font-size="11" paint-order="stroke" stroke="white" stroke-width="3">${esc(text)}</text>`);
  });
  return out.join('\n');
}

export function svg(r: BenchResults): string {
  const blue = '#2f6db5';
  const grey = '#9aa5b1';
  const orange = '#d9822b';
  const green = '#3d9a50';
  const w = 760;
  const p1 = panel(
    20,
    30,
    w - 40,
    'Throughput on this machine (events, messages or rows per second)',
    [
      { label: 'MQTT pub→sub (broker limit)', value: r.brokerLimitEventsPerSecond, color: grey },
      { label: 'Kafka produce→consume', value: r.kafkaLimitMessagesPerSecond, color: grey },
      { label: 'PostgreSQL COPY', value: r.copyRowsPerSecond, color: grey },
      { label: 'PostgreSQL unnest 1000-row', value: r.unnestRowsPerSecond, color: grey },
      { label: 'PostgreSQL single-row INSERT', value: r.singleInsertRowsPerSecond, color: grey },
      { label: 'CloudPatrol end-to-end', value: r.eventsPerSecond, color: blue },
      { label: 'CloudPatrol Kafka feed', value: r.kafkaEventsPerSecond, color: blue },
      { label: 'Naive Nest + TypeORM save()', value: r.naiveEventsPerSecond, color: orange },
    ],
    '/s',
    { value: TARGETS.eventsPerSecond, label: `target ${fmt(TARGETS.eventsPerSecond)}/s` },
  );
  const p2 = panel(
    20,
    300,
    w - 40,
    `Publish → live alert at ${r.fixedLoadOfferedPerSecond ?? '?'} events/s (ms)`,
    [
      { label: 'p50', value: r.p50Ms, color: blue },
      { label: 'p95', value: r.p95Ms, color: blue },
      { label: 'p99', value: r.p99Ms, color: blue },
    ],
    ' ms',
    { value: TARGETS.p99Ms, label: `p99 target ${TARGETS.p99Ms} ms` },
  );
  const p3 = panel(
    20,
    450,
    w - 40,
    '12 MP photos per second (2 in flight)',
    [
      { label: 'imagery pipeline', value: r.photosPerSecond, color: green },
      { label: 'bare sharp resize', value: r.barePhotosPerSecond, color: grey },
    ],
    '/s',
    { value: TARGETS.photosPerSecond, label: 'target 10/s' },
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="560" viewBox="0 0 ${w} 560" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    p1,
    p2,
    p3,
    `<text x="20" y="550" font-size="10" fill="#555">${esc(`CloudPatrol benchmark ${r.timestamp} · ${r.machine.cpus} CPUs · Node ${r.machine.node} · load avg ${r.machine.loadAverageStart}→${r.machine.loadAverageEnd ?? '?'}`)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
