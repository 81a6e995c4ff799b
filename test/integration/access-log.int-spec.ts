import request from 'supertest';
import { LogCapture } from '../support/log-capture';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 16 item 6: an HTTP access log through the app's pino logger — one JSON line per request with a request id
 * (an incoming well-formed X-Request-Id is kept, else one is made; answered in X-Request-Id) — without /health and
 * /metrics, and never an Authorization header, a cookie, a query token or a body.
 */
describe('HTTP access log', () => {
  const capture = new LogCapture();
  let app: TestApp;

  beforeAll(async () => {
    capture.start();
    try {
      app = await startTestApp({ mode: 'api', env: { LOG_LEVEL: 'info' } });
    } finally {
      capture.stop();
    }
  });
  afterAll(async () => {
    capture.stop();
    await app?.stop();
  });

  type Line = {
    msg?: string;
    service?: string;
    req?: { id?: string; method?: string; url?: string; remoteAddress?: string };
    res?: { statusCode?: number };
    responseTime?: number;
  };
  const requestLines = () => capture.entries().filter((e) => e.msg === 'request' || e.msg === 'request failed') as Line[];

  it('logs each request once with its id, method, path, client, status and time; answers the id', async () => {
    const token = await app.token();
    capture.start();
    let answered: request.Response;
    try {
      answered = await request(app.url).get('/api/v1/users?limit=5').set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'proxy-req-0001').expect(200);
    } finally {
      capture.stop();
    }
    expect(answered.headers['x-request-id']).toBe('proxy-req-0001');
    const lines = requestLines().filter((l) => l.req?.id === 'proxy-req-0001');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      service: 'cloudpatrol',
      req: { method: 'GET', url: '/api/v1/users?limit=5', remoteAddress: '127.0.0.1' },
      res: { statusCode: 200 },
    });
    expect(typeof lines[0].responseTime).toBe('number');
  });

  it('replaces a malformed X-Request-Id and makes one when there is none', async () => {
    capture.start();
    let bad: request.Response, none: request.Response;
    try {
      bad = await request(app.url).get('/open311/v2/services.json').set('X-Request-Id', 'bad id <script>alert(1)</script>');
      none = await request(app.url).get('/open311/v2/services.json');
    } finally {
      capture.stop();
    }
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(bad.headers['x-request-id']).toMatch(uuid);
    expect(none.headers['x-request-id']).toMatch(uuid);
    expect(bad.headers['x-request-id']).not.toBe(none.headers['x-request-id']);
    expect(requestLines().map((l) => l.req?.id)).toEqual(expect.arrayContaining([bad.headers['x-request-id'], none.headers['x-request-id']]));
    expect(capture.text).not.toContain('<script>');
  });

  it('never logs credentials, cookies, query tokens or bodies', async () => {
    const streamToken = 'stream-token-that-must-not-be-logged';
    capture.start();
    try {
      await request(app.url).post('/api/v1/auth/login').set('Cookie', 'session=cookie-that-must-not-be-logged').send(ADMIN).expect(200);
      await request(app.url).post('/api/v1/auth/login').send({ username: 'admin', password: 'wrong-password-must-not-be-logged' }).expect(401);
      await request(app.url).get(`/api/v1/alerts/stream?token=${streamToken}&since=1`).expect(401);
      await request(app.url).get('/api/v1/users').set('Authorization', 'Bearer header-token-that-must-not-be-logged').expect(401);
      await request(app.url)
        .get('/api/v1/users')
        .set('Authorization', `Basic ${Buffer.from('dev:basic-password-not-logged').toString('base64')}`)
        .expect(401);
    } finally {
      capture.stop();
    }
    const text = capture.text;
    for (const secret of [
      ADMIN.password,
      'wrong-password-must-not-be-logged',
      streamToken,
      'header-token-that-must-not-be-logged',
      'cookie-that-must-not-be-logged',
      Buffer.from('dev:basic-password-not-logged').toString('base64'),
    ])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/authorization|cookie/i);
    const stream = requestLines().find((l) => l.req?.url?.startsWith('/api/v1/alerts/stream'));
    expect(stream?.req?.url).toBe('/api/v1/alerts/stream?token=%5Bredacted%5D&since=1');
    expect(
      requestLines()
        .filter((l) => l.req?.url === '/api/v1/auth/login')
        .map((l) => l.res?.statusCode),
    ).toEqual([200, 401]);
  });

  it('does not log /health and /metrics (they still get a request id)', async () => {
    capture.start();
    let health: request.Response;
    try {
      health = await request(app.url).get('/health');
      await request(app.url).get('/metrics').expect(200);
      await request(app.url).get('/health/').set('X-Request-Id', 'health-probe-01');
    } finally {
      capture.stop();
    }
    expect(health.headers['x-request-id']).toBeDefined();
    expect(requestLines().filter((l) => /^\/(health|metrics)/.test(l.req?.url ?? ''))).toEqual([]);
  });
});
