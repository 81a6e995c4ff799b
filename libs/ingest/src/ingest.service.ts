import { Inject, Injectable, OnApplicationShutdown, ServiceUnavailableException } from '@nestjs/common';
import {
  applyDeviceRegister,
  type RejectionReason,
  CanonicalEvent,
  type CaseGrouping,
  classifyBatch,
  defaultDeviceId,
  DjiEventsReply,
  type ClassifyContext,
  DoNotDisturbLedger,
  doNotDisturbSubjectsOf,
  type DwellProofOfIssue,
  earlierIssueCases,
  groupClassified,
  inhibitedAfterwards,
  inhibitorSearchScope,
  parseTrackState,
  placeIdsOf,
  repeatsAfterwards,
  storedPictureRef,
  type SuppressionTally,
  type AttachedPicture,
  TrackState,
  trackKeysFor,
  withdrawalsOfMuted,
} from '@app/domain';
import type { Sighting, TrackPoint } from '@app/domain/devices/device-health';
import {
  type AuditAppend,
  AuditLogRepository,
  CaseUpsertResult,
  CaseUpsertRow,
  ClassificationStateRepository,
  DeadLetterRow,
  IngestRepository,
  PictureRepository,
  type SqlStep,
} from '@app/persistence';
import type { InboundMessage } from '@app/messaging';
import type { EntityManager } from 'typeorm';
import {
  DeviceHealthService,
  DeviceRegisterService,
  IngestPressure,
  type Logger,
  LOGGER,
  MetricsService,
  PictureService,
  RuleSetService,
  RUNTIME_OPTIONS,
  type RuntimeOptions,
} from '@app/core';
import { BatchTurn, BatchTurns } from './batch-turns';
import { deadLetterKafkaTopic } from './dead-letter-topic';
import { DeviceRateLimiter } from './device-rate-limiter';
import { IngestProgress } from './ingest-progress';
import { LabelTally } from './label-tally';
import { MicroBatcher } from './micro-batcher';
import { RouteContext, routeMessage, RoutedMessage, sourceOfTopic } from './source-router';
import { classifyStoreFailure } from './store-failure';

export type IngestOutcome =
  | { status: 'stored'; eventIds: string[] }
  | { status: 'duplicate' }
  /** Understood, but carries nothing to store (a heartbeat, telemetry, a message type we only acknowledge). */
  | { status: 'ignored' }
  | { status: 'rejected'; reason: string; detail: string };

export interface IngestResult {
  outcomes: IngestOutcome[];
  /** Replies devices wait for (DJI `events_reply`), to send now that the batch is stored. */
  replies: DjiEventsReply[];
}

/** What an alert notification carries; the API turns it into a live alert after the commit. */
export interface AlertNotification {
  caseId: string;
  opened: boolean;
  /** Only more occurrences of an open case: the alert may wait to be coalesced (AlertService). */
  growth: boolean;
}

/** A dead letter keeps at most this much of a huge payload: the reason matters, the bulk does not. */
const DEAD_LETTER_MAX_BYTES = 64 * 1024;

/**
 * Dead-letter reason for a message its adapter accepted but that could not be stored (PostgreSQL refused its
 * values — a NUL character in a text, a year 0 date — or storing it failed in a way that repeats on every
 * retry): the same bytes would fail the same way again.
 */
export const UNSTORABLE_REASON: RejectionReason = 'unstorable';

/** Attempts of one transport failing in a row before ingest is reported stalled (health, metric, live alert). */
const FAILURES_TO_STALL = 3;

/** HTTP pushes stored in one transaction at most (a burst of parallel pushes becomes a few batches). */
const HTTP_BATCH_SIZE = 500;

/**
 * Messages decoded between two turns of the event loop. Batches overlap on one thread: while one classifies and
 * commits, statement by statement, the next is decoded; a slice lets the first one's next statement go out.
 */
const ROUTE_SLICE = 250;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** PostgreSQL text cannot hold U+0000: dead-letter columns show it escaped instead. */
const storableText = (text: string): string => text.replaceAll('\u0000', '\\u0000');

