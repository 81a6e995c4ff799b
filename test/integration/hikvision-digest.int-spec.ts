import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import request from 'supertest';
import { digestHa1, digestResponse } from '@app/core/devices/http-digest';
import { hikAlert } from '../fixtures/payloads/hikvision-isapi.fixtures';
import { startTestApp, TestApp } from '../support/test-app';

const run = promisify(execFile);
/** HIK-GATE-01 is a config device on the demo password, registered with alias 44:19:b6:00:00:01:ch1. */
const gate = { macAddress: '44:19:b6:00:00:01', channelID: '1' };
const alarm = (dateTime: string) =>
  hikAlert(
    { ...gate, dateTime },
    '  <AID><illegalTrafficEvent>illegalParking</illegalTrafficEvent><PlateInfo><plate>粤A7D1G3</plate><confidenceLevel>96</confidenceLevel></PlateInfo></AID>\n',
  );
const PATH = '/api/v1/ingest/hikvision';

/** Each WWW-Authenticate header as sent (Node's client joins repeated headers into one string). */
function challengesOf(res: request.Response): string[] {
  const raw = (res as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
  return raw.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === 'www-authenticate' ? [raw[i + 1]] : []));
}

/**
 * Issue 16 item 8: the Hikvision push answers 401 with challenges (Digest SHA-256 and MD5 per RFC 7616, and Basic
 * realm="CloudPatrol"), and takes Digest — checked with curl, a client that answers challenges.
 */
