import { computeDueAt } from '@app/domain';
import { loadDistrictConfig } from '@app/config';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { hikAlert } from '../fixtures/payloads/hikvision-isapi.fixtures';
import { makeDronePhoto } from '../fixtures/photo-fixtures';
import { ROOT } from '../support/services';
import { eventually, startTestApp, type TestApp } from '../support/test-app';

const ARTIFACTS = join(ROOT, 'test-artifacts/case-file');
const PUBLIC_BASE_URL = 'https://cg.example.test';
const NOTIFY_TOKEN = 'notify-token-for-the-test';
const REVIEWER = '审核员 王芳';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const BOUNDARY = 'MIME_boundary_case_file';

/** A Hikvision alarm from HIK-GATE-01 (a reviewed camera with a published address) with its pictures. */
function alarm(illegalTrafficEvent: string, plate: string | null, pictures: Buffer[]): Buffer {
  const plateXml = plate ? `<PlateInfo><plate>${plate}</plate><confidenceLevel>96</confidenceLevel></PlateInfo>` : '';
  const xml = hikAlert(
    { macAddress: '44:19:b6:00:00:01', channelID: '1', dateTime: new Date().toISOString() },
    `  <AID><illegalTrafficEvent>${illegalTrafficEvent}</illegalTrafficEvent>${plateXml}</AID>\n`,
  );
  const parts = [
    { name: 'AID', filename: 'AID.xml', type: 'application/xml', data: Buffer.from(xml) },
    ...pictures.map((data, i) => ({ name: `detectionPicture${i}.jpg`, filename: `detectionPicture${i}.jpg`, type: 'image/jpeg', data })),
  ];
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n`),
      p.data,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

/** The text of a PDF as poppler reads it (what a reader's copy-paste or a court's tooling sees). */
function pdfText(pdf: Buffer, name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.pdf`);
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

/** Page 1 rendered to PNG under test-artifacts/ (the README shows these). */
function renderFirstPage(name: string): string {
  const prefix = join(ARTIFACTS, `${name}-page`);
  execFileSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', join(ARTIFACTS, `${name}.pdf`), prefix]);
  return `${prefix}.png`;
}

interface StandInRequest {
  headers: IncomingHttpHeaders;
  body: {
    deliveryId: string;
    caseNumber: string;
    noticeNumber: string;
    recipient: { contact: string | null; plate: string | null };
    text: string;
    link: string;
  };
}

