import { Inject, Injectable } from '@nestjs/common';
import { type CanonicalEvent, isPictureMedia, type MediaRef } from '@app/domain';
import { AuditLogRepository, EvidenceItemRow, EvidenceRepository, PictureRepository, UnsealedEventRow, type UnsealedPictureRow } from '@app/persistence';
import { stat } from 'node:fs/promises';
import type { EntityManager } from 'typeorm';
import { contentTypeOf, PHOTO_STORE_DIR, PictureStore } from '../pictures/picture-store';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import type { EvidenceRef } from './evidence-ref';
import { buildEvidenceView, type CaseEvidenceView } from './evidence-view';
import { MediaStore, mediaDirOf } from './media-store';

/** Items hashed and ready, waiting for the audit entry that seals them (its seq goes into each row). */
export interface PendingEvidence {
  refs: EvidenceRef[];
  items: Omit<EvidenceItemRow, 'auditSeq'>[];
  /** event_pictures rows these items seal (marked sealed with them). */
  pictureIds?: string[];
}

/**
 * Evidence with its SHA-256, sealed into the audit chain: every stored event's raw payload (hashed by the
 * database from the stored text), every picture of an event once its bytes are stored (camera pictures and drone
 * photos alike, as local files audit verify hashes again), other media files events name when they are under
 * the media root, and the after-photos a unit reports back. Sealing happens when a case is opened or reviewed (inside that
 * transaction) and, for every other event, in the worker's background sealer.
 */
@Injectable()
export class EvidenceService {
  readonly media: MediaStore;

  constructor(
    private readonly evidence: EvidenceRepository,
    private readonly audit: AuditLogRepository,
    private readonly pictures: PictureRepository,
    private readonly pictureStore: PictureStore,
    @Inject(RUNTIME_OPTIONS) runtime: RuntimeOptions,
  ) {
    this.media = new MediaStore(mediaDirOf(runtime.env));
  }

  /**
   * All evidence of a case's events: what was sealed before plus its not yet sealed events, hashed now.
   * Takes the chain lock first, so no other sealer can take the same events.
   */
  async caseEvidence(tx: EntityManager, caseId: string, at: Date): Promise<PendingEvidence> {
    await this.audit.lockChain(tx);
    const sealed = await this.evidence.sealedItemsOfCase(tx, caseId);
    const fresh = await this.itemsForEvents(await this.evidence.unsealedEventsOfCase(tx, caseId), at);
    const pictures = await this.pictures.unsealedOfCase(tx, caseId);
    const items = [...fresh, ...pictures.map((p) => pictureItem(p, at))];
    return { refs: [...sealed.map(refOf), ...items.map(refOf)], items, pictureIds: pictures.map((p) => p.id) };
  }

