import { hikAlert } from '../fixtures/payloads/hikvision-isapi.fixtures';
import { makeDronePhoto } from '../fixtures/photo-fixtures';
import {
  ALL_ROLES,
  type Answer,
  BAD_CREDENTIALS,
  basic,
  type Caller,
  CALLERS,
  caseFromDevice,
  createSecurityUser,
  DEVICE_PASSWORD,
  EXPECTED,
  expectedToday,
  intended,
  KNOWN_DEVIATIONS,
  operationKey,
  type Probe,
  PUBLIC_NON_OPENAPI,
  send,
  signToken,
  startSecurityApp,
  tamperedToken,
  TOWNSHIP_A,
  transition,
  type SecurityApp,
  type SecurityUser,
  unsignedToken,
  uploadFlight,
} from '../support/security-matrix';
import { ADMIN } from '../support/test-app';

/** A user id that exists nowhere (issue 16 account probes). */
const NO_SUCH_USER = '00000000-0000-4000-8000-000000000000';

interface Targets {
  caseId: string;
  photoSha: string;
  flightId: string;
}

/**
 * One request per operation that reaches the handler for an allowed caller without changing anything:
 * real ids (a case and a photo of township A, which the officer of A may see) and bodies that fail
 * validation (400/422) or ids that do not exist (404) where a valid request would write.
 */