/**
 * transport → adapter → classify → group → store → alert, for a whole batch at once. One transaction
 * stores the new events, classifies only those (a redelivered event never counts twice), opens or grows
 * cases, records suppressions and dead letters and queues the alerts. The transport acknowledges after
 * this resolves.
 *
 * No batch can wedge a stream: a batch that fails for a reason a retry cannot fix (its values, not the
 * database's state) is halved until the failing messages are isolated; those are dead-lettered with the
 * reason and their raw bytes, everything else is stored. A transient failure (database down) rejects, and
 * the transport delivers the batch again in place.
 */
@Injectable()
export class IngestService implements OnApplicationShutdown {
  private readonly route: RouteContext;
  private readonly rateLimiter: DeviceRateLimiter;
  private readonly turns: BatchTurns;
  readonly progress: IngestProgress;
  private readonly httpPushes: MicroBatcher<InboundMessage, IngestOutcome>;
  private readonly devicePublishes: MicroBatcher<InboundMessage, IngestOutcome>;
  private sendReply?: (reply: DjiEventsReply) => Promise<void>;
  private stopping = false;

  constructor(
    private readonly repository: IngestRepository,
    private readonly state: ClassificationStateRepository,
    private readonly devices: DeviceRegisterService,
    private readonly rules: RuleSetService,
    private readonly metrics: MetricsService,
    private readonly pictures: PictureService,
    private readonly pictureRows: PictureRepository,
    private readonly health: DeviceHealthService,
    private readonly pressure: IngestPressure,
    private readonly audit: AuditLogRepository,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const env = runtime.env;
    this.rateLimiter = new DeviceRateLimiter({
      ratePerSecond: env.DEVICE_EVENTS_PER_SECOND,
      burst: env.DEVICE_EVENTS_BURST,
      futureToleranceSeconds: env.DEVICE_EVENT_FUTURE_TOLERANCE_SECONDS,
    });
    this.turns = new BatchTurns(env.INGEST_PIPELINE_DEPTH);
    this.progress = new IngestProgress({ stallMs: env.INGEST_STALL_SECONDS * 1000, failuresToStall: FAILURES_TO_STALL });
    this.httpPushes = new MicroBatcher<InboundMessage, IngestOutcome>({
      maxBatch: HTTP_BATCH_SIZE,
      maxWaiting: env.INGEST_HTTP_MAX_WAITING,
      run: async (messages) => (await this.ingestBatch(messages)).outcomes,
    });
    this.devicePublishes = new MicroBatcher<InboundMessage, IngestOutcome>({
      maxBatch: env.INGEST_BATCH_SIZE,
      // Bounded by what devices may have in flight; beyond it a publish waits (its PUBACK with it).
      maxWaiting: env.INGEST_BATCH_SIZE * 4,
      concurrency: env.INGEST_PIPELINE_DEPTH,
      run: async (messages) => {
        const { outcomes, replies } = await this.ingestBatch(messages).catch((err: Error) => {
          // Logged once per batch, not once per waiting publish.
          this.logger.error(
            { err: err.message, messages: messages.length, source: 'mqtt' },
            'device publishes not stored yet; they wait unacknowledged and are tried again',
          );
          throw err;
        });
        for (const reply of replies)
          await this.sendReply?.(reply).catch((err: Error) => this.logger.warn({ err: err.message }, 'could not send a reply to a device'));
        return outcomes;
      },
    });
    this.route = {
      kafkaTopicPrefix: env.KAFKA_TOPIC_PREFIX,
      frigateTopicPrefix: env.FRIGATE_TOPIC_PREFIX,
      maxPayloadBytes: env.MAX_PAYLOAD_BYTES,
      deviceForFrigateCamera: (camera) => this.devices.deviceForFrigateCamera(camera),
      deviceForHikvision: (ip, mac, channel) => {
        const id = defaultDeviceId(mac, ip, undefined, channel);
        return id === undefined ? undefined : this.devices.deviceForAlias(id);
      },
    };
  }

