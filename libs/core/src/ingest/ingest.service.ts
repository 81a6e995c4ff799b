import { Inject, Injectable } from '@nestjs/common';
import {
  applyDeviceRegister,
  type RejectionReason,
  CanonicalEvent,
  classifyBatch,
  defaultDeviceId,
  DetectedIssue,
  DjiEventsReply,
  doNotDisturbPlaceIds,
  historyFromLastCaseTimes,
  parseTrackState,
  Suppression,
  suppressionKeyOf,
  TrackState,
  trackKeysFor,
} from '@app/domain';
import { CaseUpsertRow, ClassificationStateRepository, DeadLetterRow, IngestRepository } from '@app/persistence';
import type { InboundMessage } from '@app/messaging';
import type { EntityManager } from 'typeorm';
import { RuleSetService } from '../classification/rule-set.service';
import { BatchTurn, BatchTurns } from './batch-turns';
import { DeviceRateLimiter } from './device-rate-limiter';
import { DeviceRegisterService } from '../devices/device-register.service';
import { MetricsService } from '../observability/metrics.service';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { RouteContext, routeMessage, RoutedMessage, sourceOfTopic } from './source-router';

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
 * Dead-letter reason for a message its adapter accepted but PostgreSQL refused (a NUL character in a
 * text, a year 0 date...): the same bytes would fail the same way on every retry.
 */
export const UNSTORABLE_REASON: RejectionReason = 'unstorable';

/**
 * PostgreSQL errors caused by the values themselves, not by the database's state: class 22 (data
 * exception: invalid byte sequence, unsupported Unicode escape, date/time or numeric out of range) and
 * 54000 (program limit exceeded, e.g. an index row too large). Retrying the same batch cannot succeed.
 */
export function isDataError(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' ? e.code : e?.driverError?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '54000');
}

/** PostgreSQL text cannot hold U+0000: dead-letter columns show it escaped instead. */
const storableText = (text: string): string => text.replaceAll('\u0000', '\\u0000');

/**
 * transport → adapter → classify → group → store → alert, for a whole batch at once. One transaction
 * stores the new events, classifies only those (a redelivered event never counts twice), opens or grows
 * cases, records suppressions and dead letters and queues the alerts. The transport acknowledges after
 * this resolves. A message the database refuses is split off and dead-lettered, so it can never hold the
 * consumer in an endless retry; every other failure rejects, and the transport delivers the batch again.
 */
@Injectable()
export class IngestService {
  private readonly route: RouteContext;
  private readonly rateLimiter: DeviceRateLimiter;
  private readonly turns = new BatchTurns();

  constructor(
    private readonly repository: IngestRepository,
    private readonly state: ClassificationStateRepository,
    private readonly devices: DeviceRegisterService,
    private readonly rules: RuleSetService,
    private readonly metrics: MetricsService,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
  ) {
    this.rateLimiter = new DeviceRateLimiter(runtime.env.DEVICE_EVENTS_PER_SECOND, runtime.env.DEVICE_EVENTS_BURST);
    this.route = {
      kafkaTopicPrefix: runtime.env.KAFKA_TOPIC_PREFIX,
      frigateTopicPrefix: runtime.env.FRIGATE_TOPIC_PREFIX,
      maxPayloadBytes: runtime.env.MAX_PAYLOAD_BYTES,
      deviceForFrigateCamera: (camera) => this.devices.deviceForFrigateCamera(camera),
      deviceForHikvision: (ip, mac, channel) => {
        const id = defaultDeviceId(mac, ip, undefined, channel);
        return id === undefined ? undefined : this.devices.deviceForAlias(id);
      },
    };
  }

