import { makeDronePhoto } from '../fixtures/photo-fixtures';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Answer,
  basic,
  createSecurityUser,
  DEVICE_PASSWORD,
  type MadeCase,
  type Probe,
  type SecurityApp,
  type SecurityUser,
  send,
  startSecurityApp,
  TOWNSHIP_A,
  transition,
  uploadFlight,
} from '../support/security-matrix';

/**
 * Issue 8, hostile input: every request body, query and path parameter of the API, and the multipart and
 * XML bodies devices and pilots send, get random and hostile values. Whatever arrives: no 5xx, the process
 * keeps serving, and a refused request (4xx) writes nothing.
 */

// ---- hostile values ------------------------------------------------------------------------------------

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '__proto__',
  'constructor',
  'prototype',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  "' OR '1'='1",
  '"; DROP TABLE cases; --',
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '%00',
  '%s%s%s%n',
  '\uD800',
  '\uDFFF\uD800',
  '\uFFFF\uFFFE',
  '\u202Eevil',
  '\r\n\r\nHTTP/1.1 200 OK',
  '🚓'.repeat(40),
  'NaN',
  '-0',
  '1e309',
  'null',
  '[]',
  '{}',
  'CP-20260101-000001',
  '449901002',
  '00000000-0000-0000-0000-000000000000',
  'a'.repeat(64),
  'x'.repeat(5000),
];
const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  '$where',
  '$gt',
  '\u0000',
  '',
  'a.b',
  'a[b]',
];

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.nat({ max: 400_000 }).map((n) => 'x'.repeat(n)) },
);
const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

/** JSON text (not a value: `__proto__` keys must reach the server as written). */
const jsonScalar: fc.Arbitrary<string> = fc.oneof(
  hostileString.map((s) => JSON.stringify(s)),
  fc.integer().map(String),
  fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : '1e999')),
  fc.constantFrom('true', 'false', 'null', '1e999', '-1e999', '-0', '1e-400', '123456789012345678901234567890', '9007199254740993'),
);
const { json: hostileJson } = fc.letrec<{ json: string }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    jsonScalar,
    fc.array(tie('json'), { maxLength: 5 }).map((a) => `[${a.join(',')}]`),
    fc.array(fc.tuple(hostileKey, tie('json')), { maxLength: 5 }).map(objectText),
  ),
}));
/** Nesting far deeper than any schema: arrays, objects, and objects under a prototype key. */
const deepJson: fc.Arbitrary<string> = fc.tuple(fc.integer({ min: 50, max: 20_000 }), fc.constantFrom('array', 'object', 'proto')).map(([n, kind]) => {
  if (kind === 'array') return `${'['.repeat(n)}${']'.repeat(n)}`;
  const key = kind === 'proto' ? '__proto__' : 'a';
  return `${`{"${key}":`.repeat(n)}1${'}'.repeat(n)}`;
});

function objectText(entries: readonly (readonly [string, string])[]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

/**
 * A request body derived from a plausible one: a field replaced by hostile JSON, a field dropped, an unknown
 * key (prototype keys among them) added, or the whole body replaced by random or deeply nested JSON.
 */
function hostileBody(base: Record<string, unknown>): fc.Arbitrary<string> {
  const entries = Object.entries(base).map(([k, v]) => [k, JSON.stringify(v)] as const);
  const keys = Object.keys(base);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys), hostileJson).map(([key, value]) => objectText(entries.map(([k, v]) => [k, k === key ? value : v] as const))),
    fc
      .tuple(fc.constantFrom(...keys), hostileString)
      .map(([key, value]) => objectText(entries.map(([k, v]) => [k, k === key ? JSON.stringify(value) : v] as const))),
    fc.constantFrom(...keys).map((key) => objectText(entries.filter(([k]) => k !== key))),
    fc
      .tuple(
        hostileKey.filter((k) => !Object.hasOwn(base, k)),
        hostileJson,
      )
      .map(([key, value]) => objectText([...entries, [key, value]])),
    hostileJson,
    deepJson,
  );
}

/** The sharpest values, tried on every field of every body (the random runs may not reach each one). */
const SHARP_VALUES = [
  '"a\\u0000b"',
  '"\\ud800"',
  JSON.stringify('x'.repeat(5000)),
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '[{"__proto__":{"polluted":true}}]',
  'null',
  '1e999',
];
/**
 * Every field × every sharp value; every prototype key added at the top and inside nested objects (NUL keys
 * too). `make` gives a fresh plausible body for each (new ids), so a valid one is not stopped as a duplicate.
 */
