import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ROLES, type Actor, type Role } from '@app/domain';
import { AuditLogRepository, SecurityEventRepository, UserEntity, UserRepository } from '@app/persistence';
import { randomBytes } from 'node:crypto';
import { DistrictDirectory } from '../case-loop/district-directory';
import { LOGGER, type Logger } from '../observability/logger';
import { AuthService } from './auth.service';
import { SECURITY_EVENT_TYPES, SecurityAudit, type SecurityEventType } from './security-audit';

export { SECURITY_EVENT_TYPES, type SecurityEventType } from './security-audit';

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  displayName: string;
  townshipCode?: string;
  unitCode?: string;
}

/** PATCH /users/{id}: the fields to change; `null` clears a township or unit. */
export interface UserPatch {
  disabled?: boolean;
  role?: Role;
  displayName?: string;
  townshipCode?: string | null;
  unitCode?: string | null;
}

export interface SecurityEventQuery {
  from?: string;
  to?: string;
  type?: SecurityEventType;
  limit?: number;
}

export const toUserView = (u: UserEntity) => ({
  id: u.id,
  username: u.username,
  role: u.role,
  displayName: u.displayName,
  townshipCode: u.townshipCode,
  unitCode: u.unitCode,
  disabled: u.disabled,
  createdAt: u.createdAt.toISOString(),
});

type Scope = Pick<UserEntity, 'role' | 'townshipCode' | 'unitCode'>;

/** Accounts. A township officer is bound to one township (and its team unit); a liaison to one unit. */
@Injectable()
export class UserService {
  private readonly security: SecurityAudit;

  constructor(
    private readonly users: UserRepository,
    private readonly auth: AuthService,
    private readonly directory: DistrictDirectory,
    private readonly events: SecurityEventRepository,
    audit: AuditLogRepository,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.security = new SecurityAudit(audit, logger);
  }

  async create(actor: Actor, input: NewUser): Promise<ReturnType<typeof toUserView>> {
    // An officer acts for its township's team unless told otherwise.
    const scope = this.checkScope({
      role: input.role,
      townshipCode: input.townshipCode ?? null,
      unitCode: input.unitCode ?? (input.role === 'township_officer' && input.townshipCode ? `township-team:${input.townshipCode}` : null),
    });
    if (await this.users.findByUsername(input.username)) throw new ConflictException(`username ${input.username} is taken`);
    const user = await this.users.create({
      username: input.username,
      passwordHash: await this.auth.hashPassword(input.password),
      displayName: input.displayName,
      ...scope,
    });
    await this.security.record(actor, 'user.created', {
      userId: user.id,
      username: user.username,
      role: user.role,
      townshipCode: user.townshipCode,
      unitCode: user.unitCode,
    });
    return toUserView(user);
  }

  async list(_actor: Actor) {
    const rows = await this.users.findAll();
    return { items: rows.map(toUserView), total: rows.length };
  }