const PROBES: Record<string, (t: Targets) => Probe> = {
  'GET /health': () => ({ method: 'GET', path: '/health' }),
  'GET /metrics': () => ({ method: 'GET', path: '/metrics' }),
  'POST /api/v1/auth/login': () => ({ method: 'POST', path: '/api/v1/auth/login', json: {} }),
  'POST /api/v1/auth/refresh': () => ({ method: 'POST', path: '/api/v1/auth/refresh', json: {} }),
  'POST /api/v1/auth/logout': () => ({ method: 'POST', path: '/api/v1/auth/logout', json: {} }),
  'POST /api/v1/auth/stream-token': () => ({ method: 'POST', path: '/api/v1/auth/stream-token' }),
  'GET /api/v1/cases': () => ({ method: 'GET', path: '/api/v1/cases' }),
  'GET /api/v1/cases/{id}': (t) => ({ method: 'GET', path: `/api/v1/cases/${t.caseId}` }),
  'GET /api/v1/alerts/stream': () => ({ method: 'GET', path: '/api/v1/alerts/stream', sse: true }),
  // A registered case of A: the state machine gets as far as the (unknown) unit and refuses with 422.
  'POST /api/v1/cases/{id}/transitions': (t) => ({
    method: 'POST',
    path: `/api/v1/cases/${t.caseId}/transitions`,
    json: { action: 'transfer', unit: 'no-such-unit', reason: 'security matrix probe' },
  }),
  'GET /api/v1/cases/{id}/timeline': (t) => ({ method: 'GET', path: `/api/v1/cases/${t.caseId}/timeline` }),
  'GET /api/v1/cases/{id}/evidence': (t) => ({ method: 'GET', path: `/api/v1/cases/${t.caseId}/evidence` }),
  // Not a picture of this case: 404 past the guard (scoped like the case).
  'GET /api/v1/cases/{id}/pictures/{sha256}/{variant}': (t) => ({ method: 'GET', path: `/api/v1/cases/${t.caseId}/pictures/${'0'.repeat(64)}/thumb` }),
  'GET /api/v1/cases/{id}/dossier.pdf': (t) => ({ method: 'GET', path: `/api/v1/cases/${t.caseId}/dossier.pdf` }),
  'GET /api/v1/cases/{id}/notice': (t) => ({ method: 'GET', path: `/api/v1/cases/${t.caseId}/notice` }),
  'GET /api/v1/cases/{id}/notice.pdf': (t) => ({ method: 'GET', path: `/api/v1/cases/${t.caseId}/notice.pdf` }),
  'POST /api/v1/cases/{id}/notice/deliveries': (t) => ({ method: 'POST', path: `/api/v1/cases/${t.caseId}/notice/deliveries`, json: {} }),
  'POST /api/v1/cases/{id}/report-photos': (t) => ({ method: 'POST', path: `/api/v1/cases/${t.caseId}/report-photos`, json: {} }),
  // Follow-up (issue 18): writes go to a case that does not exist (404) or carry an empty body (400).
  'GET /api/v1/cases/{id}/follow-ups': (t) => ({ method: 'GET', path: `/api/v1/cases/${t.caseId}/follow-ups` }),
  'POST /api/v1/cases/{id}/follow-ups': (t) => ({ method: 'POST', path: `/api/v1/cases/${t.caseId}/follow-ups`, json: {} }),
  'POST /api/v1/cases/{id}/claim': () => ({ method: 'POST', path: `/api/v1/cases/${NO_SUCH_USER}/claim` }),
  'PUT /api/v1/cases/{id}/assignee': (t) => ({ method: 'PUT', path: `/api/v1/cases/${t.caseId}/assignee`, json: {} }),
  'GET /api/v1/assignees': () => ({ method: 'GET', path: '/api/v1/assignees' }),
  'GET /api/v1/follow-ups': () => ({ method: 'GET', path: '/api/v1/follow-ups' }),
  'POST /api/v1/follow-ups/{id}/seen': () => ({ method: 'POST', path: '/api/v1/follow-ups/0/seen' }),
  'GET /api/v1/critical-alerts': () => ({ method: 'GET', path: '/api/v1/critical-alerts' }),
  'POST /api/v1/critical-alerts/{caseId}/ack': () => ({ method: 'POST', path: `/api/v1/critical-alerts/${NO_SUCH_USER}/ack` }),
  'GET /api/v1/figures': () => ({ method: 'GET', path: `/api/v1/figures?from=2020-01-01&to=2020-12-31` }),
  'GET /api/v1/figures/export': () => ({ method: 'GET', path: `/api/v1/figures/export?from=2020-01-01&to=2020-12-31&format=csv` }),
  'GET /api/v1/drones': () => ({ method: 'GET', path: '/api/v1/drones' }),
  'GET /api/v1/flights': () => ({ method: 'GET', path: '/api/v1/flights' }),
  'GET /api/v1/audit/verify': () => ({ method: 'GET', path: '/api/v1/audit/verify' }),
  'GET /api/v1/devices': () => ({ method: 'GET', path: '/api/v1/devices' }),
  'GET /api/v1/devices/{id}': () => ({ method: 'GET', path: '/api/v1/devices/DEMO-CAM-01' }),
  'POST /api/v1/devices': () => ({ method: 'POST', path: '/api/v1/devices', json: {} }),
  'PUT /api/v1/devices/{id}': () => ({ method: 'PUT', path: '/api/v1/devices/DEMO-CAM-01', json: {} }),
  // An empty change is refused by validation (400): nothing changes.
  'PATCH /api/v1/devices/{id}': () => ({ method: 'PATCH', path: '/api/v1/devices/DEMO-CAM-01', json: {} }),
  'DELETE /api/v1/devices/{id}': () => ({ method: 'DELETE', path: '/api/v1/devices/NO-SUCH-DEVICE' }),
  // A real device would lose its password: a missing one answers 404.
  'POST /api/v1/devices/{id}/credentials': () => ({ method: 'POST', path: '/api/v1/devices/NO-SUCH-DEVICE/credentials' }),
  'GET /api/v1/devices/{id}/track': () => ({ method: 'GET', path: '/api/v1/devices/DRONE-01/track' }),
  'GET /api/v1/rules': () => ({ method: 'GET', path: '/api/v1/rules' }),
  // Re-reading the unchanged rules file changes nothing.
  'POST /api/v1/rules/reload': () => ({ method: 'POST', path: '/api/v1/rules/reload' }),
  // A reason that cannot be replayed: refused by validation (400), nothing replayed.
  'POST /api/v1/dead-letters/replay': () => ({ method: 'POST', path: '/api/v1/dead-letters/replay', json: { reason: 'not-a-reason' } }),
  'GET /api/v1/events': () => ({ method: 'GET', path: '/api/v1/events?limit=1' }),
  'GET /api/v1/dead-letters': () => ({ method: 'GET', path: '/api/v1/dead-letters?limit=1' }),
  'GET /api/v1/users': () => ({ method: 'GET', path: '/api/v1/users' }),
  'POST /api/v1/users': () => ({ method: 'POST', path: '/api/v1/users', json: {} }),
  // No such user (404) or an empty change (400): nothing changes, no session ends.
  'PATCH /api/v1/users/{id}': () => ({ method: 'PATCH', path: `/api/v1/users/${NO_SUCH_USER}`, json: {} }),
  'POST /api/v1/users/{id}/password-reset': () => ({ method: 'POST', path: `/api/v1/users/${NO_SUCH_USER}/password-reset`, json: {} }),
  'POST /api/v1/users/{id}/revoke-sessions': () => ({ method: 'POST', path: `/api/v1/users/${NO_SUCH_USER}/revoke-sessions` }),
  // Without the current password: refused by validation (400), the password stays.
  'POST /api/v1/auth/password': () => ({ method: 'POST', path: '/api/v1/auth/password', json: {} }),
  'GET /api/v1/security-events': () => ({ method: 'GET', path: '/api/v1/security-events?limit=1' }),
  'POST /api/v1/ingest/hikvision': () => ({ method: 'POST', path: '/api/v1/ingest/hikvision', raw: { body: '', contentType: 'application/xml' } }),
  'POST /api/v1/flights/{flightId}/photos/check': (t) => ({ method: 'POST', path: `/api/v1/flights/${t.flightId}/photos/check`, json: {} }),
  'POST /api/v1/flights/{flightId}/photos': (t) => ({ method: 'POST', path: `/api/v1/flights/${t.flightId}/photos`, json: {} }),
  'GET /api/v1/flights/{flightId}/photos': (t) => ({ method: 'GET', path: `/api/v1/flights/${t.flightId}/photos` }),
  'GET /api/v1/photos/{sha256}': (t) => ({ method: 'GET', path: `/api/v1/photos/${t.photoSha}` }),
  'GET /api/v1/photos/{sha256}/{kind}': (t) => ({ method: 'GET', path: `/api/v1/photos/${t.photoSha}/thumb` }),
  'POST /api/v1/photos/{sha256}/detections': (t) => ({ method: 'POST', path: `/api/v1/photos/${t.photoSha}/detections`, json: {} }),
  'GET /api/v1/geo/district': () => ({ method: 'GET', path: '/api/v1/geo/district' }),
  'POST /api/v1/public/cases/lookup': () => ({ method: 'POST', path: '/api/v1/public/cases/lookup', json: {} }),
  'POST /api/v1/public/cases/statements': () => ({ method: 'POST', path: '/api/v1/public/cases/statements', json: {} }),
  'POST /api/v1/public/dossiers/verify': () => ({ method: 'POST', path: '/api/v1/public/dossiers/verify', json: {} }),
  'GET /api/v1/public/dossiers/{code}': () => ({ method: 'GET', path: '/api/v1/public/dossiers/AAAA-BBBB-CCCC' }),
  'GET /open311/v2/services.json': () => ({ method: 'GET', path: '/open311/v2/services.json' }),
  'GET /open311/v2/requests.json': () => ({ method: 'GET', path: '/open311/v2/requests.json' }),
  'GET /open311/v2/requests/{id}.json': () => ({ method: 'GET', path: '/open311/v2/requests/CP-20000101-000000.json' }),
  'GET /open311/v2/requests/{id}.xml': () => ({ method: 'GET', path: '/open311/v2/requests/CP-20000101-000000.xml' }),
  'GET /open311/v2/requests.xml': () => ({ method: 'GET', path: '/open311/v2/requests.xml' }),
  'GET /open311/v2/services.xml': () => ({ method: 'GET', path: '/open311/v2/services.xml' }),
  'GET /open311/v2/discovery.json': () => ({ method: 'GET', path: '/open311/v2/discovery.json' }),
  'GET /open311/v2/discovery.xml': () => ({ method: 'GET', path: '/open311/v2/discovery.xml' }),
  'POST /open311/v2/requests.json': () => ({ method: 'POST', path: '/open311/v2/requests.json', json: { api_key: 'cloudpatrol-demo-open311' } }),
  'POST /open311/v2/requests.xml': () => ({ method: 'POST', path: '/open311/v2/requests.xml', json: { api_key: 'cloudpatrol-demo-open311' } }),
  'GET /open311/v2/tokens/{token}.json': () => ({ method: 'GET', path: '/open311/v2/tokens/00000000-0000-4000-8000-000000000000.json' }),
  'GET /open311/v2/tokens/{token}.xml': () => ({ method: 'GET', path: '/open311/v2/tokens/00000000-0000-4000-8000-000000000000.xml' }),
};

