import { Inject, Injectable } from '@nestjs/common';
import { applyDeviceRegister, CanonicalEvent, classify, DetectedIssue } from '@app/domain';
import { CaseUpsertRow, DeadLetterRow, IngestRepository } from '@app/persistence';
import type { InboundMessage } from '@app/messaging';
import { DeviceRegisterService } from '../devices/device-register.service';
import { MetricsService } from '../observability/metrics.service';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { routeMessage } from './source-router';

export type IngestOutcome =
  | { status: 'stored'; eventIds: string[] }
  | { status: 'duplicate' }
  /** Understood, but carries nothing to store (a heartbeat, a message type we only acknowledge). */
  | { status: 'ignored' }
  | { status: 'rejected'; reason: string; detail: string };

/** Why an alert was raised; the API turns these into live alerts after the transaction commits. */
export interface AlertNotification {
  caseId: string;
  opened: boolean;
}

/**
 * transport → adapter → classify → group → store → alert, for a whole batch at once:
 * one transaction stores new events, opens or grows cases, keeps rejects as dead letters and queues
 * the alerts. The transport acknowledges only after this resolves.
 */
@Injectable()
export class IngestService {
  constructor(
    private readonly repository: IngestRepository,
    private readonly devices: DeviceRegisterService,
    private readonly metrics: MetricsService,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
  ) {}

  async ingestBatch(batch: InboundMessage[]): Promise<IngestOutcome[]> {
    const timer = this.metrics.batchSeconds.startTimer({ transport: batch[0]?.transport ?? 'none' });
    await this.devices.refreshIfStale();
    const outcomes: IngestOutcome[] = new Array<IngestOutcome>(batch.length);
    const events: CanonicalEvent[] = [];
    const eventMessage: number[] = [];
    const deadLetters: DeadLetterRow[] = [];

    batch.forEach((m, index) => {
      const reject = (source: string, reason: string, detail: string, deviceId?: string) => {
        outcomes[index] = { status: 'rejected', reason, detail };
        deadLetters.push({ transport: m.transport, source, topic: m.topic, reason, detail, deviceId, payload: m.payload });
        this.metrics.rejected.inc({ transport: m.transport, source, reason });
      };
      if (m.payload.length > this.runtime.env.MAX_PAYLOAD_BYTES) {
        this.metrics.received.inc({ transport: m.transport, source: 'unknown' });
        // Keep a bounded prefix: the reason matters, the bulk does not.
        return reject('unknown', 'payload-too-large', `${m.payload.length} bytes exceeds MAX_PAYLOAD_BYTES ${this.runtime.env.MAX_PAYLOAD_BYTES}`);
      }
      const routed = routeMessage(m, this.runtime.env.KAFKA_TOPIC_PREFIX);
      this.metrics.received.inc({ transport: m.transport, source: routed.source });
      if (!routed.result.ok) return reject(routed.source, routed.result.rejection.reason, routed.result.rejection.detail);
      if (routed.result.events.length === 0) {
        outcomes[index] = { status: 'ignored' };
        return;
      }
      for (const adapted of routed.result.events) {
        const gated = applyDeviceRegister(adapted, this.devices.lookup);
        if (!gated.ok) return reject(routed.source, gated.rejection.reason, gated.rejection.detail, adapted.deviceId);
        events.push(gated.event);
        eventMessage.push(index);
      }
    });

    const stored = await this.repository
      .transaction(async (tx) => {
        const inserted = await this.repository.insertEvents(tx, events);
        const caseRows = this.groupIntoCases(events, inserted);
        const cases = await this.repository.upsertCases(tx, caseRows);
        // Dead letters for payloads that would otherwise exceed a sane row size keep only a prefix.
        await this.repository.insertDeadLetters(
          tx,
          deadLetters.map((d) => (d.payload.length > 1024 * 1024 ? { ...d, payload: d.payload.subarray(0, 64 * 1024) } : d)),
        );
        await this.repository.notifyAlerts(
          tx,
          cases.map((c) => ({ caseId: c.caseId, opened: c.opened }) satisfies AlertNotification),
        );
        return { inserted, cases, caseRows };
      })
      .catch((err: unknown) => {
        this.metrics.batchFailures.inc({ transport: batch[0]?.transport ?? 'none' });
        throw err;
      });

    events.forEach((e, i) => {
      const id = stored.inserted.get(i);
      const msg = eventMessage[i];
      if (id !== undefined) {
        this.metrics.stored.inc({ source: e.source, device: e.deviceId });
        const prev = outcomes[msg];
        outcomes[msg] = { status: 'stored', eventIds: [...(prev?.status === 'stored' ? prev.eventIds : []), id] };
      } else {
        this.metrics.duplicates.inc({ source: e.source, device: e.deviceId });
        if (!outcomes[msg]) outcomes[msg] = { status: 'duplicate' };
      }
    });
    const categoryOf = new Map(stored.caseRows.map((r) => [r.identityKey, r.categoryCode]));
    for (const c of stored.cases) {
      const category = categoryOf.get(c.identityKey) ?? 'unknown';
      if (c.opened) this.metrics.casesOpened.inc({ category });
    }
    for (const r of stored.caseRows) this.metrics.occurrences.inc({ category: r.categoryCode }, r.events.length);
    timer();
    return outcomes;
  }

  /** Only events stored for the first time count: a redelivered event never adds an occurrence. */
  private groupIntoCases(events: CanonicalEvent[], inserted: Map<number, string>): CaseUpsertRow[] {
    const byIdentity = new Map<string, CaseUpsertRow>();
    const severityOf = new Map(this.runtime.district.ruleSet.categories.map((c) => [c.code, c.severity]));
    for (const [index, eventId] of inserted) {
      const event = events[index];
      for (const issue of classify(event, this.runtime.district.ruleSet)) {
        const row = byIdentity.get(issue.identityKey);
        if (row) {
          row.events.push({ id: eventId, occurredAt: event.occurredAt });
          if (event.occurredAt >= row.lastSeenAt) {
            row.lastSeenAt = event.occurredAt;
            row.latestEventId = eventId;
          }
          if (event.occurredAt < row.firstSeenAt) row.firstSeenAt = event.occurredAt;
        } else {
          byIdentity.set(issue.identityKey, this.newCaseRow(issue, event, eventId, severityOf.get(issue.categoryCode) ?? 'medium'));
        }
      }
    }
    return [...byIdentity.values()];
  }

  private newCaseRow(issue: DetectedIssue, event: CanonicalEvent, eventId: string, severity: string): CaseUpsertRow {
    return {
      identityKey: issue.identityKey,
      identity: issue.identity,
      categoryCode: issue.categoryCode,
      severity,
      deviceId: event.deviceId,
      lat: event.location?.lat,
      lng: event.location?.lng,
      firstSeenAt: event.occurredAt,
      lastSeenAt: event.occurredAt,
      latestEventId: eventId,
      ruleId: issue.ruleId,
      ruleVersion: issue.ruleVersion,
      explanation: issue.explanation,
      events: [{ id: eventId, occurredAt: event.occurredAt }],
    };
  }
}
