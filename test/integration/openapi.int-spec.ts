import { documentGaps } from '@app/http/openapi/document-gaps';
import type { OpenAPIObject, OperationObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import request from 'supertest';
import { hikAlert } from '../fixtures/payloads/hikvision-isapi.fixtures';
import { makeDronePhoto } from '../fixtures/photo-fixtures';
import {
  basic,
  caseFromDevice,
  createSecurityUser,
  DEVICE_PASSWORD,
  EXPECTED,
  operationKey,
  send,
  startSecurityApp,
  TOWNSHIP_A,
  type SecurityApp,
  type SecurityUser,
} from '../support/security-matrix';
import { ADMIN } from '../support/test-app';

/** The POSTs that take no body: every other POST, PUT and PATCH must declare one. */
const NO_BODY = [
  'POST /api/v1/auth/stream-token',
  'POST /api/v1/rules/reload',
  'POST /api/v1/devices/{id}/credentials',
  'POST /api/v1/users/{id}/revoke-sessions',
  // Follow-up (issue 18): the path says it all.
  'POST /api/v1/cases/{id}/claim',
  'POST /api/v1/follow-ups/{id}/seen',
  'POST /api/v1/critical-alerts/{caseId}/ack',
];

type Schema = SchemaObject & { nullable?: boolean; additionalProperties?: boolean | Schema; items?: Schema | Schema[] };

/**
 * Where a value breaks a schema of the OpenAPI subset zod emits (type, nullable, enum, properties, required, closed
 * objects, items, anyOf/oneOf/allOf); constraints such as lengths are not the question here, the shape is.
 */
function breaks(schema: Schema, value: unknown, at = '$'): string[] {
  if (value === null) return schema.nullable || schema.type === undefined ? [] : [`${at}: null`];
  if (schema.anyOf || schema.oneOf) {
    const options = (schema.anyOf ?? schema.oneOf) as Schema[];
    const tried = options.map((o) => breaks(o, value, at));
    return tried.some((t) => t.length === 0) ? [] : [`${at}: matches no option (${tried.map((t) => t[0]).join(' | ')})`];
  }
  if (schema.allOf) return (schema.allOf as Schema[]).flatMap((s) => breaks(s, value, at));
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`];
  const kind = Array.isArray(value) ? 'array' : typeof value;
  switch (schema.type) {
    case undefined:
      return [];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: ${JSON.stringify(value)} is not an integer`];
    case 'number':
    case 'string':
    case 'boolean':
      return kind === schema.type ? [] : [`${at}: ${kind}, documented ${schema.type}`];
    case 'array': {
      if (!Array.isArray(value)) return [`${at}: ${kind}, documented array`];
      const items = schema.items;
      return value.flatMap((v, i) => (items === undefined ? [] : breaks(Array.isArray(items) ? (items[i] ?? {}) : items, v, `${at}[${i}]`)));
    }
    case 'object': {
      if (kind !== 'object') return [`${at}: ${kind}, documented object`];
      const record = value as Record<string, unknown>;
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const missing = (schema.required ?? []).filter((k) => !(k in record)).map((k) => `${at}.${k}: missing`);
      const fields = Object.entries(record).flatMap(([k, v]) => {
        if (properties[k]) return breaks(properties[k], v, `${at}.${k}`);
        if (schema.additionalProperties === false) return [`${at}.${k}: not documented`];
        return typeof schema.additionalProperties === 'object' ? breaks(schema.additionalProperties, v, `${at}.${k}`) : [];
      });
      return [...missing, ...fields];
    }
    default:
      return [`${at}: unknown schema type ${String(schema.type)}`];
  }
}

