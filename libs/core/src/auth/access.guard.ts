import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Actor } from '@app/domain';
import type { Request } from 'express';
import { ACCESS_KEY, AccessRule } from './access.decorator';
import { AuthService, type SessionClaim } from './auth.service';

type AuthedRequest = Request & { actor?: Actor };

/**
 * Default deny: an endpoint without @Access is refused; otherwise the bearer token's role must be listed, and
 * its session must still hold (the user exists, is enabled, and its sessions were not revoked since).
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]);
    if (!rule) throw new ForbiddenException('endpoint declares no access rule');
    if (rule.public) return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const header = req.headers.authorization;
    let actor: Actor;
    let session: SessionClaim | undefined;
    if (header?.startsWith('Bearer ')) ({ actor, session } = await this.auth.verifyToken(header.slice(7), 'api'));
    else if (header?.startsWith('Basic ') && rule.roles.includes('device')) actor = await this.auth.verifyDevice(header.slice(6), req.ip);
    else if (typeof req.query.token === 'string' && req.path.endsWith('/alerts/stream'))
      ({ actor, session } = await this.auth.verifyToken(req.query.token, 'alert-stream'));
    else throw new UnauthorizedException('login required: send Authorization: Bearer <token>');
    if (!rule.roles.includes(actor.role)) throw new ForbiddenException(`role ${actor.role} may not do this`);
    if (session) await this.auth.checkSession(session);
    req.actor = actor;
    return true;
  }
}

/** The authenticated caller; services take it first. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const actor = ctx.switchToHttp().getRequest<AuthedRequest>().actor;
  if (!actor) throw new UnauthorizedException();
  return actor;
});