  async ingestBatch(batch: InboundMessage[]): Promise<IngestResult> {
    try {
      return await this.storeBatch(batch);
    } catch (err) {
      if (!isDataError(err)) throw err;
      // Some value in the batch cannot be stored: halve until the message is found, store the rest.
      if (batch.length === 1) return this.keepUnstorable(batch[0], err as Error);
      const half = Math.ceil(batch.length / 2);
      const first = await this.ingestBatch(batch.slice(0, half));
      const second = await this.ingestBatch(batch.slice(half));
      return { outcomes: [...first.outcomes, ...second.outcomes], replies: [...first.replies, ...second.replies] };
    }
  }

  /** A message whose values PostgreSQL refuses: kept as a dead letter, answered if the device waits for it. */
  private async keepUnstorable(m: InboundMessage, err: Error): Promise<IngestResult> {
    const source = sourceOfTopic(m, this.route);
    const detail = storableText(`accepted by the ${source} adapter but refused by the database: ${err.message}`);
    let reply: DjiEventsReply | undefined;
    try {
      reply = routeMessage(m, this.route).reply;
    } catch {
      reply = undefined;
    }
    const payload = m.payload.length > DEAD_LETTER_MAX_BYTES ? m.payload.subarray(0, DEAD_LETTER_MAX_BYTES) : m.payload;
    await this.repository.transaction((tx) =>
      this.repository.insertDeadLetters(tx, [{ transport: m.transport, source, topic: storableText(m.topic), reason: UNSTORABLE_REASON, detail, payload }]),
    );
    this.metrics.received.inc({ transport: m.transport, source });
    this.metrics.rejected.inc({ transport: m.transport, source, reason: UNSTORABLE_REASON });
    return { outcomes: [{ status: 'rejected', reason: UNSTORABLE_REASON, detail }], replies: reply ? [reply] : [] };
  }

  private async storeBatch(batch: InboundMessage[]): Promise<IngestResult> {
    // Taken before the first await, so batches keep the order the transports handed them over in.
    const turn = this.turns.take();
    try {
      return await this.storeBatchInTurn(batch, turn);
    } finally {
      turn.done();
    }
  }

