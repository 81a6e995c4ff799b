import { Inject, Injectable } from '@nestjs/common';
import { type AttachedPicture, type CanonicalEvent, type PictureOrigin, pictureRequestsOf } from '@app/domain';
import { type EventPictureInsert, PictureRepository } from '@app/persistence';
import type { Readable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import { LOGGER, type Logger } from '../observability/logger';
import { PictureStore, type PictureStoreOutcome } from './picture-store';

/** How long a slot waits for bytes sent separately before it is recorded missing. */
const WAIT_FOR: Record<'dji-upload' | 'device-publish', number> = {
  // A pilot uploads after landing, sometimes the next day.
  'dji-upload': 7 * 86_400_000,
  // A device publishes its snapshot right before or after the event.
  'device-publish': 10 * 60_000,
};
/** A picture fetched from the source (Frigate's API, then its MQTT snapshot) is given up after this. */
export const PICTURE_FETCH_GIVE_UP_MS = 10 * 60_000;

/**
 * Pictures as evidence, on the ingest side: records every picture slot of a stored event in the same
 * transaction (so no picture request is lost with a crash), and takes pictures sent separately, linking them
 * to their event in whichever order the two arrive. Fetching from sources runs in PictureFetchService.
 */
@Injectable()
export class PictureService {
  constructor(
    private readonly pictures: PictureRepository,
    readonly store: PictureStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Inside the ingest transaction: the picture slots of the events stored for the first time. */
  async recordSlots(
    tx: EntityManager,
    stored: readonly { event: CanonicalEvent; id: string; attached?: readonly AttachedPicture[] }[],
    now: Date,
  ): Promise<void> {
    const rows: EventPictureInsert[] = [];
    for (const { event, id, attached } of stored) {
      for (const r of pictureRequestsOf(event, attached)) {
        const base = {
          eventId: id,
          slot: r.slot,
          origin: r.origin,
          capturedAt: event.occurredAt,
          matchKey: null,
          request: {},
          nextAttemptAt: null,
          giveUpAt: null,
          detail: null,
        };
        switch (r.mode) {
          case 'present':
            rows.push({ ...base, status: 'present', sha256: r.sha256 });
            break;
          case 'missing':
            rows.push({ ...base, status: 'missing', sha256: null, detail: r.detail });
            break;
          case 'fetch':
            rows.push({
              ...base,
              status: 'pending',
              sha256: null,
              request: { ...r.request },
              nextAttemptAt: now,
              giveUpAt: new Date(now.getTime() + PICTURE_FETCH_GIVE_UP_MS),
            });
            break;
          case 'await':
            rows.push({ ...base, status: 'pending', sha256: null, matchKey: r.matchKey, giveUpAt: new Date(now.getTime() + WAIT_FOR[r.origin]) });
            break;
        }
      }
    }
    await this.pictures.insertEventPictures(tx, rows);
  }

  /**
   * A picture sent apart from its event (a device's snapshot publish, a DJI file uploaded by the pilot, Frigate's
   * MQTT snapshot): stored through the imagery pipeline (or refused with the reason), then linked to the slots
   * waiting for `matchKey`, or kept until its event comes. Resolves once both are stored.
   */
  async receiveSeparately(input: {
    matchKey: string;
    origin: PictureOrigin;
    deviceId: string | null;
    bytes: Buffer | Readable;
    receivedAt: Date;
  }): Promise<PictureStoreOutcome & { linked: number }> {
    const outcome = await this.store.store(input.bytes);
    const linked = await this.pictures.arrive({
      matchKey: input.matchKey,
      origin: input.origin,
      deviceId: input.deviceId,
      sha256: outcome.status === 'stored' ? outcome.picture.sha256 : null,
      detail: outcome.status === 'refused' ? `${outcome.reason}: ${outcome.detail}` : null,
      receivedAt: input.receivedAt,
    });
    if (outcome.status === 'refused') this.logger.warn({ matchKey: input.matchKey, reason: outcome.reason, detail: outcome.detail }, 'picture refused');
    return { ...outcome, linked };
  }

  /** A picture stored already (a drone photo the pilot uploaded) that is also the bytes of `matchKey`. */
  linkStored(input: { matchKey: string; origin: PictureOrigin; deviceId: string | null; sha256: string; receivedAt: Date }): Promise<number> {
    return this.pictures.arrive({ ...input, detail: null });
  }

  /**
   * Pictures that came with their message (the image parts of a multipart alarm): stored before the message is,
   * so the event names them by SHA-256; a refused part is recorded missing with its reason.
   */
  async storeAttached(parts: readonly Buffer[]): Promise<AttachedPicture[]> {
    const attached: AttachedPicture[] = [];
    for (const part of parts) {
      const outcome = await this.store.store(part);
      attached.push(
        outcome.status === 'stored'
          ? { sha256: outcome.picture.sha256 }
          : { refused: { reason: outcome.reason, detail: outcome.detail, ...(outcome.sha256 && { sha256: outcome.sha256 }) } },
      );
    }
    return attached;
  }
}
