import { BadRequestException, Injectable } from '@nestjs/common';
import type { Actor, AttachedPicture } from '@app/domain';
import { PictureService } from '@app/core';
import { IngestOutcome, IngestService } from './ingest.service';
import { HIKVISION_HTTP_TOPIC } from './source-router';

/**
 * Parts of one multipart alarm, the alarm included: Hikvision sends the XML and a few pictures (plate, scene,
 * close-ups), so a body of more parts is not one of its alarms (400). The bytes are bounded by the HTTP body
 * limit of the route; each picture by PHOTO_MAX_BYTES (the imagery pipeline refuses a larger one by itself).
 */
export const HIKVISION_MAX_PARTS = 16;

/** A picture part of a multipart alarm, as sent: its part (file) name and its bytes. */
export interface AlarmPicture {
  name: string;
  bytes: Buffer;
}

/** What became of the picture parts of an alarm, in the answer to the device. */
export interface AlarmPicturesOutcome {
  kept: number;
  refused: { part: string; reason: string; detail: string }[];
}

export type HikvisionOutcome = IngestOutcome & { pictures?: AlarmPicturesOutcome };

/**
 * Hikvision ISAPI alarm push (HTTP host notification). The alarm is stored (or dead-lettered with its
 * reason) before the device hears 200; a storage failure answers 503 so the device sends it again.
 * Its picture parts are stored first, through the imagery pipeline, so the stored event names each by its
 * SHA-256 (a present picture slot); a part the pipeline refuses (not an image, truncated, too large, ...) is a
 * missing slot with that reason, never dropped silently.
 */
@Injectable()
export class HikvisionIngestService {
  constructor(
    private readonly ingest: IngestService,
    private readonly pictures: PictureService,
  ) {}

  async receive(device: Actor, xml: Buffer, pictures: readonly AlarmPicture[] = []): Promise<HikvisionOutcome> {
    const attached: AttachedPicture[] = pictures.length > 0 ? await this.pictures.storeAttached(pictures.map((p) => p.bytes)) : [];
    const outcome = await this.ingest.ingestPush({
      transport: 'http',
      topic: HIKVISION_HTTP_TOPIC,
      payload: xml,
      receivedAt: new Date(),
      authenticatedDeviceId: device.id,
      ...(attached.length > 0 && { pictures: attached }),
    });
    if (outcome.status === 'rejected') throw new BadRequestException(`${outcome.reason}: ${outcome.detail}`);
    return attached.length > 0 ? { ...outcome, pictures: picturesOutcome(pictures, attached) } : outcome;
  }
}

export function picturesOutcome(pictures: readonly AlarmPicture[], attached: readonly AttachedPicture[]): AlarmPicturesOutcome {
  const refused: AlarmPicturesOutcome['refused'] = [];
  attached.forEach((a, i) => {
    if ('refused' in a) refused.push({ part: pictures[i]?.name ?? `#${i + 1}`, reason: a.refused.reason, detail: a.refused.detail });
  });
  return { kept: attached.length - refused.length, refused };
}