  /**
   * One HTTP push (a Hikvision alarm, a photo mark), stored before the caller answers. Parallel pushes are
   * stored together, a few batches at a time, so 50 cameras pushing at once take two database connections,
   * not fifty. Answers 503 (send again) when storage is down or too many pushes are already waiting.
   */
  async ingestPush(message: InboundMessage): Promise<IngestOutcome> {
    const queued = this.httpPushes.submit(message);
    if (!queued.accepted)
      throw new ServiceUnavailableException(`too many pushes waiting to be stored (${this.runtime.env.INGEST_HTTP_MAX_WAITING}); send it again`);
    try {
      return await queued.result;
    } catch {
      throw new ServiceUnavailableException('could not store it now; send it again');
    }
  }

  /** HTTP pushes waiting to be stored (for the stall watchdog). */
  get pushesWaiting(): number {
    return this.httpPushes.waiting;
  }

  /** Publishes handed over by the embedded broker and not stored yet (their PUBACKs wait). */
  get devicePublishesWaiting(): number {
    return this.devicePublishes.waiting;
  }

  /** Where replies go for publishes handed over by the embedded broker (DJI `events_reply`). */
  onReplies(send: (reply: DjiEventsReply) => Promise<void>): void {
    this.sendReply = send;
  }

  /**
   * A device's publish handed over by the embedded broker, which sends the PUBACK when this resolves: so it
   * resolves only once the message is stored (or dead-lettered with its reason). While the database is away
   * it waits and tries again, like a transport redelivering in place; it gives up only when the service stops
   * (the device then hears nothing and sends it again to the next start).
   */
  async ingestDevicePublish(message: InboundMessage): Promise<IngestOutcome> {
    for (let backoff = 100; ;) {
      if (this.stopping) throw new Error('CloudPatrol is stopping; not stored');
      const queued = this.devicePublishes.submit(message);
      // Full (devices publish faster than batches commit): it goes as soon as a batch makes room. A timer here left
      // the ingest idle for seconds while the publishes it had refused slept (the embedded bench: 1-3 s gaps).
      if (!queued.accepted) {
        await this.devicePublishes.room();
        continue;
      }
      try {
        return await queued.result;
      } catch {
        // Logged by the batch; this publish waits and goes again.
      }
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 5000);
    }
  }

  onApplicationShutdown(): void {
    this.stopping = true;
    this.devicePublishes.stopWaiting();
  }

  async ingestBatch(batch: InboundMessage[]): Promise<IngestResult> {
    if (batch.length === 0) return { outcomes: [], replies: [] };
    try {
      return await this.storeBatch(batch);
    } catch (err) {
      if (classifyStoreFailure(err) === 'transient') throw err;
      // Something in the batch cannot be stored: halve until the messages are found, store the rest.
      if (batch.length === 1) return this.keepUnstorable(batch[0], err as Error);
      this.logger.warn(
        { err: (err as Error).message, messages: batch.length, transport: batch[0].transport },
        'batch cannot be stored as a whole; splitting it to isolate the failing messages',
      );
      const half = Math.ceil(batch.length / 2);
      const first = await this.ingestBatch(batch.slice(0, half));
      const second = await this.ingestBatch(batch.slice(half));
      return { outcomes: [...first.outcomes, ...second.outcomes], replies: [...first.replies, ...second.replies] };
    }
  }

  /** A message that cannot be stored: kept as a dead letter with the reason, answered if the device waits for it. */
  private async keepUnstorable(m: InboundMessage, err: Error): Promise<IngestResult> {
    const source = sourceOfTopic(m, this.route);
    const detail = storableText(`accepted by the ${source} adapter but could not be stored: ${err.message}`);
    this.logger.error({ err: err.message, source, topic: m.topic }, 'message dead-lettered: it cannot be stored');
    let reply: DjiEventsReply | undefined;
    try {
      reply = routeMessage(m, this.route).reply;
    } catch {
      reply = undefined;
    }
    const payload = m.payload.length > DEAD_LETTER_MAX_BYTES ? m.payload.subarray(0, DEAD_LETTER_MAX_BYTES) : m.payload;
    await this.repository.transaction((tx) =>
      this.repository.insertDeadLetters(
        tx,
        [
          {
            transport: m.transport,
            source,
            topic: storableText(m.topic),
            reason: UNSTORABLE_REASON,
            detail,
            authenticatedDeviceId: m.authenticatedDeviceId,
            payload,
          },
        ],
        deadLetterKafkaTopic(this.runtime.env),
      ),
    );
    this.metrics.received.inc({ transport: m.transport, source });
    this.metrics.rejected.inc({ transport: m.transport, source, reason: UNSTORABLE_REASON });
    this.metrics.deadLetters.inc({ reason: UNSTORABLE_REASON, source });
    return { outcomes: [{ status: 'rejected', reason: UNSTORABLE_REASON, detail }], replies: reply ? [reply] : [] };
  }

  private async storeBatch(batch: InboundMessage[]): Promise<IngestResult> {
    // Taken before the first await, so batches keep the order the transports handed them over in.
    const turn = this.turns.take();
    const transport = batch[0].transport;
    this.progress.attempted(transport);
    this.pressure.batchStarted(batch.length);
    try {
      const result = await this.storeBatchInTurn(batch, turn);
      this.progress.committed(transport);
      return result;
    } catch (err) {
      this.progress.failed(transport, err);
      this.metrics.batchFailures.inc({ transport, kind: classifyStoreFailure(err) });
      throw err;
    } finally {
      turn.done();
      this.pressure.batchEnded(batch.length);
    }
  }

  private async storeBatchInTurn(batch: InboundMessage[], turn: BatchTurn): Promise<IngestResult> {
    const transport = batch[0].transport;
    const timer = this.metrics.batchSeconds.startTimer({ transport });
    // Counted once the batch is committed: a batch stored again after a failure is not counted twice.
    const counts: (() => void)[] = [];
    const received = new LabelTally();
    // Caches are refreshed holding no connection and no open transaction (the refresh needs a pool
    // connection of its own; see BatchTurns).
    await Promise.all([this.devices.refreshIfStale(), this.rules.refreshIfStale()]);
    const outcomes: IngestOutcome[] = new Array<IngestOutcome>(batch.length);
    const events: CanonicalEvent[] = [];
    const eventMessage: number[] = [];
    // Pictures that came with a message (multipart image parts), stored already: slots of its events.
    const attachedTo = new Map<CanonicalEvent, AttachedPicture[]>();
    const deadLetters: DeadLetterRow[] = [];
    const telemetry: Parameters<ClassificationStateRepository['saveTelemetryStep']>[0] = [];
    // Device health: every registered device this batch heard from (any message), and drones' positions.
    const sightings: Sighting[] = [];
    const track: TrackPoint[] = [];
    const heard = (deviceId: string | undefined, at: Date) => {
      if (deviceId !== undefined && this.devices.lookup(deviceId)) sightings.push({ deviceId, at });
    };
    const replies: DjiEventsReply[] = [];
    // Rate-limit charges of this attempt: given back if it does not commit, so a retry is never charged twice.
    const charged: { deviceId: string; key: string }[] = [];

    const routeOne = (m: InboundMessage, index: number): void => {
      const reject = (source: string, reason: string, detail: string, deviceId?: string) => {
        outcomes[index] = { status: 'rejected', reason, detail };
        // A rate-limited message is kept whole (it passed MAX_PAYLOAD_BYTES): it is meant to be replayed.
        const payload = m.payload.length > DEAD_LETTER_MAX_BYTES && reason !== 'rate-limited' ? m.payload.subarray(0, DEAD_LETTER_MAX_BYTES) : m.payload;
        // Details quote the payload's own values (a device id...), which may hold what text columns cannot.
        deadLetters.push({
          transport: m.transport,
          source,
          topic: storableText(m.topic),
          reason,
          detail: storableText(detail),
          deviceId: deviceId === undefined ? undefined : storableText(deviceId),
          authenticatedDeviceId: m.authenticatedDeviceId,
          payload,
        });
        counts.push(() => {
          this.metrics.rejected.inc({ transport: m.transport, source, reason });
          this.metrics.deadLetters.inc({ reason, source });
        });
      };
      if (m.payload.length > this.runtime.env.MAX_PAYLOAD_BYTES) {
        // Refused unread; the topic still tells which source sent it.
        const source = sourceOfTopic(m, this.route);
        received.add(m.transport, source);
        return reject(source, 'payload-too-large', `${m.payload.length} bytes exceeds the limit of ${this.runtime.env.MAX_PAYLOAD_BYTES}`);
      }
      let routed: RoutedMessage;
      try {
        routed = routeMessage(m, this.route);
      } catch (err) {
        // An adapter must never throw; if one does, the message is kept aside, not retried forever.
        return reject(sourceOfTopic(m, this.route), 'invalid-schema', `adapter failed: ${(err as Error).message}`);
      }
      received.add(m.transport, routed.source);
      // A publish on its own account proves the publisher is alive (an NVR for its cameras, a dock), a heartbeat its device.
      heard(m.authenticatedDeviceId, m.receivedAt);
      if (routed.heartbeat) heard(routed.heartbeat.deviceId, m.receivedAt);
      if (routed.reply) replies.push(routed.reply);
      if (!routed.result.ok) return reject(routed.source, routed.result.rejection.reason, routed.result.rejection.detail);
      if (routed.telemetry) {
        const t = routed.telemetry;
        if (!this.devices.lookup(t.deviceSn)) return reject(routed.source, 'unknown-device', `device "${t.deviceSn}" is not registered`, t.deviceSn);
        telemetry.push({ deviceId: t.deviceSn, at: t.at, lat: t.position.lat, lng: t.position.lng, telemetry: t });
        heard(t.deviceSn, m.receivedAt);
        heard(t.gatewaySn, m.receivedAt);
        track.push({
          deviceId: t.deviceSn,
          at: t.at,
          lat: t.position.lat,
          lng: t.position.lng,
          height: t.height,
          heading: t.attitudeHead,
          gatewayId: t.gatewaySn,
        });
      }
      if (routed.result.events.length === 0) {
        outcomes[index] = { status: 'ignored' };
        return;
      }
      // A message's events are judged together: one refused (unregistered, not its own, rate-limited) keeps
      // the whole message aside, and the others give back what they were charged.
      const accepted: CanonicalEvent[] = [];
      const chargedHere: { deviceId: string; key: string }[] = [];
      const refuse = (source: string, reason: string, detail: string, deviceId?: string) => {
        for (const c of chargedHere) this.rateLimiter.release(c.deviceId, c.key);
        reject(source, reason, detail, deviceId);
      };
      for (const adapted of routed.result.events) {
        const gated = applyDeviceRegister(adapted, this.devices.lookup);
        if (!gated.ok) return refuse(routed.source, gated.rejection.reason, gated.rejection.detail, adapted.deviceId);
        const event = gated.event;
        if (m.authenticatedDeviceId !== undefined && event.deviceId !== m.authenticatedDeviceId) {
          return refuse(
            routed.source,
            'topic-mismatch',
            `device "${m.authenticatedDeviceId}" may not report for device "${event.deviceId}"`,
            m.authenticatedDeviceId,
          );
        }
        let aheadBySeconds: number | undefined;
        if (m.replayOfDeadLetter === undefined) {
          const key = `${event.source}\u0000${event.deviceId}\u0000${event.eventId}\u0000${event.occurredAt.getTime()}`;
          const decision = this.rateLimiter.take(event.deviceId, key, event.occurredAt.getTime(), m.receivedAt.getTime());
          if (!decision.allowed) {
            return refuse(
              routed.source,
              'rate-limited',
              `device "${event.deviceId}" reported more than ${this.runtime.env.DEVICE_EVENTS_PER_SECOND} events per second`,
              event.deviceId,
            );
          }
          chargedHere.push({ deviceId: event.deviceId, key });
          aheadBySeconds = decision.aheadBySeconds;
        } else {
          // A replayed dead letter was judged by a person: the limit that kept it aside does not apply again.
          aheadBySeconds = this.rateLimiter.aheadBySeconds(event.occurredAt.getTime(), m.receivedAt.getTime());
        }
        // Its clock is ahead of ours: stored and flagged, never trusted to move anything.
        if (aheadBySeconds !== undefined) event.attributes = { ...event.attributes, clockAheadSeconds: Math.round(aheadBySeconds) };
        accepted.push(event);
      }
      charged.push(...chargedHere);
      for (const event of accepted) heard(event.deviceId, m.receivedAt);
      for (const event of accepted) {
        if (m.pictures && m.pictures.length > 0) {
          attachedTo.set(event, m.pictures);
          // The stored event names its pictures by SHA-256, as its media.
          event.media = [...event.media, ...m.pictures.flatMap((p) => ('sha256' in p ? [storedPictureRef(p.sha256)] : []))];
        }
        events.push(event);
        eventMessage.push(index);
      }
    };
    for (let index = 0; index < batch.length; index++) {
      // A full batch is decoded while the batch before it classifies and commits on the same thread: in slices, so
      // that batch's next statement goes as soon as PostgreSQL answers, not after the whole of this loop.
      if (index > 0 && index % ROUTE_SLICE === 0) await yieldToEventLoop();
      routeOne(batch[index], index);
    }

    let stored: { inserted: Map<number, string>; cases: CaseUpsertResult[]; caseRows: CaseUpsertRow[] };
    try {
      // The turn is waited for holding no connection; once open, the transaction waits only for batches
      // that already hold theirs (BatchTurns).
      await turn.mayOpen;
      stored = await this.repository.transaction(async (tx) => {
        const inserted = await this.repository.insertEvents(tx, events);
        turn.inserted();
        await turn.previousDone;
        const fresh = [...inserted.entries()].map(([i, id]) => ({ event: events[i], id }));
        // Every picture an event has or will have, recorded with it: a crash never loses a picture request.
        await this.pictures.recordSlots(
          tx,
          fresh.map((f) => ({ ...f, attached: attachedTo.get(f.event) })),
          batchReceivedAt(batch),
        );
        const { caseRows, dwellProofs, audit, writes } = await this.classifyAndGroup(tx, fresh);
        // The writes that need no answer go in the case upsert's round trip, the rest in one more (runInOrder): each
        // statement sent alone waited for its answer and then for this busy thread's next turn (issue 20).
        const { cases, recordGrowth } = await this.repository.upsertCases(tx, caseRows, writes);
        await this.repository.sendInOrder(tx, [
          // Numbers, occurrences and the live alerts (delivered only at the commit, whatever follows).
          recordGrowth(cases.map((c) => ({ caseId: c.caseId, opened: c.opened, growth: !c.opened }) satisfies AlertNotification)),
          this.pictureRows.insertDwellProofStep(dwellProofRows(cases, dwellProofs)),
          this.repository.insertDeadLettersStep(deadLetters, deadLetterKafkaTopic(this.runtime.env)),
          this.state.saveTelemetryStep(telemetry),
          // Late: the devices' rows stay locked only until the commit just after.
          ...this.health.batchSteps(sightings, track),
        ]);
        // Last of all: the audit chain's lock. The case intake, the case loop and the device watcher take it after
        // their row locks; taken before this batch's case upsert, it deadlocked with an intake holding a case.
        await this.audit.appendMany(tx, audit);
        return { inserted, cases, caseRows };
      });
    } catch (err) {
      for (const c of charged) this.rateLimiter.release(c.deviceId, c.key);
      throw err;
    }
    // Committed: the next batch may classify now. What follows is this batch's own bookkeeping, off that chain.
    turn.done();

    for (const count of counts) count();
    received.forEach((transport, source, n) => this.metrics.received.inc({ transport, source }, n));
    const storedBy = new LabelTally();
    const duplicatesBy = new LabelTally();
    events.forEach((e, i) => {
      const id = stored.inserted.get(i);
      const msg = eventMessage[i];
      if (id !== undefined) {
        storedBy.add(e.source, e.deviceId);
        const prev = outcomes[msg];
        outcomes[msg] = { status: 'stored', eventIds: [...(prev?.status === 'stored' ? prev.eventIds : []), id] };
      } else {
        duplicatesBy.add(e.source, e.deviceId);
        outcomes[msg] ??= { status: 'duplicate' };
      }
    });
    storedBy.forEach((source, device, n) => this.metrics.stored.inc({ source, device }, n));
    duplicatesBy.forEach((source, device, n) => this.metrics.duplicates.inc({ source, device }, n));
    const categoryOf = new Map(stored.caseRows.map((r) => [r.identityKey, r.categoryCode]));
    for (const c of stored.cases) if (c.opened) this.metrics.casesOpened.inc({ category: categoryOf.get(c.identityKey) ?? 'unknown' });
    for (const r of stored.caseRows) this.metrics.occurrences.inc({ category: r.categoryCode }, r.events.length);
    timer();
    return { outcomes, replies };
  }

  /**
   * Classifies the events stored for the first time, with their tracks locked so concurrent workers
   * never race on one object, and stores the state classification changed. Reads the state, lets the domain
   * decide (classifyBatch, then case-grouping: withdrawals, earlier-issue cases, case rows and suppressions),
   * writes what it decided.
   */
  private async classifyAndGroup(
    tx: EntityManager,
    fresh: { event: CanonicalEvent; id: string }[],
  ): Promise<{ caseRows: CaseUpsertRow[]; dwellProofs: DwellProofOfIssue[]; audit: AuditAppend[]; writes: (SqlStep | undefined)[] }> {
    if (fresh.length === 0) return { caseRows: [], dwellProofs: [], audit: [], writes: [] };
    const { jurisdiction, routing } = this.runtime.district;
    const ruleSet = this.rules.ruleSet;
    const events = fresh.map((f) => f.event);
    const idOf = new Map(fresh.map((f) => [f.event, f.id]));
    let from = events[0].occurredAt;
    let to = events[0].occurredAt;
    for (const e of events) {
      if (e.occurredAt < from) from = e.occurredAt;
      if (e.occurredAt > to) to = e.occurredAt;
    }
    // Inhibition and do-not-disturb read what other batches decided: one worker decides at a time, so a fire
    // or a first issue committed by another worker meanwhile is never missed (taken after the track locks, which
    // keep two workers off the same object). History counts cases and suppressed first issues, so a repeat after a
    // suppressed first issue opens a case.
    const dndSubjects = doNotDisturbSubjectsOf(ruleSet, jurisdiction);
    const decided = await this.state.lockAndReadDecisionState(tx, {
      trackKeys: trackKeysFor(events, ruleSet),
      decisions: ruleSet.inhibitions.length > 0 || dndSubjects.length > 0,
      inhibitorsFrom: from,
      inhibitorsTo: to,
      doNotDisturb: { subjects: dndSubjects, since: new Date(from.getTime() - ruleSet.doNotDisturb.windowDays * 86_400_000), to },
    });
    const tracks = new Map<string, TrackState>();
    for (const [key, json] of decided.tracks) {
      const t = parseTrackState(json);
      if (t) tracks.set(key, t);
    }
    const activeInhibitors = decided.activeInhibitors;
    const history = new DoNotDisturbLedger(decided.doNotDisturbRecords).history;
    const ctx: ClassifyContext = {
      ruleSet,
      jurisdiction,
      routing,
      zoneToPlace: this.devices.zoneToPlace,
      tracks,
      activeInhibitors,
      doNotDisturbHistory: history,
    };
    const result = classifyBatch(events, ctx);
    // Nothing below reads the track states: they are written with the case upsert (the caller sends `writes`).
    const writes: (SqlStep | undefined)[] = [this.state.saveTracksStep(result.tracks)];
    await this.state.saveInhibitors(tx, result.inhibitors);

    // Rows go to the repositories as they come: they fold rows that share a key before each statement.
    const suppressions: SuppressionTally[] = [];
    const caseRows: CaseGrouping[] = [];
    /** Why cases changed afterwards: appended to the audit chain at the end of the transaction. */
    const audit: AuditAppend[] = [];

    // A fire stored after minor issues it mutes takes them back off their cases (those nobody has acted on),
    // so the cases do not depend on which arrived first. Before this batch's cases are stored: a case it
    // empties is withdrawn, and this batch's later issues of that identity open a new one, as in order.
    const scope = inhibitorSearchScope(result.inhibitors, jurisdiction);
    if (scope) {
      const open = await this.state.openOccurrences(tx, scope);
      const muted = inhibitedAfterwards(
        open.map((o) => ({ ...o, placeIds: placeIdsOf(o, ctx) })),
        result.inhibitors,
        ruleSet,
      );
      const at = new Date();
      const { suppressions: inhibited, withdrawals } = withdrawalsOfMuted(muted, ruleSet, at);
      suppressions.push(...inhibited);
      const { changed, audit: takenOff } = await this.state.takeOffCases(tx, withdrawals, at);
      audit.push(...takenOff);
      await this.repository.notifyAlerts(
        tx,
        changed.map((caseId) => ({ caseId, opened: false, growth: false }) satisfies AlertNotification),
      );
    }

    // A first issue stored before an earlier issue of its business arrived (another worker, a late upload) was
    // never the first: it becomes the case occurrence it would have been in order, and its suppression goes.
    if (result.doNotDisturb.length > 0) {
      const windowMs = ruleSet.doNotDisturb.windowDays * 86_400_000;
      const times = result.doNotDisturb.map((r) => r.at.getTime());
      const firsts = await this.state.doNotDisturbFirsts(
        tx,
        dndSubjects.map((d) => d.subjectId),
        new Date(Math.min(...times)),
        new Date(Math.max(...times) + windowMs),
      );
      const repeats = repeatsAfterwards(firsts, result.doNotDisturb, dndSubjects, ruleSet.doNotDisturb.windowDays);
      const { cases, superseded } = earlierIssueCases(repeats, result.doNotDisturb, dndSubjects, ruleSet);
      caseRows.push(...cases);
      audit.push(...(await this.state.supersedeFirstIssues(tx, superseded, new Date())));
    }

    const grouped = groupClassified(result.results, (event) => idOf.get(event) as string);
    suppressions.push(...grouped.suppressions);
    caseRows.push(...grouped.cases);
    writes.push(this.state.saveSuppressionsStep(suppressions));
    return { caseRows, dwellProofs: grouped.dwellProofs, audit, writes };
  }
}

