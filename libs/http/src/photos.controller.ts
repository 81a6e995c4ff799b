import { Controller, Get, HttpCode, Param, Post, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor } from '@app/core';
import { PhotoService } from '@app/ingest';
import type { Actor } from '@app/domain';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { uploadedFiles, type MultipartLimits } from './multipart';
import { ApiAccess, ContentResponse, MultipartBody, ZodBody, ZodParam, ZodResponse } from './openapi';
import { flightUploadSchema, ingestOutcomeSchema, photoCheckSchema, photoSchema } from './openapi/ingest.schemas';

const flightListSchema = z.object({
  items: z.array(
    z.object({
      flightId: z.string(),
      photos: z.number().int(),
      placed: z.number().int().describe('photos with a position'),
      doubtful: z.number().int().describe('photos whose quality verdict is not ok'),
      deviceIds: z.array(z.string()),
      uploadedBy: z.array(z.string()),
      lastUploadAt: z.string().describe('ISO 8601 instant'),
    }),
  ),
});

const flightId = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, dot, dash or underscore');
const photoKind = z.enum(['thumb', 'preview', 'original']);
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
/** A flight's upload: many large files in one request. */
const FLIGHT_UPLOAD: MultipartLimits = { files: 1000, fields: 2000, fileBytes: 1024 * 1024 * 1024 };

@ApiTags('drone imagery')
@ApiAccess()
@Controller('api/v1')
export class PhotosController {
  constructor(private readonly photos: PhotoService) {}

  /** Send the SHA-256s first; upload only the `missing` ones. */
  @Post('flights/:flightId/photos/check')
  @HttpCode(200)
  @Access('pilot', 'supervisor', 'admin')
  @ZodResponse(200, photoCheckSchema, 'which photos are stored already and which to upload')
  check(@CurrentActor() actor: Actor, @ZodParam('flightId', flightId) _flight: string, @ZodBody(checkBody) body: z.infer<typeof checkBody>) {
    return this.photos.check(actor, body.sha256);
  }

  /**
   * multipart/form-data: an optional `deviceId` field first, then any number of files; a `sha256` field
   * before a file declares that file's hash (a mismatch is refused: damaged in transit). One result per file.
   */
  @Post('flights/:flightId/photos')
  @HttpCode(200)
  @Access('pilot', 'supervisor', 'admin')
  @MultipartBody('an optional deviceId field first, then the files; a sha256 field before a file declares its hash', {
    deviceId: 'the drone or dock that took the files after it',
    sha256: "the next file's SHA-256 (a mismatch is refused: damaged in transit)",
  })
  @ZodResponse(200, flightUploadSchema, 'one result per file, in order')
  upload(@CurrentActor() actor: Actor, @ZodParam('flightId', flightId) flight: string, @Req() req: Request) {
    return this.photos.receiveFlight(actor, flight, uploadedFiles(req, FLIGHT_UPLOAD));
  }

  /** The latest flights (photo count, with a position, doubtful quality, drones): what the photo browser offers. */
  @Get('flights')
  @Access(...STAFF)
  @ZodResponse(200, flightListSchema, 'the latest 50 flights, newest upload first; a pilot sees their own')
  flights(@CurrentActor() actor: Actor) {
    return this.photos.recentFlights(actor);
  }

  @Get('flights/:flightId/photos')
  @Access(...STAFF)
  @ZodResponse(200, z.array(photoSchema), "the flight's photos the caller may see")
  listFlight(@CurrentActor() actor: Actor, @ZodParam('flightId', flightId) flight: string) {
    return this.photos.listFlight(actor, flight);
  }

  @Get('photos/:sha256')
  @Access(...STAFF, 'township_officer')
  @ZodResponse(200, photoSchema, 'the photo: metadata, quality, place')
  get(@CurrentActor() actor: Actor, @Param('sha256') sha256: string) {
    return this.photos.get(actor, sha256);
  }

  @Get('photos/:sha256/:kind')
  @Access(...STAFF, 'township_officer')
  @ContentResponse(200, ['image/jpeg', 'image/png', 'image/webp', 'image/tiff'], 'the picture (an original is checked against its SHA-256 first)')
  async file(
    @CurrentActor() actor: Actor,
    @Param('sha256') sha256: string,
    @ZodParam('kind', photoKind) kind: z.infer<typeof photoKind>,
    @Res({ passthrough: true }) res: Response,
  ) {
    const f = await this.photos.file(actor, sha256, kind);
    res.setHeader('Cache-Control', 'private, max-age=3600');
    return new StreamableFile(f.stream, { type: f.contentType });
  }

  /** Mark issues on a photo (pilot), or post a detector's sidecar JSON: they become events for classification. */
  @Post('photos/:sha256/detections')
  @HttpCode(200)
  @Access('pilot', 'operator', 'supervisor')
  @ZodResponse(200, ingestOutcomeSchema, 'the event the marks became')
  mark(@CurrentActor() actor: Actor, @Param('sha256') sha256: string, @ZodBody(markBody) body: z.infer<typeof markBody>) {
    return this.photos.mark(actor, sha256, body.marks, body.by);
  }
}
