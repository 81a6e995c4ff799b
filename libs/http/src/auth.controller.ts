import { Controller, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, AuthService, CurrentActor } from '@app/core';
import { ROLES, type Actor } from '@app/domain';
import { z } from 'zod';
import { ApiAccess, NoContentResponse, ZodBody, ZodResponse } from './openapi';
import { streamTokenSchema, tokenPairSchema } from './openapi/accounts.schemas';

const refreshSchema = z.object({ refreshToken: z.string().min(20).max(200) }).strict();
const passwordChangeSchema = z
  .object({ currentPassword: z.string().min(1).max(200), newPassword: z.string().min(12, 'at least 12 characters').max(200) })
  .strict();
const loginSchema = z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(200) }).strict();

@ApiTags('auth')
@ApiAccess()
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @Access.public()
  @ZodResponse(200, tokenPairSchema, 'an access token and a refresh token')
  login(@ZodBody(loginSchema) body: z.infer<typeof loginSchema>, @Ip() ip: string) {
    return this.auth.login(body.username, body.password, ip);
  }

  /** A new access token (and a new refresh token: each is good once). */
  @Post('refresh')
  @HttpCode(200)
  @Access.public()
  @ZodResponse(200, tokenPairSchema, 'a new access token and a new refresh token')
  refresh(@ZodBody(refreshSchema) body: z.infer<typeof refreshSchema>) {
    return this.auth.refresh(body.refreshToken);
  }

  /** Ends the login: its refresh tokens stop working; the short-lived access token simply expires. */
  @Post('logout')
  @HttpCode(204)
  @Access.public()
  @NoContentResponse('logged out')
  logout(@ZodBody(refreshSchema) body: z.infer<typeof refreshSchema>) {
    return this.auth.logout(body.refreshToken);
  }

  /** A 60-second token for EventSource (`/api/v1/alerts/stream?token=`), which cannot send headers. */
  @Post('stream-token')
  @HttpCode(200)
  @Access(...ROLES.filter((r) => r !== 'device'))
  @ZodResponse(200, streamTokenSchema, 'a token for /api/v1/alerts/stream?token=')
  streamToken(@CurrentActor() actor: Actor) {
    return this.auth.streamToken(actor);
  }

  /** One's own password: needs the current one. Every session ends; the answer is a new login. */
  @Post('password')
  @HttpCode(200)
  @Access(...ROLES.filter((r) => r !== 'device'))
  @ZodResponse(200, tokenPairSchema, 'a new access token and refresh token (the others stop working)')
  changePassword(@CurrentActor() actor: Actor, @ZodBody(passwordChangeSchema) body: z.infer<typeof passwordChangeSchema>, @Ip() ip: string) {
    return this.auth.changePassword(actor, body.currentPassword, body.newPassword, ip);
  }
}
