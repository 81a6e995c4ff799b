import { BadRequestException, Injectable } from '@nestjs/common';
import type { Actor } from '@app/domain';
import { IngestOutcome, IngestService } from './ingest.service';
import { HIKVISION_HTTP_TOPIC } from './source-router';

/**
 * Hikvision ISAPI alarm push (HTTP host notification). The alarm is stored (or dead-lettered with its
 * reason) before the device hears 200; a storage failure answers 503 so the device sends it again.
 */
@Injectable()
export class HikvisionIngestService {
  constructor(private readonly ingest: IngestService) {}

  async receive(device: Actor, xml: Buffer): Promise<IngestOutcome> {
    const outcome = await this.ingest.ingestPush({ transport: 'http', topic: HIKVISION_HTTP_TOPIC, payload: xml, receivedAt: new Date(), authenticatedDeviceId: device.id });
    if (outcome.status === 'rejected') throw new BadRequestException(`${outcome.reason}: ${outcome.detail}`);
    return outcome;
  }
}
