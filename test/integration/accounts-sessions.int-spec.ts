import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { eventually, startTestApp, type TestApp } from '../support/test-app';

interface Answer {
  status: number;
  text: string;
  body: unknown;
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

/**
 * Issue 16 items 2, 4, 5 and device authentication (3): revocable accounts and sessions, a lockout that is
 * neither an oracle nor a denial of service, device password guesses throttled, security events audited.
 * Requests leave from distinct loopback addresses (127.0.0.x) so the app sees distinct clients without a proxy.
 */
describe('accounts: sessions, lockout, device throttle, security events', () => {
  let app: TestApp;
  let port: number;
  let admin: string;
  const jwtSecret = randomBytes(36).toString('base64url');

  /** One HTTP request from `from` (a loopback address) to the app. */
  const call = (method: string, path: string, options: { from?: string; token?: string; basic?: string; json?: unknown } = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
      const headers: Record<string, string> = {};
      if (payload !== undefined) headers['Content-Type'] = 'application/json';
      if (options.token) headers.Authorization = `Bearer ${options.token}`;
      if (options.basic) headers.Authorization = `Basic ${Buffer.from(options.basic).toString('base64')}`;
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, localAddress: options.from ?? '127.0.0.1' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, body });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  const login = (username: string, password: string, from = '127.0.0.1') => call('POST', '/api/v1/auth/login', { from, json: { username, password } });
  const tokensOf = (a: Answer): Tokens => {
    if (a.status !== 200) throw new Error(`login answered ${a.status}: ${a.text}`);
    return a.body as Tokens;
  };
  const createUser = async (username: string, password: string, extra: Record<string, unknown> = {}) => {
    const res = await call('POST', '/api/v1/users', { token: admin, json: { username, password, role: 'operator', displayName: username, ...extra } });
    if (res.status !== 201) throw new Error(`creating ${username}: ${res.status} ${res.text}`);
    return (res.body as { id: string }).id;
  };
  /** Whether a token is refused now; revocation reaches every process within the session cache (3 s). */
  const refusedSoon = (token: string) =>
    eventually('the token refused', async () => ((await call('GET', '/api/v1/cases', { token })).status === 401 ? true : undefined), 5_000);
  const events = async (type: string) =>
    (
      (await call('GET', `/api/v1/security-events?type=${type}&limit=1000`, { token: admin })).body as {
        items: { data: Record<string, unknown>; actorId: string | null }[];
      }
    ).items;

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api', env: { JWT_SECRET: jwtSecret } });
    port = Number(new URL(app.url).port);
    admin = await app.token();
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('refuses a token without exp, and a well-signed token for a user that does not exist', async () => {
    const jwt = new JwtService({ secret: jwtSecret });
    const me = (await call('GET', '/api/v1/users', { token: admin })).body as { items: { id: string; username: string }[] };
    const adminId = me.items.find((u) => u.username === 'admin')!.id;
    const claims = { sub: adminId, usr: 'admin', role: 'admin', aud: 'api', ver: 0 };
    const noExp = await jwt.signAsync(claims, { issuer: 'cloudpatrol', algorithm: 'HS256' });
    expect((await call('GET', '/api/v1/users', { token: noExp })).status).toBe(401);
    const ghost = await jwt.signAsync({ ...claims, sub: '0d7c3a52-8a2e-4b8e-9a53-5d3c1f7e2b11', usr: 'ghost' }, { issuer: 'cloudpatrol', expiresIn: 600 });
    expect((await call('GET', '/api/v1/users', { token: ghost })).status).toBe(401);
    const notUuid = await jwt.signAsync({ ...claims, sub: 'x' }, { issuer: 'cloudpatrol', expiresIn: 600 });
    expect((await call('GET', '/api/v1/users', { token: notUuid })).status).toBe(401);
  });

  it('disabling a user refuses its tokens within seconds, its refresh token and its logins; enabling lets it in again', async () => {
    const id = await createUser('acc-disable', 'acc-disable-password');
    const t = tokensOf(await login('acc-disable', 'acc-disable-password'));
    expect((await call('GET', '/api/v1/cases', { token: t.accessToken })).status).toBe(200);
    const patched = await call('PATCH', `/api/v1/users/${id}`, { token: admin, json: { disabled: true } });
    expect([patched.status, (patched.body as { disabled: boolean }).disabled]).toEqual([200, true]);
    await refusedSoon(t.accessToken);
    expect((await call('POST', '/api/v1/auth/refresh', { json: { refreshToken: t.refreshToken } })).status).toBe(401);
    expect((await login('acc-disable', 'acc-disable-password')).status).toBe(401);
    expect((await call('PATCH', `/api/v1/users/${id}`, { token: admin, json: { disabled: false } })).status).toBe(200);
    tokensOf(await login('acc-disable', 'acc-disable-password'));
  });

  it('revoke-sessions ends access and refresh tokens; a new login works', async () => {
    const id = await createUser('acc-revoke', 'acc-revoke-password');
    const t = tokensOf(await login('acc-revoke', 'acc-revoke-password'));
    const revoked = await call('POST', `/api/v1/users/${id}/revoke-sessions`, { token: admin });
    expect(revoked.status).toBe(200);
    expect((revoked.body as { refreshTokensRevoked: number }).refreshTokensRevoked).toBeGreaterThanOrEqual(1);
    await refusedSoon(t.accessToken);
    expect((await call('POST', '/api/v1/auth/refresh', { json: { refreshToken: t.refreshToken } })).status).toBe(401);
    const again = tokensOf(await login('acc-revoke', 'acc-revoke-password'));
    expect((await call('GET', '/api/v1/cases', { token: again.accessToken })).status).toBe(200);
  });

  it('admin password reset: generated once or given; the old password and sessions stop working', async () => {
    const id = await createUser('acc-reset', 'acc-reset-password');
    const t = tokensOf(await login('acc-reset', 'acc-reset-password'));
    const reset = await call('POST', `/api/v1/users/${id}/password-reset`, { token: admin, json: {} });
    expect(reset.status).toBe(200);
    const temporary = (reset.body as { temporaryPassword: string }).temporaryPassword;
    expect(temporary.length).toBeGreaterThanOrEqual(16);
    await refusedSoon(t.accessToken);
    expect((await login('acc-reset', 'acc-reset-password')).status).toBe(401);
    tokensOf(await login('acc-reset', temporary));
    const given = await call('POST', `/api/v1/users/${id}/password-reset`, { token: admin, json: { password: 'given-password-123' } });
    expect([given.status, (given.body as { temporaryPassword?: string }).temporaryPassword]).toEqual([200, undefined]);
    tokensOf(await login('acc-reset', 'given-password-123'));
  });

  it('own password change needs the current one, ends the other sessions and answers a new login', async () => {
    await createUser('acc-own', 'acc-own-password-1');
    const t = tokensOf(await login('acc-own', 'acc-own-password-1'));
    const wrong = await call('POST', '/api/v1/auth/password', { token: t.accessToken, json: { currentPassword: 'nope', newPassword: 'acc-own-password-2' } });
    expect(wrong.status).toBe(403);
    const changed = await call('POST', '/api/v1/auth/password', {
      token: t.accessToken,
      json: { currentPassword: 'acc-own-password-1', newPassword: 'acc-own-password-2' },
    });
    expect(changed.status).toBe(200);
    const fresh = changed.body as Tokens;
    expect((await call('GET', '/api/v1/cases', { token: t.accessToken })).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/refresh', { json: { refreshToken: t.refreshToken } })).status).toBe(401);
    expect((await call('GET', '/api/v1/cases', { token: fresh.accessToken })).status).toBe(200);
    expect((await login('acc-own', 'acc-own-password-1')).status).toBe(401);
    tokensOf(await login('acc-own', 'acc-own-password-2'));
  });

  it('validates roles, townships and units; an admin cannot disable or demote itself', async () => {
    const officer = (township: string) =>
      call('POST', '/api/v1/users', {
        token: admin,
        json: { username: `acc-off-${township}`, password: 'officer-password-1', role: 'township_officer', displayName: 'O', townshipCode: township },
      });
    expect((await officer('999999999')).status).toBe(400);
    expect((await officer('449901001')).status).toBe(201);
    const liaison = await call('POST', '/api/v1/users', {
      token: admin,
      json: { username: 'acc-liaison', password: 'liaison-password-1', role: 'department_liaison', displayName: 'L', unitCode: 'no-such-unit' },
    });
    expect(liaison.status).toBe(400);
    const id = await createUser('acc-scope', 'acc-scope-password');
    expect((await call('PATCH', `/api/v1/users/${id}`, { token: admin, json: { role: 'township_officer', townshipCode: 'nowhere' } })).status).toBe(400);
    expect((await call('PATCH', `/api/v1/users/${id}`, { token: admin, json: { role: 'township_officer' } })).status).toBe(400);
    const moved = await call('PATCH', `/api/v1/users/${id}`, { token: admin, json: { role: 'township_officer', townshipCode: '449901002' } });
    expect(moved.body).toMatchObject({ role: 'township_officer', townshipCode: '449901002', unitCode: 'township-team:449901002' });
    expect((await call('PATCH', `/api/v1/users/${id}`, { token: admin, json: { unitCode: 'township-team:449901001' } })).status).toBe(400);
    expect((await call('PATCH', `/api/v1/users/${id}`, { token: admin, json: {} })).status).toBe(400);
    expect((await call('PATCH', '/api/v1/users/00000000-0000-4000-8000-000000000000', { token: admin, json: { disabled: true } })).status).toBe(404);
    const adminId = ((await call('GET', '/api/v1/users', { token: admin })).body as { items: { id: string; username: string }[] }).items.find(
      (u) => u.username === 'admin',
    )!.id;
    expect((await call('PATCH', `/api/v1/users/${adminId}`, { token: admin, json: { disabled: true } })).status).toBe(409);
    expect((await call('PATCH', `/api/v1/users/${adminId}`, { token: admin, json: { role: 'operator' } })).status).toBe(409);
  });

  it('lockout: a locked pair answers exactly like a wrong password or an unknown user; another address still logs in', async () => {
    await createUser('acc-victim', 'acc-victim-password');
    const attacker = '127.0.0.21';
    const wrong: Answer[] = [];
    for (let i = 0; i < 5; i++) wrong.push(await login('acc-victim', `guess-${i}`, attacker));
    expect(wrong.map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
    const locked = await login('acc-victim', 'acc-victim-password', attacker);
    const unknown = await login('acc-nobody-at-all', 'whatever', attacker);
    expect([locked.status, locked.text]).toEqual([401, wrong[0].text]);
    expect([unknown.status, unknown.text]).toEqual([401, wrong[0].text]);
    // The owner, from elsewhere, is not locked out.
    tokensOf(await login('acc-victim', 'acc-victim-password', '127.0.0.22'));
    const lockouts = (await events('auth.lockout')).filter((e) => e.data.username === 'acc-victim');
    expect(lockouts).toHaveLength(1);
    expect(lockouts[0].data.client).toContain(attacker);
  });

  it('device passwords: 500 wrong guesses from one address are mostly refused unchecked; the right one from another address works', async () => {
    const created = await call('POST', '/api/v1/devices', {
      token: admin,
      json: { id: 'ACC-HIK-01', kind: 'camera', name: 'Throttle camera', ownerDepartment: 'city-management', location: { lat: 23.105, lng: 113.256 } },
    });
    expect(created.status).toBe(201);
    const password = (created.body as { credentials: { password: string } }).credentials.password;
    const hik = (basic: string, from: string) => call('POST', '/api/v1/ingest/hikvision', { basic, from, json: {} });
    const started = Date.now();
    const answers: number[] = [];
    for (let batch = 0; batch < 25; batch++) {
      answers.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => hik(`ACC-HIK-01:guess-${batch}-${i}`, '127.0.0.31')))).map((a) => a.status));
    }
    const elapsed = Date.now() - started;
    expect(answers.every((s) => s === 401)).toBe(true);
    // bcrypt (cost 10) on all 500 would take far longer than refusing 490 of them unchecked.
    expect(elapsed).toBeLessThan(20_000);
    expect((await hik(`ACC-HIK-01:${password}`, '127.0.0.31')).status).toBe(401);
    expect((await hik(`ACC-HIK-01:${password}`, '127.0.0.32')).status).not.toBe(401);
    // Audited, rate-limited: the first failure at once, the rest summed at the end of the minute.
    const failures = (await events('device.auth_failed')).filter((e) => e.data.deviceId === 'ACC-HIK-01');
    expect(failures).toHaveLength(1);
    expect(failures[0].data).toMatchObject({ failures: 1 });
    process.stdout.write(`device throttle: 500 wrong guesses answered in ${elapsed} ms\n`);
  });

  it('records security events for the admin only, and never a password or a token', async () => {
    for (const type of [
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
    ]) {
      expect(`${type}: ${(await events(type)).length > 0}`).toBe(`${type}: true`);
    }
    const all = await call('GET', '/api/v1/security-events?limit=1000', { token: admin });
    for (const secret of ['acc-victim-password', 'acc-own-password-2', 'given-password-123', 'guess-0', admin]) expect(all.text).not.toContain(secret);
    const failed = (await events('auth.login_failed')).find((e) => e.data.reason === 'unknown_user');
    expect(failed?.data.username).toBeUndefined();
    const future = await call('GET', `/api/v1/security-events?from=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`, { token: admin });
    expect((future.body as { total: number }).total).toBe(0);
    expect((await call('GET', '/api/v1/security-events?type=nonsense', { token: admin })).status).toBe(400);
    const operator = tokensOf(await login('acc-revoke', 'acc-revoke-password')).accessToken;
    expect((await call('GET', '/api/v1/security-events', { token: operator })).status).toBe(403);
  });
});
