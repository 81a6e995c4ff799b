import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, PhotoService, UploadResult } from '@app/core';
import type { Actor } from '@app/domain';
import busboy from 'busboy';
import type { Request, Response } from 'express';
import { z } from 'zod';
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

/** Streams each file part to the photo service in turn; nothing holds a whole batch in memory. */
function receiveFlightUpload(photos: PhotoService, actor: Actor, flightId: string, req: Request): Promise<{ flightId: string; results: UploadResult[] }> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) throw new BadRequestException('send the photos as multipart/form-data');
  return new Promise((resolve, reject) => {
    const results: UploadResult[] = [];
    let deviceId: string | undefined;
    let declaredSha: string | undefined;
    let chain = Promise.resolve();
    let failed = false;
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1000, fields: 2000, fileSize: 1024 * 1024 * 1024 } });
    } catch (err) {
      // A multipart content type without a usable boundary: the client's mistake, not a server error.
      return reject(new BadRequestException(`unreadable multipart body: ${(err as Error).message}`));
    }
    bb.on('field', (name, value) => {
      if (name === 'deviceId') deviceId = value.trim() || undefined;
      if (name === 'sha256') declaredSha = value.trim().toLowerCase() || undefined;
    });
    bb.on('file', (_name, stream, info) => {
      const declared = { fileName: info.filename, sha256: declaredSha };
      declaredSha = undefined;
      const flight = { flightId, deviceId };
      chain = chain.then(async () => {
        try {
          results.push(await photos.receive(actor, flight, stream, declared));
        } catch (err) {
          stream.resume();
          failed = true;
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    bb.on('error', (err: Error) => reject(new BadRequestException(`unreadable multipart body: ${err.message}`)));
    bb.on('close', () => {
      void chain.then(() => {
        if (!failed) resolve({ flightId, results });
      });
    });
    req.pipe(bb);
  });
}
