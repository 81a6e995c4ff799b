import { JwtService } from '@nestjs/jwt';
import type { Role } from '@app/domain';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { Client } from 'pg';
import request from 'supertest';
import { startMosquitto, stopProcessAndWait } from './services';
import { eventually, startTestApp, type TestApp } from './test-app';

/**
 * Issue 8: who may call what, written by hand from the product's intent (README "HTTP API", the roles in
 * libs/domain/src/access/actor.ts, what each role is for) — deliberately NOT derived from the @Access
 * decorators, so a decorator that drifts from the intent fails security-matrix.int-spec.ts.
 *
 * "Allowed" means the caller gets past authentication and the role check (any answer but 401/403: a dummy
 * id may give 404, a dummy body 400/422). "Denied" means 401 (no or bad credentials) or 403 (role).
 * Object scope (an officer's township, a liaison's unit) is not this table's business: see
 * security-scoping.int-spec.ts.
 */

export type HumanRole = Exclude<Role, 'device'>;
export const HUMAN_ROLES: readonly HumanRole[] = ['operator', 'supervisor', 'pilot', 'township_officer', 'department_liaison', 'admin'];
/** Every role of the product; `device` authenticates with HTTP Basic (device id, device password). */
export const ALL_ROLES: readonly Role[] = [...HUMAN_ROLES, 'device'];

/** Callers that must be refused with 401 by every non-public endpoint. */
export const BAD_CREDENTIALS = [
  /** No Authorization header at all. */
  'anonymous',
  /** Signed with the right secret, issuer and audience, role admin, but `exp` in the past. */
  'expired-token',
  /** Role admin, signed with another secret. */
  'wrong-signature',
  /** Role admin, `alg: none`, no signature. */
  'alg-none',
  /** A real pilot token whose payload was edited to role admin, original signature kept. */
  'tampered-claims',
  /** Right secret, but issued by someone else than `cloudpatrol`. */
  'wrong-issuer',
  /** A valid 60-second EventSource token (audience alert-stream) sent as a Bearer API token. */
  'stream-token-as-bearer',
  /** A person's username and password sent as HTTP Basic (Basic is for devices only). */
  'user-password-as-basic',
  /** A registered device id with a wrong password. */
  'device-wrong-password',
] as const;
export type BadCredential = (typeof BAD_CREDENTIALS)[number];
export type Caller = Role | BadCredential;
export const CALLERS: readonly Caller[] = [...ALL_ROLES, ...BAD_CREDENTIALS];

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Who = 'public' | readonly Role[];

export interface EndpointDecision {
  method: Method;
  /** As the OpenAPI document writes it (`{id}` for path parameters). */
  path: string;
  who: Who;
  why: string;
}

// The groups, by what each role is for (not imported from the code's constants on purpose).
/** The governance centre and the township teams read cases; an officer sees its own township only. */
const CASE_READERS: readonly Role[] = ['operator', 'supervisor', 'admin', 'township_officer'];
/** Anyone who may work on a case: the readers, plus a department liaison for cases transferred to its unit. */
const CASE_RECORD_READERS: readonly Role[] = [...CASE_READERS, 'department_liaison'];
/** Who acts in the closed loop. Not a pilot (flies), not the admin (accounts and configuration only). */
const CASE_ACTORS: readonly Role[] = ['operator', 'supervisor', 'township_officer', 'department_liaison'];
/** Device register and rules: the centre reads them; supervisors and admins change them. */
const CENTRE_READERS: readonly Role[] = ['operator', 'supervisor', 'admin'];
const CENTRE_WRITERS: readonly Role[] = ['supervisor', 'admin'];
/** Drone imagery: pilots upload (a supervisor or admin may upload for them). */
const UPLOADERS: readonly Role[] = ['pilot', 'supervisor', 'admin'];
/** Drone imagery: who browses a flight's photos (the uploaders and the centre's operators). */
const IMAGERY_STAFF: readonly Role[] = ['pilot', 'operator', 'supervisor', 'admin'];
const EVERY_PERSON: readonly Role[] = HUMAN_ROLES;