  private async storeBatchInTurn(batch: InboundMessage[], turn: BatchTurn): Promise<IngestResult> {
    const transport = batch[0]?.transport ?? 'none';
    const timer = this.metrics.batchSeconds.startTimer({ transport });
    // Counted once the batch is committed: a batch stored again after a failure is not counted twice.
    const counts: (() => void)[] = [];
    await this.devices.refreshIfStale();
    await this.rules.refreshIfStale();
    const outcomes: IngestOutcome[] = new Array<IngestOutcome>(batch.length);
    const events: CanonicalEvent[] = [];
    const eventMessage: number[] = [];
    const deadLetters: DeadLetterRow[] = [];
    const telemetry: Parameters<ClassificationStateRepository['saveTelemetry']>[1] = [];
    const replies: DjiEventsReply[] = [];

    batch.forEach((m, index) => {
      const reject = (source: string, reason: string, detail: string, deviceId?: string) => {
        outcomes[index] = { status: 'rejected', reason, detail };
        const payload = m.payload.length > DEAD_LETTER_MAX_BYTES ? m.payload.subarray(0, DEAD_LETTER_MAX_BYTES) : m.payload;
        // Details quote the payload's own values (a device id...), which may hold what text columns cannot.
        deadLetters.push({
          transport: m.transport,
          source,
          topic: storableText(m.topic),
          reason,
          detail: storableText(detail),
          deviceId: deviceId === undefined ? undefined : storableText(deviceId),
          payload,
        });
        counts.push(() => this.metrics.rejected.inc({ transport: m.transport, source, reason }));
      };
      if (m.payload.length > this.runtime.env.MAX_PAYLOAD_BYTES) {
        // Refused unread; the topic still tells which source sent it.
        const source = sourceOfTopic(m, this.route);
        counts.push(() => this.metrics.received.inc({ transport: m.transport, source }));
        return reject(source, 'payload-too-large', `${m.payload.length} bytes exceeds the limit of ${this.runtime.env.MAX_PAYLOAD_BYTES}`);
      }
      let routed: RoutedMessage;
      try {
        routed = routeMessage(m, this.route);
      } catch (err) {
        // An adapter must never throw; if one does, the message is kept aside, not retried forever.
        return reject(sourceOfTopic(m, this.route), 'invalid-schema', `adapter failed: ${(err as Error).message}`);
      }
      counts.push(() => this.metrics.received.inc({ transport: m.transport, source: routed.source }));
      if (routed.reply) replies.push(routed.reply);
      if (!routed.result.ok) return reject(routed.source, routed.result.rejection.reason, routed.result.rejection.detail);
      if (routed.telemetry) {
        const t = routed.telemetry;
        if (!this.devices.lookup(t.deviceSn)) return reject(routed.source, 'unknown-device', `device "${t.deviceSn}" is not registered`, t.deviceSn);
        telemetry.push({ deviceId: t.deviceSn, at: t.at, lat: t.position.lat, lng: t.position.lng, telemetry: t });
      }
      if (routed.result.events.length === 0) {
        outcomes[index] = { status: 'ignored' };
        return;
      }
      for (const adapted of routed.result.events) {
        const gated = applyDeviceRegister(adapted, this.devices.lookup);
        if (!gated.ok) return reject(routed.source, gated.rejection.reason, gated.rejection.detail, adapted.deviceId);
        if (m.authenticatedDeviceId !== undefined && gated.event.deviceId !== m.authenticatedDeviceId) {
          return reject(routed.source, 'topic-mismatch', `device "${m.authenticatedDeviceId}" may not report for device "${gated.event.deviceId}"`, m.authenticatedDeviceId);
        }
        if (!this.rateLimiter.take(gated.event.deviceId, gated.event.occurredAt.getTime())) {
          return reject(routed.source, 'rate-limited', `device "${gated.event.deviceId}" reported more than ${this.runtime.env.DEVICE_EVENTS_PER_SECOND} events per second of its own time`, gated.event.deviceId);
        }
        events.push(gated.event);
        eventMessage.push(index);
      }
    });

    const stored = await this.repository
      .transaction(async (tx) => {
        await turn.previousInserted;
        const inserted = await this.repository.insertEvents(tx, events);
        turn.inserted();
        await turn.previousDone;
        const fresh = [...inserted.entries()].map(([i, id]) => ({ event: events[i], id }));
        const { caseRows } = await this.classifyAndGroup(tx, fresh);
        const cases = await this.repository.upsertCases(tx, caseRows);
        await this.repository.insertDeadLetters(tx, deadLetters);
        await this.state.saveTelemetry(tx, telemetry);
        await this.repository.notifyAlerts(
          tx,
          cases.map((c) => ({ caseId: c.caseId, opened: c.opened, growth: !c.opened }) satisfies AlertNotification),
        );
        return { inserted, cases, caseRows };
      })
      .catch((err: unknown) => {
        this.metrics.batchFailures.inc({ transport });
        throw err;
      });

    for (const count of counts) count();
    events.forEach((e, i) => {
      const id = stored.inserted.get(i);
      const msg = eventMessage[i];
      if (id !== undefined) {
        this.metrics.stored.inc({ source: e.source, device: e.deviceId });
        const prev = outcomes[msg];
        outcomes[msg] = { status: 'stored', eventIds: [...(prev?.status === 'stored' ? prev.eventIds : []), id] };
      } else {
        this.metrics.duplicates.inc({ source: e.source, device: e.deviceId });
        outcomes[msg] ??= { status: 'duplicate' };
      }
    });
    const categoryOf = new Map(stored.caseRows.map((r) => [r.identityKey, r.categoryCode]));
    for (const c of stored.cases) if (c.opened) this.metrics.casesOpened.inc({ category: categoryOf.get(c.identityKey) ?? 'unknown' });
    for (const r of stored.caseRows) this.metrics.occurrences.inc({ category: r.categoryCode }, r.events.length);
    timer();
    return { outcomes, replies };
  }

