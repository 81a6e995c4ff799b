import type { Actor } from '@app/domain';
import type { AuditLogRepository } from '@app/persistence';
import type { Logger } from '../observability/logger';

/** The audit-log actions that are security events (GET /api/v1/security-events). */
export const SECURITY_EVENT_TYPES = [
  'auth.login_succeeded',
  'auth.login_failed',
  'auth.lockout',
  'auth.password_changed',
  'auth.password_reset',
  'auth.sessions_revoked',
  'user.created',
  'user.updated',
  'user.disabled',
  'user.enabled',
  'device.auth_failed',
  'device.registered',
  'device.credentials_issued',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** How long device authentication failures of one device are summed into one record. */
export const DEVICE_FAILURE_WINDOW_MS = 60_000;
const MAX_PENDING_DEVICES = 100;

interface PendingFailures {
  failures: number;
  refusedUnchecked: number;
  addresses: Set<string>;
  since: Date;
}

/**
 * Writes security events into the hash-chained audit log. Never passwords nor tokens: callers pass ids,
 * usernames of existing accounts, addresses and reasons. Writing never fails the request: a failure is logged.
 */
export class SecurityAudit {
  private readonly pending = new Map<string, PendingFailures>();

  constructor(
    private readonly audit: AuditLogRepository,
    private readonly logger: Logger,
  ) {}

  async record(actor: Pick<Actor, 'id' | 'role'> | null, action: SecurityEventType, data: Record<string, unknown>): Promise<void> {
    try {
      await this.audit.appendAlone({ at: new Date(), actorId: actor?.id ?? null, actorRole: actor?.role ?? null, action, caseId: null, data });
    } catch (err) {
      this.logger.error({ action, err: err instanceof Error ? err.message : String(err) }, 'security event not recorded');
    }
  }

  /**
   * A failed device authentication, rate-limited: the first failure of a device is recorded at once, the
   * following ones within DEVICE_FAILURE_WINDOW_MS are summed into one record written at the window's end.
   * Past MAX_PENDING_DEVICES devices in a window, the others are summed under `*`.
   */
  deviceAuthFailed(deviceId: string, address: string | undefined, refusedUnchecked: boolean): void {
    const key = this.pending.has(deviceId) || this.pending.size < MAX_PENDING_DEVICES ? deviceId : '*';
    const existing = this.pending.get(key);
    if (existing) {
      existing.failures += 1;
      if (refusedUnchecked) existing.refusedUnchecked += 1;
      if (address && existing.addresses.size < 10) existing.addresses.add(address);
      return;
    }
    const entry: PendingFailures = { failures: 0, refusedUnchecked: 0, addresses: new Set(), since: new Date() };
    this.pending.set(key, entry);
    void this.record(null, 'device.auth_failed', {
      deviceId: key,
      failures: 1,
      refusedUnchecked: refusedUnchecked ? 1 : 0,
      addresses: address ? [address] : [],
    });
    setTimeout(() => {
      this.pending.delete(key);
      if (entry.failures === 0) return;
      void this.record(null, 'device.auth_failed', {
        deviceId: key,
        failures: entry.failures,
        refusedUnchecked: entry.refusedUnchecked,
        addresses: [...entry.addresses],
        since: entry.since.toISOString(),
      });
    }, DEVICE_FAILURE_WINDOW_MS).unref();
  }
}
