import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor } from '@app/core';
import { ReportPhotoService } from '@app/ingest';
import type { Actor } from '@app/domain';
import type { Request } from 'express';
import { uploadedFiles, type MultipartLimits } from '../multipart';
import { ApiAccess, MultipartBody, ZodResponse } from '../openapi';
import { reportPhotosSchema } from '../openapi/ingest.schemas';

/** A report-back's after-photos: a few pictures from a phone. */
const REPORT_UPLOAD: MultipartLimits = { files: 20, fields: 100, fileBytes: 64 * 1024 * 1024 };

/** After-photos for a report-back, from the township workspace (ReportPhotoService says what is checked and kept). */
@ApiTags('web')
@ApiAccess()
@Controller('api/v1/cases')
export class ReportPhotosController {
  constructor(private readonly reportPhotos: ReportPhotoService) {}

  /** 404 for a case outside the caller's scope; 409 unless the caller may report back on it now. */
  @Post(':id/report-photos')
  @HttpCode(200)
  @Access('township_officer', 'department_liaison')
  @MultipartBody('the after-photos; a sha256 field before a file declares its hash', { sha256: "the next file's SHA-256 (a mismatch is refused)" })
  @ZodResponse(200, reportPhotosSchema, "one result per file; a stored one carries the media key for the report-back's photos")
  upload(@CurrentActor() actor: Actor, @Param('id') id: string, @Req() req: Request) {
    return this.reportPhotos.receive(actor, id, uploadedFiles(req, REPORT_UPLOAD));
  }
}
