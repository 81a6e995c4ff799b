import { BadRequestException, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor } from '@app/core';
import { AlarmPicture, HIKVISION_MAX_PARTS, HikvisionIngestService } from '@app/ingest';
import type { Actor } from '@app/domain';
import type { Request } from 'express';
import { MultipartError, Part, splitMultipart } from './multipart';
import { ApiAccess, ZodResponse } from './openapi';
import { hikvisionAnswerSchema } from './openapi/ingest.schemas';

/**
 * Hikvision ISAPI alarm push: the EventNotificationAlert XML alone, or multipart with the XML and the picture files
 * the camera attaches to AID/ANPR/traffic events (`licensePlatePicture.jpg`, `detectionPicture.jpg`, ...). Every
 * picture part is stored through the imagery pipeline before the alarm (or recorded missing with the reason it
 * was refused), and the answer says how many were kept. Devices authenticate with their id and password over HTTP
 * Digest (RFC 7616, MD5 or SHA-256) or Basic; a 401 carries both challenges (DeviceAwareAccessGuard).
 */
@ApiTags('ingest')
@ApiAccess()
@Controller('api/v1/ingest')
export class HikvisionController {
  constructor(private readonly hikvision: HikvisionIngestService) {}

  @Post('hikvision')
  @HttpCode(200)
  @Access('device')
  @ApiConsumes('application/xml', 'text/xml', 'multipart/form-data')
  @ApiBody({
    required: true,
    description: 'The EventNotificationAlert XML; or multipart with the XML part and the picture files the camera attaches (read as sent, up to 8 MB)',
    schema: { type: 'string', format: 'binary' },
  })
  @ZodResponse(200, hikvisionAnswerSchema, 'the alarm is stored (or kept aside with the reason); how many pictures were kept')
  async alarm(@CurrentActor() device: Actor, @Req() req: Request) {
    const { alarm, pictures, ignored } = readAlarm(req);
    const outcome = await this.hikvision.receive(device, alarm, pictures);
    return ignored.length > 0 ? { ...outcome, ignoredParts: ignored } : outcome;
  }
}

/** The alarm and its pictures out of the request body (400 with the reason when it cannot be read). */
function readAlarm(req: Request): AlarmParts {
  const body = req.body as unknown;
  if (!Buffer.isBuffer(body) || body.length === 0)
    throw new BadRequestException('send the EventNotificationAlert XML (application/xml or multipart/form-data)');
  const type = req.headers['content-type'] ?? '';
  if (!/^\s*multipart\//i.test(type)) return { alarm: body, pictures: [], ignored: [] };
  let parts: Part[];
  try {
    parts = splitMultipart(body, type, { parts: HIKVISION_MAX_PARTS });
  } catch (err) {
    if (err instanceof MultipartError) throw new BadRequestException(`unreadable multipart body: ${err.message}`);
    throw err;
  }
  const sorted = sortAlarmParts(parts);
  if (!sorted) throw new BadRequestException('multipart body has no EventNotificationAlert XML part');
  return sorted;
}

export interface AlarmParts {
  /** The alarm part's bytes (XML; a JSON alarm is handed on too, and refused by the adapter with its reason). */
  alarm: Buffer;
  /** The picture parts, in the order sent. */
  pictures: AlarmPicture[];
  /** Names of parts that are neither the alarm nor a picture (not kept; the answer lists them). */
  ignored: string[];
}

const JPEG = Buffer.from([0xff, 0xd8, 0xff]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IMAGE_NAME = /\.(jpe?g|png|bmp|gif|webp|tiff?)$/i;

/** A part offered as a picture: an image content type, an image file name, or JPEG/PNG bytes. */
export function isPicturePart(part: Part): boolean {
  return (
    part.mimeType.startsWith('image/') ||
    IMAGE_NAME.test(part.filename ?? '') ||
    IMAGE_NAME.test(part.name) ||
    part.data.subarray(0, JPEG.length).equals(JPEG) ||
    part.data.subarray(0, PNG.length).equals(PNG)
  );
}

/**
 * Which part is the alarm and which are pictures. The alarm part is named after the event type by some firmware
 * (`AID`, `ANPR`, `MoveDetection.xml`), so it is found by content: the first part that is not a picture and
 * holds an EventNotificationAlert, else the first XML or JSON one. Undefined when there is none.
 */
export function sortAlarmParts(parts: readonly Part[]): AlarmParts | undefined {
  const pictures = parts.filter(isPicturePart);
  const others = parts.filter((p) => !isPicturePart(p));
  const head = (p: Part) =>
    p.data
      .subarray(0, 512)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart();
  const alarm =
    others.find((p) => head(p).includes('EventNotificationAlert')) ??
    others.find((p) => /[/+](xml|json)$/.test(p.mimeType) || head(p).startsWith('<') || head(p).startsWith('{'));
  if (!alarm) return undefined;
  return {
    alarm: alarm.data,
    pictures: pictures.map((p) => ({ name: p.filename || p.name, bytes: p.data })),
    ignored: others.filter((p) => p !== alarm).map((p) => p.filename || p.name),
  };
}
