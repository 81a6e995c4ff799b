import { ForbiddenException, HttpException, HttpStatus, Inject, Injectable, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Actor, Role, ROLES } from '@app/domain';
import { readOrCreateSecretFile, readSecretFile, SECRET_FILES, secretsDir, writeSecretFile } from '@app/config';
import { AuditLogRepository, DeviceRepository, RefreshTokenRepository, UserEntity, UserRepository } from '@app/persistence';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { LoginThrottle } from './login-throttle';
import { BoundedMap } from './bounded-map';
import { DeviceAuthThrottle } from './device-auth-throttle';
import { LoginLockout } from './login-lockout';
import { PasswordHashRepository } from './password-hash.repository';
import { SecurityAudit } from './security-audit';
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
  /** The user's token version when issued: raising it in the database ends the session. */
  ver?: number;
  exp?: number;
}

/** What a request's token is checked against the users table with (AccessGuard, after the role check). */
export interface SessionClaim {
  userId: string;
  version: number | undefined;
}

export interface TokenPair {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
}

/** How long a user's session state (disabled, token version) is cached per process: revocation takes effect within it. */
export const SESSION_CHECK_CACHE_MS = 3_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WRONG_LOGIN = 'wrong username or password';
const REFRESH_TTL_MS = 12 * 3600_000; // one working day and a bit: a shift logs in once
const DEVICE_AUTH_CACHE_MS = 5 * 60_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Logins and bearer tokens. The first administrator comes from ADMIN_USERNAME/ADMIN_PASSWORD or is generated once. */
@Injectable()
export class AuthService implements OnModuleInit {
  private jwt!: JwtService;
  private dummyHash!: string;
  private readonly throttle: LoginThrottle;
  private readonly deviceAuthCache = new BoundedMap<number>(10_000);
  private readonly lockout = new LoginLockout();
  private readonly deviceThrottle = new DeviceAuthThrottle();
  private readonly sessions = new BoundedMap<{ at: number; state: { disabled: boolean; tokenVersion: number } | undefined }>(10_000);
  readonly security: SecurityAudit;

  constructor(
    private readonly users: UserRepository,
    private readonly devices: DeviceRegisterService,
    private readonly deviceRepository: DeviceRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly passwords: PasswordHashRepository,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
    audit: AuditLogRepository,
  ) {
    this.security = new SecurityAudit(audit, logger);
    this.throttle = new LoginThrottle(30, 5 * 60_000, runtime.env.THROTTLE_TRACKED_KEYS);
  }

  async onModuleInit(): Promise<void> {
    const secret = this.runtime.env.JWT_SECRET ?? this.jwtSecretFile();
    this.jwt = new JwtService({
      secret,
      signOptions: { algorithm: 'HS256', issuer: 'cloudpatrol' },
      verifyOptions: { algorithms: ['HS256'], issuer: 'cloudpatrol' },
    });
    // Made at the configured cost, so an unknown user's comparison takes as long as a known one's.
    this.dummyHash = await this.hashPassword(randomBytes(12).toString('hex'));
  }

  /** An account password's hash, at the configured cost (PASSWORD_HASH_COST). */
  hashPassword(plain: string): Promise<string> {
    return this.passwords.hash(plain, this.runtime.env.PASSWORD_HASH_COST);
  }

