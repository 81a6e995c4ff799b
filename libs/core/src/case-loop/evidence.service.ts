import { Inject, Injectable } from '@nestjs/common';
import { AuditLogRepository, EvidenceItemRow, EvidenceRepository, UnsealedEventRow } from '@app/persistence';
import type { EntityManager } from 'typeorm';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import type { EvidenceRef } from './evidence-ref';
import { MediaStore } from './media-store';

/** Items hashed and ready, waiting for the audit entry that seals them (its seq goes into each row). */
export interface PendingEvidence {
  refs: EvidenceRef[];
  items: Omit<EvidenceItemRow, 'auditSeq'>[];
}

/**
 * Evidence with its SHA-256, sealed into the audit chain: every stored event's raw payload (hashed by the
 * database from the stored text), the media files events name when they are under DATA_DIR/media, and
 * the after-photos a unit reports back. Sealing happens when a case is opened or reviewed (inside that
 * transaction) and, for every other event, in the worker's background sealer.
 */
@Injectable()
export class EvidenceService {
  readonly media: MediaStore;

  constructor(
    private readonly evidence: EvidenceRepository,
    private readonly audit: AuditLogRepository,
    @Inject(RUNTIME_OPTIONS) runtime: RuntimeOptions,
  ) {
    this.media = new MediaStore(runtime.env.DATA_DIR);
  }

  /**
   * All evidence of a case's events: what was sealed before plus its not yet sealed events, hashed now.
   * Takes the chain lock first, so no other sealer can take the same events.
   */
  async caseEvidence(tx: EntityManager, caseId: string, at: Date): Promise<PendingEvidence> {
    await this.audit.lockChain(tx);
    const sealed = await this.evidence.sealedItemsOfCase(tx, caseId);
    const fresh = await this.itemsForEvents(await this.evidence.unsealedEventsOfCase(tx, caseId), at);
    return { refs: [...sealed.map(refOf), ...fresh.map(refOf)], items: fresh };
  }

  /** Report-back photos: hashed when the file is under DATA_DIR/media, kept as given otherwise. */
  async photoEvidence(caseId: string, seq: number, photos: readonly string[], at: Date): Promise<PendingEvidence> {
    const items: PendingEvidence['items'] = [];
    for (const [n, uri] of photos.entries()) {
      const place = this.media.classify(uri);
      const hashed = place.kind === 'local' ? await this.media.hash(place.file) : null;
      items.push({
        itemKey: `case:${caseId}:t${seq}:photo:${n}`,
        kind: 'after-photo',
        eventId: null,
        caseId,
        deviceId: null,
        uri,
        sha256: hashed?.sha256 ?? null,
        bytes: hashed?.bytes ?? null,
        local: hashed !== null,
        usableAsPenaltyEvidence: null,
        sealedAt: at,
      });
    }
    return { refs: items.map(refOf), items };
  }

  async commit(tx: EntityManager, pending: PendingEvidence, auditSeq: number): Promise<void> {
    await this.evidence.insertItems(
      tx,
      pending.items.map((i) => ({ ...i, auditSeq })),
    );
  }

  /**
   * The background sealer: one audit entry per batch of newly stored events. Returns how many it took off the
   * queue (some may have been sealed with their case already), so the caller knows whether more are waiting.
   */
  async sealPending(at: Date, limit = 200): Promise<number> {
    return this.evidence.transaction(async (tx) => {
      await this.audit.lockChain(tx);
      const { taken, rows } = await this.evidence.takeUnsealedEvents(tx, limit);
      if (rows.length === 0) return taken;
      const items = await this.itemsForEvents(rows, at);
      const { seq } = await this.audit.append(tx, {
        at,
        actorId: null,
        actorRole: 'system',
        action: 'evidence.sealed',
        caseId: null,
        data: { events: rows.length, evidence: items.map(refOf) },
      });
      await this.evidence.insertItems(
        tx,
        items.map((i) => ({ ...i, auditSeq: seq })),
      );
      return taken;
    });
  }

  private async itemsForEvents(rows: UnsealedEventRow[], at: Date): Promise<PendingEvidence['items']> {
    const items: PendingEvidence['items'] = [];
    for (const e of rows) {
      items.push({
        itemKey: `event:${e.eventId}`,
        kind: 'event',
        eventId: e.eventId,
        caseId: null,
        deviceId: e.deviceId,
        uri: null,
        sha256: e.sha256,
        bytes: null,
        local: false,
        usableAsPenaltyEvidence: e.deviceReviewed,
        sealedAt: at,
      });
      for (const [n, m] of (Array.isArray(e.media) ? e.media : []).entries()) {
        const place = typeof m?.uri === 'string' ? this.media.classify(m.uri) : null;
        const hashed = place?.kind === 'local' ? await this.media.hash(place.file) : null;
        items.push({
          itemKey: `event:${e.eventId}:media:${n}`,
          kind: 'media',
          eventId: e.eventId,
          caseId: null,
          deviceId: e.deviceId,
          uri: typeof m?.uri === 'string' ? m.uri : null,
          // Our own hash of the bytes when we have them; otherwise what the source said, if anything.
          sha256: hashed?.sha256 ?? (typeof m?.sha256 === 'string' ? m.sha256 : null),
          bytes: hashed?.bytes ?? null,
          local: hashed !== null,
          usableAsPenaltyEvidence: e.deviceReviewed,
          sealedAt: at,
        });
      }
    }
    return items;
  }

  itemsOfCase(caseId: string): Promise<EvidenceItemRow[]> {
    return this.evidence.itemsOfCase(caseId);
  }
}

function refOf(i: Pick<EvidenceItemRow, 'itemKey' | 'kind' | 'eventId' | 'uri' | 'sha256' | 'local'>): EvidenceRef {
  return {
    key: i.itemKey,
    kind: i.kind,
    ...(i.eventId !== null ? { eventId: i.eventId } : {}),
    ...(i.uri !== null ? { uri: i.uri } : {}),
    sha256: i.sha256,
    ...(i.local ? { local: true } : {}),
  };
}