export const EXPECTED: readonly EndpointDecision[] = [
  // Operations
  { method: 'GET', path: '/health', who: 'public', why: 'load balancers and probes' },
  {
    method: 'GET',
    path: '/metrics',
    who: 'public',
    why: 'README: Prometheus scrape without login, but by default to this host only (the probes come from loopback); METRICS_TOKEN / METRICS_PORT otherwise — metrics-access.int-spec.ts',
  },
  // Sign-in
  { method: 'POST', path: '/api/v1/auth/login', who: 'public', why: 'how a person gets a token' },
  { method: 'POST', path: '/api/v1/auth/refresh', who: 'public', why: 'the refresh token in the body is the credential (the access token has expired)' },
  {
    method: 'POST',
    path: '/api/v1/auth/logout',
    who: 'public',
    why: 'the refresh token in the body is the credential; ending a login needs no valid access token',
  },
  {
    method: 'POST',
    path: '/api/v1/auth/stream-token',
    who: EVERY_PERSON,
    why: 'README: staff; the token only opens /alerts/stream, which checks the role again',
  },
  // Cases and alerts
  { method: 'GET', path: '/api/v1/cases', who: CASE_READERS, why: 'README: operator, supervisor, admin, township officer (own township)' },
  { method: 'GET', path: '/api/v1/cases/{id}', who: CASE_READERS, why: 'README: as the list' },
  { method: 'GET', path: '/api/v1/alerts/stream', who: CASE_READERS, why: 'README: same as cases' },
  {
    method: 'POST',
    path: '/api/v1/cases/{id}/transitions',
    who: CASE_ACTORS,
    why: 'the loop is worked by the centre, township teams and departments; pilots and the admin never act on a case',
  },
  { method: 'GET', path: '/api/v1/cases/{id}/timeline', who: CASE_RECORD_READERS, why: 'the record of a case; a liaison for cases of its unit' },
  { method: 'GET', path: '/api/v1/cases/{id}/evidence', who: CASE_RECORD_READERS, why: 'the sealed evidence of a case; a liaison for cases of its unit' },
  { method: 'GET', path: '/api/v1/cases/{id}/pictures/{sha256}/{variant}', who: CASE_RECORD_READERS, why: 'a picture of the case: read like its evidence' },
  { method: 'GET', path: '/api/v1/cases/{id}/dossier.pdf', who: CASE_RECORD_READERS, why: 'the case file for legal review: read like the record, and audited' },
  { method: 'GET', path: '/api/v1/cases/{id}/notice', who: CASE_RECORD_READERS, why: "the party's notice and its deliveries: part of the record" },
  { method: 'GET', path: '/api/v1/cases/{id}/notice.pdf', who: CASE_RECORD_READERS, why: 'the notice letter to print and hand over' },
  {
    method: 'POST',
    path: '/api/v1/cases/{id}/notice/deliveries',
    who: ['operator', 'supervisor', 'township_officer'],
    why: 'the centre or the township team delivers the notice; a department does not serve the party',
  },
  { method: 'POST', path: '/api/v1/cases/{id}/report-photos', who: ['township_officer', 'department_liaison'], why: 'after-photos come from the unit on site' },
  // Follow-up on a shift (issue 18): desks, 督办 / 催办, the critical alert queue
  { method: 'GET', path: '/api/v1/cases/{id}/follow-ups', who: CASE_READERS, why: "a case's assignee and follow-ups: read like the case" },
  {
    method: 'POST',
    path: '/api/v1/cases/{id}/follow-ups',
    who: ['operator', 'supervisor'],
    why: 'the centre follows up (督办 a supervisor, 催办 an operator too)',
  },
  { method: 'POST', path: '/api/v1/cases/{id}/claim', who: ['operator', 'supervisor'], why: "the centre's staff take cases onto their desk" },
  { method: 'PUT', path: '/api/v1/cases/{id}/assignee', who: ['supervisor'], why: 'a supervisor hands out the work' },
  { method: 'GET', path: '/api/v1/assignees', who: ['operator', 'supervisor'], why: "who may hold a case: names of the centre's staff" },
  { method: 'GET', path: '/api/v1/follow-ups', who: CASE_READERS, why: "open follow-ups in the caller's scope (a team sees its township's)" },
  { method: 'POST', path: '/api/v1/follow-ups/{id}/seen', who: ['township_officer'], why: 'the handling team says it saw the follow-up' },
  { method: 'GET', path: '/api/v1/critical-alerts', who: CENTRE_READERS, why: "the centre's queue of unacknowledged critical alerts" },
  {
    method: 'POST',
    path: '/api/v1/critical-alerts/{caseId}/ack',
    who: ['operator', 'supervisor'],
    why: 'the people on shift acknowledge; the admin only reads',
  },
  { method: 'GET', path: '/api/v1/figures', who: CASE_READERS, why: 'evaluation figures; an officer for its own township' },
  // Issue 18 (figures export, pilot's drone picker)
  {
    method: 'GET',
    path: '/api/v1/figures/export',
    who: CASE_READERS,
    why: 'the figures and the overdue list as files for the dispatch meeting: read like the figures',
  },
  {
    method: 'GET',
    path: '/api/v1/drones',
    who: ['pilot', 'supervisor', 'admin'],
    why: "the upload page's drone picker (id, name, kind): pilots need it without reading the device register",
  },
  { method: 'GET', path: '/api/v1/flights', who: ['pilot', 'operator', 'supervisor', 'admin'], why: 'the photo browser: a pilot sees their own flights' },
  { method: 'GET', path: '/api/v1/audit/verify', who: CENTRE_WRITERS, why: 're-checks the whole audit chain: supervision' },
  // Devices and rules
  { method: 'GET', path: '/api/v1/devices', who: CENTRE_READERS, why: 'README: supervisor, admin (read: operator)' },
  { method: 'GET', path: '/api/v1/devices/{id}', who: CENTRE_READERS, why: 'README: as the list' },
  { method: 'POST', path: '/api/v1/devices', who: CENTRE_WRITERS, why: 'README: register' },
  { method: 'PUT', path: '/api/v1/devices/{id}', who: CENTRE_WRITERS, why: 'README: update' },
  { method: 'PATCH', path: '/api/v1/devices/{id}', who: CENTRE_WRITERS, why: "README: change some fields (a source's apiUrl)" },
  { method: 'DELETE', path: '/api/v1/devices/{id}', who: CENTRE_WRITERS, why: 'README: retire' },
  { method: 'POST', path: '/api/v1/devices/{id}/credentials', who: CENTRE_WRITERS, why: 'issues a device password: whoever registers devices' },
  {
    method: 'GET',
    path: '/api/v1/devices/{id}/track',
    who: CENTRE_READERS,
    why: "a drone's positions: the centre's map and the placing of marks, as the device's read",
  },
  { method: 'GET', path: '/api/v1/rules', who: CENTRE_READERS, why: 'the rules in force: the centre' },
  { method: 'POST', path: '/api/v1/rules/reload', who: CENTRE_WRITERS, why: 'changes classification for every worker' },
  {
    method: 'POST',
    path: '/api/v1/dead-letters/replay',
    who: CENTRE_WRITERS,
    why: 'issue 23: stores what the rate limit kept aside, past the limit: supervision',
  },
  { method: 'GET', path: '/api/v1/events', who: CENTRE_READERS, why: 'issue 17: what a device sent and what became of it: the centre, like the devices' },
  {
    method: 'GET',
    path: '/api/v1/dead-letters',
    who: CENTRE_READERS,
    why: 'issue 17: what could not become an event and why: the centre (replay stays supervision)',
  },
  // Accounts
  { method: 'GET', path: '/api/v1/users', who: ['admin'], why: 'README: admin' },
  { method: 'POST', path: '/api/v1/users', who: ['admin'], why: 'README: admin' },
  { method: 'PATCH', path: '/api/v1/users/{id}', who: ['admin'], why: 'issue 16: disable, enable, change role or scope of an account' },
  { method: 'POST', path: '/api/v1/users/{id}/password-reset', who: ['admin'], why: "issue 16: sets someone else's password" },
  { method: 'POST', path: '/api/v1/users/{id}/revoke-sessions', who: ['admin'], why: "issue 16: ends someone else's sessions" },
  { method: 'POST', path: '/api/v1/auth/password', who: EVERY_PERSON, why: 'issue 16: each person changes its own password (needs the current one)' },
  { method: 'GET', path: '/api/v1/security-events', who: ['admin'], why: 'issue 16: logins, lockouts, credential changes: the administrator' },
  // Device ingest
  { method: 'POST', path: '/api/v1/ingest/hikvision', who: ['device'], why: 'README: device (HTTP Basic) only; no person posts alarms' },
  // Drone imagery
  {
    method: 'POST',
    path: '/api/v1/flights/{flightId}/photos/check',
    who: UPLOADERS,
    why: 'the first half of an upload (which hashes are missing): only for who may upload',
  },
  { method: 'POST', path: '/api/v1/flights/{flightId}/photos', who: UPLOADERS, why: 'pilots upload; supervisor/admin on their behalf' },
  { method: 'GET', path: '/api/v1/flights/{flightId}/photos', who: IMAGERY_STAFF, why: 'unscoped flight listing: not for township officers' },
  { method: 'GET', path: '/api/v1/photos/{sha256}', who: [...IMAGERY_STAFF, 'township_officer'], why: 'a photo; an officer for photos of its township' },
  { method: 'GET', path: '/api/v1/photos/{sha256}/{kind}', who: [...IMAGERY_STAFF, 'township_officer'], why: 'as the photo' },
  {
    method: 'POST',
    path: '/api/v1/photos/{sha256}/detections',
    who: ['pilot', 'operator', 'supervisor'],
    why: 'a pilot marks what it saw, the centre reviews; marks become events',
  },
  // The browser app
  { method: 'GET', path: '/api/v1/geo/district', who: EVERY_PERSON, why: 'the map every signed-in page draws' },
  // Public, no login
  { method: 'POST', path: '/api/v1/public/cases/lookup', who: 'public', why: 'the party of a case, with case number + plate or notice code' },
  { method: 'POST', path: '/api/v1/public/cases/statements', who: 'public', why: 'the party of a case states its defence' },
  { method: 'POST', path: '/api/v1/public/dossiers/verify', who: 'public', why: 'anyone holding a printed case file checks its evidence hashes' },
  { method: 'GET', path: '/api/v1/public/dossiers/{code}', who: 'public', why: 'the same check from the QR code on the case file' },
  { method: 'GET', path: '/open311/v2/services.json', who: 'public', why: 'Open311 GeoReport v2, read only' },
  { method: 'GET', path: '/open311/v2/requests.json', who: 'public', why: 'Open311 GeoReport v2, read only' },
  { method: 'GET', path: '/open311/v2/requests/{id}.json', who: 'public', why: 'Open311 GeoReport v2, read only' },
  { method: 'GET', path: '/open311/v2/requests/{id}.xml', who: 'public', why: 'Open311 GeoReport v2, read only (XML)' },
  { method: 'GET', path: '/open311/v2/requests.xml', who: 'public', why: 'Open311 GeoReport v2, read only (XML)' },
  { method: 'GET', path: '/open311/v2/services.xml', who: 'public', why: 'Open311 GeoReport v2, read only (XML)' },
  { method: 'GET', path: '/open311/v2/discovery.json', who: 'public', why: 'Open311 service discovery: where the endpoint is, whom to ask for a key' },
  { method: 'GET', path: '/open311/v2/discovery.xml', who: 'public', why: 'Open311 service discovery (XML)' },
  {
    method: 'POST',
    path: '/open311/v2/requests.json',
    who: 'public',
    why: "a hotline or citizen app reports an issue: no login, the client's API key (checked inside, 403 in GeoReport form) is its credential",
  },
  { method: 'POST', path: '/open311/v2/requests.xml', who: 'public', why: 'the same report answered in XML; API key checked inside' },
  { method: 'GET', path: '/open311/v2/tokens/{token}.json', who: 'public', why: 'the case number of a reported request once known (the token is unguessable)' },
  { method: 'GET', path: '/open311/v2/tokens/{token}.xml', who: 'public', why: 'the same in XML' },
];

