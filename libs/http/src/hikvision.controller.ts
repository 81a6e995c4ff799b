import { BadRequestException, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, HikvisionIngestService } from '@app/core';
import type { Actor } from '@app/domain';
import type { Request } from 'express';
import { parseMultipart } from './multipart';

/** Hikvision ISAPI alarm push: XML, or multipart with the XML and pictures. Devices use HTTP Basic (device id, password). */
@ApiTags('ingest')
@Controller('api/v1/ingest')
export class HikvisionController {
  constructor(private readonly hikvision: HikvisionIngestService) {}

  @Post('hikvision')
  @HttpCode(200)
  @Access('device')
  async alarm(@CurrentActor() device: Actor, @Req() req: Request) {
    return this.hikvision.receive(device, await alarmXml(req));
  }
}

async function alarmXml(req: Request): Promise<Buffer> {
  const body = req.body as unknown;
  if (!Buffer.isBuffer(body) || body.length === 0) throw new BadRequestException('send the EventNotificationAlert XML (application/xml or multipart/form-data)');
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/')) return body;
  const parts = await parseMultipart(body, type, { parts: 10, fileBytes: 4 * 1024 * 1024 }).catch((err: Error) => {
    throw new BadRequestException(`unreadable multipart body: ${err.message}`);
  });
  // The XML part is named after the event type by some firmware; find it by content, not by name.
  const xml = parts.find((p) => /xml/i.test(p.mimeType) || p.data.subarray(0, 200).toString('utf8').includes('EventNotificationAlert'));
  if (!xml) throw new BadRequestException('multipart body has no EventNotificationAlert XML part');
  return xml.data;
}