  /**
   * `caseEvidence` for many cases at once (the case intake), in the order given, as if each case's were taken in
   * turn: an event or picture of several of these cases is sealed with the first, and is among what was sealed
   * before for the later ones. Four statements, whatever the number of cases.
   */
  async casesEvidence(tx: EntityManager, caseIds: readonly string[], at: Date): Promise<PendingEvidence[]> {
    await this.audit.lockChain(tx);
    const casesOfEvent = await this.evidence.casesOfEvents(tx, caseIds);
    const sealedBefore = await this.evidence.sealedItemsOfCases(tx, caseIds, casesOfEvent);
    const unsealedEvents = await this.evidence.unsealedEventsOfCases(tx, casesOfEvent);
    const unsealedPictures = await this.pictures.unsealedOfCases(tx, caseIds);
    /** Items sealed by an earlier case of this batch, in the order they will be inserted, by event. */
    const sealedHere = new Map<string, { order: number; item: PendingEvidence['items'][number] }[]>();
    const sealedEvents = new Set<string>();
    const sealedPictures = new Set<string>();
    let order = 0;
    const out: PendingEvidence[] = [];
    for (const caseId of caseIds) {
      const before = sealedBefore.get(caseId) ?? [];
      const events = unsealedEvents.get(caseId) ?? [];
      const pictures = unsealedPictures.get(caseId) ?? [];
      const eventIds = new Set([...before.map((i) => i.eventId), ...events.map((e) => e.eventId), ...pictures.map((p) => p.eventId)]);
      const earlier = [...eventIds]
        .flatMap((id) => (id === null ? [] : (sealedHere.get(id) ?? [])))
        .sort((a, b) => a.order - b.order)
        .map((x) => x.item);
      const freshPictures = pictures.filter((p) => !sealedPictures.has(p.id));
      const items = [
        ...(await this.itemsForEvents(
          events.filter((e) => !sealedEvents.has(e.eventId)),
          at,
        )),
        ...freshPictures.map((p) => pictureItem(p, at)),
      ];
      for (const item of items) {
        if (item.eventId === null) continue;
        const list = sealedHere.get(item.eventId) ?? [];
        list.push({ order: order++, item });
        sealedHere.set(item.eventId, list);
      }
      events.forEach((e) => sealedEvents.add(e.eventId));
      freshPictures.forEach((p) => sealedPictures.add(p.id));
      out.push({ refs: [...before.map(refOf), ...earlier.map(refOf), ...items.map(refOf)], items, pictureIds: freshPictures.map((p) => p.id) });
    }
    return out;
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

  /**
   * Report-back references sorted before anything is recorded: media keys whose file is under the media root
   * (stored; an uploaded report photo is `photos/originals/…`), media keys that name no file (unknown). URLs are
   * neither: they stay references, as given.
   */
  async storedMedia(refs: readonly string[]): Promise<{ stored: string[]; unknown: string[] }> {
    const stored: string[] = [];
    const unknown: string[] = [];
    for (const ref of refs) {
      const place = this.media.classify(ref);
      if (place.kind !== 'local') continue;
      if (await isFile(place.file)) stored.push(ref);
      else unknown.push(ref);
    }
    return { stored, unknown };
  }

  async commit(tx: EntityManager, pending: PendingEvidence, auditSeq: number): Promise<void> {
    await this.evidence.insertItems(
      tx,
      pending.items.map((i) => ({ ...i, auditSeq })),
    );
    await this.pictures.markSealed(tx, pending.pictureIds ?? []);
  }

  /** `commit` for many pending sets, each with the audit entry that seals it, in two statements. */
  async commitMany(tx: EntityManager, sealed: readonly { pending: PendingEvidence; auditSeq: number }[]): Promise<void> {
    await this.evidence.insertItems(
      tx,
      sealed.flatMap(({ pending, auditSeq }) => pending.items.map((i) => ({ ...i, auditSeq }))),
    );
    await this.pictures.markSealed(
      tx,
      sealed.flatMap(({ pending }) => pending.pictureIds ?? []),
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
      // Pictures become present after their event (fetched, uploaded later): sealed when they are.
      const pictures = await this.pictures.takeUnsealed(tx, limit);
      if (rows.length === 0 && pictures.length === 0) return taken;
      const items = [...(await this.itemsForEvents(rows, at)), ...pictures.map((p) => pictureItem(p, at))];
      const { seq } = await this.audit.append(tx, {
        at,
        actorId: null,
        actorRole: 'system',
        action: 'evidence.sealed',
        caseId: null,
        data: { events: rows.length, ...(pictures.length > 0 && { pictures: pictures.length }), evidence: items.map(refOf) },
      });
      await this.evidence.insertItems(
        tx,
        items.map((i) => ({ ...i, auditSeq: seq })),
      );
      await this.pictures.markSealed(
        tx,
        pictures.map((p) => p.id),
      );
      return Math.max(taken, pictures.length);
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
        // A picture is sealed as its own item once its bytes are stored (pictureItem), never as a bare reference.
        if (typeof m?.uri === 'string' && isPictureMedia(eventForPictures(e), m as MediaRef)) continue;
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
          // A reference whose bytes are not here proves nothing by itself.
          usableAsPenaltyEvidence: hashed !== null ? e.deviceReviewed : false,
          sealedAt: at,
        });
      }
    }
    return items;
  }

  itemsOfCase(caseId: string): Promise<EvidenceItemRow[]> {
    return this.evidence.itemsOfCase(caseId);
  }

  /** The reviewer's view of a case's evidence (the caller has checked the actor may see the case). */
  async viewOf(c: { id: string; caseNumber: string }): Promise<CaseEvidenceView> {
    const [events, pictures, sealed] = await Promise.all([
      this.evidence.eventsOfCase(c.id),
      this.pictures.picturesOfCase(c.id),
      this.evidence.itemsOfCase(c.id),
    ]);
    return buildEvidenceView({ caseId: c.id, caseNumber: c.caseNumber, events, pictures, sealed });
  }

  /**
   * A picture of the case (the caller has checked the actor may see the case). The original is checked against
   * its SHA-256 before a byte is served. Undefined when the picture is not one of the case's.
   */
  async pictureOf(caseId: string, sha256: string, variant: 'original' | 'preview' | 'thumb'): Promise<{ bytes: Buffer; contentType: string } | undefined> {
    const p = /^[0-9a-f]{64}$/.test(sha256) ? await this.pictures.pictureOfCase(caseId, sha256) : undefined;
    if (!p) return undefined;
    const key = variant === 'original' ? p.originalKey : variant === 'preview' ? p.previewKey : p.thumbKey;
    if (variant === 'original') return { bytes: await this.pictureStore.readVerified(key, p.sha256), contentType: contentTypeOf(key) };
    const chunks: Buffer[] = [];
    for await (const chunk of await this.pictureStore.storage.get(key)) chunks.push(chunk as Buffer);
    return { bytes: Buffer.concat(chunks), contentType: contentTypeOf(key) };
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw err;
  }
}

/** A stored picture of an event: a local file under the media root, re-hashed by audit verify. */
function pictureItem(p: UnsealedPictureRow, at: Date): Omit<EvidenceItemRow, 'auditSeq'> {
  return {
    itemKey: `event:${p.eventId}:picture:${p.slot}`,
    kind: 'image',
    eventId: p.eventId,
    caseId: null,
    deviceId: p.deviceId,
    uri: `${PHOTO_STORE_DIR}/${p.originalKey}`,
    sha256: p.sha256,
    bytes: p.bytes,
    local: true,
    usableAsPenaltyEvidence: p.deviceReviewed,
    sealedAt: at,
  };
}

function eventForPictures(e: UnsealedEventRow): Pick<CanonicalEvent, 'source' | 'deviceId' | 'eventId' | 'media' | 'attributes' | 'detections'> {
  return {
    source: e.source as CanonicalEvent['source'],
    deviceId: e.deviceId,
    eventId: e.sourceEventId,
    media: e.media as MediaRef[],
    attributes: e.attributes ?? {},
    detections: e.detections ?? [],
  };
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