/** Served outside the OpenAPI document; public for everyone. */
export const PUBLIC_NON_OPENAPI: readonly { method: Method; path: string; why: string }[] = [
  { method: 'GET', path: '/', why: 'the browser app (static web/)' },
  { method: 'GET', path: '/index.html', why: 'the browser app' },
  { method: 'GET', path: '/app.js', why: 'the browser app' },
  { method: 'GET', path: '/api/docs', why: 'the OpenAPI page' },
  { method: 'GET', path: '/api/docs-json', why: 'the OpenAPI document' },
];

/**
 * Cells where the running app differs from the intent above. Each is reported (issue 8) and asserted as it
 * is today, so that fixing the code makes the matrix fail until the entry is removed: the table never
 * silently adopts what the code happens to do.
 */
export interface KnownDeviation {
  method: Method;
  path: string;
  role: Role;
  intended: 'allowed' | 'denied';
  actual: 'allowed' | 'denied';
  why: string;
}

/** Cells where the product knowingly differs from the intent (none today; add one with its reason). */
export const KNOWN_DEVIATIONS: readonly KnownDeviation[] = [];

export const operationKey = (method: string, path: string): string => `${method.toUpperCase()} ${path}`;

export function intended(decision: Pick<EndpointDecision, 'who'>, caller: Caller): 'allowed' | 'denied' {
  if (decision.who === 'public') return 'allowed';
  return (decision.who as readonly string[]).includes(caller) ? 'allowed' : 'denied';
}

