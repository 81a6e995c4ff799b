import { ConflictException, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Access, CaseLoopService, CaseService, CurrentActor } from '@app/core';
import { PhotoService, type UploadResult } from '@app/ingest';
import type { Actor } from '@app/domain';
import { PhotoRepository } from '@app/persistence';
import type { Request } from 'express';
import { streamMultipartFiles } from '../multipart';

const MAX_FILES = 20;

export type ReportPhotoResult = UploadResult & { key?: string };

/**
 * After-photos for a report-back, uploaded from the township workspace. The flight upload is for pilots;
 * a township team needs to attach what it photographed on site. The photos are stored in the same
 * content-addressed library (SHA-256 = key, duplicates stored once) and each result carries the media
 * key (`photos/originals/…`) to pass in the report-back's `photos`, so the evidence seal hashes the bytes.
 */
@ApiTags('web')
@ApiBearerAuth()
@Controller('api/v1/cases')
export class ReportPhotosController {
  constructor(
    private readonly loop: CaseLoopService,
    private readonly cases: CaseService,
    private readonly photos: PhotoService,
    private readonly library: PhotoRepository,
  ) {}

  @Post(':id/report-photos')
  @HttpCode(200)
  @Access('township_officer', 'department_liaison')
  async upload(@CurrentActor() actor: Actor, @Param('id') id: string, @Req() req: Request): Promise<{ caseId: string; results: ReportPhotoResult[] }> {
    // 404 for a case outside the caller's scope, exactly as reading it would answer; 409 unless the
    // caller may report back on it now (its unit holds it, in progress).
    const { caseNumber } = await this.loop.timeline(actor, id);
    const view = await this.cases.viewAfterAction(actor, id);
    if (!view.allowedActions?.includes('report-back')) throw new ConflictException(`case ${caseNumber} is not waiting for a report back from you`);
    const results = await receive(this.photos, actor, `report-${caseNumber}`, req);
    const withKeys: ReportPhotoResult[] = [];
    for (const r of results) {
      if (r.status === 'rejected') {
        withKeys.push(r);
        continue;
      }
      const row = await this.library.findBySha(r.sha256);
      withKeys.push(row ? { ...r, key: `photos/${row.originalKey}` } : r);
    }
    return { caseId: id, results: withKeys };
  }
}

async function receive(photos: PhotoService, actor: Actor, flightId: string, req: Request): Promise<UploadResult[]> {
  const results: UploadResult[] = [];
  await streamMultipartFiles(req, { files: MAX_FILES, fields: 100, fileBytes: 64 * 1024 * 1024 }, async (part) => {
    // A sha256 field declares the hash of the file after it.
    const declared = { fileName: part.filename, sha256: part.fields.get('sha256')?.trim().toLowerCase() || undefined };
    results.push(await photos.receive(actor, { flightId }, part.stream, declared));
  });
  return results;
}
