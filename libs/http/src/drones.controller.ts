import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, DeviceService } from '@app/core';
import type { Actor } from '@app/domain';
import { z } from 'zod';
import { ApiAccess, ZodResponse } from './openapi';

const droneListSchema = z.object({
  items: z.array(
    z.object({ id: z.string(), name: z.string(), kind: z.string().describe('drone or dock'), parentId: z.string().nullable().describe('the dock of a drone') }),
  ),
});

/** The pilot's picker: a narrow read, so pilots need no access to the device register. */
@ApiTags('drone imagery')
@ApiAccess()
@Controller('api/v1/drones')
export class DronesController {
  constructor(private readonly devices: DeviceService) {}

  /** Active drones and docks: id, name, kind, dock. What a pilot names when uploading a flight. */
  @Get()
  @Access('pilot', 'supervisor', 'admin')
  @ZodResponse(200, droneListSchema, 'the active drones and docks')
  list(@CurrentActor() actor: Actor) {
    return this.devices.drones(actor);
  }
}
