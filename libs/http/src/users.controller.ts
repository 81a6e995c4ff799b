import { Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, type UserPatch, UserService } from '@app/core';
import { ROLES, type Actor } from '@app/domain';
import { z } from 'zod';
import { ApiAccess, ZodBody, ZodParam, ZodResponse } from './openapi';
import { passwordResetSchema, sessionsRevokedSchema, userListSchema, userViewSchema } from './openapi/accounts.schemas';

const personRole = z.enum(ROLES.filter((r) => r !== 'device') as [Exclude<(typeof ROLES)[number], 'device'>, ...Exclude<(typeof ROLES)[number], 'device'>[]]);
const password = z.string().min(12, 'at least 12 characters').max(200);
const userId = z.string().uuid('a user id (UUID)');

const newUserBody = z
  .object({
    username: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, '3–64 letters, digits, dot, dash or underscore'),
    password,
    role: personRole,
    displayName: z.string().min(1).max(100),
    townshipCode: z.string().max(50).optional(),
    unitCode: z.string().max(100).optional(),
  })
  .strict();

const userPatchBody = z
  .object({
    disabled: z.boolean().optional().describe('true: the account can no longer log in and its sessions end'),
    role: personRole.optional(),
    displayName: z.string().min(1).max(100).optional(),
    townshipCode: z.string().max(50).nullable().optional().describe('a township of the district; null clears it'),
    unitCode: z.string().max(100).nullable().optional().describe('a unit of routing.yaml; null clears it'),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change');

const passwordResetBody = z.object({ password: password.optional().describe('the new password; omitted: one is generated and answered once') }).strict();

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

  /** Disable or enable, change role, township, unit or name; disabling or a change of scope ends the sessions. */
  @Patch(':id')
  @Access('admin')
  @ZodResponse(200, userViewSchema, 'the account as changed')
  update(@CurrentActor() actor: Actor, @ZodParam('id', userId) id: string, @ZodBody(userPatchBody) body: UserPatch) {
    return this.users.update(actor, id, body);
  }

  /** A new password (generated unless given); every session of the user ends. */
  @Post(':id/password-reset')
  @HttpCode(200)
  @Access('admin')
  @ZodResponse(200, passwordResetSchema, 'the account, and the generated password this once')
  resetPassword(@CurrentActor() actor: Actor, @ZodParam('id', userId) id: string, @ZodBody(passwordResetBody) body: z.infer<typeof passwordResetBody>) {
    return this.users.resetPassword(actor, id, body.password);
  }

  /** Ends every session of the user: refresh tokens at once, access tokens within seconds. */
  @Post(':id/revoke-sessions')
  @HttpCode(200)
  @Access('admin')
  @ZodResponse(200, sessionsRevokedSchema, 'how many refresh tokens were still active')
  revokeSessions(@CurrentActor() actor: Actor, @ZodParam('id', userId) id: string) {
    return this.users.revokeSessions(actor, id);
  }
}