  /** The first administrator of a new install; run by the API apps at start (AdministratorSeed). */
  async seedAdministrator(): Promise<void> {
    const env = this.runtime.env;
    const username = env.ADMIN_USERNAME ?? 'admin';
    if (await this.users.findByUsername(username)) return;
    if ((await this.users.count()) > 0 && !env.ADMIN_USERNAME) return;
    const password = env.ADMIN_PASSWORD ?? randomBytes(18).toString('base64url');
    await this.users.create({ username, passwordHash: await this.hashPassword(password), role: 'admin', displayName: 'Administrator' });
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

  /**
   * A locked (username, address) pair and a wrong password get the same answer, after the same bcrypt work:
   * nothing tells a stranger whether a username exists or is locked. The lock holds for that address only.
   */
  async login(username: string, password: string, client = 'unknown'): Promise<TokenPair> {
    if (!this.throttle.take(client)) {
      // The address (not the user) is throttled, so saying until when tells a stranger nothing about any account;
      // the console shows that time in the district's zone.
      const retryAt = this.throttle.retryAt(client).toISOString();
      const body = { statusCode: 429, error: 'too-many-attempts', message: `too many login attempts from this address; try again after ${retryAt}`, retryAt };
      throw new HttpException(body, HttpStatus.TOO_MANY_REQUESTS);
    }
    const locked = this.lockout.lockedUntil(username, client) !== undefined;
    const user = await this.users.findByUsername(username);
    // Compare against a dummy hash when the user is unknown or locked, so timing tells neither.
    const matches = await this.passwords.matches(password, !locked && user ? user.passwordHash : this.dummyHash);
    if (!user || locked || !matches || user.disabled || !(ROLES as readonly string[]).includes(user.role)) {
      const reason = !user ? 'unknown_user' : locked ? 'locked' : !matches ? 'wrong_password' : user.disabled ? 'disabled' : 'invalid_role';
      // An unknown username is not recorded: it may be a password typed in the wrong field.
      const who = user ? { userId: user.id, username: user.username } : {};
      if (user && !locked) {
        const counted = this.lockout.failure(username, client);
        if (counted.lockedUntil !== undefined) {
          await this.security.record(null, 'auth.lockout', { ...who, client, failures: counted.failures, until: new Date(counted.lockedUntil).toISOString() });
        }
      }
      await this.security.record(null, 'auth.login_failed', { ...who, client, reason });
      throw new UnauthorizedException(WRONG_LOGIN);
    }
    this.lockout.success(username, client);
    await this.security.record({ id: user.id, role: user.role as Role }, 'auth.login_succeeded', { userId: user.id, username: user.username, client });
    return this.issue(user, randomUUID());
  }

  /** The caller's own password: needs the current one; every session ends and a new login is answered. */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string, client = 'unknown'): Promise<TokenPair> {
    const user = await this.users.findById(actor.id);
    if (!user || user.disabled) throw new UnauthorizedException('account disabled');
    const locked = this.lockout.lockedUntil(user.username, client) !== undefined;
    const matches = await this.passwords.matches(currentPassword, locked ? this.dummyHash : user.passwordHash);
    if (locked || !matches) {
      if (!locked) this.lockout.failure(user.username, client);
      await this.security.record(actor, 'auth.login_failed', {
        userId: user.id,
        username: user.username,
        client,
        reason: locked ? 'locked' : 'wrong_password',
        during: 'password_change',
      });
      throw new ForbiddenException('the current password is wrong');
    }
    if (currentPassword === newPassword) throw new HttpException('the new password must differ from the current one', HttpStatus.BAD_REQUEST);
    await this.users.update(user.id, { passwordHash: await this.hashPassword(newPassword) }, true);
    const revoked = await this.revokeRefreshTokens(user.id);
    await this.security.record(actor, 'auth.password_changed', { userId: user.id, username: user.username, client });
    await this.security.record(actor, 'auth.sessions_revoked', {
      userId: user.id,
      username: user.username,
      reason: 'password_changed',
      refreshTokensRevoked: revoked,
    });
    const updated = await this.users.findById(user.id);
    if (!updated) throw new UnauthorizedException('account removed');
    return this.issue(updated, randomUUID());
  }

  /**
   * After the user's token version was raised: its refresh tokens stop working and this process forgets the
   * cached session state at once (other processes within SESSION_CHECK_CACHE_MS). Answers how many were active.
   */
  async revokeRefreshTokens(userId: string): Promise<number> {
    const revoked = await this.refreshTokens.revokeAllOfUser(userId);
    this.sessions.delete(userId);
    return revoked;
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
      ver: user.tokenVersion,
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
    const state = await this.sessionState(actor.id);
    if (!state || state.disabled) throw new UnauthorizedException('session ended: log in again');
    const claims: TokenClaims = {
      sub: actor.id,
      usr: actor.username,
      role: actor.role,
      twp: actor.townshipCode,
      unit: actor.unitCode,
      aud: 'alert-stream',
      ver: state.tokenVersion,
    };
    return { token: await this.jwt.signAsync(claims, { expiresIn: 60 }), expiresIn: 60 };
  }

