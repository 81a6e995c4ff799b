import { CanActivate, ExecutionContext, HttpException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACCESS_KEY, AccessGuard, type AccessRule } from '@app/core';
import { DeviceDigestAuth } from '@app/core';
import { SlidingWindowLimiter, type Actor } from '@app/domain';
import type { Request, Response } from 'express';

/** Failed Digest answers per client address and per device id in 5 minutes before further ones are refused unchecked (429). */
const DIGEST_FAILURES = { max: 10, windowMs: 5 * 60_000, capacity: 10_000 };
const DEVICE_ONLY_MESSAGE = 'device authentication required: HTTP Digest or Basic with the device id and its password';

/**
 * The access guard with device HTTP authentication around it: on an endpoint devices may call, an
 * `Authorization: Digest` header is checked here (RFC 7616), a Basic one that passes stores the device's Digest
 * HA1, and a 401 carries the challenges (Digest SHA-256, Digest MD5, Basic realm="CloudPatrol") so a camera that
 * sends credentials only when challenged authenticates. Everything else is AccessGuard's.
 */
@Injectable()
export class DeviceAwareAccessGuard implements CanActivate {
  private readonly digestFailures = new SlidingWindowLimiter(DIGEST_FAILURES);

  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessGuard,
    private readonly digest: DeviceDigestAuth,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]);
    if (!rule || rule.public || !rule.roles.includes('device') || context.getType() !== 'http') return this.access.canActivate(context);
    const req = context.switchToHttp().getRequest<Request & { actor?: Actor }>();
    const res = context.switchToHttp().getResponse<Response>();
    const header = req.headers.authorization ?? '';
    const deviceOnly = rule.roles.length === 1;
    if (/^Digest\s/i.test(header)) {
      const now = Date.now();
      const client = `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
      const device = `id:${/username="([^"]{1,100})"/.exec(header)?.[1] ?? ''}`;
      if (!this.digestFailures.allows(client, now) || !this.digestFailures.allows(device, now))
        throw new HttpException('too many failed device logins; wait a few minutes', 429);
      const check = await this.digest.check(header, { method: req.method, uri: req.originalUrl });
      if (!check.ok) {
        if (check.reason === 'wrong-response' || check.reason === 'unknown-user') {
          this.digestFailures.record(client, now);
          this.digestFailures.record(device, now);
        }
        res.setHeader('WWW-Authenticate', this.digest.challenges(check.reason === 'stale'));
        throw new UnauthorizedException(check.reason === 'stale' ? 'digest nonce expired or reused; answer the new challenge' : 'wrong device id or password');
      }
      req.actor = { id: check.username, username: check.username, role: 'device' };
      return true;
    }
    try {
      const allowed = await this.access.canActivate(context);
      if (allowed && req.actor?.role === 'device' && /^Basic\s/i.test(header)) await this.learnFromBasic(header.slice(6), req.actor.id);
      return allowed;
    } catch (err) {
      if (!(err instanceof UnauthorizedException)) throw err;
      res.setHeader('WWW-Authenticate', this.digest.challenges());
      if (deviceOnly && !/^Basic\s/i.test(header)) throw new UnauthorizedException(DEVICE_ONLY_MESSAGE);
      throw err;
    }
  }

  private async learnFromBasic(basic: string, id: string): Promise<void> {
    const decoded = Buffer.from(basic.trim(), 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    if (sep > 0 && decoded.slice(0, sep) === id) await this.digest.learn(id, decoded.slice(sep + 1));
  }
}