  /**
   * Classifies the events stored for the first time, with their tracks locked so concurrent workers
   * never race on one object, and stores the state classification changed.
   */
  private async classifyAndGroup(tx: EntityManager, fresh: { event: CanonicalEvent; id: string }[]): Promise<{ caseRows: CaseUpsertRow[] }> {
    if (fresh.length === 0) return { caseRows: [] };
    const { jurisdiction, routing } = this.runtime.district;
    const ruleSet = this.rules.ruleSet;
    const events = fresh.map((f) => f.event);
    const idOf = new Map(fresh.map((f) => [f.event, f.id]));
    const stored = await this.state.lockTracks(tx, trackKeysFor(events, ruleSet));
    const tracks = new Map<string, TrackState>();
    for (const [key, json] of stored) {
      const t = parseTrackState(json);
      if (t) tracks.set(key, t);
    }
    let from = events[0].occurredAt;
    let to = events[0].occurredAt;
    for (const e of events) {
      if (e.occurredAt < from) from = e.occurredAt;
      if (e.occurredAt > to) to = e.occurredAt;
    }
    const activeInhibitors = await this.state.activeInhibitors(tx, from, to);
    const history = historyFromLastCaseTimes(await this.state.lastCaseTimes(tx, doNotDisturbPlaceIds(ruleSet, jurisdiction)));
    const result = classifyBatch(events, {
      ruleSet,
      jurisdiction,
      routing,
      zoneToPlace: this.devices.zoneToPlace,
      tracks,
      activeInhibitors,
      doNotDisturbHistory: history,
    });
    await this.state.saveTracks(tx, result.tracks);
    await this.state.saveInhibitors(tx, result.inhibitors);

    const suppressions = new Map<string, { key: string; suppression: Suppression; count: number; eventId: string }>();
    const byIdentity = new Map<string, CaseUpsertRow>();
    for (const r of result.results) {
      const eventId = idOf.get(r.event) as string;
      for (const s of r.suppressed) {
        const key = suppressionKeyOf(s);
        const row = suppressions.get(key);
        if (row) {
          row.count++;
          row.suppression = s;
          row.eventId = eventId;
        } else suppressions.set(key, { key, suppression: s, count: 1, eventId });
      }
      for (const issue of r.issues) {
        const row = byIdentity.get(issue.identityKey);
        if (row) {
          row.events.push({ id: eventId, occurredAt: issue.occurredAt });
          if (issue.occurredAt >= row.lastSeenAt) {
            row.lastSeenAt = issue.occurredAt;
            row.latestEventId = eventId;
          }
          if (issue.occurredAt < row.firstSeenAt) row.firstSeenAt = issue.occurredAt;
        } else byIdentity.set(issue.identityKey, caseRowOf(issue, eventId));
      }
    }
    await this.state.saveSuppressions(tx, [...suppressions.values()]);
    return { caseRows: [...byIdentity.values()] };
  }
}

function caseRowOf(issue: DetectedIssue, eventId: string): CaseUpsertRow {
  return {
    identityKey: issue.identityKey,
    identity: issue.identity,
    categoryCode: issue.categoryCode,
    severity: issue.severity,
    townshipCode: issue.townshipCode,
    gridCode: issue.gridCode,
    placeId: issue.placeId,
    handlingUnit: issue.handlingUnit,
    heldReason: issue.heldReason,
    officer: issue.officer,
    deviceId: issue.deviceId,
    lat: issue.location?.lat,
    lng: issue.location?.lng,
    firstSeenAt: issue.occurredAt,
    lastSeenAt: issue.occurredAt,
    latestEventId: eventId,
    ruleId: issue.ruleId,
    ruleVersion: issue.ruleVersion,
    explanation: { ...issue.explanation, routing: issue.routing },
    events: [{ id: eventId, occurredAt: issue.occurredAt }],
  };
}
