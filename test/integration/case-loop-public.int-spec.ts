import { Client } from 'pg';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';
import { createStaff, insertCase, type InsertedCase, step, storedAfterPhoto, type TestStaff } from './case-loop-helpers';

const W3C = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})$/;

/** GeoReport v2 service request, field by field (https://wiki.open311.org/GeoReport_v2/#get-service-requests). */
function georeportProblems(r: Record<string, unknown>): string[] {
  const p: string[] = [];
  const str = (k: string, required = false) => {
    if (r[k] === undefined || r[k] === null) {
      if (required) p.push(`${k} missing`);
    } else if (typeof r[k] !== 'string') p.push(`${k} not a string`);
  };
  ['service_request_id', 'status', 'service_code', 'service_name', 'requested_datetime'].forEach((k) => str(k, true));
  [
    'status_notes',
    'description',
    'agency_responsible',
    'service_notice',
    'updated_datetime',
    'expected_datetime',
    'address',
    'address_id',
    'zipcode',
    'media_url',
  ].forEach((k) => str(k));
  if (r.status !== 'open' && r.status !== 'closed') p.push(`status ${String(r.status)}`);
  for (const k of ['requested_datetime', 'updated_datetime', 'expected_datetime']) if (typeof r[k] === 'string' && !W3C.test(r[k])) p.push(`${k} not W3C`);
  for (const k of ['lat', 'long']) if (r[k] !== null && (typeof r[k] !== 'number' || !Number.isFinite(r[k]))) p.push(`${k} not a number`);
  const known = new Set([
    'service_request_id',
    'status',
    'status_notes',
    'service_name',
    'service_code',
    'description',
    'agency_responsible',
    'service_notice',
    'requested_datetime',
    'updated_datetime',
    'expected_datetime',
    'address',
    'address_id',
    'zipcode',
    'lat',
    'long',
    'media_url',
  ]);
  for (const k of Object.keys(r)) if (!known.has(k)) p.push(`unexpected field ${k}`);
  return p;
}