  /** HTTP Basic for devices: username = registered, active device id; password = that device's password. */
  async verifyDevice(basic: string, client?: string): Promise<Actor> {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    const id = sep > 0 ? decoded.slice(0, sep) : '';
    if (!(await this.verifyDeviceCredentials(id, sep > 0 ? decoded.slice(sep + 1) : '', client)))
      throw new UnauthorizedException('wrong device id or password');
    return { id, username: id, role: 'device' };
  }

  /**
   * A device's credentials (MQTT CONNECT and HTTP Basic). A device with its own password must use it; a
   * config-declared device without one uses DEMO_DEVICE_PASSWORD. Good answers are cached briefly (bcrypt
   * costs ~100 ms and cameras reconnect often); the register is still read each time, so a retired device or a
   * new password takes effect at once.
   *
   * Guesses are throttled before anything is compared (DeviceAuthThrottle): per client address (`client`, when
   * the transport tells it) and per device id. Failures are audited, one record per device per minute.
   */
  async verifyDeviceCredentials(id: string, password: string, client?: string): Promise<boolean> {
    // Only ids a device can have reach the database (a NUL or a quote never does).
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(id)) return false;
    if (!this.deviceThrottle.allow(id, client)) {
      this.security.deviceAuthFailed(id, client, true);
      return false;
    }
    const ok = await this.checkDevicePassword(id, password);
    if (!ok) {
      this.deviceThrottle.failure(id, client);
      this.security.deviceAuthFailed(id, client, false);
    }
    return ok;
  }

  private async checkDevicePassword(id: string, password: string): Promise<boolean> {
    if (!password || password.length > 200) return false;
    const stored = await this.deviceRepository.passwordHash(id);
    if (!stored || stored.status !== 'active') return false;
    // Keyed by the stored hash too: a new password (from any process) invalidates what was cached.
    const cacheKey = `${id}\u0000${sha256(password)}\u0000${stored.hash ?? 'demo'}`;
    const cached = this.deviceAuthCache.get(cacheKey);
    if (cached && cached > Date.now()) return true;
    let ok: boolean;
    if (stored.hash) ok = await this.passwords.matches(password, stored.hash);
    else if (stored.managedBy === 'config') {
      const expected = Buffer.from(this.runtime.env.DEMO_DEVICE_PASSWORD);
      const given = Buffer.from(password);
      ok = given.length === expected.length && timingSafeEqual(given, expected);
    } else ok = false;
    if (ok) this.deviceAuthCache.set(cacheKey, Date.now() + DEVICE_AUTH_CACHE_MS);
    return ok;
  }

  /** Signature, issuer, audience and expiry of a token; the session itself is checked by checkSession. */
  async verifyToken(token: string, audience: TokenClaims['aud']): Promise<{ actor: Actor; session: SessionClaim }> {
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token);
    } catch {
      throw new UnauthorizedException('invalid or expired token');
    }
    // A token without an expiry would never end: refused.
    if (typeof claims.exp !== 'number') throw new UnauthorizedException('invalid or expired token');
    if (claims.aud !== audience) throw new UnauthorizedException('token not valid here');
    return {
      actor: { id: claims.sub, username: claims.usr, role: claims.role, townshipCode: claims.twp, unitCode: claims.unit },
      session: { userId: claims.sub, version: claims.ver },
    };
  }

  /** The token's user exists, is enabled, and its sessions were not revoked since the token was issued. */
  async checkSession(session: SessionClaim): Promise<void> {
    const state = typeof session.userId === 'string' && UUID.test(session.userId) ? await this.sessionState(session.userId) : undefined;
    if (!state || state.disabled || state.tokenVersion !== session.version) throw new UnauthorizedException('session ended: log in again');
  }

  /** Both checks (tests and callers outside the guard). */
  async verify(token: string, audience: TokenClaims['aud']): Promise<Actor> {
    const { actor, session } = await this.verifyToken(token, audience);
    await this.checkSession(session);
    return actor;
  }

  /** The user's disabled flag and token version, cached SESSION_CHECK_CACHE_MS per process. */
  private async sessionState(userId: string): Promise<{ disabled: boolean; tokenVersion: number } | undefined> {
    const now = Date.now();
    const cached = this.sessions.get(userId);
    if (cached && now - cached.at < SESSION_CHECK_CACHE_MS) return cached.state;
    const state = await this.users.sessionState(userId);
    this.sessions.set(userId, { at: now, state });
    return state;
  }
}