function sweep(make: () => Record<string, unknown>): string[] {
  const entries = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => [k, JSON.stringify(v)] as const);
  const keys = Object.keys(make());
  const out: string[] = [];
  const replaced = (key: string, value: (v: unknown) => string) => {
    const base = make();
    return objectText(entries(base).map(([k, v]) => [k, k === key ? value(base[k]) : v] as const));
  };
  for (const key of keys) for (const sharp of SHARP_VALUES) out.push(replaced(key, () => sharp));
  for (const key of ['__proto__', 'constructor', 'prototype', 'toString', '\u0000', ''])
    out.push(objectText([...entries(make()).filter(([k]) => k !== key), [key, '{"polluted":true}']]));
  for (const key of keys) {
    const value = make()[key];
    const inner = Array.isArray(value) ? value[0] : value;
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) continue;
    for (const extra of ['__proto__', 'constructor', 'a\u0000b']) {
      const nested = objectText([...entries(inner as Record<string, unknown>), [extra, '{"polluted":true}']]);
      out.push(replaced(key, (v) => (Array.isArray(v) ? `[${nested}]` : nested)));
    }
  }
  return out;
}

/** Percent-encodes every byte of the UTF-8 (a lone surrogate becomes U+FFFD, as a client would send it). */
const pct = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
/** A path segment: a hostile string, encoded; or raw text a client could put there (bad escapes included). */
const pathSegment: fc.Arbitrary<string> = fc.oneof(
  hostileString.filter((s) => s.length < 3000).map(pct),
  fc.constantFrom('%', '%zz', '%C0%AF', '%E0%A4%A', '%00', '..', '.', '%2e%2e', '%2F', 'a;b', '*', '~', '%FF%FE'),
  fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@-]{1,60}$/),
);
/** A query string: hostile keys and values, repeated keys, brackets, and broken escapes. */
function hostileQuery(base: Record<string, string>): fc.Arbitrary<string> {
  const keyed = fc.array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...Object.keys(base)), hostileKey),
      hostileString.filter((s) => s.length < 3000),
    ),
    { maxLength: 6 },
  );
  return fc.oneof(
    keyed.map((pairs) => [...Object.entries(base), ...pairs].map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')),
    fc.constantFrom(
      '%',
      '%zz=1',
      'a[__proto__][x]=1',
      '__proto__[admin]=1',
      'constructor[prototype][x]=1',
      '&&&=&',
      'limit=1&limit=2',
      'limit[]=1',
      'offset=-1',
      'limit=1e3',
      'limit=0x10',
    ),
    fc.stringMatching(/^[\x21-\x7e]{0,200}$/),
  );
}

// ---- multipart and XML ---------------------------------------------------------------------------------

const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));
const part = fc.record({
  name: fc.oneof(fc.constantFrom('photo', 'deviceId', 'sha256', '__proto__', 'constructor', ''), fc.string({ maxLength: 20 })),
  filename: fc.option(fc.oneof(fc.constantFrom('../../etc/passwd', 'a\u0000.jpg', '', 'x.jpg', 'CON', '.'), fc.string({ maxLength: 40 })), { nil: undefined }),
  contentType: fc.option(
    fc.oneof(fc.constantFrom('image/jpeg', 'application/xml', 'text/plain', 'image/png', '', 'multipart/mixed; boundary=x'), printable(40)),
    { nil: undefined },
  ),
  data: fc.oneof(
    fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)),
    hostileString.filter((s) => s.length < 10_000).map((s) => Buffer.from(s, 'utf8')),
  ),
});
/** A multipart body: well formed with hostile parts, cut short, or plain bytes under a multipart content type. */
const multipart: fc.Arbitrary<{ body: Buffer; contentType: string }> = fc.oneof(
  fc
    .tuple(fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/), fc.array(part, { maxLength: 6 }), fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([boundary, parts, cut, at]) => {
      const chunks: Buffer[] = [];
      for (const p of parts) {
        const disposition = `form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"`}`;
        chunks.push(
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.contentType === undefined ? '' : `Content-Type: ${p.contentType}\r\n`}\r\n`,
            'utf8',
          ),
          p.data,
          Buffer.from('\r\n'),
        );
      }
      chunks.push(Buffer.from(`--${boundary}--\r\n`));
      const whole = Buffer.concat(chunks);
      return { body: cut ? whole.subarray(0, Math.floor(whole.length * at)) : whole, contentType: `multipart/form-data; boundary=${boundary}` };
    }),
  fc
    .tuple(
      fc.uint8Array({ maxLength: 8192 }),
      fc.constantFrom(
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'multipart/form-data; boundary="unterminated',
        'multipart/form-data; boundary=x',
        'multipart/mixed; boundary=x',
        'multipart/',
        'multipart/form-data; charset=utf-16; boundary=x',
      ),
    )
    .map(([bytes, contentType]) => ({
      body: Buffer.from(bytes),
      contentType,
    })),
  fc
    .tuple(fc.uint8Array({ maxLength: 2048 }), printable(120))
    .map(([bytes, contentType]) => ({ body: Buffer.from(bytes), contentType: `multipart/${contentType}` })),
);

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const XML_NAMES = [
  'EventNotificationAlert',
  'ipAddress',
  'macAddress',
  'channelID',
  'dateTime',
  'activePostCount',
  'eventType',
  'eventState',
  'eventDescription',
  'ANPR',
  'licensePlate',
  'AID',
  'illegalTrafficEvent',
  'Extensions',
  'serialNumber',
  'deviceID',
  'UUID',
  'x',
  'hik:eventType',
  '__proto__',
];
const xmlText = fc.oneof(
  hostileString.filter((s) => s.length < 10_000).map(escapeXml),
  fc.constantFrom(
    '44:19:b6:00:00:01',
    '44-19-B6-00-00-01',
    '1',
    '2026-11-28T10:21:07+08:00',
    'ANPR',
    'AID',
    'active',
    'inactive',
    '粤B12345',
    '&amp;',
    '&#0;',
    '&#x110000;',
    '&#xD800;',
    '&unknown;',
    '&',
    '<![CDATA[<x>]]>',
    '<!-- c -->',
    '<?pi x?>',
  ),
);
const { element: xmlElement } = fc.letrec<{ element: string }>((tie) => ({
  element: fc.oneof(
    { depthSize: 'small' },
    xmlText,
    fc
      .tuple(
        fc.constantFrom(...XML_NAMES),
        fc.array(fc.tuple(fc.constantFrom('version', 'xmlns', 'xmlns:hik', 'id', '__proto__'), xmlText), { maxLength: 3 }),
        fc.array(tie('element'), { maxLength: 4 }),
        fc.constantFrom('ok', 'ok', 'ok', 'unclosed', 'mismatched'),
      )
      .map(([name, attrs, children, ending]) => {
        const open = `<${name}${attrs.map(([k, v]) => ` ${k}="${v.replace(/"/g, '&quot;')}"`).join('')}>${children.join('')}`;
        return ending === 'ok' ? `${open}</${name}>` : ending === 'unclosed' ? open : `${open}</${name}x>`;
      }),
  ),
}));
const XML_PROLOGUES = [
  '',
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<?xml version="1.0" encoding="UTF-16"?>',
  '\uFEFF',
  '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;">]>',
  '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
  '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd">',
];
const hikvisionXml: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...XML_PROLOGUES), fc.array(xmlElement, { maxLength: 8 }), fc.constantFrom('&xxe;', '&lol2;', '', ''))
    .map(
      ([prologue, children, entity]) =>
        `${prologue}<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">${children.join('')}${entity}</EventNotificationAlert>`,
    ),
  fc.tuple(fc.constantFrom(...XML_PROLOGUES), xmlElement).map(([p, e]) => `${p}${e}`),
  fc.integer({ min: 30, max: 50_000 }).map((n) => `<EventNotificationAlert>${'<x>'.repeat(n)}${'</x>'.repeat(n)}</EventNotificationAlert>`),
  fc.integer({ min: 1, max: 20_000 }).map((n) => `<EventNotificationAlert>${'<x/>'.repeat(n)}</EventNotificationAlert>`),
);

