import { Controller, Delete, Get, NotFoundException, Param, Patch, PipeTransform, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, DeviceHealthService, type DevicePatch, DeviceService } from '@app/core';
import { DEVICE_KINDS, type Actor } from '@app/domain';
import { z } from 'zod';
import { ApiAccess, ZodBody, ZodQuery, ZodResponse } from './openapi';
import { deviceCredentialsSchema, deviceListSchema, deviceTrackSchema, deviceViewSchema, newDeviceSchema } from './openapi/accounts.schemas';

const deviceBody = z
  .object({
    kind: z.enum(DEVICE_KINDS),
    name: z.string().min(1).max(200),
    ownerDepartment: z.string().min(1).max(100),
    location: z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }).optional(),
    address: z.string().max(500).optional(),
    townshipCode: z.string().max(50).optional(),
    frigateCamera: z.string().max(100).optional(),
    /** The NVR (for a camera) or dock (for an aircraft) it is registered under. */
    parentId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/)
      .optional(),
    /** A source's HTTP API pictures are fetched from (a Frigate instance: http://frigate.local:5000). */
    apiUrl: z
      .url({ protocol: /^https?$/, error: 'an http:// or https:// address' })
      .max(500)
      .optional(),
    aliases: z.array(z.string().min(1).max(100)).max(20).optional(),
    zones: z.record(z.string().max(100), z.string().max(100)).optional(),
    review: z
      .object({ legalReviewPassed: z.boolean(), technicalReviewPassed: z.boolean(), reviewedOn: z.iso.date().optional(), locationPublished: z.boolean() })
      .strict()
      .optional(),
  })
  .strict();
const DEVICE_ID = /^[A-Za-z0-9._-]{1,100}$/;
/** PATCH: any of the fields; `null` clears an optional one. */
const devicePatchBody = deviceBody
  .partial()
  .extend({
    location: deviceBody.shape.location.unwrap().nullable().optional(),
    address: deviceBody.shape.address.unwrap().nullable().optional(),
    townshipCode: deviceBody.shape.townshipCode.unwrap().nullable().optional(),
    frigateCamera: deviceBody.shape.frigateCamera.unwrap().nullable().optional(),
    parentId: deviceBody.shape.parentId.unwrap().nullable().optional(),
    apiUrl: deviceBody.shape.apiUrl.unwrap().nullable().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'name at least one field to change');
const newDeviceBody = deviceBody.extend({ id: z.string().regex(DEVICE_ID, 'letters, digits, dot, dash or underscore (max 100)') });

/** A track's time range: ISO instants, the last 24 hours when not given, 7 days at most. */
const trackQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional().describe('from this instant (default: 24 hours before `to`)'),
    to: z.iso.datetime({ offset: true }).optional().describe('up to this instant, exclusive (default: now)'),
  })
  .strict();

/** A path id no device can have (every id matches DEVICE_ID) names no device: 404, without asking the database. */
const deviceId: PipeTransform<string, string> = {
  transform: (id: string) => {
    if (!DEVICE_ID.test(id)) throw new NotFoundException(`device ${id.slice(0, 100)} not found`);
    return id;
  },
};

@ApiTags('devices')
@ApiAccess()
@Controller('api/v1/devices')
export class DevicesController {
  constructor(
    private readonly devices: DeviceService,
    private readonly health: DeviceHealthService,
  ) {}

  @Get()
  @Access('operator', 'supervisor', 'admin')
  @ZodResponse(200, deviceListSchema, 'every registered device')
  list(@CurrentActor() actor: Actor) {
    return this.devices.list(actor);
  }

  @Get(':id')
  @Access('operator', 'supervisor', 'admin')
  @ZodResponse(200, deviceViewSchema, 'the device')
  get(@CurrentActor() actor: Actor, @Param('id', deviceId) id: string) {
    return this.devices.get(actor, id);
  }

  /** Where a drone or dock was (DJI osd), one point per second, oldest first: for the map and for placing marks. */
  @Get(':id/track')
  @Access('operator', 'supervisor', 'admin')
  @ZodResponse(200, deviceTrackSchema, "the device's track in the range")
  track(@CurrentActor() actor: Actor, @Param('id', deviceId) id: string, @ZodQuery(trackQuery) query: z.infer<typeof trackQuery>) {
    return this.health.track(actor, id, query);
  }

  @Post()
  @Access('supervisor', 'admin')
  @ZodResponse(201, newDeviceSchema, 'the device, with its credentials (the password is shown once)')
  create(@CurrentActor() actor: Actor, @ZodBody(newDeviceBody) body: z.infer<typeof newDeviceBody>) {
    return this.devices.create(actor, body);
  }

  @Put(':id')
  @Access('supervisor', 'admin')
  @ZodResponse(200, deviceViewSchema, 'the device as it is now')
  update(@CurrentActor() actor: Actor, @Param('id', deviceId) id: string, @ZodBody(deviceBody) body: z.infer<typeof deviceBody>) {
    return this.devices.update(actor, id, body);
  }

  /** Changes only the fields sent: `{"apiUrl": "http://frigate.local:5000"}`. */
  @Patch(':id')
  @Access('supervisor', 'admin')
  @ZodResponse(200, deviceViewSchema, 'the device as it is now')
  patch(@CurrentActor() actor: Actor, @Param('id', deviceId) id: string, @ZodBody(devicePatchBody) body: DevicePatch) {
    return this.devices.patch(actor, id, body);
  }

  /** Issues a new device password (shown once); the previous one stops working. */
  @Post(':id/credentials')
  @Access('supervisor', 'admin')
  @ZodResponse(201, deviceCredentialsSchema, 'the new credentials (the password is shown once)')
  credentials(@CurrentActor() actor: Actor, @Param('id', deviceId) id: string) {
    return this.devices.issueCredentials(actor, id);
  }

  /** Retiring keeps the record and its evidence; later events from it are kept aside with the reason. */
  @Delete(':id')
  @Access('supervisor', 'admin')
  @ZodResponse(200, deviceViewSchema, 'the retired device')
  retire(@CurrentActor() actor: Actor, @Param('id', deviceId) id: string) {
    return this.devices.retire(actor, id);
  }
}
