import { Inject, Injectable, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Actor, Role, ROLES } from '@app/domain';
import { SettingRepository, UserRepository } from '@app/persistence';
import bcrypt from 'bcryptjs';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DeviceRegisterService } from '../devices/device-register.service';
import { LOGGER, type Logger } from '../observability/logger';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';

interface TokenClaims {
  sub: string;
  usr: string;
  role: Role;
  twp?: string;
  unit?: string;
  aud: 'api' | 'alert-stream';
}

/** Logins and bearer tokens. The first administrator comes from ADMIN_USERNAME/ADMIN_PASSWORD or is generated once. */
@Injectable()
export class AuthService implements OnModuleInit {
  private jwt!: JwtService;
  private dummyHash!: string;

  constructor(
    private readonly users: UserRepository,
    private readonly settings: SettingRepository,
    private readonly devices: DeviceRegisterService,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    // Shared by every instance on this database, so a token from one API process works on another.
    const secret = this.runtime.env.JWT_SECRET ?? (await this.settings.getOrInit('jwt_secret', randomBytes(48).toString('base64url')));
    this.jwt = new JwtService({ secret, signOptions: { algorithm: 'HS256', issuer: 'cloudpatrol' }, verifyOptions: { algorithms: ['HS256'], issuer: 'cloudpatrol' } });
    this.dummyHash = await bcrypt.hash(randomBytes(12).toString('hex'), 12);
    if (this.runtime.runApi) await this.seedAdministrator();
  }

  private async seedAdministrator(): Promise<void> {
    const env = this.runtime.env;
    const username = env.ADMIN_USERNAME ?? 'admin';
    if (await this.users.findByUsername(username)) return;
    if ((await this.users.count()) > 0 && !env.ADMIN_USERNAME) return;
    const password = env.ADMIN_PASSWORD ?? randomBytes(12).toString('base64url');
    await this.users.create({ username, passwordHash: await bcrypt.hash(password, 12), role: 'admin', displayName: 'Administrator' });
    if (!env.ADMIN_PASSWORD) {
      // Printed once, at the first start only: it is not stored anywhere in clear.
      process.stdout.write(`\n  CloudPatrol administrator created: username "${username}", password "${password}" (shown once)\n\n`);
    }
    this.logger.info({ username }, 'administrator account created');
  }

  async login(username: string, password: string): Promise<{ accessToken: string; tokenType: 'Bearer'; expiresIn: number }> {
    const user = await this.users.findByUsername(username);
    // Compare against a dummy hash when the user is unknown, so timing does not reveal which usernames exist.
    const ok = await bcrypt.compare(password, user?.passwordHash ?? this.dummyHash);
    if (!user || !ok || user.disabled || !(ROLES as readonly string[]).includes(user.role)) throw new UnauthorizedException('wrong username or password');
    const expiresIn = this.runtime.env.ACCESS_TOKEN_TTL_SECONDS;
    const claims: TokenClaims = { sub: user.id, usr: user.username, role: user.role as Role, twp: user.townshipCode ?? undefined, unit: user.unitCode ?? undefined, aud: 'api' };
    return { accessToken: await this.jwt.signAsync(claims, { expiresIn }), tokenType: 'Bearer', expiresIn };
  }

  /** A short-lived token for EventSource, which cannot send an Authorization header. */
  async streamToken(actor: Actor): Promise<{ token: string; expiresIn: number }> {
    const claims: TokenClaims = { sub: actor.id, usr: actor.username, role: actor.role, twp: actor.townshipCode, unit: actor.unitCode, aud: 'alert-stream' };
    return { token: await this.jwt.signAsync(claims, { expiresIn: 60 }), expiresIn: 60 };
  }

  /** HTTP Basic for devices: username = registered, active device id; password = the device password. */
  verifyDevice(basic: string): Actor {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    const id = sep > 0 ? decoded.slice(0, sep) : '';
    const password = sep > 0 ? decoded.slice(sep + 1) : '';
    const device = this.devices.lookup(id);
    const expected = Buffer.from(this.runtime.env.DEMO_DEVICE_PASSWORD);
    const given = Buffer.from(password);
    const ok = device?.status === 'active' && given.length === expected.length && timingSafeEqual(given, expected);
    if (!ok) throw new UnauthorizedException('wrong device id or password');
    return { id, username: id, role: 'device' };
  }

  async verify(token: string, audience: TokenClaims['aud']): Promise<Actor> {
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token);
    } catch {
      throw new UnauthorizedException('invalid or expired token');
    }
    if (claims.aud !== audience) throw new UnauthorizedException('token not valid here');
    return { id: claims.sub, username: claims.usr, role: claims.role, townshipCode: claims.twp, unitCode: claims.unit };
  }
}
