import { HttpException, HttpStatus, Inject, Injectable, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Actor, Role, ROLES } from '@app/domain';
import { readOrCreateSecretFile, readSecretFile, SECRET_FILES, secretsDir, writeSecretFile } from '@app/config';
import { DeviceRepository, RefreshTokenRepository, UserEntity, UserRepository } from '@app/persistence';
import bcrypt from 'bcryptjs';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { LoginThrottle } from './login-throttle';
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

export interface TokenPair {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
}

const LOCKOUT_FAILURES = 5;
const LOCKOUT_MS = 15 * 60_000;
const REFRESH_TTL_MS = 12 * 3600_000; // one working day and a bit: a shift logs in once
const DEVICE_AUTH_CACHE_MS = 5 * 60_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Logins and bearer tokens. The first administrator comes from ADMIN_USERNAME/ADMIN_PASSWORD or is generated once. */
@Injectable()
export class AuthService implements OnModuleInit {
  private jwt!: JwtService;
  private dummyHash!: string;
  private readonly throttle = new LoginThrottle(30, 5 * 60_000);
  private readonly deviceAuthCache = new Map<string, number>();

  constructor(
    private readonly users: UserRepository,
    private readonly devices: DeviceRegisterService,
    private readonly deviceRepository: DeviceRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const secret = this.runtime.env.JWT_SECRET ?? this.jwtSecretFile();
    this.jwt = new JwtService({
      secret,
      signOptions: { algorithm: 'HS256', issuer: 'cloudpatrol' },
      verifyOptions: { algorithms: ['HS256'], issuer: 'cloudpatrol' },
    });
    this.dummyHash = await bcrypt.hash(randomBytes(12).toString('hex'), 12);
  }

  /** The first administrator of a new install; run by the API apps at start (AdministratorSeed). */
  async seedAdministrator(): Promise<void> {
    const env = this.runtime.env;
    const username = env.ADMIN_USERNAME ?? 'admin';
    if (await this.users.findByUsername(username)) return;
    if ((await this.users.count()) > 0 && !env.ADMIN_USERNAME) return;
    const password = env.ADMIN_PASSWORD ?? randomBytes(18).toString('base64url');
    await this.users.create({ username, passwordHash: await bcrypt.hash(password, 12), role: 'admin', displayName: 'Administrator' });
    if (env.ADMIN_PASSWORD) {
      this.logger.info({ username }, 'administrator account created');
      return;
    }
    // Never printed nor logged: kept in a file only its owner may read, whose path is logged.
    const file = join(secretsDir(env), SECRET_FILES.initialAdminPassword);
    writeSecretFile(file, password, { replace: true });
    this.logger.warn({ username, passwordFile: file }, `administrator account created; its password is in ${file}: log in, then delete that file`);
  }

  /**
   * The signing key without JWT_SECRET: this install's own, a 0600 file under SECRETS_DIR made at the first start.
   * API processes on other machines sharing the database do not see it: they need JWT_SECRET (the same value on
   * each), or a token one of them issued is refused by the others.
   */
  private jwtSecretFile(): string {
    const file = join(secretsDir(this.runtime.env), SECRET_FILES.jwtSecret);
    const existing = readSecretFile(file);
    if (existing !== undefined) {
      if (existing.length < 32) throw new Error(`${file}: a JWT signing secret needs at least 32 characters; delete the file to have one generated`);
      return existing;
    }
    const { value, created } = readOrCreateSecretFile(file, () => randomBytes(48).toString('base64url'));
    if (created && this.runtime.env.DATABASE_URL) {
      this.logger.warn(
        { secretFile: file },
        `JWT_SECRET is not set: a signing secret was generated in ${file}. Every other API process on this database must sign with the same secret (set JWT_SECRET to the same value on each), or the tokens it issues are refused here and ours there`,
      );
    }
    return value;
  }

  async login(username: string, password: string, client = 'unknown'): Promise<TokenPair> {
    if (!this.throttle.take(client)) throw new HttpException('too many login attempts from this address; wait a few minutes', HttpStatus.TOO_MANY_REQUESTS);
    const user = await this.users.findByUsername(username);
    if (user?.lockedUntil && user.lockedUntil > new Date()) {
      throw new HttpException(`account locked after repeated failed logins; try again after ${user.lockedUntil.toISOString()}`, HttpStatus.TOO_MANY_REQUESTS);
    }
    // Compare against a dummy hash when the user is unknown, so timing does not reveal which usernames exist.
    const ok = await bcrypt.compare(password, user?.passwordHash ?? this.dummyHash);
    if (!user || !ok || user.disabled || !(ROLES as readonly string[]).includes(user.role)) {
      if (user) await this.users.recordFailedLogin(user.id, LOCKOUT_FAILURES, new Date(Date.now() + LOCKOUT_MS));
      throw new UnauthorizedException('wrong username or password');
    }
    await this.users.recordSuccessfulLogin(user.id);
    return this.issue(user, randomUUID());
  }