/** The outbound endpoint (an SMS gateway in real life): answers the queued statuses in order, then 200. */
async function startNotifierStandIn(): Promise<{ url: string; requests: StandInRequest[]; answers: number[]; server: Server }> {
  const requests: StandInRequest[] = [];
  const answers: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as StandInRequest['body'] });
      const status = answers.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status === 200 ? { accepted: true } : { error: 'busy' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`, requests, answers, server };
}

interface EvidenceItem {
  key: string;
  kind: string;
  status: string;
  sha256: string | null;
}
interface NoticeView {
  noticeNumber: string;
  deliveredAt: string | null;
  statementDueAt: string | null;
  contentSha256: string;
  deliveries: { id: string; method: string; status: string; attempts: number; lastError: string | null; requestedBy: string }[];
}

/**
 * Issue 21: the case file (案卷) and the party's notice (告知书), read back from the PDFs' own text with poppler, the
 * notice delivered through the HTTP notifier to a stand-in endpoint that first answers 503, and a printed case
 * file's verification code checked by anyone against the sealed record.
 */
describe('case file and party notice', () => {
  let app: TestApp;
  let db: Client;
  let dataDir: string;
  let notifier: Awaited<ReturnType<typeof startNotifierStandIn>>;
  let operator: string;
  let admin: string;
  /** The street-occupation case of the first test (registered; its identity would absorb a second alarm). */
  let streetCase: { id: string; caseNumber: string } | undefined;

  beforeAll(async () => {
    for (const tool of ['pdftotext', 'pdftoppm']) {
      try {
        execFileSync(tool, ['-v'], { stdio: 'ignore' });
      } catch {
        throw new Error(`${tool} is needed to read the PDFs back: apt-get install poppler-utils (.ci/run does)`);
      }
    }
    notifier = await startNotifierStandIn();
    dataDir = mkdtempSync(join(tmpdir(), 'cp-case-file-'));
    app = await startTestApp({
      env: { DATA_DIR: dataDir, PUBLIC_BASE_URL, NOTIFY_HTTP_URL: notifier.url, NOTIFY_HTTP_TOKEN: NOTIFY_TOKEN, NOTIFY_RETRY_BASE_MS: '200' },
    });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    admin = await app.token();
    const password = 'reviewer-password-1';
    await request(app.url)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${admin}`)
      .send({ username: 'reviewer-wang', password, role: 'operator', displayName: REVIEWER })
      .expect(201);
    const login = await request(app.url).post('/api/v1/auth/login').send({ username: 'reviewer-wang', password }).expect(200);
    operator = (login.body as { accessToken: string }).accessToken;
  });

  afterAll(async () => {
    await db?.end();
    await app?.stop();
    await new Promise((resolve) => notifier?.server.close(resolve));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const as = () => ({ Authorization: `Bearer ${operator}` });
  const binary = (req: request.Test) =>
    req.buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });

  /** Sends an alarm and waits until its case has every picture stored; answers the case id and number. */
  async function caseWithPictures(event: string, plate: string | null, pictures: Buffer[]): Promise<{ id: string; caseNumber: string }> {
    await request(app.url)
      .post('/api/v1/ingest/hikvision')
      .set('Authorization', basic('HIK-GATE-01', 'cloudpatrol-demo'))
      .set('Content-Type', `multipart/form-data; boundary=${BOUNDARY}`)
      .send(alarm(event, plate, pictures))
      .expect(200);
    const shas = pictures.map(sha);
    return eventually('the case with its pictures', async () => {
      const r = await db.query<{ id: string; case_number: string }>(
        `SELECT c.id, c.case_number FROM cases c JOIN case_occurrences o ON o.case_id = c.id JOIN event_pictures p ON p.event_id = o.event_id
          WHERE p.sha256 = ANY($1::text[]) AND p.status = 'present' GROUP BY c.id HAVING count(DISTINCT p.sha256) = $2`,
        [shas, shas.length],
      );
      return r.rows[0] ? { id: r.rows[0].id, caseNumber: r.rows[0].case_number } : undefined;
    });
  }

  async function register(caseId: string): Promise<void> {
    await request(app.url)
      .post(`/api/v1/cases/${caseId}/transitions`)
      .set(as())
      .send({ action: 'review-register', evidenceUsableForPenalty: true, note: '图片清晰，占道事实明确' })
      .expect(200);
  }

  it('prints the notice and the case file with the case number, every evidence SHA-256, the reviewer, the notice code and the deadline', async () => {
    const pictures = [await makeDronePhoto({ width: 1024, height: 768, seed: 2101 }), await makeDronePhoto({ width: 1024, height: 768, seed: 2102 })];
    const made = await caseWithPictures('roadBlock', null, pictures);
    streetCase = made;

    // Before a person registers it there is no notice to print.
    await request(app.url).get(`/api/v1/cases/${made.id}/notice.pdf`).set(as()).expect(404);
    await register(made.id);
    const caseView = await request(app.url).get(`/api/v1/cases/${made.id}`).set(as()).expect(200);
    const party = (caseView.body as { loop: { partyVerification: { method: string; code?: string } } }).loop.partyVerification;
    expect(party.method).toBe('code');
    const code = party.code ?? '';
    expect(code).toMatch(/^\d{6}$/);

    // No plate to address: nothing went to the notifier on registration.
    expect(notifier.requests).toHaveLength(0);

    // Delivered by hand: the statement window (3 working days) runs from this moment.
    const delivered = await request(app.url)
      .post(`/api/v1/cases/${made.id}/notice/deliveries`)
      .set(as())
      .send({ method: 'in-person', recipient: '摊主 李某', note: '现场送达' })
      .expect(201);
    const notice = (delivered.body as { notice: NoticeView }).notice;
    expect(notice.deliveries.map((d) => [d.method, d.status])).toEqual([['in-person', 'delivered']]);
    const district = loadDistrictConfig(join(ROOT, 'config/demo'));
    const expectedDue = computeDueAt(new Date(notice.deliveredAt ?? ''), { amount: 3, unit: 'working-days' }, district.calendar);
    expect(notice.statementDueAt).toBe(expectedDue.toISOString());
    const dueLocal = new Date(expectedDue.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');

    // The notice letter: what, where, when, the legal basis, the deadline and how to look it up.
    const noticePdf = await binary(request(app.url).get(`/api/v1/cases/${made.id}/notice.pdf`).set(as())).expect(200);
    expect(noticePdf.headers['content-type']).toBe('application/pdf');
    const noticeText = pdfText(noticePdf.body as Buffer, 'notice');
    expect(noticeText).toContain('非现场执法告知书');
    expect(noticeText).toContain(made.caseNumber);
    expect(noticeText).toContain(notice.noticeNumber);
    expect(noticeText).toContain(`查询码：${code}`);
    expect(noticeText).toContain(dueLocal);
    expect(noticeText).toContain('《城市道路管理条例》');
    expect(noticeText).toContain(`${PUBLIC_BASE_URL}/party.html`);
    expect(statSync(renderFirstPage('notice')).size).toBeGreaterThan(20_000);

    // The case file: every sealed evidence item's SHA-256 on one line, the reviewer, the code to verify it by.
    const evidence = await request(app.url).get(`/api/v1/cases/${made.id}/evidence`).set(as()).expect(200);
    const items = (evidence.body as { items: EvidenceItem[] }).items.filter((i) => i.status === 'present' && i.sha256);
    expect(items.filter((i) => i.kind === 'image').map((i) => i.sha256)).toEqual(expect.arrayContaining(pictures.map(sha)));
    const dossier = await binary(request(app.url).get(`/api/v1/cases/${made.id}/dossier.pdf`).set(as())).expect(200);
    const dossierCode = String(dossier.headers['x-dossier-code']);
    expect(dossierCode).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const dossierText = pdfText(dossier.body as Buffer, 'dossier');
    expect(dossierText).toContain('案卷');
    expect(dossierText).toContain(made.caseNumber);
    for (const item of items) expect(dossierText).toContain(item.sha256);
    expect(dossierText).toContain(REVIEWER);
    expect(dossierText).toContain(dossierCode);
    expect(dossierText).toContain(notice.noticeNumber);
    expect(dossierText).toContain(notice.contentSha256);
    expect(dossierText).toContain('road-occupation-hikvision');
    expect(statSync(renderFirstPage('dossier')).size).toBeGreaterThan(20_000);
    const english = await binary(request(app.url).get(`/api/v1/cases/${made.id}/dossier.pdf?lang=en`).set(as())).expect(200);
    expect(pdfText(english.body as Buffer, 'dossier-en')).toContain(`Case ${made.caseNumber}`);

    // Each print is on the audit chain, and the chain still holds.
    const printed = await db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log WHERE case_id = $1 AND action = 'case.dossier-printed'`, [made.id]);
    expect(Number(printed.rows[0].n)).toBe(2);
    const chain = await request(app.url).get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`).expect(200);
    expect((chain.body as { ok: boolean }).ok).toBe(true);

    // Anyone with the paper: the code and the hashes they read from it match the sealed record.
    const verified = await request(app.url)
      .post('/api/v1/public/dossiers/verify')
      .send({ code: dossierCode.toLowerCase(), sha256: [items[0].sha256, 'f'.repeat(64)] })
      .expect(200);
    const v = verified.body as { ok: boolean; caseNumber: string; evidence: { key: string; status: string }[]; given: { listed: boolean }[] };
    expect(v.ok).toBe(true);
    expect(v.caseNumber).toBe(made.caseNumber);
    expect(v.evidence).toHaveLength(items.length);
    expect(v.evidence.every((e) => e.status === 'matches')).toBe(true);
    expect(v.given.map((g) => g.listed)).toEqual([true, false]);
    expect(JSON.stringify(v)).not.toContain(REVIEWER);
    await request(app.url).get('/api/v1/public/dossiers/AAAA-BBBB-CCCC').expect(404);

    // A stored picture altered afterwards: the printed hash no longer matches the record.
    const stored = await db.query<{ item_key: string; uri: string }>(
      `SELECT item_key, uri FROM evidence_items WHERE sha256 = $1 AND local AND item_key LIKE 'event:%:picture:%'`,
      [sha(pictures[0])],
    );
    const file = join(dataDir, 'media', stored.rows[0].uri);
    expect(existsSync(file)).toBe(true);
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(file, bytes);
    const broken = (await request(app.url).get(`/api/v1/public/dossiers/${dossierCode}`).expect(200)).body as typeof v;
    expect(broken.ok).toBe(false);
    expect(broken.evidence.filter((e) => e.status !== 'matches')).toEqual([{ key: stored.rows[0].item_key, sha256: sha(pictures[0]), status: 'differs' }]);
  });

  it('sends the notice of a vehicle case through the HTTP notifier, retrying after a 503, and records the delivery', async () => {
    notifier.requests.length = 0;
    notifier.answers.push(503);
    const made = await caseWithPictures('illegalParking', '粤B2X7Q9', [await makeDronePhoto({ width: 800, height: 600, seed: 2103 })]);
    await register(made.id);

    const notice = await eventually(
      'the notifier delivery',
      async () => {
        const n = (await request(app.url).get(`/api/v1/cases/${made.id}/notice`).set(as()).expect(200)).body as NoticeView;
        return n.deliveries[0]?.status === 'delivered' ? n : undefined;
      },
      30_000,
    );
    // Exactly two calls: the 503, then the retry that was accepted — with the same idempotency key.
    expect(notifier.requests).toHaveLength(2);
    const [first, second] = notifier.requests;
    expect(first.headers['idempotency-key']).toBe(notice.deliveries[0].id);
    expect(second.headers['idempotency-key']).toBe(notice.deliveries[0].id);
    expect(second.headers.authorization).toBe(`Bearer ${NOTIFY_TOKEN}`);
    expect(second.body.caseNumber).toBe(made.caseNumber);
    expect(second.body.recipient).toEqual({ contact: null, plate: '粤B2X7Q9' });
    expect(second.body.link).toBe(`${PUBLIC_BASE_URL}/party.html#case=${made.caseNumber}`);
    expect(second.body.text).toContain(made.caseNumber);
    expect(second.body.text).toContain('陈述、申辩');
    expect(notice.deliveries[0]).toMatchObject({ method: 'notifier', status: 'delivered', attempts: 2, lastError: null, requestedBy: 'system' });
    expect(notice.deliveredAt).not.toBeNull();
    expect(notice.statementDueAt).not.toBeNull();
    const audit = await db.query<{ action: string }>(`SELECT action FROM audit_log WHERE case_id = $1 AND action LIKE 'case.notice-%' ORDER BY seq`, [made.id]);
    expect(audit.rows.map((r) => r.action)).toEqual(['case.notice-produced', 'case.notice-delivered']);

    // The party's lookup shows the window counted from that delivery.
    const lookup = await request(app.url).post('/api/v1/public/cases/lookup').send({ caseNumber: made.caseNumber, verification: '粤B 2X7Q9' }).expect(200);
    expect((lookup.body as { notice: { statementDueAt: string } }).notice.statementDueAt).toBe(notice.statementDueAt);

    // A refusal a retry cannot change (400) fails the delivery at once, recorded with the reason.
    notifier.answers.push(400);
    await request(app.url).post(`/api/v1/cases/${made.id}/notice/deliveries`).set(as()).send({ method: 'notifier', recipient: '13800000000' }).expect(201);
    const failed = await eventually('the refused delivery', async () => {
      const n = (await request(app.url).get(`/api/v1/cases/${made.id}/notice`).set(as()).expect(200)).body as NoticeView;
      return n.deliveries[1]?.status === 'failed' ? n.deliveries[1] : undefined;
    });
    expect(failed).toMatchObject({ attempts: 1, lastError: 'HTTP 400: {"error":"busy"}' });
    expect(notifier.requests).toHaveLength(3);
    expect(notifier.requests[2].body.recipient).toEqual({ contact: '13800000000', plate: '粤B2X7Q9' });
    const failures = await db.query(`SELECT 1 FROM audit_log WHERE case_id = $1 AND action = 'case.notice-delivery-failed'`, [made.id]);
    expect(failures.rowCount).toBe(1);
  });

  it('refuses bad deliveries with the reason', async () => {
    const post = (body: object) =>
      request(app.url)
        .post(`/api/v1/cases/${streetCase?.id ?? ''}/notice/deliveries`)
        .set(as())
        .send(body);
    expect((await post({ method: 'carrier-pigeon' })).status).toBe(400);
    const future = await post({ method: 'post', deliveredAt: new Date(Date.now() + 3_600_000).toISOString() }).expect(422);
    expect((future.body as { message: string }).message).toContain('future');
    const noRecipient = await post({ method: 'notifier' }).expect(422);
    expect((noRecipient.body as { message: string }).message).toContain('recipient');
  });
});
