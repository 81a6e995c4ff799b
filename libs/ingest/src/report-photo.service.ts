import { ConflictException, Injectable } from '@nestjs/common';
import { CaseLoopService, CaseService } from '@app/core';
import type { Actor } from '@app/domain';
import { PhotoRepository } from '@app/persistence';
import { PhotoService, type UploadedFiles, type UploadResult } from './photo.service';

/** A stored after-photo carries the media key to pass in the report-back's `photos`. */
export type ReportPhotoResult = UploadResult & { key?: string };

/**
 * After-photos for a report-back, uploaded from the township workspace. The flight upload is for pilots;
 * a township team needs to attach what it photographed on site. The photos are stored in the same
 * content-addressed library (SHA-256 = key, duplicates stored once) and each result carries the media
 * key (`photos/originals/…`) to pass in the report-back's `photos`, so the evidence seal hashes the bytes.
 */
@Injectable()
export class ReportPhotoService {
  constructor(
    private readonly loop: CaseLoopService,
    private readonly cases: CaseService,
    private readonly photos: PhotoService,
    private readonly library: PhotoRepository,
  ) {}

  async receive(actor: Actor, caseId: string, files: UploadedFiles): Promise<{ caseId: string; results: ReportPhotoResult[] }> {
    // 404 for a case outside the caller's scope, exactly as reading it would answer; 409 unless the
    // caller may report back on it now (its unit holds it, in progress). Both before a byte is read.
    const { caseNumber } = await this.loop.timeline(actor, caseId);
    const view = await this.cases.viewAfterAction(actor, caseId);
    if (!view.allowedActions?.includes('report-back')) throw new ConflictException(`case ${caseNumber} is not waiting for a report back from you`);
    const results = await files((file) =>
      this.photos.receive(actor, { flightId: `report-${caseNumber}` }, file.stream, { fileName: file.fileName, sha256: file.sha256 }),
    );
    const withKeys: ReportPhotoResult[] = [];
    for (const r of results) {
      if (r.status === 'rejected') {
        withKeys.push(r);
        continue;
      }
      const row = await this.library.findBySha(r.sha256);
      withKeys.push(row ? { ...r, key: `photos/${row.originalKey}` } : r);
    }
    return { caseId, results: withKeys };
  }
}
