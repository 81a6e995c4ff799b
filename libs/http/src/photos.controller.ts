import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor } from '@app/core';
import { PhotoService, UploadResult } from '@app/ingest';
import type { Actor } from '@app/domain';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { streamMultipartFiles } from './multipart';
import { ZodValidationPipe } from './zod-validation.pipe';

const flightId = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, dot, dash or underscore');
const checkBody = z.object({ sha256: z.array(z.string().max(64)).min(1).max(2000) }).strict();
const markBody = z
  .object({
    by: z.enum(['pilot', 'detector']).default('pilot'),
    marks: z
      .array(
        z
          .object({
            label: z.string().min(1).max(100),
            confidence: z.number().min(0).max(1).optional(),
            box: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
            note: z.string().max(1000).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(50),
  })
  .strict();

const STAFF = ['pilot', 'operator', 'supervisor', 'admin'] as const;

@ApiTags('drone imagery')
@ApiBearerAuth()
@Controller('api/v1')
export class PhotosController {
  constructor(private readonly photos: PhotoService) {}

  /** Send the SHA-256s first; upload only the `missing` ones. */
  @Post('flights/:flightId/photos/check')
  @HttpCode(200)
  @Access('pilot', 'supervisor', 'admin')
  check(@CurrentActor() actor: Actor, @Param('flightId', new ZodValidationPipe(flightId)) _flight: string, @Body(new ZodValidationPipe(checkBody)) body: z.infer<typeof checkBody>) {
    return this.photos.check(actor, body.sha256);
  }

  /**
   * multipart/form-data: an optional `deviceId` field first, then any number of files; a `sha256` field
   * before a file declares that file's hash (a mismatch is refused: damaged in transit). One result per file.
   */
  @Post('flights/:flightId/photos')
  @HttpCode(200)
  @Access('pilot', 'supervisor', 'admin')
  upload(@CurrentActor() actor: Actor, @Param('flightId', new ZodValidationPipe(flightId)) flight: string, @Req() req: Request) {
    return receiveFlightUpload(this.photos, actor, flight, req);
  }

  @Get('flights/:flightId/photos')
  @Access(...STAFF)
  listFlight(@CurrentActor() actor: Actor, @Param('flightId', new ZodValidationPipe(flightId)) flight: string) {
    return this.photos.listFlight(actor, flight);
  }

  @Get('photos/:sha256')
  @Access(...STAFF, 'township_officer')
  get(@CurrentActor() actor: Actor, @Param('sha256') sha256: string) {
    return this.photos.get(actor, sha256);
  }

  @Get('photos/:sha256/:kind')
  @Access(...STAFF, 'township_officer')
  async file(@CurrentActor() actor: Actor, @Param('sha256') sha256: string, @Param('kind', new ZodValidationPipe(z.enum(['thumb', 'preview', 'original']))) kind: 'thumb' | 'preview' | 'original', @Res({ passthrough: true }) res: Response) {
    const f = await this.photos.file(actor, sha256, kind);
    res.setHeader('Cache-Control', 'private, max-age=3600');
    return new StreamableFile(f.stream, { type: f.contentType });
  }

  /** Mark issues on a photo (pilot), or post a detector's sidecar JSON: they become events for classification. */
  @Post('photos/:sha256/detections')
  @HttpCode(200)
  @Access('pilot', 'operator', 'supervisor')
  mark(@CurrentActor() actor: Actor, @Param('sha256') sha256: string, @Body(new ZodValidationPipe(markBody)) body: z.infer<typeof markBody>) {
    return this.photos.mark(actor, sha256, body.marks, body.by);
  }
}

/** Each file part goes to the photo service in turn; nothing holds a whole batch in memory. */
async function receiveFlightUpload(photos: PhotoService, actor: Actor, flightId: string, req: Request): Promise<{ flightId: string; results: UploadResult[] }> {
  const results: UploadResult[] = [];
  let deviceId: string | undefined;
  await streamMultipartFiles(req, { files: 1000, fields: 2000, fileBytes: 1024 * 1024 * 1024 }, async (part) => {
    // A deviceId field holds for the files after it; a sha256 field declares the next file's hash only.
    const device = part.fields.get('deviceId');
    if (device !== undefined) deviceId = device.trim() || undefined;
    const declared = { fileName: part.filename, sha256: part.fields.get('sha256')?.trim().toLowerCase() || undefined };
    results.push(await photos.receive(actor, { flightId, deviceId }, part.stream, declared));
  });
  return { flightId, results };
}
