import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { readXml, type XmlElement } from '@app/domain';
import { makeDronePhoto } from '../fixtures/photo-fixtures';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { createStaff, step, type TestStaff } from './case-loop-helpers';

/**
 * Open311 GeoReport v2 as a hotline's or a citizen app's client uses it: discovery, the report POSTed
 * form-urlencoded with its api_key (or multipart with a picture), the case number (or a token, then the number),
 * the case published once a person reviewed it, XML that says what JSON says, and errors in GeoReport form.
 */

const HOTLINE_KEY = randomBytes(24).toString('hex');
const TINY_KEY = randomBytes(24).toString('hex');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const BASE = 'https://cg.example.gov.cn';

/** One `<request>`/`<service>` element as field → text (empty elements = null), the way a GeoReport client reads it. */
function rowsOf(xml: string, root: string, item: string): Record<string, string | null>[] {
  const read = readXml(xml);
  if (!read.ok) throw new Error(`not XML: ${read.error}`);
  expect(read.root.name).toBe(root);
  return read.root.children.map((el: XmlElement) => {
    expect(el.name).toBe(item);
    return Object.fromEntries(el.children.map((f) => [f.name, f.children.length === 0 && f.text === '' ? null : f.text]));
  });
}

/** JSON values as the XML carries them: text; null and an empty text both as an empty element. */
const asXmlText = (row: Record<string, string | number | boolean | null>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null || v === '' ? null : String(v)]));

