import { ConflictException, Inject, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { type Actor, computeDueAt, type DocumentLanguage, caseRefKind } from '@app/domain';
import {
  noticeContentSha256,
  type NoticeContent,
  noticeDocument,
  type NoticeDeliveryState,
  noticeNumberOf,
  type NoticePicture,
  noticePictures,
  noticeText,
  noticeVerification,
  partyLookupUrl,
} from '@app/domain/cases/case-notice';
import { AuditLogRepository, CaseFileRepository, CaseLoopRepository, type DeliveryRow, type LoopCaseRow, type NoticeRow } from '@app/persistence';
import type { EntityManager } from 'typeorm';
import { canSee } from '../case-loop/case-loop.service';
import { Clock } from '../case-loop/clock';
import { DistrictDirectory } from '../case-loop/district-directory';
import { EvidenceService } from '../case-loop/evidence.service';
import { LOGGER, type Logger } from '../observability/logger';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { CaseFilePrinter } from './case-file.printer';
import { PartyNotifier, noticeRetryDelayMs, type NoticeMessage } from './party-notifier';

/** How staff delivered a notice themselves; `notifier` asks the outbound notifier to send it. */
export const DELIVERY_METHODS = ['in-person', 'post', 'electronic', 'notifier'] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];

export interface DeliveryRequest {
  method: DeliveryMethod;
  /** notifier: where to reach the party (phone, account); defaults to the plate for a vehicle case. */
  recipient?: string;
  note?: string;
  /** When a hand or post delivery happened (default now); never in the future. */
  deliveredAt?: string;
}

export interface DeliveryView {
  id: string;
  method: string;
  recipient: string | null;
  note: string | null;
  requestedBy: string;
  requestedAt: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  deliveredAt: string | null;
  auditSeq: number | null;
}

export interface NoticeView {
  caseId: string;
  caseNumber: string;
  noticeNumber: string;
  producedAt: string;
  producedBy: string;
  contentSha256: string;
  auditSeq: number;
  deliveredAt: string | null;
  statementDueAt: string | null;
  statementLimit: { amount: number; unit: string; basis?: string };
  legalBasis: string | null;
  lookupUrl: string;
  text: string;
  deliveries: DeliveryView[];
  notifier: { enabled: boolean };
}

const DELIVERIES_PER_RUN = 20;

/**
 * The party's notice (告知书): produced inside the transaction that registers a case for enforcement (a person
 * reviewed it and found the evidence usable for a penalty), rendered as a letter for staff, delivered by hand,
 * by post or through the outbound notifier (retried with back-off), each delivery kept in the case and the
 * audit chain. The first delivery starts the party's statement window, counted in working days.
 */
