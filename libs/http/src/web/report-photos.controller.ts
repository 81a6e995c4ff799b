import { BadRequestException, ConflictException, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Access, CaseLoopService, CaseService, CurrentActor, PhotoService, type UploadResult } from '@app/core';
import type { Actor } from '@app/domain';
import { PhotoRepository } from '@app/persistence';
import busboy from 'busboy';
import type { Request } from 'express';

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

function receive(photos: PhotoService, actor: Actor, flightId: string, req: Request): Promise<UploadResult[]> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) throw new BadRequestException('send the photos as multipart/form-data');
  return new Promise((resolve, reject) => {
    const results: UploadResult[] = [];
    let declaredSha: string | undefined;
    let chain = Promise.resolve();
    let failed = false;
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: MAX_FILES, fields: 100, fileSize: 64 * 1024 * 1024 } });
    } catch (err) {
      // A multipart content type without a usable boundary: the client's mistake, not a server error.
      return reject(new BadRequestException(`unreadable multipart body: ${(err as Error).message}`));
    }
    bb.on('field', (name, value) => {
      if (name === 'sha256') declaredSha = value.trim().toLowerCase() || undefined;
    });
    bb.on('file', (_name, stream, info) => {
      const declared = { fileName: info.filename, sha256: declaredSha };
      declaredSha = undefined;
      chain = chain.then(async () => {
        try {
          results.push(await photos.receive(actor, { flightId }, stream, declared));
        } catch (err) {
          stream.resume();
          failed = true;
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    bb.on('filesLimit', () => {
      failed = true;
      reject(new BadRequestException(`at most ${MAX_FILES} photos per report`));
    });
    bb.on('error', (err: Error) => reject(new BadRequestException(`unreadable multipart body: ${err.message}`)));
    bb.on('close', () => {
      void chain.then(() => {
        if (!failed) resolve(results);
      });
    });
    req.pipe(bb);
  });
}