  /**
   * Disables or enables an account, or changes its role, township, unit or name. Disabling and any change of
   * scope end its sessions (its tokens carry the old scope). An administrator never disables or demotes itself.
   */
  async update(actor: Actor, id: string, patch: UserPatch): Promise<ReturnType<typeof toUserView>> {
    const user = await this.find(id);
    if (user.id === actor.id && (patch.disabled === true || (patch.role !== undefined && patch.role !== 'admin'))) {
      throw new ConflictException('an administrator cannot disable or demote its own account');
    }
    const role = patch.role ?? (user.role as Role);
    const townshipCode = patch.townshipCode !== undefined ? patch.townshipCode : user.townshipCode;
    let unitCode = patch.unitCode !== undefined ? patch.unitCode : user.unitCode;
    if (patch.unitCode === undefined && role === 'township_officer' && townshipCode && townshipCode !== user.townshipCode)
      unitCode = `township-team:${townshipCode}`;
    const scope = this.checkScope({ role, townshipCode, unitCode });
    const next = { ...scope, displayName: patch.displayName ?? user.displayName, disabled: patch.disabled ?? user.disabled };
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const key of ['role', 'townshipCode', 'unitCode', 'displayName', 'disabled'] as const) {
      if (next[key] !== user[key]) changes[key] = { from: user[key], to: next[key] };
    }
    if (Object.keys(changes).length === 0) return toUserView(user);
    const revoke = next.disabled || ['role', 'townshipCode', 'unitCode'].some((k) => k in changes);
    await this.users.update(id, next, revoke);
    const action = 'disabled' in changes ? (next.disabled ? 'user.disabled' : 'user.enabled') : 'user.updated';
    await this.security.record(actor, action, { userId: id, username: user.username, changes });
    if (revoke) await this.endSessions(actor, user, 'disabled' in changes && next.disabled ? 'disabled' : 'scope_changed');
    return toUserView(await this.find(id));
  }

  /** Sets a new password (given, or generated and answered this once); every session of the user ends. */
  async resetPassword(actor: Actor, id: string, password?: string): Promise<{ id: string; username: string; temporaryPassword?: string }> {
    const user = await this.find(id);
    const temporary = password ?? randomBytes(12).toString('base64url');
    await this.users.update(id, { passwordHash: await this.auth.hashPassword(temporary) }, true);
    await this.security.record(actor, 'auth.password_reset', { userId: id, username: user.username, generated: password === undefined });
    await this.endSessions(actor, user, 'password_reset');
    return { id, username: user.username, ...(password === undefined ? { temporaryPassword: temporary } : {}) };
  }

  /** Ends every session of a user: its access tokens within seconds, its refresh tokens at once. */
  async revokeSessions(actor: Actor, id: string): Promise<{ id: string; refreshTokensRevoked: number }> {
    const user = await this.find(id);
    await this.users.update(id, {}, true);
    return { id, refreshTokensRevoked: await this.endSessions(actor, user, 'revoked') };
  }

  /** Security events from the audit log, newest first. */
  async securityEvents(_actor: Actor, query: SecurityEventQuery) {
    const date = (v: string | undefined, name: string) => {
      if (v === undefined) return undefined;
      const d = new Date(v);
      if (Number.isNaN(d.getTime())) throw new BadRequestException(`${name}: not a date`);
      return d;
    };
    const items = await this.events.find({
      actions: query.type ? [query.type] : SECURITY_EVENT_TYPES,
      from: date(query.from, 'from'),
      to: date(query.to, 'to'),
      limit: query.limit ?? 100,
    });
    return { items, total: items.length };
  }

  private async endSessions(actor: Actor, user: UserEntity, reason: string): Promise<number> {
    const revoked = await this.auth.revokeRefreshTokens(user.id);
    await this.security.record(actor, 'auth.sessions_revoked', { userId: user.id, username: user.username, reason, refreshTokensRevoked: revoked });
    return revoked;
  }

  private async find(id: string): Promise<UserEntity> {
    const user = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? await this.users.findById(id) : null;
    if (!user) throw new NotFoundException(`user ${id} not found`);
    return user;
  }

  /** A role's township and unit must be given where it needs them and exist in the district configuration. */
  private checkScope(scope: Scope): Scope {
    if (!(ROLES as readonly string[]).includes(scope.role) || scope.role === 'device') throw new BadRequestException(`unknown role ${scope.role}`);
    if (scope.role === 'township_officer' && !scope.townshipCode) throw new BadRequestException('a township officer needs townshipCode');
    if (scope.role === 'department_liaison' && !scope.unitCode) throw new BadRequestException('a department liaison needs unitCode');
    if (scope.townshipCode && !this.directory.townships.has(scope.townshipCode)) throw new BadRequestException(`unknown township ${scope.townshipCode}`);
    if (scope.unitCode && !this.directory.unit(scope.unitCode)) throw new BadRequestException(`unknown unit ${scope.unitCode}`);
    const unitTownship = scope.unitCode ? this.directory.unit(scope.unitCode)?.townshipCode : undefined;
    if (scope.role === 'township_officer' && unitTownship && unitTownship !== scope.townshipCode) {
      throw new BadRequestException(`unit ${scope.unitCode} belongs to another township than ${scope.townshipCode}`);
    }
    return scope;
  }
}