@Injectable()
export class CaseNoticeService {
  constructor(
    private readonly files: CaseFileRepository,
    private readonly loop: CaseLoopRepository,
    private readonly audit: AuditLogRepository,
    private readonly evidence: EvidenceService,
    private readonly directory: DistrictDirectory,
    private readonly printer: CaseFilePrinter,
    private readonly notifier: PartyNotifier,
    private readonly clock: Clock,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get publicBaseUrl(): string {
    return this.runtime.env.PUBLIC_BASE_URL ?? `http://localhost:${this.runtime.env.PORT}`;
  }

  /**
   * In the registering transaction: fixes the notice's content, seals its hash in the audit chain and, when the
   * notifier is on and the case has a plate to address it by, queues its sending. A case keeps its first notice.
   */
  async produce(tx: EntityManager, row: LoopCaseRow, partyCode: string | null, actorId: string, now: Date): Promise<void> {
    if (await this.files.hasNotice(tx, row.id)) return;
    const verification = noticeVerification(row.identity, partyCode);
    if (!verification) {
      this.logger.warn({ caseId: row.id }, 'no notice: the case has neither a plate nor a party code');
      return;
    }
    const content = await this.contentOf(row, verification, now);
    const contentSha256 = noticeContentSha256(content);
    const { seq } = await this.audit.append(tx, {
      at: now,
      actorId,
      actorRole: null,
      action: 'case.notice-produced',
      caseId: row.id,
      data: { caseNumber: row.caseNumber, noticeNumber: content.noticeNumber, contentSha256 },
    });
    await this.files.insertNotice(tx, {
      caseId: row.id,
      noticeNumber: content.noticeNumber,
      producedAt: now,
      producedBy: actorId,
      content: content as unknown as Record<string, unknown>,
      contentSha256,
      auditSeq: seq,
    });
    if (this.notifier.enabled && verification.method === 'plate') {
      await this.files.insertDelivery(tx, this.pendingDelivery(row.id, 'system', null, null, now));
    }
  }

  async noticeOf(actor: Actor, caseId: string): Promise<NoticeView> {
    const row = await this.visibleCase(actor, caseId);
    const { notice, deliveries } = await this.files.noticeWithDeliveries(row.id);
    if (!notice) throw noNotice(row);
    return this.view(row, notice, deliveries);
  }

  async noticePdf(actor: Actor, caseId: string, language: DocumentLanguage): Promise<{ pdf: Buffer; fileName: string }> {
    const row = await this.visibleCase(actor, caseId);
    const notice = await this.requireNotice(row);
    const content = notice.content as unknown as NoticeContent;
    const pdf = await this.printer.print(row.id, noticeDocument(content, deliveryState(notice), language));
    await this.audit.appendAlone({
      at: this.clock.now(),
      actorId: actor.id,
      actorRole: actor.role,
      action: 'case.notice-printed',
      caseId: row.id,
      data: { caseNumber: row.caseNumber, noticeNumber: notice.noticeNumber, language },
    });
    return { pdf, fileName: `${notice.noticeNumber}.pdf` };
  }

  /** Records a hand, post or electronic delivery as done, or queues the notifier's; either way the case keeps it. */
  async deliver(actor: Actor, caseId: string, body: DeliveryRequest): Promise<{ delivery: DeliveryView; notice: NoticeView }> {
    const row = await this.visibleCase(actor, caseId);
    const now = this.clock.now();
    await this.files.transaction(async (tx) => {
      await this.loop.lockCase(tx, row.id);
      const notice = await this.files.noticeOf(row.id, tx);
      if (!notice) throw noNotice(row);
      if (body.method === 'notifier') {
        if (!this.notifier.enabled) throw new ConflictException('No outbound notifier is configured (NOTIFY_HTTP_URL): deliver the notice by hand or post.');
        const plate = row.identity.plate ?? null;
        if (!body.recipient && !plate)
          throw new UnprocessableEntityException('Name the recipient (a phone number or account): this case has no plate to address.');
        await this.files.insertDelivery(tx, this.pendingDelivery(row.id, actor.id, body.recipient ?? null, body.note ?? null, now));
        return;
      }
      const at = body.deliveredAt ? new Date(body.deliveredAt) : now;
      if (at.getTime() > now.getTime() + 60_000) throw new UnprocessableEntityException('deliveredAt is in the future.');
      if (at.getTime() < notice.producedAt.getTime()) throw new UnprocessableEntityException('deliveredAt is before the notice was produced.');
      const id = await this.files.insertDelivery(tx, {
        caseId: row.id,
        method: body.method,
        recipient: body.recipient ?? null,
        note: body.note ?? null,
        requestedBy: actor.id,
        requestedAt: now,
        status: 'delivered',
        attempts: 1,
        nextAttemptAt: null,
        lastError: null,
        deliveredAt: at,
        auditSeq: null,
      });
      const auditSeq = await this.recordDelivered(tx, row, notice, { id, method: body.method, at, by: actor });
      await this.files.updateDelivery(tx, id, { status: 'delivered', attempts: 1, nextAttemptAt: null, lastError: null, deliveredAt: at, auditSeq });
    });
    const notice = await this.noticeOf(actor, row.id);
    return { delivery: notice.deliveries[notice.deliveries.length - 1], notice };
  }

  /**
   * The notifier's job (worker processes): sends each due delivery, then records the outcome in the same
   * transaction that claimed it — delivered (audit entry, statement window), retried later with back-off, or
   * failed after NOTIFY_MAX_ATTEMPTS or a refusal a retry will not change.
   */
  async deliverDue(): Promise<number> {
    if (!this.notifier.enabled) return 0;
    let attempted = 0;
    // One delivery per transaction: the audit chain's lock is taken after the send, never held across another one.
    while (attempted < DELIVERIES_PER_RUN) {
      const claimed = await this.files.transaction(async (tx) => {
        const [d] = await this.files.claimDueDeliveries(tx, this.clock.now(), 1);
        if (d) await this.attempt(tx, d);
        return d !== undefined;
      });
      if (!claimed) break;
      attempted++;
    }
    return attempted;
  }

  private async attempt(tx: EntityManager, d: DeliveryRow): Promise<void> {
    const { NOTIFY_RETRY_BASE_MS: baseMs, NOTIFY_MAX_ATTEMPTS: maxAttempts } = this.runtime.env;
    const row = await this.loop.findCase(d.caseId);
    const notice = await this.files.noticeOf(d.caseId, tx);
    if (!row || !notice) return;
    const outcome = await this.notifier.send(this.message(d, row, notice));
    const attempts = d.attempts + 1;
    const now = this.clock.now();
    if (outcome.ok) {
      const auditSeq = await this.recordDelivered(tx, row, notice, { id: d.id, method: `notifier (${this.notifier.channel})`, at: now, by: null, attempts });
      await this.files.updateDelivery(tx, d.id, { status: 'delivered', attempts, nextAttemptAt: null, lastError: null, deliveredAt: now, auditSeq });
      this.logger.info({ caseId: d.caseId, delivery: d.id, attempts }, 'notice delivered through the notifier');
    } else if (outcome.retry && attempts < maxAttempts) {
      const next = new Date(now.getTime() + noticeRetryDelayMs(attempts, baseMs));
      await this.files.updateDelivery(tx, d.id, {
        status: 'pending',
        attempts,
        nextAttemptAt: next,
        lastError: outcome.error,
        deliveredAt: null,
        auditSeq: null,
      });
      this.logger.warn({ caseId: d.caseId, delivery: d.id, attempts, error: outcome.error, next }, 'notice not delivered; will retry');
    } else {
      const { seq } = await this.audit.append(tx, {
        at: now,
        actorId: null,
        actorRole: 'system',
        action: 'case.notice-delivery-failed',
        caseId: d.caseId,
        data: { caseNumber: row.caseNumber, noticeNumber: notice.noticeNumber, delivery: d.id, attempts, error: outcome.error },
      });
      await this.files.updateDelivery(tx, d.id, {
        status: 'failed',
        attempts,
        nextAttemptAt: null,
        lastError: outcome.error,
        deliveredAt: null,
        auditSeq: seq,
      });
      this.logger.warn({ caseId: d.caseId, delivery: d.id, attempts, error: outcome.error }, 'notice delivery failed for good');
    }
  }

  private async recordDelivered(
    tx: EntityManager,
    row: LoopCaseRow,
    notice: NoticeRow,
    d: { id: string; method: string; at: Date; by: Actor | null; attempts?: number },
  ): Promise<number> {
    const content = notice.content as unknown as NoticeContent;
    // The window runs from the first delivery; a second delivery (a copy by post) does not extend it.
    const statementDueAt = notice.deliveredAt ? notice.statementDueAt : computeDueAt(d.at, content.statementLimit, this.runtime.district.calendar);
    const { seq } = await this.audit.append(tx, {
      at: this.clock.now(),
      actorId: d.by?.id ?? null,
      actorRole: d.by?.role ?? 'system',
      action: 'case.notice-delivered',
      caseId: row.id,
      data: {
        caseNumber: row.caseNumber,
        noticeNumber: notice.noticeNumber,
        contentSha256: notice.contentSha256,
        delivery: { id: d.id, method: d.method, at: d.at.toISOString(), ...(d.attempts ? { attempts: d.attempts } : {}) },
        statementDueAt: statementDueAt?.toISOString() ?? null,
      },
    });
    if (!notice.deliveredAt && statementDueAt) await this.files.markNoticeDelivered(tx, row.id, d.at, statementDueAt);
    await this.loop.notifyAlert(tx, { caseId: row.id, opened: false });
    return seq;
  }

  private message(d: DeliveryRow, row: LoopCaseRow, notice: NoticeRow): NoticeMessage {
    const content = notice.content as unknown as NoticeContent;
    return {
      schema: 'cloudpatrol.party-notice.v1',
      deliveryId: d.id,
      caseNumber: row.caseNumber,
      noticeNumber: notice.noticeNumber,
      recipient: { contact: d.recipient, plate: row.identity.plate ?? null },
      text: noticeText(content, deliveryState(notice)),
      link: content.lookupUrl,
      language: 'zh',
    };
  }

  private pendingDelivery(caseId: string, by: string, recipient: string | null, note: string | null, now: Date): Omit<DeliveryRow, 'id'> {
    return {
      caseId,
      method: 'notifier',
      recipient,
      note,
      requestedBy: by,
      requestedAt: now,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lastError: null,
      deliveredAt: null,
      auditSeq: null,
    };
  }

  private async contentOf(row: LoopCaseRow, verification: NoticeContent['verification'], now: Date): Promise<NoticeContent> {
    const [view, events] = await Promise.all([this.evidence.viewOf(row), this.loop.caseEvents(row.id, 50)]);
    const deviceNames = new Map(events.map((e) => [e.deviceId, e.deviceName ?? e.deviceId]));
    const published = events.find((e) => e.deviceLocationPublished && e.deviceAddress);
    const pictures: NoticePicture[] = view.items
      .filter((i) => i.kind === 'image' && i.status === 'present' && i.sha256 && i.capturedAt)
      .map((i) => ({
        sha256: i.sha256 as string,
        capturedAt: i.capturedAt as string,
        device: i.deviceId ? (deviceNames.get(i.deviceId) ?? i.deviceId) : null,
        role: i.role ?? 'occurrence',
      }));
    const category = this.directory.categories.get(row.categoryCode);
    const calendar = this.runtime.district.calendar;
    const limit = this.runtime.district.deadlines.party.statement;
    const noticeNumber = noticeNumberOf(row.caseNumber);
    return {
      noticeNumber,
      caseNumber: row.caseNumber,
      producedAt: now.toISOString(),
      issuer: this.directory.unitName(row.handlingUnit) ?? this.directory.townshipName(row.townshipCode) ?? row.caseNumber,
      category: { code: row.categoryCode, name: category?.name ?? row.categoryCode, nameZh: category?.nameZh ?? row.categoryCode },
      legalBasis: category?.legalBasis ?? null,
      seen: { firstSeenAt: row.firstSeenAt.toISOString(), lastSeenAt: row.lastSeenAt.toISOString(), occurrences: row.occurrenceCount },
      place: {
        township: this.directory.townshipName(row.townshipCode),
        place: row.placeId ? (this.directory.places.get(row.placeId)?.name ?? null) : null,
        deviceAddress: published?.deviceAddress ?? null,
        lat: row.lat,
        lng: row.lng,
      },
      pictures: noticePictures(pictures),
      verification,
      statementLimit: { amount: limit.amount, unit: limit.unit, ...(limit.basis ? { basis: limit.basis } : {}) },
      lookupAddress: `${this.publicBaseUrl.replace(/\/+$/, '')}/party.html`,
      lookupUrl: partyLookupUrl(this.publicBaseUrl, row.caseNumber, verification.method === 'code' ? verification.code : undefined),
      utcOffsetMinutes: calendar.utcOffsetMinutes,
    };
  }

  private view(row: LoopCaseRow, notice: NoticeRow, deliveries: DeliveryRow[]): NoticeView {
    const content = notice.content as unknown as NoticeContent;
    return {
      caseId: row.id,
      caseNumber: row.caseNumber,
      noticeNumber: notice.noticeNumber,
      producedAt: notice.producedAt.toISOString(),
      producedBy: notice.producedBy,
      contentSha256: notice.contentSha256,
      auditSeq: notice.auditSeq,
      deliveredAt: notice.deliveredAt?.toISOString() ?? null,
      statementDueAt: notice.statementDueAt?.toISOString() ?? null,
      statementLimit: content.statementLimit,
      legalBasis: content.legalBasis,
      lookupUrl: content.lookupUrl,
      text: noticeText(content, deliveryState(notice)),
      deliveries: deliveries.map(deliveryView),
      notifier: { enabled: this.notifier.enabled },
    };
  }

  private async requireNotice(row: LoopCaseRow): Promise<NoticeRow> {
    const notice = await this.files.noticeOf(row.id);
    if (!notice) throw noNotice(row);
    return notice;
  }

  private async visibleCase(actor: Actor, caseId: string): Promise<LoopCaseRow> {
    const kind = caseRefKind(caseId);
    const row = kind === 'id' ? await this.loop.findCase(caseId) : kind === 'number' ? await this.loop.findCaseByNumber(caseId) : null;
    if (!row || !canSee(actor, row)) throw new NotFoundException(`case ${caseId} not found`);
    return row;
  }
}

function deliveryState(notice: NoticeRow): NoticeDeliveryState {
  return { deliveredAt: notice.deliveredAt, statementDueAt: notice.statementDueAt };
}

function noNotice(row: LoopCaseRow): NotFoundException {
  return new NotFoundException(
    `Case ${row.caseNumber} has no notice: a notice is produced when a person registers the case with evidence usable for a penalty.`,
  );
}

function deliveryView(d: DeliveryRow): DeliveryView {
  return {
    id: d.id,
    method: d.method,
    recipient: d.recipient,
    note: d.note,
    requestedBy: d.requestedBy,
    requestedAt: d.requestedAt.toISOString(),
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    lastError: d.lastError,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    auditSeq: d.auditSeq,
  };
}