  /** Rotates a refresh token. A token used twice means it was copied: the whole family is revoked. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const row = await this.refreshTokens.findByHash(sha256(refreshToken));
    if (!row || row.expiresAt < new Date()) throw new UnauthorizedException('invalid or expired refresh token');
    if (row.revokedAt || !(await this.refreshTokens.revokeIfActive(row.id))) {
      await this.refreshTokens.revokeFamily(row.familyId);
      this.logger.warn({ userId: row.userId }, 'refresh token reused: all sessions of that login revoked');
      throw new UnauthorizedException('refresh token already used; log in again');
    }
    const user = await this.users.findById(row.userId);
    if (!user || user.disabled) throw new UnauthorizedException('account disabled');
    return this.issue(user, row.familyId);
  }

  async logout(refreshToken: string): Promise<void> {
    const row = await this.refreshTokens.findByHash(sha256(refreshToken));
    if (row) await this.refreshTokens.revokeFamily(row.familyId);
  }

  private async issue(user: UserEntity, familyId: string): Promise<TokenPair> {
    const expiresIn = this.runtime.env.ACCESS_TOKEN_TTL_SECONDS;
    const claims: TokenClaims = {
      sub: user.id,
      usr: user.username,
      role: user.role as Role,
      twp: user.townshipCode ?? undefined,
      unit: user.unitCode ?? undefined,
      aud: 'api',
    };
    const refreshToken = randomBytes(32).toString('base64url');
    await this.refreshTokens.insert({ userId: user.id, familyId, tokenHash: sha256(refreshToken), expiresAt: new Date(Date.now() + REFRESH_TTL_MS) });
    return {
      accessToken: await this.jwt.signAsync(claims, { expiresIn }),
      tokenType: 'Bearer',
      expiresIn,
      refreshToken,
      refreshExpiresIn: REFRESH_TTL_MS / 1000,
    };
  }

  /** A short-lived token for EventSource, which cannot send an Authorization header. */
  async streamToken(actor: Actor): Promise<{ token: string; expiresIn: number }> {
    const claims: TokenClaims = { sub: actor.id, usr: actor.username, role: actor.role, twp: actor.townshipCode, unit: actor.unitCode, aud: 'alert-stream' };
    return { token: await this.jwt.signAsync(claims, { expiresIn: 60 }), expiresIn: 60 };
  }

  /** HTTP Basic for devices: username = registered, active device id; password = that device's password. */
  async verifyDevice(basic: string): Promise<Actor> {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    const id = sep > 0 ? decoded.slice(0, sep) : '';
    if (!(await this.verifyDeviceCredentials(id, sep > 0 ? decoded.slice(sep + 1) : ''))) throw new UnauthorizedException('wrong device id or password');
    return { id, username: id, role: 'device' };
  }

  /**
   * A device's credentials (MQTT CONNECT and HTTP Basic). A device with its own password must use it; a
   * config-declared device without one uses DEMO_DEVICE_PASSWORD. Good answers are cached briefly (bcrypt
   * costs ~100 ms and cameras reconnect often); the register is still read each time, so a retired device or a
   * new password takes effect at once.
   */
  async verifyDeviceCredentials(id: string, password: string): Promise<boolean> {
    // Only ids a device can have reach the database (a NUL or a quote never does).
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(id) || !password || password.length > 200) return false;
    const stored = await this.deviceRepository.passwordHash(id);
    if (!stored || stored.status !== 'active') return false;
    // Keyed by the stored hash too: a new password (from any process) invalidates what was cached.
    const cacheKey = `${id}\u0000${sha256(password)}\u0000${stored.hash ?? 'demo'}`;
    const cached = this.deviceAuthCache.get(cacheKey);
    if (cached && cached > Date.now()) return true;
    let ok: boolean;
    if (stored.hash) ok = await bcrypt.compare(password, stored.hash);
    else if (stored.managedBy === 'config') {
      const expected = Buffer.from(this.runtime.env.DEMO_DEVICE_PASSWORD);
      const given = Buffer.from(password);
      ok = given.length === expected.length && timingSafeEqual(given, expected);
    } else ok = false;
    if (ok) this.deviceAuthCache.set(cacheKey, Date.now() + DEVICE_AUTH_CACHE_MS);
    return ok;
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