describe('case loop: the party lookup and Open311 GeoReport v2', () => {
  let app: TestApp;
  let db: Client;
  let staff: TestStaff;
  let carA: InsertedCase;
  let carB: InsertedCase;
  let unreviewed: InsertedCase;
  let rejected: InsertedCase;
  let garbage: InsertedCase;
  let atPlace: InsertedCase;
  let closed: InsertedCase;
  const PLATE_A = '粤B·12345';
  const PLATE_B = '粤C99999';

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    staff = await createStaff(app);
    const register = (c: InsertedCase) => step(app, staff.operator, c.id, { action: 'review-register', evidenceUsableForPenalty: true });
    // Two parked cars in front of somebody's home: a position that is no public place, and plates.
    carA = await insertCase(db, { category: 'motor-parking', plate: PLATE_A, deviceId: 'HIK-GATE-01', lat: 23.123456, lng: 113.254321 });
    carB = await insertCase(db, { category: 'motor-parking', plate: PLATE_B, deviceId: 'HIK-GATE-01', lat: 23.123456, lng: 113.254321 });
    unreviewed = await insertCase(db, { category: 'motor-parking', plate: '粤D55555' });
    rejected = await insertCase(db, { category: 'motor-parking', plate: '粤E66666' });
    garbage = await insertCase(db);
    atPlace = await insertCase(db, { category: 'illegal-advertising', placeId: 't01-yunxi-rd-no-parking', lat: 23.120612, lng: 113.245078 });
    closed = await insertCase(db);
    for (const c of [carA, carB, garbage, atPlace, closed]) await register(c);
    await step(app, staff.operator, rejected.id, { action: 'reject', reason: 'Mr Wang parked legally with a permit' });
    await step(app, staff.operator, carA.id, { action: 'dispatch', note: 'call officer Li at home' });
    await step(app, staff.operator, closed.id, { action: 'dispatch' });
    await step(app, staff.officer, closed.id, { action: 'accept' });
    await step(app, staff.officer, closed.id, { action: 'report-back', resultNote: 'removed by the owner, Ms Zhao', photos: [storedAfterPhoto(app)] });
    await step(app, staff.operator, closed.id, { action: 'verify-close' });
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const lookup = (caseNumber: string, verification: string) => request(app.url).post('/api/v1/public/cases/lookup').send({ caseNumber, verification });

  describe('party lookup (陈述申辩)', () => {
    it('shows the party their case and its evidence with the case number and the plate, however typed', async () => {
      const res = await lookup(carA.caseNumber.toLowerCase(), ' 粤b 12345 ').expect(200).expect('Cache-Control', 'no-store');
      const body = res.body as {
        caseNumber: string;
        status: string;
        category: { code: string };
        handledBy: string;
        evidence: { usableForPenalty: boolean; items: { sha256: string; device: { id: string; legalReviewPassed: boolean }; detections: unknown[] }[] };
      };
      expect(body).toMatchObject({
        caseNumber: carA.caseNumber,
        status: 'dispatched',
        category: { code: 'motor-parking' },
        evidence: { usableForPenalty: true },
      });
      expect(body.evidence.items).toHaveLength(1);
      expect(body.evidence.items[0]).toMatchObject({
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        device: { id: 'HIK-GATE-01', legalReviewPassed: true },
        detections: [{ label: 'garbage', confidence: 0.9 }],
      });
      // Only that case: nothing of the other car, and no staff notes.
      expect(res.text).not.toContain(carB.caseNumber);
      expect(res.text).not.toContain('99999');
      expect(res.text).not.toContain('officer Li');
    });

    it('shows nothing for a wrong value, another case’s plate, an unknown number, or a case not yet reviewed', async () => {
      const misses = [
        await lookup(carA.caseNumber, '粤B12346'),
        await lookup(carA.caseNumber, PLATE_B),
        await lookup('CP-20990101-999999', PLATE_A),
        await lookup(unreviewed.caseNumber, '粤D55555'),
        await lookup(rejected.caseNumber, '粤E66666'),
      ];
      await lookup(carA.caseNumber, 'x\u0000').expect(400);
      for (const res of misses) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'No case matches this case number and verification value.' });
      }
    });

    it('uses the notice code for a case without a plate', async () => {
      const view = await request(app.url).get(`/api/v1/cases/${garbage.id}`).set('Authorization', `Bearer ${staff.officer.token}`).expect(200);
      const pv = (view.body as { loop: { partyVerification: { method: string; code: string } } }).loop.partyVerification;
      expect(pv).toEqual({ method: 'code', code: expect.stringMatching(/^\d{6}$/) });
      await lookup(garbage.caseNumber, pv.code).expect(200);
      await lookup(garbage.caseNumber, pv.code === '123456' ? '654321' : '123456').expect(404);
    });

    it('takes a statement and defence into the case record and the audit chain', async () => {
      const text = '我当时在卸货，十分钟内已经离开。I was unloading and left within ten minutes.';
      await request(app.url).post('/api/v1/public/cases/statements').send({ caseNumber: carA.caseNumber, verification: PLATE_B, statement: text }).expect(404);
      await request(app.url).post('/api/v1/public/cases/statements').send({ caseNumber: carA.caseNumber, verification: PLATE_A, statement: '   ' }).expect(400);
      const res = await request(app.url)
        .post('/api/v1/public/cases/statements')
        .send({ caseNumber: carA.caseNumber, verification: PLATE_A, statement: text, contact: 'by letter' })
        .expect(201);
      expect(res.body).toMatchObject({ caseNumber: carA.caseNumber, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

      const shown = (await lookup(carA.caseNumber, PLATE_A).expect(200)).body as { statements: { statement: string }[] };
      expect(shown.statements.map((s) => s.statement)).toEqual([text]);
      const timeline = await request(app.url).get(`/api/v1/cases/${carA.id}/timeline`).set('Authorization', `Bearer ${staff.operator.token}`).expect(200);
      const items = (timeline.body as { items: { type: string; statement?: { statement: string; contact: string } }[] }).items;
      expect(items.filter((i) => i.type === 'statement')).toEqual([
        expect.objectContaining({ statement: expect.objectContaining({ statement: text, contact: 'by letter' }) }),
      ]);
      const audit = await db.query(`SELECT actor_role, data FROM audit_log WHERE case_id = $1 AND action = 'case.statement'`, [carA.id]);
      expect(audit.rows).toEqual([
        { actor_role: 'party', data: expect.objectContaining({ statement: expect.objectContaining({ sha256: (res.body as { sha256: string }).sha256 }) }) },
      ]);
      expect(JSON.stringify(audit.rows[0].data)).not.toContain('unloading');
      const v = await request(app.url).get('/api/v1/audit/verify').set('Authorization', `Bearer ${staff.supervisor.token}`).expect(200);
      expect((v.body as { ok: boolean }).ok).toBe(true);
    });
  });

  describe('Open311 GeoReport v2', () => {
    const get = (path: string) => request(app.url).get(`/open311/v2/${path}`);

    it('lists the categories as services, without a login', async () => {
      const res = await get('services.json').expect(200).expect('Content-Type', /json/).expect('Access-Control-Allow-Origin', '*');
      const services = res.body as Record<string, unknown>[];
      expect(services).toHaveLength(9);
      expect(services).toContainEqual({
        service_code: 'exposed-garbage',
        service_name: 'Exposed garbage / construction waste',
        description: 'Exposed garbage / construction waste (暴露垃圾)',
        metadata: false,
        type: 'realtime',
        keywords: '暴露垃圾,市容环境',
        group: '市容环境',
      });
    });

    it('serves valid GeoReport v2 requests of reviewed cases only, with no personal data', async () => {
      const res = await get('requests.json').expect(200);
      const list = res.body as Record<string, unknown>[];
      for (const r of list) expect(georeportProblems(r)).toEqual([]);
      const ids = list.map((r) => r.service_request_id);
      expect(ids.sort()).toEqual([carA, carB, garbage, atPlace, closed].map((c) => c.caseNumber).sort());
      for (const secret of ['12345', '99999', '55555', '66666', 'Wang', 'officer Li', 'Ms Zhao', 'Test ', 'partyCode', staff.operator.id])
        expect(res.text).not.toContain(secret);

      const byId = new Map(list.map((r) => [r.service_request_id, r]));
      // A private place: coarsened to 3 decimals; a listed public place: exact.
      expect(byId.get(carA.caseNumber)).toMatchObject({ lat: 23.123, long: 113.254, status: 'open', address: 'Yunxi Subdistrict' });
      expect(byId.get(atPlace.caseNumber)).toMatchObject({
        lat: 23.12061,
        long: 113.24508,
        address: 'Yunxi Road north pavement (no parking), Yunxi Subdistrict',
      });
      expect(byId.get(garbage.caseNumber)).toMatchObject({ lat: 23.105, long: 113.255, address: 'Synthetic Road 1, Yunxi Subdistrict' });
      expect(byId.get(carA.caseNumber)).toMatchObject({
        service_code: 'motor-parking',
        agency_responsible: 'Township comprehensive enforcement team (Yunxi Subdistrict)',
        status_notes: 'Dispatched to Township comprehensive enforcement team (Yunxi Subdistrict).',
        expected_datetime: expect.stringMatching(/\+08:00$/),
        media_url: null,
      });
      expect(byId.get(closed.caseNumber)).toMatchObject({ status: 'closed', status_notes: 'Closed after verification.' });
    });

    it('filters by service_code, status, service_request_id and date range', async () => {
      const codes = (await get('requests.json?service_code=motor-parking').expect(200)).body as { service_request_id: string }[];
      expect(codes.map((r) => r.service_request_id).sort()).toEqual([carA.caseNumber, carB.caseNumber].sort());
      const closedOnly = (await get('requests.json?status=closed').expect(200)).body as { service_request_id: string }[];
      expect(closedOnly.map((r) => r.service_request_id)).toEqual([closed.caseNumber]);
      const pair = (await get(`requests.json?service_request_id=${carB.caseNumber},${unreviewed.caseNumber},${closed.caseNumber}&status=open`).expect(200))
        .body as {
        service_request_id: string;
      }[];
      expect(pair.map((r) => r.service_request_id).sort()).toEqual([carB.caseNumber, closed.caseNumber].sort());
      const future = (await get('requests.json?start_date=2099-01-01T00:00:00Z').expect(200)).body as unknown[];
      expect(future).toEqual([]);
      const today = new Date();
      const window = `start_date=${new Date(today.getTime() - 3_600_000).toISOString()}&end_date=${new Date(today.getTime() + 3_600_000).toISOString()}`;
      expect(((await get(`requests.json?${window}&service_code=exposed-garbage`).expect(200)).body as unknown[]).length).toBe(2);
    });

    it('serves one request by id, and answers GeoReport errors', async () => {
      const one = (await get(`requests/${garbage.caseNumber}.json`).expect(200)).body as Record<string, unknown>[];
      expect(one).toHaveLength(1);
      expect(one[0]).toMatchObject({ service_request_id: garbage.caseNumber, service_code: 'exposed-garbage' });
      expect((await get(`requests/${unreviewed.caseNumber}.json`).expect(404)).body).toEqual([
        { code: 404, description: `service request ${unreviewed.caseNumber} not found` },
      ]);
      expect((await get('requests.json?status=pending').expect(400)).body).toEqual([
        { code: 400, description: 'status must be open or closed, not "pending"' },
      ]);
      expect(((await get('requests.json?start_date=2026-01-01&end_date=2026-12-31').expect(400)).body as { code: number }[])[0].code).toBe(400);
      await get('requests.json?service_request_id=CP%00').expect(400);
      await get('requests/CP%00.json').expect(404);
    });
  });

  it('slows down a client that keeps guessing (429)', async () => {
    let status = 0;
    for (let i = 0; i < 40 && status !== 429; i++) status = (await lookup(carA.caseNumber, `guess-${i}`)).status;
    expect(status).toBe(429);
  });
});