// ---- credentials ---------------------------------------------------------------------------------------

const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
/**
 * HTTP Basic whose device id holds U+0000 once reached SQL and answered 500 (fixed; the test below holds it)
 * (AuthService.verifyDeviceCredentials, being reworked in parallel). Kept out of the random runs so they stay
 * deterministic; the failing test covers it.
 */
const basicIdHasNul = (header: string): boolean => {
  if (!header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  return sep > 0 && decoded.slice(0, sep).includes('\u0000');
};
const authorizationHeader: fc.Arbitrary<string> = fc
  .oneof(
    fc
      .tuple(fc.constantFrom('Bearer ', 'bearer ', 'Bearer  ', 'Basic ', 'basic ', 'Digest ', 'Token ', ''), printable(300))
      .map(([scheme, v]) => `${scheme}${v}`.trim()),
    fc.uint8Array({ maxLength: 200 }).map((a) => `Basic ${Buffer.from(a).toString('base64')}`),
    fc
      .tuple(fc.constantFrom('HIK-GATE-01', 'DEMO-CAM-01', 'DRONE-01', 'admin', 'NO-SUCH'), fc.string({ unit: 'binary', maxLength: 60 }))
      .map(([id, pw]) => basic(id, pw)),
    fc
      .tuple(
        fc.constantFrom('none', 'None', 'HS256', 'HS512', 'RS256', 'ES256', 'PS256', ''),
        fc.option(hostileString.filter((s) => s.length < 200)),
        printable(80),
        fc.constantFrom('admin', 'supervisor', 'device', 'superuser'),
      )
      .map(
        ([alg, kid, sig, role]) =>
          `Bearer ${b64url(JSON.stringify({ alg, typ: 'JWT', ...(kid !== null && { kid, jku: 'http://127.0.0.1:9/jwks', jwk: { kty: 'oct', k: 'AAAA' } }) }))}.${b64url(
            JSON.stringify({ sub: '00000000-0000-4000-8000-000000000001', usr: 'admin', role, aud: 'api', iss: 'cloudpatrol', exp: 4102444800 }),
          )}.${sig.replace(/[^A-Za-z0-9_-]/g, '')}`,
      ),
  )
  .filter((h) => !basicIdHasNul(h));

// ---- the test ------------------------------------------------------------------------------------------

const RUNS = 50;

/** Row counts of every table a request could write (dead letters apart: a device's bad payload is kept there by design). */
const COUNTED = [
  'cases',
  'events',
  'case_occurrences',
  'photos',
  'users',
  'devices',
  'case_transitions',
  'case_workflow',
  'case_statements',
  'audit_log',
  'evidence_items',
  'outbox',
  'refresh_tokens',
  'suppressions',
  'inhibitors',
];
/** Refused logins and device authentications are recorded by design (issue 16 security events): not counted. */
const REFUSALS_RECORDED: Record<string, string> = { audit_log: `WHERE action NOT IN ('auth.login_failed', 'auth.lockout', 'device.auth_failed')` };

describe('security fuzz: hostile input to every body, query and path of the API', () => {
  let s: SecurityApp;
  let operator: SecurityUser;
  let supervisor: SecurityUser;
  let pilot: SecurityUser;
  let officer: SecurityUser;
  let admin: string;
  let target: MadeCase;
  let photoSha: string;
  /** The app's MEDIA_DIR: an upload refused half-way leaves nothing in its temp directories. */
  const media = mkdtempSync(join(tmpdir(), 'cp-fuzz-media-'));
  const leftovers = () => [join(media, 'incoming'), join(media, 'photos', '.incoming')].flatMap((dir) => (existsSync(dir) ? readdirSync(dir) : []));
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const device = { Authorization: basic('HIK-GATE-01', DEVICE_PASSWORD) };

  beforeAll(async () => {
    // The API alone: no ingest worker and no background case-loop jobs, so every row a request did not write
    // stays as it was while the request runs (the invariant below is exact).
    s = await startSecurityApp({ MEDIA_DIR: media }, 'api');
    admin = await s.app.token();
    operator = await createSecurityUser(s, 'operator');
    supervisor = await createSecurityUser(s, 'supervisor');
    pilot = await createSecurityUser(s, 'pilot');
    officer = await createSecurityUser(s, 'township_officer', { townshipCode: TOWNSHIP_A });
    // A case of township A, made synchronously over HTTP: a pilot's mark on a drone photo.
    [photoSha] = await uploadFlight(s, pilot.token, 'F-SEC-FUZZ', [
      await makeDronePhoto({ width: 480, height: 360, seed: 77, dji: { latitude: 23.1206, longitude: 113.245 } }),
    ]);
    const mark = await send(
      s.url,
      { method: 'POST', path: `/api/v1/photos/${photoSha}/detections`, json: { marks: [{ label: 'garbage', confidence: 0.9 }] } },
      as(pilot.token),
    );
    expect(mark.status).toBe(200);
    const made = await s.db.query<{ id: string; case_number: string; township_code: string }>(`SELECT id, case_number, township_code FROM cases`);
    expect(made.rows.map((r) => r.township_code)).toEqual([TOWNSHIP_A]);
    target = { id: made.rows[0].id, caseNumber: made.rows[0].case_number, townshipCode: TOWNSHIP_A, handlingUnit: null };
    // In progress with the township team: report-back photos are taken, and the officer may still transfer it.
    await transition(s, operator.token, target.id, { action: 'review-register', evidenceUsableForPenalty: true });
    await transition(s, operator.token, target.id, { action: 'dispatch' });
    await transition(s, officer.token, target.id, { action: 'accept' });
    const dev = await send(
      s.url,
      { method: 'POST', path: '/api/v1/devices', json: { id: 'FUZZ-DEV-1', kind: 'camera', name: 'Fuzz target', ownerDepartment: 'city-management' } },
      as(supervisor.token),
    );
    expect(dev.status).toBe(201);
  });

  afterAll(async () => {
    await s?.stop();
    rmSync(media, { recursive: true, force: true });
  });

  const counts = async (): Promise<Record<string, number>> => {
    const r = await s.db.query<Record<string, string>>(
      `SELECT ${COUNTED.map((t) => `(SELECT count(*) FROM ${t} ${REFUSALS_RECORDED[t] ?? ''}) AS ${t}`).join(', ')}`,
    );
    return Object.fromEntries(Object.entries(r.rows[0]).map(([k, v]) => [k, Number(v)]));
  };
  const describeProbe = (p: Probe) =>
    `${p.method} ${p.path.slice(0, 300)}${p.json !== undefined ? ` json=${JSON.stringify(p.json).slice(0, 300)}` : ''}${p.raw ? ` ${p.raw.contentType} ${JSON.stringify(p.raw.body.toString().slice(0, 300))}` : ''}`;

  /** The counts after the last refused request (nothing written since), or undefined after an accepted one. */
  let known: Record<string, number> | undefined;
  /** One hostile request: never a 5xx, and a refused one (4xx) leaves every table as it was. */
  async function hostile(p: Probe, headers: Record<string, string>): Promise<Answer> {
    const before = known ?? (await counts());
    const res = await send(s.url, p, headers);
    if (res.status >= 500) throw new Error(`${res.status} for ${describeProbe(p)}: ${res.text.slice(0, 300)}`);
    known = undefined;
    if (res.status >= 400) {
      const after = await counts();
      if (JSON.stringify(after) !== JSON.stringify(before))
        throw new Error(`refused with ${res.status} but wrote ${JSON.stringify({ before, after })} for ${describeProbe(p)}`);
      known = after;
    }
    return res;
  }

  const json = (method: Probe['method'], path: string, body: string): Probe => ({ method, path, raw: { body, contentType: 'application/json' } });

  afterEach(async () => {
    // The process keeps serving after every batch of hostile requests.
    expect((await send(s.url, { method: 'GET', path: '/health' })).status).toBe(200);
    // The app runs in this process: no prototype was polluted by a `__proto__` or `constructor` key.
    const probe = {} as Record<string, unknown>;
    expect([probe.polluted, probe.admin, probe.x, Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')]).toEqual([
      undefined,
      undefined,
      undefined,
      false,
    ]);
  });

  it('survives hostile JSON bodies on every endpoint that takes one', async () => {
    // Fresh ids and usernames, so a hostile value reaches the insert rather than stopping at "already exists".
    let n = 0;
    const fresh = () => `${Date.now().toString(36)}-${n++}`;
    const bodies: {
      name: string;
      method: Probe['method'];
      path: () => string;
      headers: () => Record<string, string>;
      base: () => Record<string, unknown>;
      runs?: number;
    }[] = [
      // Each valid-shaped login costs a bcrypt comparison and some of the address's login budget: fewer runs.
      {
        name: 'login',
        method: 'POST',
        path: () => '/api/v1/auth/login',
        headers: () => ({}),
        base: () => ({ username: 'nobody-of-the-fuzz', password: 'not-a-password' }),
        runs: 10,
      },
      { name: 'refresh', method: 'POST', path: () => '/api/v1/auth/refresh', headers: () => ({}), base: () => ({ refreshToken: 'r'.repeat(43) }) },
      { name: 'logout', method: 'POST', path: () => '/api/v1/auth/logout', headers: () => ({}), base: () => ({ refreshToken: 'r'.repeat(43) }) },
      {
        name: 'transition',
        method: 'POST',
        path: () => `/api/v1/cases/${target.id}/transitions`,
        headers: () => as(officer.token),
        base: () => ({ action: 'transfer', unit: 'no-such-unit', reason: 'fuzz' }),
      },
      {
        name: 'new device',
        method: 'POST',
        path: () => '/api/v1/devices',
        headers: () => as(supervisor.token),
        base: () => ({
          id: `FUZZ-${fresh()}`,
          kind: 'camera',
          name: 'Fuzz',
          ownerDepartment: 'city-management',
          location: { lat: 23.1, lng: 113.25 },
          zones: { a: 'b' },
          aliases: ['x'],
        }),
      },
      {
        name: 'device update',
        method: 'PUT',
        path: () => '/api/v1/devices/FUZZ-DEV-1',
        headers: () => as(supervisor.token),
        base: () => ({
          kind: 'camera',
          name: 'Fuzz',
          ownerDepartment: 'city-management',
          review: { legalReviewPassed: true, technicalReviewPassed: true, locationPublished: false },
        }),
      },
      // A user costs a bcrypt hash (cost 12) when the body is valid: fewer runs.
      {
        name: 'new user',
        method: 'POST',
        path: () => '/api/v1/users',
        headers: () => as(admin),
        base: () => ({
          username: `fuzz-${fresh()}`,
          password: 'a-long-enough-password',
          role: 'township_officer',
          displayName: 'Fuzz',
          townshipCode: TOWNSHIP_A,
        }),
        runs: 30,
      },
      {
        name: 'photo check',
        method: 'POST',
        path: () => '/api/v1/flights/F-SEC-FUZZ/photos/check',
        headers: () => as(pilot.token),
        base: () => ({ sha256: [photoSha, '0'.repeat(64)] }),
      },
      {
        name: 'photo marks',
        method: 'POST',
        path: () => `/api/v1/photos/${photoSha}/detections`,
        headers: () => as(pilot.token),
        base: () => ({ by: 'pilot', marks: [{ label: 'garbage', confidence: 0.9, box: [0, 0, 1, 1], note: 'fuzz' }] }),
      },
      {
        name: 'party lookup',
        method: 'POST',
        path: () => '/api/v1/public/cases/lookup',
        headers: () => ({}),
        base: () => ({ caseNumber: target.caseNumber, verification: '123456' }),
      },
      {
        name: 'party statement',
        method: 'POST',
        path: () => '/api/v1/public/cases/statements',
        headers: () => ({}),
        base: () => ({ caseNumber: target.caseNumber, verification: '123456', statement: 'fuzz', contact: 'x' }),
      },
      { name: 'stream token', method: 'POST', path: () => '/api/v1/auth/stream-token', headers: () => as(officer.token), base: () => ({ any: 'thing' }) },
    ];
    for (const b of bodies) {
      await fc.assert(
        fc.asyncProperty(
          fc.constant(null).chain(() => hostileBody(b.base())),
          async (body) => {
            await hostile(json(b.method, b.path(), body), b.headers());
          },
        ),
        { numRuns: b.runs ?? RUNS },
      );
      for (const body of sweep(b.base)) await hostile(json(b.method, b.path(), body), b.headers());
    }
    // No hostile transition got through: the later properties still find the case where they need it.
    expect((await s.db.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [target.id])).rows[0].status).toBe('in_progress');
    // Every device a hostile body registered has its security event: none was lost to a value jsonb refuses (a lone
    // surrogate in ownerDepartment was accepted, and its device.registered entry failed to be written).
    const unrecorded = await s.db.query<{ id: string }>(
      `SELECT d.id FROM devices d
        WHERE d.id LIKE 'FUZZ-%' AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'device.registered' AND a.data->>'deviceId' = d.id)`,
    );
    expect(unrecorded.rows).toEqual([]);
    const lone = await send(
      s.url,
      json('POST', '/api/v1/devices', '{"id":"FUZZ-LONE","kind":"camera","name":"x","ownerDepartment":"\\ud800"}'),
      as(supervisor.token),
    );
    expect([lone.status, lone.text]).toEqual([400, expect.stringContaining('ownerDepartment: must be well-formed Unicode')]);
  });

  it('refuses oversized and mislabelled bodies without a 5xx', async () => {
    const paths = ['/api/v1/auth/login', `/api/v1/cases/${target.id}/transitions`, '/api/v1/devices', '/api/v1/users', '/api/v1/public/cases/lookup'];
    const headers = [{}, as(operator.token), as(supervisor.token), as(admin), {}];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: paths.length - 1 }),
        fc.oneof(
          fc.integer({ min: 1_000_000, max: 3_000_000 }).map((n) => ({ body: `{"reason":"${'x'.repeat(n)}"}`, contentType: 'application/json' })),
          fc
            .tuple(
              fc.string({ unit: 'binary', maxLength: 200 }),
              fc.constantFrom(
                'application/json; charset=utf-16',
                'application/json; charset=latin1',
                'text/plain',
                'application/x-www-form-urlencoded',
                'application/xml',
                'application/octet-stream',
                '',
              ),
            )
            .map(([body, contentType]) => ({ body, contentType })),
          fc.uint8Array({ maxLength: 2000 }).map((a) => ({ body: Buffer.from(a), contentType: 'application/json' })),
          fc
            .constantFrom('{"a":1', '{"a":1}}', '\uFEFF{}', '{"a":"\\ud800"}', '{"a":"\\u0000"}', 'null', '1', '"x"', '[]')
            .map((body) => ({ body, contentType: 'application/json' })),
        ),
        async (i, raw) => {
          await hostile({ method: 'POST', path: paths[i], raw }, headers[i]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('survives hostile queries: the case list, figures, Open311 and the stream token', async () => {
    const queries: { path: string; headers: () => Record<string, string>; base: Record<string, string>; sse?: boolean }[] = [
      {
        path: '/api/v1/cases',
        headers: () => as(operator.token),
        base: { status: 'registered', category: 'exposed-garbage', township: TOWNSHIP_A, limit: '10', offset: '0' },
      },
      { path: '/api/v1/cases', headers: () => as(officer.token), base: { township: TOWNSHIP_A } },
      { path: '/api/v1/figures', headers: () => as(operator.token), base: { from: '2026-01-01', to: '2026-06-30', by: 'team' } },
      {
        path: '/open311/v2/requests.json',
        headers: () => ({}),
        base: {
          service_request_id: target.caseNumber,
          service_code: 'exposed-garbage',
          status: 'open',
          start_date: '2026-01-01T00:00:00Z',
          end_date: '2026-12-31T00:00:00Z',
        },
      },
      { path: '/api/v1/alerts/stream', headers: () => ({}), base: { token: 'x' }, sse: true },
    ];
    for (const q of queries) {
      await fc.assert(
        fc.asyncProperty(hostileQuery(q.base), async (query) => {
          const res = await hostile({ method: 'GET', path: `${q.path}?${query}`, sse: q.sse }, q.headers());
          if (q.sse) expect(res.status).toBe(401);
        }),
        { numRuns: RUNS },
      );
      // And, for sure, the sharpest values in every parameter, and a NUL in a parameter's name.
      for (const key of [...Object.keys(q.base), 'a\u0000b']) {
        for (const value of ['a\u0000b', '\uD800', 'x'.repeat(5000), '__proto__']) {
          const query = Object.entries({ ...q.base, [key]: value })
            .map(([k, v]) => `${pct(k)}=${pct(v)}`)
            .join('&');
          await hostile({ method: 'GET', path: `${q.path}?${query}`, sse: q.sse }, q.headers());
        }
      }
    }
  });

  it('survives hostile path parameters on every endpoint that takes one', async () => {
    const transitionBody = JSON.stringify({ action: 'transfer', unit: 'no-such-unit', reason: 'fuzz' });
    const deviceBody = JSON.stringify({ kind: 'camera', name: 'Fuzz', ownerDepartment: 'city-management' });
    const routes: { make: (seg: string, seg2: string) => Probe; headers: () => Record<string, string> }[] = [
      { make: (x) => ({ method: 'GET', path: `/api/v1/cases/${x}` }), headers: () => as(operator.token) },
      { make: (x) => ({ method: 'GET', path: `/api/v1/cases/${x}/timeline` }), headers: () => as(operator.token) },
      { make: (x) => ({ method: 'GET', path: `/api/v1/cases/${x}/evidence` }), headers: () => as(officer.token) },
      { make: (x) => json('POST', `/api/v1/cases/${x}/transitions`, transitionBody), headers: () => as(operator.token) },
      {
        make: (x) => ({ method: 'POST', path: `/api/v1/cases/${x}/report-photos`, raw: { body: '--b--\r\n', contentType: 'multipart/form-data; boundary=b' } }),
        headers: () => as(officer.token),
      },
      { make: (x) => ({ method: 'GET', path: `/api/v1/devices/${x}` }), headers: () => as(operator.token) },
      { make: (x) => json('PUT', `/api/v1/devices/${x}`, deviceBody), headers: () => as(supervisor.token) },
      { make: (x) => ({ method: 'DELETE', path: `/api/v1/devices/${x}` }), headers: () => as(supervisor.token) },
      { make: (x) => ({ method: 'POST', path: `/api/v1/devices/${x}/credentials` }), headers: () => as(supervisor.token) },
      { make: (x) => ({ method: 'GET', path: `/api/v1/flights/${x}/photos` }), headers: () => as(pilot.token) },
      { make: (x) => json('POST', `/api/v1/flights/${x}/photos/check`, JSON.stringify({ sha256: ['0'.repeat(64)] })), headers: () => as(pilot.token) },
      {
        make: (x) => ({ method: 'POST', path: `/api/v1/flights/${x}/photos`, raw: { body: '--b--\r\n', contentType: 'multipart/form-data; boundary=b' } }),
        headers: () => as(pilot.token),
      },
      { make: (x) => ({ method: 'GET', path: `/api/v1/photos/${x}` }), headers: () => as(officer.token) },
      { make: (x, y) => ({ method: 'GET', path: `/api/v1/photos/${x}/${y}` }), headers: () => as(operator.token) },
      { make: (_x, y) => ({ method: 'GET', path: `/api/v1/photos/${photoSha}/${y}` }), headers: () => as(operator.token) },
      { make: (x) => json('POST', `/api/v1/photos/${x}/detections`, JSON.stringify({ marks: [{ label: 'garbage' }] })), headers: () => as(pilot.token) },
      { make: (x) => ({ method: 'GET', path: `/open311/v2/requests/${x}.json` }), headers: () => ({}) },
    ];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: routes.length - 1 }), pathSegment, pathSegment, async (i, seg, seg2) => {
        await hostile(routes[i].make(seg, seg2), routes[i].headers());
      }),
      { numRuns: 200 },
    );
    // Nothing of the register was touched by a stray id.
    const devices = await s.db.query<{ id: string; status: string }>(`SELECT id, status FROM devices WHERE id IN ('HIK-GATE-01', 'DEMO-CAM-01', 'FUZZ-DEV-1')`);
    expect(devices.rows.every((d) => d.status === 'active')).toBe(true);
  });

  it('survives multipart garbage on the photo uploads and the Hikvision push, storing no photo', async () => {
    const targets: { path: string; headers: () => Record<string, string> }[] = [
      { path: '/api/v1/flights/F-SEC-FUZZ-2/photos', headers: () => as(pilot.token) },
      { path: `/api/v1/cases/${target.id}/report-photos`, headers: () => as(officer.token) },
      { path: '/api/v1/ingest/hikvision', headers: () => device },
    ];
    const photos = async () => Number((await s.db.query<{ n: string }>(`SELECT count(*) AS n FROM photos`)).rows[0].n);
    const before = await photos();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: targets.length - 1 }), multipart, async (i, raw) => {
        await hostile({ method: 'POST', path: targets[i].path, raw }, targets[i].headers());
        expect(leftovers()).toEqual([]);
      }),
      { numRuns: 150 },
    );
    // Random bytes are never a photo.
    expect(await photos()).toBe(before);
  });

  /**
   * Issue 13: a body that ended without its closing boundary raised an unheard `error` on the file stream and
   * ended the whole process (API, worker, broker, database). Each multipart endpoint now answers 400 to a body
   * cut short or malformed, after removing the partial file; the process keeps serving (afterEach).
   */
  it('answers 400 to truncated and malformed multipart bodies on every multipart endpoint, leaving no partial file', async () => {
    const photo = await makeDronePhoto({ width: 640, height: 480, seed: 78 });
    const b = 'fuzz-boundary';
    const fileHead = Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="photo"; filename="cut.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
    const bad = (h: string) => Buffer.from(`--${b}\r\n${h}\r\n\r\nabc\r\n--${b}--\r\n`);
    const bodies: { name: string; body: Buffer; contentType?: string }[] = [
      { name: 'a photo cut half-way', body: Buffer.concat([fileHead, photo.subarray(0, photo.length >> 1)]) },
      { name: 'a whole photo, no closing boundary', body: Buffer.concat([fileHead, photo]) },
      {
        name: 'a deviceId field, then a photo cut short',
        body: Buffer.concat([Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="deviceId"\r\n\r\nDRONE-01\r\n`), fileHead, photo.subarray(0, 1000)]),
      },
      { name: 'cut in the part headers', body: fileHead.subarray(0, 40) },
      { name: 'the boundary line only', body: Buffer.from(`--${b}\r\n`) },
      { name: 'an empty body', body: Buffer.alloc(0) },
      {
        name: 'another boundary than declared',
        body: Buffer.from(
          Buffer.concat([fileHead, photo.subarray(0, 1000), Buffer.from(`\r\n--${b}--\r\n`)])
            .toString('latin1')
            .replaceAll(b, 'other'),
          'latin1',
        ),
      },
      { name: 'a header line without a colon', body: bad('Content-Disposition form-data; name="photo"; filename="x.jpg"') },
      { name: 'a NUL in a header name', body: bad('Content\u0000Disposition: form-data; name="photo"; filename="x.jpg"') },
      { name: 'a part header over 16 KiB', body: bad(`Content-Disposition: form-data; name="photo"; filename="x.jpg"\r\nX-Pad: ${'a'.repeat(20_000)}`) },
      { name: 'no boundary in the content type', body: Buffer.concat([fileHead, photo]), contentType: 'multipart/form-data' },
      { name: 'an empty boundary', body: Buffer.concat([fileHead, photo]), contentType: 'multipart/form-data; boundary=' },
      { name: 'an unterminated quoted boundary', body: Buffer.concat([fileHead, photo]), contentType: 'multipart/form-data; boundary="unterminated' },
    ];
    const targets = [
      { path: '/api/v1/flights/F-SEC-FUZZ-3/photos', headers: () => as(pilot.token) },
      { path: `/api/v1/cases/${target.id}/report-photos`, headers: () => as(officer.token) },
      { path: '/api/v1/ingest/hikvision', headers: () => device },
    ];
    const answers: string[] = [];
    for (const t of targets) {
      for (const { name, body, contentType } of bodies) {
        const res = await hostile(
          { method: 'POST', path: t.path, raw: { body, contentType: contentType ?? `multipart/form-data; boundary=${b}` } },
          t.headers(),
        );
        answers.push(`${t.path.split('/').pop()}: ${name} → ${res.status}`);
        expect(leftovers()).toEqual([]);
      }
    }
    expect(answers).toEqual(targets.flatMap((t) => bodies.map(({ name }) => `${t.path.split('/').pop()}: ${name} → 400`)));
  });

  it('survives random and hostile XML from an authenticated device', async () => {
    const deadLettersBefore = Number((await s.db.query<{ n: string }>(`SELECT count(*) AS n FROM dead_letters`)).rows[0].n);
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        hikvisionXml,
        fc.constantFrom('application/xml', 'text/xml', 'application/octet-stream', 'text/plain; charset=utf-8'),
        async (xml, contentType) => {
          const started = Date.now();
          const res = await hostile({ method: 'POST', path: '/api/v1/ingest/hikvision', raw: { body: xml, contentType } }, device);
          if (res.status >= 400) refused++;
          // No entity expansion, no network fetch: each push is answered promptly.
          expect(Date.now() - started).toBeLessThan(5_000);
        },
      ),
      { numRuns: 150 },
    );
    expect(refused).toBeGreaterThan(0);
    // What was refused is kept aside with its reason (the dead-letter table), not lost.
    expect(Number((await s.db.query<{ n: string }>(`SELECT count(*) AS n FROM dead_letters`)).rows[0].n)).toBeGreaterThan(deadLettersBefore);
  });

  it('answers 401, never a 5xx, to forged and malformed credentials', async () => {
    await fc.assert(
      fc.asyncProperty(
        authorizationHeader,
        fc.constantFrom('/api/v1/users', '/api/v1/cases', '/api/v1/ingest/hikvision', `/api/v1/cases/${target.id}/transitions`),
        async (authorization, path) => {
          const method = path === '/api/v1/users' || path === '/api/v1/cases' ? 'GET' : 'POST';
          const res = await hostile(
            { method, path, ...(method === 'POST' && { raw: { body: '<EventNotificationAlert/>', contentType: 'application/xml' } }) },
            { Authorization: authorization },
          );
          expect(`${authorization.slice(0, 80)} → ${res.status}`).toBe(`${authorization.slice(0, 80)} → 401`);
        },
      ),
      { numRuns: 150 },
    );
  });

  /**
   * Regression (found by this suite, fixed): a device id with U+0000 in HTTP Basic is passed to PostgreSQL, which
   * refuses it: 500 instead of 401 (libs/core/src/auth/auth.service.ts verifyDeviceCredentials, owned by the
   * accounts work).
   */
  it('HTTP Basic with a NUL in the device id answers 401', async () => {
    for (const credentials of ['a\u0000b:pw', `HIK-GATE-01\u0000:${DEVICE_PASSWORD}`]) {
      const res = await send(
        s.url,
        { method: 'POST', path: '/api/v1/ingest/hikvision', raw: { body: '<x/>', contentType: 'application/xml' } },
        { Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
      );
      expect(res.status).toBe(401);
    }
  });
});