describe('OpenAPI: the document the API serves, and the answers it describes', () => {
  let s: SecurityApp;
  let doc: OpenAPIObject;
  let admin: string;
  let operator: SecurityUser;
  let officer: SecurityUser;
  let pilot: SecurityUser;
  /** Operations whose answers were compared with their documented schema. */
  const checked = new Set<string>();

  const operationOf = (method: string, path: string) =>
    doc.paths[path]?.[method.toLowerCase() as 'get'] as (OperationObject & Record<string, unknown>) | undefined;

  /** The answer's body against the schema documented for its status and content type. */
  function expectDocumented(method: string, path: string, res: { status: number; headers: Record<string, string>; text: string; body?: unknown }): void {
    const op = operationOf(method, path);
    const name = operationKey(method, path);
    const response = op?.responses[String(res.status)] as ResponseObject | undefined;
    expect(`${name} ${res.status}: ${response ? 'documented' : `not documented (${res.text.slice(0, 300)})`}`).toBe(`${name} ${res.status}: documented`);
    if (res.status === 204) return void checked.add(name);
    const type = (res.headers['content-type'] ?? '').split(';')[0].trim();
    const media = response?.content?.[type];
    expect(`${name} ${res.status}: ${type} ${media ? 'documented' : `not in ${Object.keys(response?.content ?? {}).join(', ')}`}`).toBe(
      `${name} ${res.status}: ${type} documented`,
    );
    if (type === 'application/json') expect(breaks(media?.schema as Schema, JSON.parse(res.text), name)).toEqual([]);
    checked.add(name);
  }

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  async function call(method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, template: string, headers: Record<string, string>, body?: unknown) {
    const req = request(s.url)[method](path).set(headers);
    const res = body === undefined ? await req : await req.send(body as object);
    expectDocumented(method, template, res);
    return res;
  }

  beforeAll(async () => {
    s = await startSecurityApp();
    admin = await s.app.token();
    operator = await createSecurityUser(s, 'operator');
    officer = await createSecurityUser(s, 'township_officer', { townshipCode: TOWNSHIP_A });
    pilot = await createSecurityUser(s, 'pilot');
    doc = JSON.parse((await send(s.url, { method: 'GET', path: '/api/docs-json' })).text) as OpenAPIObject;
  });

  afterAll(async () => {
    await s?.stop();
  });

  it('says for every operation who may call it, its request body and its success response', () => {
    expect(documentGaps(doc, (method, path) => !NO_BODY.includes(operationKey(method, path)))).toEqual([]);
  });

  it('documents every endpoint of the security matrix, public exactly where the matrix says so', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      (['get', 'put', 'post', 'delete', 'patch'] as const)
        .filter((m) => item[m])
        .map((m) => `${operationKey(m, path)} ${(item[m] as unknown as Record<string, unknown>)['x-public'] === true ? 'public' : 'login'}`),
    );
    expect(documented.sort()).toEqual(EXPECTED.map((e) => `${operationKey(e.method, e.path)} ${e.who === 'public' ? 'public' : 'login'}`).sort());
  });

  it('answers what it documents: JSON bodies match their schemas, other answers their content types', async () => {
    // Sign-in.
    const login = await call('post', '/api/v1/auth/login', '/api/v1/auth/login', {}, ADMIN);
    await call('post', '/api/v1/auth/refresh', '/api/v1/auth/refresh', {}, { refreshToken: (login.body as { refreshToken: string }).refreshToken });
    await call('post', '/api/v1/auth/stream-token', '/api/v1/auth/stream-token', as(admin));
    const spare = await call('post', '/api/v1/auth/login', '/api/v1/auth/login', {}, ADMIN);
    await call('post', '/api/v1/auth/logout', '/api/v1/auth/logout', {}, { refreshToken: (spare.body as { refreshToken: string }).refreshToken });

    // Operations, accounts, devices, rules.
    await call('get', '/health', '/health', {});
    await call('get', '/metrics', '/metrics', {});
    // By default /metrics answers this host only; through a proxy it is refused (issue 16 item 7).
    expect((await call('get', '/metrics', '/metrics', { 'X-Forwarded-For': '203.0.113.9' })).status).toBe(403);
    await call('get', '/api/v1/users', '/api/v1/users', as(admin));
    const openapiUser = await call('post', '/api/v1/users', '/api/v1/users', as(admin), {
      username: 'openapi-user',
      password: 'openapi-password-1',
      role: 'operator',
      displayName: 'OpenAPI',
    });
    // Accounts (issue 16): change, reset, revoke, own password, security events.
    const userPath = `/api/v1/users/${(openapiUser.body as { id: string }).id}`;
    await call('patch', userPath, '/api/v1/users/{id}', as(admin), { displayName: 'OpenAPI user' });
    const reset = await call('post', `${userPath}/password-reset`, '/api/v1/users/{id}/password-reset', as(admin), {});
    await call('post', `${userPath}/revoke-sessions`, '/api/v1/users/{id}/revoke-sessions', as(admin));
    const temporary = (reset.body as { temporaryPassword: string }).temporaryPassword;
    const own = await call('post', '/api/v1/auth/login', '/api/v1/auth/login', {}, { username: 'openapi-user', password: temporary });
    await call('post', '/api/v1/auth/password', '/api/v1/auth/password', as((own.body as { accessToken: string }).accessToken), {
      currentPassword: temporary,
      newPassword: 'openapi-password-2',
    });
    await call('get', '/api/v1/security-events?type=auth.password_changed&limit=5', '/api/v1/security-events', as(admin));
    await call('get', '/api/v1/devices', '/api/v1/devices', as(admin));
    await call('get', '/api/v1/devices/DEMO-CAM-01', '/api/v1/devices/{id}', as(operator.token));
    await call('get', '/api/v1/devices/DRONE-01/track', '/api/v1/devices/{id}/track', as(operator.token));
    const device = { kind: 'camera', name: 'OpenAPI camera', ownerDepartment: 'urban-management', location: { lat: 23.12, lng: 113.24 } };
    await call('post', '/api/v1/devices', '/api/v1/devices', as(admin), { id: 'OPENAPI-CAM', ...device });
    await call('put', '/api/v1/devices/OPENAPI-CAM', '/api/v1/devices/{id}', as(admin), { ...device, address: 'Gate 2' });
    await call('patch', '/api/v1/devices/OPENAPI-CAM', '/api/v1/devices/{id}', as(admin), { address: null });
    await call('post', '/api/v1/devices/OPENAPI-CAM/credentials', '/api/v1/devices/{id}/credentials', as(admin));
    await call('delete', '/api/v1/devices/OPENAPI-CAM', '/api/v1/devices/{id}', as(admin));
    await call('get', '/api/v1/rules', '/api/v1/rules', as(admin));
    await call('post', '/api/v1/rules/reload', '/api/v1/rules/reload', as(admin));
    await call('post', '/api/v1/dead-letters/replay', '/api/v1/dead-letters/replay', as(admin), { reason: 'rate-limited' });
    await call('get', '/api/v1/dead-letters?limit=5', '/api/v1/dead-letters', as(admin));
    await call('get', '/api/v1/geo/district', '/api/v1/geo/district', as(officer.token));

    // A device's alarm, with a picture attached (HIK-GATE-01 has the alias 44:19:b6:00:00:01:ch1, config/demo/devices.yaml).
    const aid = hikAlert(
      { macAddress: '44:19:b6:00:00:01', channelID: '1', dateTime: new Date().toISOString() },
      '  <AID><illegalTrafficEvent>illegalParking</illegalTrafficEvent><PlateInfo><plate>粤A12345</plate><confidenceLevel>96</confidenceLevel></PlateInfo></AID>\n',
    );
    const alarmPicture = await makeDronePhoto({ width: 320, height: 240, seed: 951 });
    const alarm = await request(s.url)
      .post('/api/v1/ingest/hikvision')
      .set('Authorization', basic('HIK-GATE-01', DEVICE_PASSWORD))
      .attach('AID', Buffer.from(aid), { filename: 'AID.xml', contentType: 'application/xml' })
      .attach('detectionPicture', alarmPicture, { filename: 'detectionPicture.jpg', contentType: 'image/jpeg' });
    expectDocumented('post', '/api/v1/ingest/hikvision', alarm);
    // What that camera sent, with its outcome (issue 17).
    await call('get', '/api/v1/events?device=HIK-GATE-01&limit=5', '/api/v1/events', as(operator.token));

    // A case through the loop: read, reviewed, dispatched, after-photos, reported back.
    const made = await caseFromDevice(s, 'DEMO-CAM-01');
    const cases = `/api/v1/cases/${made.id}`;
    await call('get', '/api/v1/cases', '/api/v1/cases', as(operator.token));
    await call('get', cases, '/api/v1/cases/{id}', as(operator.token));
    await call('post', `${cases}/transitions`, '/api/v1/cases/{id}/transitions', as(operator.token), {
      action: 'review-register',
      evidenceUsableForPenalty: true,
    });
    await call('post', `${cases}/transitions`, '/api/v1/cases/{id}/transitions', as(operator.token), { action: 'dispatch' });
    await call('post', `${cases}/transitions`, '/api/v1/cases/{id}/transitions', as(officer.token), { action: 'accept' });
    // Follow-up on a shift (issue 18): a desk, 催办 seen by the team, the critical alert queue.
    const supervisor = await createSecurityUser(s, 'supervisor');
    await call('post', `${cases}/claim`, '/api/v1/cases/{id}/claim', as(operator.token));
    await call('put', `${cases}/assignee`, '/api/v1/cases/{id}/assignee', as(supervisor.token), { userId: supervisor.id });
    await call('get', '/api/v1/assignees', '/api/v1/assignees', as(supervisor.token));
    const urged = await call('post', `${cases}/follow-ups`, '/api/v1/cases/{id}/follow-ups', as(operator.token), { kind: 'urge', note: 'please hurry' });
    await call('get', '/api/v1/follow-ups', '/api/v1/follow-ups', as(officer.token));
    await call('post', `/api/v1/follow-ups/${(urged.body as { id: string }).id}/seen`, '/api/v1/follow-ups/{id}/seen', as(officer.token));
    await call('get', `${cases}/follow-ups`, '/api/v1/cases/{id}/follow-ups', as(operator.token));
    await s.db.query(`UPDATE cases SET severity = 'critical' WHERE id = $1`, [made.id]);
    await call('get', '/api/v1/critical-alerts', '/api/v1/critical-alerts', as(operator.token));
    await call('post', `/api/v1/critical-alerts/${made.id}/ack`, '/api/v1/critical-alerts/{caseId}/ack', as(operator.token));
    const after = await makeDronePhoto({ width: 320, height: 240, seed: 952, dji: { latitude: 23.105, longitude: 113.255 } });
    const photos = await request(s.url)
      .post(`${cases}/report-photos`)
      .set(as(officer.token))
      .attach('photo', after, { filename: 'after.jpg', contentType: 'image/jpeg' });
    expectDocumented('post', '/api/v1/cases/{id}/report-photos', photos);
    const keys = (photos.body as { results: { key?: string }[] }).results.map((r) => r.key);
    expect(keys[0]).toMatch(/^photos\//);
    await call('post', `${cases}/transitions`, '/api/v1/cases/{id}/transitions', as(officer.token), {
      action: 'report-back',
      resultNote: 'cleared',
      photos: keys,
    });
    const theCase = await call('get', cases, '/api/v1/cases/{id}', as(operator.token));
    await call('get', `${cases}/timeline`, '/api/v1/cases/{id}/timeline', as(operator.token));
    const evidence = await call('get', `${cases}/evidence`, '/api/v1/cases/{id}/evidence', as(operator.token));
    const picture = (evidence.body as { items: { thumbUrl?: string }[] }).items.find((i) => i.thumbUrl)?.thumbUrl;
    expect(picture).toBeDefined();
    await call('get', picture ?? '', '/api/v1/cases/{id}/pictures/{sha256}/{variant}', as(operator.token));
    // The case file and the party's notice (issue 21): the review above registered the case for enforcement.
    await call('get', `${cases}/notice`, '/api/v1/cases/{id}/notice', as(operator.token));
    await call('get', `${cases}/notice.pdf`, '/api/v1/cases/{id}/notice.pdf', as(operator.token));
    await call('post', `${cases}/notice/deliveries`, '/api/v1/cases/{id}/notice/deliveries', as(operator.token), {
      method: 'in-person',
      recipient: 'the vendor',
    });
    const dossier = await call('get', `${cases}/dossier.pdf?lang=en`, '/api/v1/cases/{id}/dossier.pdf', as(operator.token));
    const dossierCode = String(dossier.headers['x-dossier-code']);
    await call('post', '/api/v1/public/dossiers/verify', '/api/v1/public/dossiers/verify', {}, { code: dossierCode });
    await call('get', `/api/v1/public/dossiers/${dossierCode}`, '/api/v1/public/dossiers/{code}', {});
    await call('get', '/api/v1/audit/verify', '/api/v1/audit/verify', as(admin));
    const window = `from=${new Date(Date.now() - 30 * 86_400_000).toISOString()}&to=${new Date(Date.now() + 86_400_000).toISOString()}`;
    await call('get', `/api/v1/figures?${window}`, '/api/v1/figures', as(operator.token));
    await call('get', `/api/v1/figures/export?${window}&format=xlsx`, '/api/v1/figures/export', as(operator.token));
    await call('get', `/api/v1/figures/export?${window}&format=csv&sheet=overdue`, '/api/v1/figures/export', as(operator.token));

    // The party and the public.
    const party = (theCase.body as { loop?: { partyVerification: { method: string; code?: string } | null } }).loop?.partyVerification;
    const credentials = { caseNumber: made.caseNumber, verification: party?.code ?? 'no-code' };
    await call('post', '/api/v1/public/cases/lookup', '/api/v1/public/cases/lookup', {}, credentials);
    await call(
      'post',
      '/api/v1/public/cases/statements',
      '/api/v1/public/cases/statements',
      {},
      { ...credentials, statement: 'The bags were collected the same day.' },
    );
    await call('get', '/open311/v2/services.json', '/open311/v2/services.json', {});
    await call('get', '/open311/v2/requests.json', '/open311/v2/requests.json', {});
    await call('get', `/open311/v2/requests/${made.caseNumber}.json`, '/open311/v2/requests/{id}.json', {});
    await call('get', '/open311/v2/services.xml', '/open311/v2/services.xml', {});
    await call('get', '/open311/v2/requests.xml', '/open311/v2/requests.xml', {});
    await call('get', `/open311/v2/requests/${made.caseNumber}.xml`, '/open311/v2/requests/{id}.xml', {});
    await call('get', '/open311/v2/discovery.json', '/open311/v2/discovery.json', {});
    await call('get', '/open311/v2/discovery.xml', '/open311/v2/discovery.xml', {});
    // The demo district's Open311 client (config/demo/open311-clients.yaml, documented demo key).
    const report = { api_key: 'cloudpatrol-demo-open311', service_code: 'exposed-garbage', lat: 23.12, long: 113.25 };
    await call('post', '/open311/v2/requests.json', '/open311/v2/requests.json', {}, report);
    await call('post', '/open311/v2/requests.xml', '/open311/v2/requests.xml', {}, report);
    await call('get', '/open311/v2/tokens/00000000-0000-4000-8000-000000000000.json', '/open311/v2/tokens/{token}.json', {});
    await call('get', '/open311/v2/tokens/00000000-0000-4000-8000-000000000000.xml', '/open311/v2/tokens/{token}.xml', {});

    // Drone imagery.
    const photo = await makeDronePhoto({ width: 640, height: 480, seed: 953, dji: { latitude: 23.1206, longitude: 113.245 } });
    await call('post', '/api/v1/flights/F-OPENAPI/photos/check', '/api/v1/flights/{flightId}/photos/check', as(pilot.token), { sha256: ['0'.repeat(64)] });
    const upload = await request(s.url)
      .post('/api/v1/flights/F-OPENAPI/photos')
      .set(as(pilot.token))
      .field('deviceId', 'DRONE-01')
      .attach('photo', photo, { filename: 'P0.JPG', contentType: 'image/jpeg' });
    expectDocumented('post', '/api/v1/flights/{flightId}/photos', upload);
    const sha = (upload.body as { results: { sha256: string }[] }).results[0].sha256;
    await call('get', '/api/v1/flights/F-OPENAPI/photos', '/api/v1/flights/{flightId}/photos', as(pilot.token));
    await call('get', '/api/v1/drones', '/api/v1/drones', as(pilot.token));
    await call('get', '/api/v1/flights', '/api/v1/flights', as(pilot.token));
    await call('get', `/api/v1/photos/${sha}`, '/api/v1/photos/{sha256}', as(pilot.token));
    await call('get', `/api/v1/photos/${sha}/thumb`, '/api/v1/photos/{sha256}/{kind}', as(pilot.token));
    await call('post', `/api/v1/photos/${sha}/detections`, '/api/v1/photos/{sha256}/detections', as(pilot.token), {
      marks: [{ label: 'garbage', confidence: 0.9 }],
    });

    // The alert stream answers an event stream (closed once it has answered).
    const stream = await fetch(`${s.url}/api/v1/alerts/stream`, { headers: { ...as(admin), Accept: 'text/event-stream' } });
    expectDocumented('get', '/api/v1/alerts/stream', {
      status: stream.status,
      headers: { 'content-type': stream.headers.get('content-type') ?? '' },
      text: '',
    });
    await stream.body?.cancel();

    // Every documented operation was answered and compared.
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      (['get', 'put', 'post', 'delete', 'patch'] as const).filter((m) => item[m]).map((m) => operationKey(m, path)),
    );
    expect(operations.filter((o) => !checked.has(o))).toEqual([]);
  });
});