describe('security matrix: every endpoint × every role and credential', () => {
  let s: SecurityApp;
  let targets: Targets;
  const auth = {} as Record<Caller, Record<string, string>>;

  beforeAll(async () => {
    s = await startSecurityApp();
    const users = {} as Record<Exclude<(typeof ALL_ROLES)[number], 'device' | 'admin'>, SecurityUser>;
    users.operator = await createSecurityUser(s, 'operator');
    users.supervisor = await createSecurityUser(s, 'supervisor');
    users.pilot = await createSecurityUser(s, 'pilot');
    users.township_officer = await createSecurityUser(s, 'township_officer', { townshipCode: TOWNSHIP_A });
    users.department_liaison = await createSecurityUser(s, 'department_liaison', { unitCode: 'traffic-police' });
    const admin = await s.app.token();

    // A registered case and a photo of township A, so the officer of A passes scope and reaches the handler.
    const made = await caseFromDevice(s, 'DEMO-CAM-01');
    expect(made.townshipCode).toBe(TOWNSHIP_A);
    await transition(s, users.operator.token, made.id, { action: 'review-register', evidenceUsableForPenalty: true });
    const photo = await makeDronePhoto({ width: 640, height: 480, seed: 801, dji: { latitude: 23.1206, longitude: 113.245 } });
    const [photoSha] = await uploadFlight(s, users.pilot.token, 'F-SEC-MATRIX', [photo]);
    targets = { caseId: made.id, photoSha, flightId: 'F-SEC-MATRIX' };

    for (const role of ['operator', 'supervisor', 'pilot', 'township_officer', 'department_liaison'] as const)
      auth[role] = { Authorization: `Bearer ${users[role].token}` };
    auth.admin = { Authorization: `Bearer ${admin}` };
    auth.device = { Authorization: basic('HIK-GATE-01', DEVICE_PASSWORD) };

    const adminClaims = { sub: '00000000-0000-4000-8000-000000000001', usr: 'admin', role: 'admin', aud: 'api' };
    const streamToken = (await send(s.url, { method: 'POST', path: '/api/v1/auth/stream-token' }, auth.admin)).text;
    const bad: Record<(typeof BAD_CREDENTIALS)[number], Record<string, string>> = {
      anonymous: {},
      'expired-token': { Authorization: `Bearer ${signToken(s.jwtSecret, adminClaims, { expiresInSeconds: -60 })}` },
      'wrong-signature': { Authorization: `Bearer ${signToken(`${s.jwtSecret}-but-not-quite`, adminClaims)}` },
      'alg-none': { Authorization: `Bearer ${unsignedToken(adminClaims)}` },
      'tampered-claims': { Authorization: `Bearer ${tamperedToken(users.pilot.token, (c) => ({ ...c, role: 'admin' }))}` },
      'wrong-issuer': { Authorization: `Bearer ${signToken(s.jwtSecret, adminClaims, { issuer: 'someone-else' })}` },
      'stream-token-as-bearer': { Authorization: `Bearer ${(JSON.parse(streamToken) as { token: string }).token}` },
      'user-password-as-basic': { Authorization: basic(ADMIN.username, ADMIN.password) },
      'device-wrong-password': { Authorization: basic('HIK-GATE-01', 'not-the-device-password') },
    };
    Object.assign(auth, bad);
  });

  afterAll(async () => {
    await s?.stop();
  });

  it('has a decision for every operation of the OpenAPI document, and no decision for an operation that is not there', async () => {
    const doc = JSON.parse((await send(s.url, { method: 'GET', path: '/api/docs-json' })).text) as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(m))
        .map((m) => operationKey(m, path)),
    );
    const decided = EXPECTED.map((d) => operationKey(d.method, d.path));
    expect(new Set(decided).size).toBe(decided.length);
    expect({ withoutDecision: served.filter((k) => !decided.includes(k)).sort() }).toEqual({ withoutDecision: [] });
    expect({ decidedButNotServed: decided.filter((k) => !served.includes(k)).sort() }).toEqual({ decidedButNotServed: [] });
    // Every decision has a probe, and every known deviation names a real cell that differs from the intent.
    expect(Object.keys(PROBES).sort()).toEqual([...decided].sort());
    for (const d of KNOWN_DEVIATIONS) {
      const decision = EXPECTED.find((e) => e.method === d.method && e.path === d.path);
      expect(decision && intended(decision, d.role)).toBe(d.intended);
      expect(d.actual).not.toBe(d.intended);
    }
  });

  it('answers every operation for every caller as the table says (allowed: not 401/403; denied: 401 without valid credentials, 403 for a role)', async () => {
    const mismatches: string[] = [];
    const answers: Record<string, Record<string, number>> = {};
    for (const decision of EXPECTED) {
      const key = operationKey(decision.method, decision.path);
      const probe = PROBES[key](targets);
      answers[key] = {};
      for (const caller of CALLERS) {
        const res: Answer = await send(s.url, probe, auth[caller]);
        answers[key][caller] = res.status;
        const want = expectedToday(decision, caller);
        const problem =
          res.status >= 500
            ? `server error ${res.status}: ${res.text.slice(0, 200)}`
            : want === 'allowed'
              ? res.status === 401 || res.status === 403
                ? `allowed by the table, answered ${res.status}: ${res.text.slice(0, 200)}`
                : undefined
              : (BAD_CREDENTIALS as readonly string[]).includes(caller) || caller === 'device'
                ? res.status !== 401 && `denied by the table, expected 401, answered ${res.status}`
                : res.status !== 403 && `denied by the table, expected 403 (role), answered ${res.status}`;
        if (problem) mismatches.push(`${key} as ${caller}: ${problem}`);
      }
    }
    expect(mismatches).toEqual([]);
    // The probes really reached the handlers: an allowed role gets the endpoint's own answer, not a blanket one.
    expect(answers['GET /api/v1/cases/{id}'].township_officer).toBe(200);
    expect(answers['GET /api/v1/photos/{sha256}/{kind}'].township_officer).toBe(200);
    expect(answers['POST /api/v1/cases/{id}/transitions'].operator).toBe(422);
    // Past scope: 400 (not multipart) or 409 (the case is not awaiting a report back).
    expect([400, 409]).toContain(answers['POST /api/v1/cases/{id}/report-photos'].township_officer);
    expect(answers['POST /api/v1/ingest/hikvision'].device).toBe(400);
    expect(answers['GET /api/v1/alerts/stream'].supervisor).toBe(200);
  });

  it('serves the browser app and the OpenAPI page to everyone, whatever credentials come with the request', async () => {
    const wrong: string[] = [];
    for (const page of PUBLIC_NON_OPENAPI) {
      for (const caller of CALLERS) {
        const res = await send(s.url, { method: page.method, path: page.path }, auth[caller]);
        if (res.status !== 200) wrong.push(`${page.method} ${page.path} as ${caller}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('takes a ?token= stream token on the alert stream only, and only for a role that reads alerts', async () => {
    const streamTokenOf = async (caller: Caller) =>
      (JSON.parse((await send(s.url, { method: 'POST', path: '/api/v1/auth/stream-token' }, auth[caller])).text) as { token: string }).token;
    const supervisor = await streamTokenOf('supervisor');
    expect((await send(s.url, { method: 'GET', path: `/api/v1/alerts/stream?token=${supervisor}`, sse: true })).status).toBe(200);
    // Anywhere else the query token is not a credential.
    expect((await send(s.url, { method: 'GET', path: `/api/v1/cases?token=${supervisor}` })).status).toBe(401);
    expect((await send(s.url, { method: 'GET', path: `/api/v1/devices?token=${supervisor}` })).status).toBe(401);
    // An API token is not a stream token, nor is a doctored one.
    const apiToken = auth.supervisor.Authorization.slice('Bearer '.length);
    expect((await send(s.url, { method: 'GET', path: `/api/v1/alerts/stream?token=${apiToken}`, sse: true })).status).toBe(401);
    expect(
      (
        await send(s.url, {
          method: 'GET',
          path: `/api/v1/alerts/stream?token=${unsignedToken({ sub: 'x', usr: 'x', role: 'admin', aud: 'alert-stream' })}`,
          sse: true,
        })
      ).status,
    ).toBe(401);
    const expired = signToken(s.jwtSecret, { sub: 'x', usr: 'x', role: 'admin', aud: 'alert-stream' }, { expiresInSeconds: -1 });
    expect((await send(s.url, { method: 'GET', path: `/api/v1/alerts/stream?token=${expired}`, sse: true })).status).toBe(401);
    // A pilot and a liaison may get a stream token, but the stream still refuses their role.
    for (const caller of ['pilot', 'department_liaison'] as const) {
      expect((await send(s.url, { method: 'GET', path: `/api/v1/alerts/stream?token=${await streamTokenOf(caller)}`, sse: true })).status).toBe(403);
    }
  });

  it('refuses a well-signed token without a role, with a role the product does not have, or with the device role, on every endpoint for people', async () => {
    const superuser = { Authorization: `Bearer ${signToken(s.jwtSecret, { sub: 'x', usr: 'x', role: 'superuser', aud: 'api' })}` };
    const noRole = { Authorization: `Bearer ${signToken(s.jwtSecret, { sub: 'x', usr: 'x', aud: 'api' })}` };
    const deviceRole = { Authorization: `Bearer ${signToken(s.jwtSecret, { sub: 'HIK-GATE-01', usr: 'HIK-GATE-01', role: 'device', aud: 'api' })}` };
    for (const decision of EXPECTED.filter((d) => d.who !== 'public' && !(d.who as readonly string[]).includes('device'))) {
      const probe = PROBES[operationKey(decision.method, decision.path)](targets);
      expect(`${decision.method} ${decision.path}: ${(await send(s.url, probe, superuser)).status}`).toBe(`${decision.method} ${decision.path}: 403`);
      expect(`${decision.method} ${decision.path}: ${(await send(s.url, probe, noRole)).status}`).toBe(`${decision.method} ${decision.path}: 403`);
      expect(`${decision.method} ${decision.path}: ${(await send(s.url, probe, deviceRole)).status}`).toBe(`${decision.method} ${decision.path}: 403`);
    }
  });

  it('admits a device on the Hikvision endpoint only with an active registered id and its password', async () => {
    const hik = PROBES['POST /api/v1/ingest/hikvision'](targets);
    const status = async (authorization: string) => (await send(s.url, hik, { Authorization: authorization })).status;
    expect(await status(basic('HIK-GATE-01', DEVICE_PASSWORD))).toBe(400); // past auth: empty body
    expect(await status(basic('NO-SUCH-DEVICE', DEVICE_PASSWORD))).toBe(401);
    expect(await status(basic('HIK-GATE-01', `${DEVICE_PASSWORD}x`))).toBe(401);
    expect(await status(basic('HIK-GATE-01', ''))).toBe(401);
    expect(await status(basic('', DEVICE_PASSWORD))).toBe(401);
    expect(await status(`Basic ${Buffer.from('HIK-GATE-01').toString('base64')}`)).toBe(401);
    expect(await status('Basic !!!not-base64!!!')).toBe(401);
    // A retired device is refused at once.
    const supervisor = auth.supervisor;
    expect((await send(s.url, { method: 'DELETE', path: '/api/v1/devices/CAM-SHOP-01' }, supervisor)).status).toBe(200);
    expect(await status(basic('CAM-SHOP-01', DEVICE_PASSWORD))).toBe(401);
  });

  /**
   * Regression (found by this suite, fixed): the Hikvision endpoint checks that *some* active device authenticated,
   * then stores the alarm under the device the XML names (MAC/IP/channel). Any device — a drone, a department
   * feed, a camera of another owner — can push alarms as HIK-GATE-01.
   */
  it('a device cannot push a Hikvision alarm in the name of another device', async () => {
    const alarm = hikAlert(
      { macAddress: '44:19:b6:00:00:01', channelID: '1', dateTime: new Date().toISOString() },
      '<AID><illegalTrafficEvent>illegalParking</illegalTrafficEvent></AID>',
    );
    const before = Number((await s.db.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE device_id = 'HIK-GATE-01'`)).rows[0].n);
    const res = await send(
      s.url,
      { method: 'POST', path: '/api/v1/ingest/hikvision', raw: { body: alarm, contentType: 'application/xml' } },
      { Authorization: basic('DRONE-01', DEVICE_PASSWORD) },
    );
    const after = Number((await s.db.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE device_id = 'HIK-GATE-01'`)).rows[0].n);
    expect({ refused: res.status === 403 || res.status === 400, stored: after - before }).toEqual({ refused: true, stored: 0 });
  });
});