describe('Open311 GeoReport v2: reports from a registered client', () => {
  let app: TestApp;
  let db: Client;
  let staff: TestStaff;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-open311-'));
    const file = join(dir, 'open311-clients.yaml');
    writeFileSync(
      file,
      [
        'contact: 12345 city-management hotline, +86 20 0000 0000',
        'keyService: Ask the command centre for a key (open311@example.gov.cn)',
        'clients:',
        `  - { id: hotline-12345, name: 12345 hotline, ownerDepartment: 12345 centre, keySha256: ${sha256(HOTLINE_KEY)}, requestsPerMinute: 100 }`,
        `  - { id: tiny-app, name: A citizen app with a small quota, keySha256: ${sha256(TINY_KEY)}, requestsPerMinute: 3 }`,
        `  - { id: retired-app, name: Retired, keySha256: ${sha256('retired-key-0123456789abcdef0123456789')}, active: false }`,
      ].join('\n'),
    );
    app = await startTestApp({ mode: 'api', env: { OPEN311_CLIENTS_FILE: file, PUBLIC_BASE_URL: BASE } });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    staff = await createStaff(app);
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  /** The case number of a POST's answer: at once, or through the token once known. */
  async function caseNumberOf(answer: { service_request_id?: string; token?: string }): Promise<string> {
    if (answer.service_request_id) return answer.service_request_id;
    expect(answer.token).toMatch(/^[0-9a-f-]{36}$/);
    return eventually('the token names its case', async () => {
      const res = await request(app.url).get(`/open311/v2/tokens/${answer.token}.json`).expect(200);
      return (res.body as { service_request_id: string | null }[])[0].service_request_id ?? undefined;
    });
  }

  it('says where it is, its formats and whom to ask for a key (discovery, JSON and XML)', async () => {
    const json = await request(app.url).get('/open311/v2/discovery.json').expect(200).expect('Access-Control-Allow-Origin', '*');
    expect(json.body).toEqual({
      changeset: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/),
      contact: '12345 city-management hotline, +86 20 0000 0000',
      key_service: 'Ask the command centre for a key (open311@example.gov.cn)',
      endpoints: [
        {
          specification: 'http://wiki.open311.org/GeoReport_v2',
          url: `${BASE}/open311/v2`,
          changeset: (json.body as { changeset: string }).changeset,
          type: 'production',
          formats: ['text/xml', 'application/json'],
        },
      ],
    });
    const xml = await request(app.url)
      .get('/open311/v2/discovery.xml')
      .expect(200)
      .expect('Content-Type', /^text\/xml; charset=utf-8/);
    const read = readXml(xml.text);
    if (!read.ok) throw new Error(read.error);
    expect(read.root.name).toBe('discovery');
    const endpoint = read.root.children.find((c) => c.name === 'endpoints')?.children[0];
    expect(endpoint?.children.find((c) => c.name === 'url')?.text).toBe(`${BASE}/open311/v2`);
    expect(endpoint?.children.find((c) => c.name === 'formats')?.children.map((f) => f.text)).toEqual(['text/xml', 'application/json']);
  });

  it('takes a form-urlencoded report, opens a case through the rules, and publishes it once reviewed, without personal data', async () => {
    const posted = await request(app.url)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({
        api_key: HOTLINE_KEY,
        service_code: 'exposed-garbage',
        lat: '23.123456',
        long: '113.254321',
        description: 'A pile of construction waste by the bus stop & the school <gate>',
        media_url: 'https://img.citizen-app.example/r/8812.jpg',
        email: 'zhang.san@example.com',
        first_name: 'San',
        last_name: 'Zhang',
        phone: '13800138000',
        device_id: 'kiosk-7',
      })
      .expect(201)
      .expect('Access-Control-Allow-Origin', '*');
    const answer = (posted.body as { service_request_id?: string; token?: string; service_notice: string }[])[0];
    // The case number at once when the case is opened with the event, else a token (both GeoReport v2).
    expect(answer).toEqual(
      answer.token
        ? { token: answer.token, service_notice: expect.stringContaining('Received'), account_id: null }
        : { service_request_id: expect.stringMatching(/^CP-/), service_notice: expect.stringContaining('Received as case'), account_id: null },
    );
    const caseNumber = await caseNumberOf(answer);
    expect(caseNumber).toMatch(/^CP-\d{8}-\d{6}$/);

    // A manual event of source open311 from the client's device, classified by the normal rules.
    const events = await db.query<{
      device_id: string;
      source_kind: string;
      detections: { label: string }[];
      media: { uri: string }[];
      category_code: string;
      origin: string;
    }>(
      `SELECT e.device_id, e.source_kind, e.detections, e.media, c.category_code, c.origin
         FROM events e JOIN case_occurrences o ON o.event_id = e.id JOIN cases c ON c.id = o.case_id WHERE c.case_number = $1`,
      [caseNumber],
    );
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0]).toMatchObject({
      device_id: 'open311.hotline-12345',
      source_kind: 'feed',
      detections: [{ label: 'garbage' }],
      media: [{ uri: 'https://img.citizen-app.example/r/8812.jpg' }],
      category_code: 'exposed-garbage',
    });
    expect((await db.query(`SELECT count(*)::int AS n FROM dead_letters WHERE source = 'open311'`)).rows[0].n).toBe(0);

    // Not public before a person reviewed it.
    const before = await request(app.url).get(`/open311/v2/requests.json?service_request_id=${caseNumber}`).expect(200);
    expect(before.body).toEqual([]);
    await request(app.url).get(`/open311/v2/requests/${caseNumber}.json`).expect(404);
    const caseId = (await db.query<{ id: string }>(`SELECT id FROM cases WHERE case_number = $1`, [caseNumber])).rows[0].id;
    await step(app, staff.operator, caseId, { action: 'review-register', evidenceUsableForPenalty: false });

    const list = await request(app.url).get('/open311/v2/requests.json').expect(200);
    const published = (list.body as Record<string, unknown>[]).find((r) => r.service_request_id === caseNumber);
    expect(published).toMatchObject({ service_request_id: caseNumber, status: 'open', service_code: 'exposed-garbage', media_url: null });
    const one = await request(app.url).get(`/open311/v2/requests/${caseNumber}.json`).expect(200);
    expect(one.body).toEqual([published]);
    for (const text of [list.text, one.text]) {
      for (const personal of ['zhang.san', 'San', 'Zhang', '13800138000', 'kiosk-7', 'citizen-app.example', 'school']) expect(text).not.toContain(personal);
    }

    // XML says what JSON says.
    const xmlOne = await request(app.url)
      .get(`/open311/v2/requests/${caseNumber}.xml`)
      .expect(200)
      .expect('Content-Type', /^text\/xml; charset=utf-8/);
    expect(rowsOf(xmlOne.text, 'service_requests', 'request')).toEqual([asXmlText(published as Record<string, string | number | boolean | null>)]);
    const xmlList = await request(app.url).get('/open311/v2/requests.xml').expect(200);
    expect(rowsOf(xmlList.text, 'service_requests', 'request')).toEqual((list.body as Record<string, string | number | boolean | null>[]).map(asXmlText));
    expect(xmlList.text).not.toContain('13800138000');
  });

  it('serves the services as XML with the same values as JSON', async () => {
    const json = await request(app.url).get('/open311/v2/services.json').expect(200);
    const xml = await request(app.url).get('/open311/v2/services.xml').expect(200).expect('Access-Control-Allow-Origin', '*');
    expect(xml.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    const services = json.body as Record<string, string | number | boolean | null>[];
    expect(services.length).toBeGreaterThan(3);
    expect(rowsOf(xml.text, 'services', 'service')).toEqual(services.map(asXmlText));
  });

  it('answers a report in XML too, and tells the number behind a token', async () => {
    const posted = await request(app.url)
      .post('/open311/v2/requests.xml')
      .type('form')
      .send({ api_key: HOTLINE_KEY, service_code: 'exposed-garbage', lat: '23.120612', long: '113.245078', description: '垃圾堆放' })
      .expect(201)
      .expect('Content-Type', /^text\/xml/);
    const [row] = rowsOf(posted.text, 'service_requests', 'request');
    const caseNumber = await caseNumberOf({ service_request_id: row.service_request_id ?? undefined, token: row.token ?? undefined });
    expect(caseNumber).toMatch(/^CP-/);
    const token = (
      await db.query<{ source_event_id: string }>(
        `SELECT e.source_event_id FROM events e JOIN case_occurrences o ON o.event_id = e.id JOIN cases c ON c.id = o.case_id WHERE c.case_number = $1`,
        [caseNumber],
      )
    ).rows[0].source_event_id;
    const byToken = await request(app.url).get(`/open311/v2/tokens/${token}.json`).expect(200);
    expect(byToken.body).toEqual([{ service_request_id: caseNumber, token }]);
    const byTokenXml = await request(app.url).get(`/open311/v2/tokens/${token}.xml`).expect(200);
    expect(rowsOf(byTokenXml.text, 'service_requests', 'request')).toEqual([{ service_request_id: caseNumber, token }]);
    const unknown = await request(app.url).get('/open311/v2/tokens/00000000-0000-4000-8000-000000000000.json').expect(404);
    expect(unknown.body).toEqual([{ code: 404, description: expect.stringContaining('not found') }]);
  });

  it('stores a multipart media picture with the report, as evidence of its event', async () => {
    const photo = await makeDronePhoto({ width: 640, height: 480, seed: 311 });
    const posted = await request(app.url)
      .post('/open311/v2/requests.json')
      .field('api_key', HOTLINE_KEY)
      .field('service_code', 'exposed-garbage')
      .field('lat', '23.1189')
      .field('long', '113.2471')
      .attach('media', photo, { filename: 'IMG_0042.jpg', contentType: 'image/jpeg' })
      .field('description', 'a field after the file counts too')
      .expect(201);
    const caseNumber = await caseNumberOf((posted.body as { service_request_id?: string; token?: string }[])[0]);
    const pictures = await db.query<{ status: string; sha256: string; description: string }>(
      `SELECT ep.status, ep.sha256, e.attributes->>'description' AS description
         FROM event_pictures ep JOIN events e ON e.id = ep.event_id JOIN case_occurrences o ON o.event_id = e.id JOIN cases c ON c.id = o.case_id
        WHERE c.case_number = $1 AND e.source = 'open311'`,
      [caseNumber],
    );
    expect(pictures.rows).toEqual([{ status: 'present', sha256: sha256(photo), description: 'a field after the file counts too' }]);
    expect((await db.query(`SELECT 1 FROM pictures WHERE sha256 = $1`, [sha256(photo)])).rowCount).toBe(1);

    // Not a picture: refused in GeoReport form, nothing stored.
    const refused = await request(app.url)
      .post('/open311/v2/requests.json')
      .field('api_key', HOTLINE_KEY)
      .field('service_code', 'exposed-garbage')
      .field('lat', '23.1189')
      .field('long', '113.2471')
      .attach('media', Buffer.from('not a picture at all'), { filename: 'x.jpg', contentType: 'image/jpeg' })
      .expect(400);
    expect(refused.body).toEqual([{ code: 400, description: expect.stringMatching(/^media: /) }]);
  });

  it('refuses a wrong, missing or retired key with 403 in GeoReport error form, JSON and XML', async () => {
    const report = { service_code: 'exposed-garbage', lat: '23.12', long: '113.25' };
    const events = async () => Number((await db.query(`SELECT count(*) AS n FROM events WHERE source = 'open311'`)).rows[0].n);
    const stored = await events();
    for (const key of [undefined, 'wrong-key', HOTLINE_KEY.toUpperCase(), 'retired-key-0123456789abcdef0123456789']) {
      const res = await request(app.url)
        .post('/open311/v2/requests.json')
        .type('form')
        .send(key === undefined ? report : { ...report, api_key: key })
        .expect(403)
        .expect('Access-Control-Allow-Origin', '*');
      expect(res.body).toEqual([{ code: 403, description: 'api_key is missing or not valid' }]);
    }
    const xml = await request(app.url)
      .post('/open311/v2/requests.xml')
      .type('form')
      .send({ ...report, api_key: 'wrong-key' })
      .expect(403);
    expect(rowsOf(xml.text, 'errors', 'error')).toEqual([{ code: '403', description: 'api_key is missing or not valid' }]);
    expect(await events()).toBe(stored);
  });

  it('refuses what the fields lack with 400 in GeoReport error form', async () => {
    const post = (fields: Record<string, string>) =>
      request(app.url)
        .post('/open311/v2/requests.json')
        .type('form')
        .send({ api_key: HOTLINE_KEY, ...fields });
    expect((await post({ service_code: 'exposed-garbage' }).expect(400)).body).toEqual([
      { code: 400, description: 'a location is required: lat and long, or address_string' },
    ]);
    expect((await post({ service_code: 'no-such-service', lat: '23.12', long: '113.25' }).expect(400)).body).toEqual([
      { code: 400, description: expect.stringContaining('no-such-service is not a service here') },
    ]);
    expect((await post({ service_code: 'exposed-garbage', lat: '95', long: '113.25' }).expect(400)).body).toEqual([
      { code: 400, description: expect.stringMatching(/^lat must be a number/) },
    ]);
    const xml = await request(app.url).post('/open311/v2/requests.xml').type('form').send({ api_key: HOTLINE_KEY, lat: '23.12', long: '113.25' }).expect(400);
    expect(rowsOf(xml.text, 'errors', 'error')).toEqual([{ code: '400', description: 'service_code is required' }]);
  });

  it('limits each key to its requests per minute: 429 in GeoReport error form, other clients unaffected', async () => {
    const post = (key: string) =>
      request(app.url).post('/open311/v2/requests.json').type('form').send({ api_key: key, service_code: 'exposed-garbage', address_string: 'Yunxi Road 8' });
    const taken: { token?: string; service_request_id?: string }[] = [];
    for (let i = 0; i < 3; i++) taken.push(...((await post(TINY_KEY).expect(201)).body as typeof taken));
    // No position: the case opens held for an operator to place it (as a drone photo without GPS), never routed.
    const numbers = [...new Set(await Promise.all(taken.map((t) => caseNumberOf(t))))];
    expect(numbers).toHaveLength(1);
    const held = await db.query<{ held_reason: string; lat: number | null }>(`SELECT held_reason, lat FROM cases WHERE case_number = $1`, [numbers[0]]);
    expect(held.rows).toEqual([{ held_reason: 'no-position', lat: null }]);
    const limited = await post(TINY_KEY).expect(429);
    expect(limited.body).toEqual([{ code: 429, description: expect.stringContaining('more than 3 requests a minute') }]);
    const xml = await request(app.url)
      .post('/open311/v2/requests.xml')
      .type('form')
      .send({ api_key: TINY_KEY, service_code: 'exposed-garbage', address_string: 'Yunxi Road 8' })
      .expect(429);
    expect(rowsOf(xml.text, 'errors', 'error')[0].code).toBe('429');
    await post(HOTLINE_KEY).expect(201);
    // The three taken reports are stored, the refused ones are not.
    const tiny = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE source = 'open311' AND device_id = 'open311.tiny-app'`);
    expect(tiny.rows[0].n).toBe(3);
  });

  it('documents in OpenAPI every answer it gives: status and content type, successes and GeoReport errors', async () => {
    const doc = (await request(app.url).get('/api/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
    };
    const report = { api_key: HOTLINE_KEY, service_code: 'exposed-garbage', lat: '23.1178', long: '113.2437' };
    const token = '00000000-0000-4000-8000-000000000000';
    const answers = [
      ['post', '/open311/v2/requests.json', await request(app.url).post('/open311/v2/requests.json').type('form').send(report)],
      ['post', '/open311/v2/requests.xml', await request(app.url).post('/open311/v2/requests.xml').type('form').send(report)],
      ['post', '/open311/v2/requests.json', await request(app.url).post('/open311/v2/requests.json').send({ api_key: 'wrong' })],
      ['post', '/open311/v2/requests.xml', await request(app.url).post('/open311/v2/requests.xml').send({ api_key: HOTLINE_KEY })],
      ['get', '/open311/v2/tokens/{token}.json', await request(app.url).get(`/open311/v2/tokens/${token}.json`)],
      ['get', '/open311/v2/tokens/{token}.xml', await request(app.url).get(`/open311/v2/tokens/${token}.xml`)],
      ['get', '/open311/v2/requests/{id}.xml', await request(app.url).get('/open311/v2/requests/CP-20000101-000000.xml')],
      ['get', '/open311/v2/requests.xml', await request(app.url).get('/open311/v2/requests.xml?status=nope')],
      ['get', '/open311/v2/discovery.xml', await request(app.url).get('/open311/v2/discovery.xml')],
    ] as const;
    const seen = answers.map(([method, path, res]) => {
      const type = (res.headers['content-type'] ?? '').split(';')[0];
      return `${method} ${path} ${res.status} ${type}: ${doc.paths[path]?.[method]?.responses[String(res.status)]?.content?.[type] ? 'documented' : 'NOT documented'}`;
    });
    expect(seen).toEqual([
      'post /open311/v2/requests.json 201 application/json: documented',
      'post /open311/v2/requests.xml 201 text/xml: documented',
      'post /open311/v2/requests.json 403 application/json: documented',
      'post /open311/v2/requests.xml 400 text/xml: documented',
      'get /open311/v2/tokens/{token}.json 404 application/json: documented',
      'get /open311/v2/tokens/{token}.xml 404 text/xml: documented',
      'get /open311/v2/requests/{id}.xml 404 text/xml: documented',
      'get /open311/v2/requests.xml 400 text/xml: documented',
      'get /open311/v2/discovery.xml 200 text/xml: documented',
    ]);
  });
});