/** What the running app is expected to answer today: the intent, except for a listed deviation. */
export function expectedToday(decision: EndpointDecision, caller: Caller): 'allowed' | 'denied' {
  const deviation = KNOWN_DEVIATIONS.find((d) => d.method === decision.method && d.path === decision.path && d.role === caller);
  return deviation ? deviation.actual : intended(decision, caller);
}

// ---------------------------------------------------------------------------------------------------------
// The harness the security-*.int-spec.ts files share: an app on a broker of its own, users, cases, requests.
// ---------------------------------------------------------------------------------------------------------

/** Township A and B of the synthetic demo district (config/demo/townships.geojson: 0.03° squares). */
export const TOWNSHIP_A = '449901001';
export const TOWNSHIP_B = '449901002';
/**
 * A point well inside each (A: lng 113.235–113.265, lat 23.10–23.13; B: lng 113.265–113.295, lat 23.13–23.16),
 * away from grid lines, and in another grid cell of A than DEMO-CAM-01 (23.105, 113.255).
 */
export const INSIDE_A = { lat: 23.122, lng: 113.242 };
export const INSIDE_B = { lat: 23.152, lng: 113.272 };
export const DEVICE_PASSWORD = 'cloudpatrol-demo';

export interface SecurityApp {
  app: TestApp;
  url: string;
  mqtt: MqttClient;
  db: Client;
  jwtSecret: string;
  stop(): Promise<void>;
}