describe('Hikvision push: HTTP Digest and challenges', () => {
  let app: TestApp;
  let db: Client;
  let dir: string;

  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    dir = mkdtempSync(join(tmpdir(), 'cp-digest-'));
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** curl with the given auth option; the last answer's status and body. */
  async function curl(auth: string[], user: string, body: string): Promise<{ status: number; body: string }> {
    const file = join(dir, `alarm-${Math.random().toString(36).slice(2)}.xml`);
    writeFileSync(file, body);
    const out = join(dir, 'out.txt');
    const { stdout } = await run('curl', [
      '-sS',
      ...auth,
      '-u',
      user,
      '-H',
      'Content-Type: application/xml',
      '--data-binary',
      `@${file}`,
      '-o',
      out,
      '-w',
      '%{http_code}',
      `${app.url}${PATH}`,
    ]);
    const { readFileSync } = await import('node:fs');
    return { status: Number(stdout.trim()), body: readFileSync(out, 'utf8') };
  }

  const stored = async (plateTime: string) =>
    (
      await db.query(`SELECT count(*)::int AS n FROM events WHERE source = 'hikvision' AND device_id = 'HIK-GATE-01' AND raw_payload LIKE $1`, [
        `%${plateTime}%`,
      ])
    ).rows[0].n as number;

  it('answers 401 with Digest (SHA-256, MD5) and Basic challenges and a device message, not "Bearer"', async () => {
    const res = await request(app.url).post(PATH).set('Content-Type', 'application/xml').send(alarm('2026-11-28T08:00:00+08:00')).expect(401);
    const all = challengesOf(res);
    expect(all).toHaveLength(3);
    expect(all[0]).toMatch(/^Digest realm="CloudPatrol", qop="auth", algorithm=SHA-256, nonce="[^"]+", opaque="[^"]+"$/);
    expect(all[1]).toMatch(/^Digest realm="CloudPatrol", qop="auth", algorithm=MD5, nonce="[^"]+"/);
    expect(all[2]).toBe('Basic realm="CloudPatrol", charset="UTF-8"');
    const message = (res.body as { message: string }).message;
    expect(message).toMatch(/Digest or Basic/);
    expect(message).not.toMatch(/Bearer/);
    // A wrong Basic password: 401 with the challenges too.
    const basic = await request(app.url)
      .post(PATH)
      .set('Authorization', `Basic ${Buffer.from('HIK-GATE-01:wrong').toString('base64')}`)
      .set('Content-Type', 'application/xml')
      .send(alarm('2026-11-28T08:00:01+08:00'))
      .expect(401);
    expect(challengesOf(basic)).toHaveLength(3);
  });

  it('curl --digest stores the alarm; a wrong password gets 401', async () => {
    expect(await curl(['--digest'], 'HIK-GATE-01:cloudpatrol-demo', alarm('2026-11-28T09:01:00+08:00'))).toMatchObject({ status: 200 });
    expect(await stored('2026-11-28T09:01:00')).toBe(1);
    const wrong = await curl(['--digest'], 'HIK-GATE-01:wrong-password', alarm('2026-11-28T09:02:00+08:00'));
    expect(wrong.status).toBe(401);
    expect(await stored('2026-11-28T09:02:00')).toBe(0);
  });

  it('curl --anyauth (answers whichever challenge it prefers) stores the alarm; curl --basic still works', async () => {
    expect((await curl(['--anyauth'], 'HIK-GATE-01:cloudpatrol-demo', alarm('2026-11-28T09:03:00+08:00'))).status).toBe(200);
    expect(await stored('2026-11-28T09:03:00')).toBe(1);
    expect((await curl(['--anyauth'], 'HIK-GATE-01:nope', alarm('2026-11-28T09:04:00+08:00'))).status).toBe(401);
    expect((await curl(['--basic'], 'HIK-GATE-01:cloudpatrol-demo', alarm('2026-11-28T09:05:00+08:00'))).status).toBe(200);
    expect(await stored('2026-11-28T09:05:00')).toBe(1);
  });

  it('MD5 and SHA-256 answers both pass; a replayed answer, a forged nonce and another uri do not', async () => {
    const challenge = await request(app.url).post(PATH).set('Content-Type', 'application/xml').send('x').expect(401);
    const nonce = /nonce="([^"]+)"/.exec(challengesOf(challenge)[0])![1];
    const ha1 = digestHa1('HIK-GATE-01', 'cloudpatrol-demo');
    const header = (algorithm: 'MD5' | 'SHA-256', nc: string, o: { uri?: string; nonce?: string } = {}) => {
      const uri = o.uri ?? PATH;
      const n = o.nonce ?? nonce;
      const response = digestResponse(algorithm, algorithm === 'MD5' ? ha1.md5 : ha1.sha256, { method: 'POST', uri, nonce: n, nc, cnonce: 'c0ffee' });
      return `Digest username="HIK-GATE-01", realm="CloudPatrol", nonce="${n}", uri="${uri}", algorithm=${algorithm}, qop=auth, nc=${nc}, cnonce="c0ffee", response="${response}"`;
    };
    const push = (auth: string, dateTime: string) =>
      request(app.url).post(PATH).set('Authorization', auth).set('Content-Type', 'application/xml').send(alarm(dateTime));
    await push(header('SHA-256', '00000001'), '2026-11-28T09:06:00+08:00').expect(200);
    await push(header('MD5', '00000002'), '2026-11-28T09:07:00+08:00').expect(200);
    const replay = await push(header('MD5', '00000002'), '2026-11-28T09:08:00+08:00').expect(401);
    expect(challengesOf(replay)[0]).toMatch(/stale=true/);
    await push(header('SHA-256', '00000003', { uri: `${PATH}?x=1` }), '2026-11-28T09:09:00+08:00').expect(401);
    await push(header('SHA-256', '00000001', { nonce: `${nonce.slice(0, -2)}xx` }), '2026-11-28T09:10:00+08:00').expect(401);
    expect(await stored('2026-11-28T09:08:00')).toBe(0);
  });

  it('a registered device with its own password takes Digest at once, and again at once after a new password (the old one stops)', async () => {
    const admin = await app.token();
    const created = await request(app.url)
      .post('/api/v1/devices')
      .set('Authorization', `Bearer ${admin}`)
      .send({ id: 'CAM-DIGEST-01', kind: 'camera', name: 'Digest camera', ownerDepartment: 'city-management', location: { lat: 23.105, lng: 113.256 } })
      .expect(201);
    const { password } = (created.body as { credentials: { password: string } }).credentials;
    const body = alarm('2026-11-28T10:00:00+08:00');
    expect((await curl(['--digest'], `CAM-DIGEST-01:${password}`, body)).status).not.toBe(401);
    expect((await curl(['--digest'], 'CAM-DIGEST-01:wrong', body)).status).toBe(401);
    const reset = await request(app.url).post('/api/v1/devices/CAM-DIGEST-01/credentials').set('Authorization', `Bearer ${admin}`).expect(201);
    const fresh = (reset.body as { password: string }).password;
    expect((await curl(['--digest'], `CAM-DIGEST-01:${password}`, body)).status).toBe(401);
    expect((await curl(['--digest'], `CAM-DIGEST-01:${fresh}`, body)).status).not.toBe(401);
    expect((await curl(['--anyauth'], `CAM-DIGEST-01:${fresh}`, body)).status).not.toBe(401);
    expect((await curl(['--basic'], `CAM-DIGEST-01:${fresh}`, body)).status).not.toBe(401);
  });
});
