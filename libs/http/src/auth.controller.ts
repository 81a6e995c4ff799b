import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, AuthService, CurrentActor } from '@app/core';
import { ROLES, type Actor } from '@app/domain';
import { z } from 'zod';
import { ZodValidationPipe } from './zod-validation.pipe';

const loginSchema = z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(200) }).strict();

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @Access.public()
  login(@Body(new ZodValidationPipe(loginSchema)) body: z.infer<typeof loginSchema>) {
    return this.auth.login(body.username, body.password);
  }

  /** A 60-second token for EventSource (`/api/v1/alerts/stream?token=`), which cannot send headers. */
  @Post('stream-token')
  @HttpCode(200)
  @Access(...ROLES.filter((r) => r !== 'device'))
  streamToken(@CurrentActor() actor: Actor) {
    return this.auth.streamToken(actor);
  }
}