/** The batch's clock for picture deadlines: when its first message arrived. */
function batchReceivedAt(batch: readonly InboundMessage[]): Date {
  return batch[0].receivedAt;
}

/**
 * A dwell case keeps the events that prove how long the object stood there (first, sample), beside its occurrences:
 * linked when the case opens (its later occurrences are the rest of the record), so a parked car seen every few
 * seconds costs nothing more per event once its case is open.
 */
function dwellProofRows(
  cases: readonly { caseId: string; identityKey: string; opened: boolean }[],
  proofs: readonly DwellProofOfIssue[],
): Parameters<PictureRepository['insertDwellProofStep']>[0][number][] {
  if (proofs.length === 0) return [];
  const caseOf = new Map(cases.filter((c) => c.opened).map((c) => [c.identityKey, c.caseId]));
  const rows: Parameters<PictureRepository['insertDwellProofStep']>[0][number][] = [];
  for (const p of proofs) {
    const caseId = caseOf.get(p.identityKey);
    if (!caseId) continue;
    const ref = (e: { eventId: string; occurredAt: Date }, role: 'first' | 'sample') => ({
      caseId,
      source: p.source,
      deviceId: p.deviceId,
      sourceEventId: e.eventId,
      occurredAt: e.occurredAt,
      role,
    });
    rows.push(ref(p.proof.first, 'first'), ...p.proof.sample.map((e) => ref(e, 'sample')));
  }
  return rows;
}