/**
 * A real CloudPatrol (standalone: API + ingest worker; or the API alone, without background jobs) on the run's
 * PostgreSQL, with a Mosquitto of its own (events published here reach no other test file's app), media under
 * a temporary DATA_DIR, and a known JWT_SECRET so the tests can sign expired and otherwise doctored tokens.
 */
export async function startSecurityApp(env: Record<string, string> = {}, mode: 'standalone' | 'api' = 'standalone'): Promise<SecurityApp> {
  const broker = await startMosquitto(`security-${randomBytes(4).toString('hex')}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'cp-security-'));
  const jwtSecret = randomBytes(36).toString('base64url');
  const cleanup = async () => {
    await stopProcessAndWait(broker.pid);
    rmSync(broker.dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  };
  let app: TestApp;
  try {
    app = await startTestApp({ mode, env: { MQTT_URL: broker.url, DATA_DIR: dataDir, JWT_SECRET: jwtSecret, ...env } });
  } catch (err) {
    await cleanup();
    throw err;
  }
  const mqtt = await connectAsync(broker.url, { protocolVersion: 5 });
  const db = new Client({ connectionString: app.databaseUrl });
  await db.connect();
  return {
    app,
    url: app.url,
    mqtt,
    db,
    jwtSecret,
    stop: async () => {
      await mqtt.endAsync().catch(() => undefined);
      await db.end().catch(() => undefined);
      await app.stop();
      await cleanup();
    },
  };
}

export interface SecurityUser {
  id: string;
  role: HumanRole;
  username: string;
  password: string;
  token: string;
}

/** A person of `role` made through POST /api/v1/users as the admin, then logged in. */
export async function createSecurityUser(s: SecurityApp, role: HumanRole, extra: { townshipCode?: string; unitCode?: string } = {}): Promise<SecurityUser> {
  const username = `sec-${role.replace('_', '-')}-${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(9).toString('hex')}`;
  const created = await request(s.url)
    .post('/api/v1/users')
    .set('Authorization', `Bearer ${await s.app.token()}`)
    .send({ username, password, role, displayName: `Security ${role}`, ...extra });
  if (created.status !== 201) throw new Error(`creating a ${role} answered ${created.status}: ${JSON.stringify(created.body)}`);
  return { id: (created.body as { id: string }).id, role, username, password, token: await login(s, username, password) };
}

export async function login(s: SecurityApp, username: string, password: string): Promise<string> {
  const res = await request(s.url).post('/api/v1/auth/login').send({ username, password });
  if (res.status !== 200) throw new Error(`login of ${username} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return (res.body as { accessToken: string }).accessToken;
}

export interface MadeCase {
  id: string;
  caseNumber: string;
  townshipCode: string | null;
  handlingUnit: string | null;
}

/**
 * A case the way a device makes one: a garbage detection published on MQTT, classified by the worker.
 * DEMO-CAM-01 stands in township A; DRONE-01 reports where it is (`location`), so it can make a case anywhere.
 */
export async function caseFromDevice(s: SecurityApp, deviceId: 'DEMO-CAM-01' | 'DRONE-01', location?: { lat: number; lng: number }): Promise<MadeCase> {
  const eventId = `sec-${randomBytes(6).toString('hex')}`;
  const payload = {
    eventId,
    deviceId,
    occurredAt: new Date().toISOString(),
    ...(location && { location }),
    detections: [{ label: 'garbage', confidence: 0.93 }],
  };
  await s.mqtt.publishAsync(`cloudpatrol/v1/devices/${deviceId}/events`, JSON.stringify(payload), { qos: 1 });
  return eventually(`the case of event ${eventId}`, async () => {
    const r = await s.db.query<{ id: string; case_number: string; township_code: string | null; handling_unit: string | null }>(
      `SELECT c.id, c.case_number, c.township_code, c.handling_unit FROM cases c
         JOIN case_occurrences o ON o.case_id = c.id JOIN events e ON e.id = o.event_id
        WHERE e.source_event_id = $1`,
      [eventId],
    );
    const row = r.rows[0];
    return row ? { id: row.id, caseNumber: row.case_number, townshipCode: row.township_code, handlingUnit: row.handling_unit } : undefined;
  });
}

/** POST /api/v1/cases/{id}/transitions, which must succeed. */
export async function transition(s: SecurityApp, token: string, caseId: string, body: Record<string, unknown>): Promise<void> {
  const res = await request(s.url).post(`/api/v1/cases/${caseId}/transitions`).set('Authorization', `Bearer ${token}`).send(body);
  if (res.status !== 200) throw new Error(`${String(body.action)} answered ${res.status}: ${JSON.stringify(res.body)}`);
}

/** Uploads photos as one flight (multipart, as the pilots' app does); returns the SHA-256 of each stored one. */
export async function uploadFlight(s: SecurityApp, token: string, flightId: string, photos: Buffer[]): Promise<string[]> {
  const req = request(s.url).post(`/api/v1/flights/${flightId}/photos`).set('Authorization', `Bearer ${token}`).field('deviceId', 'DRONE-01');
  for (const [i, p] of photos.entries()) void req.attach('photo', p, { filename: `P${i}.JPG`, contentType: 'image/jpeg' });
  const res = await req;
  const results = (res.body as { results?: { status: string; sha256?: string; reason?: string }[] }).results ?? [];
  if (res.status !== 200 || results.some((r) => r.status !== 'stored' && r.status !== 'duplicate'))
    throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
  return results.map((r) => r.sha256 as string);
}

export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64url');

/** Claims as AuthService issues them (sub, usr, role, aud; iss cloudpatrol; HS256). */
export function signToken(secret: string, claims: Record<string, unknown>, options: { expiresInSeconds?: number; issuer?: string } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iat: now, exp: now + (options.expiresInSeconds ?? 900), iss: options.issuer ?? 'cloudpatrol', ...claims };
  return new JwtService({ secret }).sign(payload, { algorithm: 'HS256' });
}

