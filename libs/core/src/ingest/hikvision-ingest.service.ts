import { BadRequestException, Injectable, ServiceUnavailableException } from '@nestjs/common';
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
    let outcome: IngestOutcome | undefined;
    try {
      const result = await this.ingest.ingestBatch([{ transport: 'http', topic: HIKVISION_HTTP_TOPIC, payload: xml, receivedAt: new Date(), authenticatedDeviceId: device.id }]);
      outcome = result.outcomes[0];
    } catch {
      throw new ServiceUnavailableException('could not store the alarm now; send it again');
    }
    if (outcome?.status === 'rejected') throw new BadRequestException(`${outcome.reason}: ${outcome.detail}`);
    return outcome ?? { status: 'ignored' };
  }
}
