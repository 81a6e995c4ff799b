import { Controller, Get, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, UserService } from '@app/core';
import { ROLES, type Actor } from '@app/domain';
import { z } from 'zod';
import { ApiAccess, ZodBody, ZodResponse } from './openapi';
import { userListSchema, userViewSchema } from './openapi/accounts.schemas';

const newUserBody = z
  .object({
    username: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, '3–64 letters, digits, dot, dash or underscore'),
    password: z.string().min(12, 'at least 12 characters').max(200),
    role: z.enum(ROLES.filter((r) => r !== 'device') as [Exclude<(typeof ROLES)[number], 'device'>, ...Exclude<(typeof ROLES)[number], 'device'>[]]),
    displayName: z.string().min(1).max(100),
    townshipCode: z.string().max(50).optional(),
    unitCode: z.string().max(100).optional(),
  })
  .strict();

@ApiTags('users')
@ApiAccess()
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly users: UserService) {}

  @Get()
  @Access('admin')
  @ZodResponse(200, userListSchema, 'every account')
  list(@CurrentActor() actor: Actor) {
    return this.users.list(actor);
  }

  @Post()
  @Access('admin')
  @ZodResponse(201, userViewSchema, 'the new account')
  create(@CurrentActor() actor: Actor, @ZodBody(newUserBody) body: z.infer<typeof newUserBody>) {
    return this.users.create(actor, body);
  }
}