/** An unsigned token (`alg: none`) with the given claims. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iat: now, exp: now + 900, iss: 'cloudpatrol', ...claims })}.`;
}

/** The same token with its payload edited (signature kept). */
export function tamperedToken(token: string, edit: (claims: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${header}.${b64url(edit(claims))}.${signature}`;
}

export interface Probe {
  method: Method;
  /** Path and query, already encoded. */
  path: string;
  json?: unknown;
  /** A body sent as is, with its content type. */
  raw?: { body: Buffer | string; contentType: string };
  /** Server-Sent Events: the status is read from the headers, then the stream is closed. */
  sse?: boolean;
}

export interface Answer {
  status: number;
  text: string;
}

/** One HTTP request (fetch, so bodies and headers go as given); an SSE stream is closed as soon as it answers. */
export async function send(baseUrl: string, probe: Probe, headers: Record<string, string> = {}, timeoutMs = 20_000): Promise<Answer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const h: Record<string, string> = { ...headers };
    let body: string | Uint8Array | undefined;
    if (probe.json !== undefined) {
      h['Content-Type'] = 'application/json';
      body = JSON.stringify(probe.json);
    } else if (probe.raw) {
      h['Content-Type'] = probe.raw.contentType;
      body = typeof probe.raw.body === 'string' ? probe.raw.body : new Uint8Array(probe.raw.body);
    }
    if (probe.sse) h.Accept = 'text/event-stream';
    const res = await fetch(`${baseUrl}${probe.path}`, { method: probe.method, headers: h, body, redirect: 'manual', signal: controller.signal });
    if (probe.sse && res.status === 200) {
      controller.abort();
      return { status: res.status, text: '' };
    }
    return { status: res.status, text: await res.text() };
  } finally {
    clearTimeout(timer);
  }
}
