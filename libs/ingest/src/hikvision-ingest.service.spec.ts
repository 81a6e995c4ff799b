import { BadRequestException } from '@nestjs/common';
import type { Actor, AttachedPicture } from '@app/domain';
import type { InboundMessage } from '@app/messaging';
import type { PictureService } from '@app/core';
import { HikvisionIngestService, picturesOutcome } from './hikvision-ingest.service';
import type { IngestOutcome, IngestService } from './ingest.service';

const device = { id: 'HIK-GATE-01', role: 'device' } as Actor;
const SHA = 'a'.repeat(64);

/** The order of the calls is the point: pictures are stored before the alarm is handed to ingest. */
function service(outcome: IngestOutcome, attached: AttachedPicture[]) {
  const calls: string[] = [];
  const pushed: InboundMessage[] = [];
  const ingest = {
    ingestPush: (m: InboundMessage) => {
      calls.push('ingest');
      pushed.push(m);
      return Promise.resolve(outcome);
    },
  } as unknown as IngestService;
  const pictures = {
    storeAttached: (parts: Buffer[]) => {
      calls.push(`store ${parts.length}`);
      return Promise.resolve(attached);
    },
  } as unknown as PictureService;
  return { svc: new HikvisionIngestService(ingest, pictures), calls, pushed };
}

describe('HikvisionIngestService', () => {
  it('stores the pictures first, hands them on with the alarm, and says what was kept and refused', async () => {
    const refused = { refused: { reason: 'not-an-image', detail: 'no image format recognised' } };
    const { svc, calls, pushed } = service({ status: 'stored', eventIds: ['7'] }, [{ sha256: SHA }, refused]);
    const outcome = await svc.receive(device, Buffer.from('<xml/>'), [
      { name: 'licensePlatePicture.jpg', bytes: Buffer.from([1]) },
      { name: 'detectionPicture.jpg', bytes: Buffer.from([2]) },
    ]);
    expect(calls).toEqual(['store 2', 'ingest']);
    expect(pushed[0]).toMatchObject({ transport: 'http', authenticatedDeviceId: 'HIK-GATE-01', pictures: [{ sha256: SHA }, refused] });
    expect(outcome).toEqual({
      status: 'stored',
      eventIds: ['7'],
      pictures: { kept: 1, refused: [{ part: 'detectionPicture.jpg', reason: 'not-an-image', detail: 'no image format recognised' }] },
    });
  });

  it('an alarm without pictures stores nothing else and answers as before; a refused alarm is a 400 with the reason', async () => {
    const plain = service({ status: 'duplicate' }, []);
    expect(await plain.svc.receive(device, Buffer.from('<xml/>'))).toEqual({ status: 'duplicate' });
    expect(plain.calls).toEqual(['ingest']);
    expect(plain.pushed[0].pictures).toBeUndefined();
    const bad = service({ status: 'rejected', reason: 'not-xml', detail: 'payload is JSON' }, [{ sha256: SHA }]);
    await expect(bad.svc.receive(device, Buffer.from('{}'), [{ name: 'p.jpg', bytes: Buffer.from([1]) }])).rejects.toThrow(
      new BadRequestException('not-xml: payload is JSON'),
    );
  });

  it('names a refused part by its position when its name is unknown', () => {
    expect(picturesOutcome([], [{ refused: { reason: 'truncated', detail: 'cut' } }])).toEqual({
      kept: 0,
      refused: [{ part: '#1', reason: 'truncated', detail: 'cut' }],
    });
  });
});
