import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 16 item 3: TRUST_PROXY. Behind a proxy (TRUST_PROXY=1) each client's own address is used, so one client
 * throttled does not throttle the rest; off (the default) X-Forwarded-For is ignored, so a client cannot name
 * another address to escape its throttle.
 */
describe('throttles: TRUST_PROXY', () => {
  const lookup = (app: TestApp, from: string, i: number) =>
    request(app.url)
      .post('/api/v1/public/cases/lookup')
      .set('X-Forwarded-For', from)
      .send({ caseNumber: `CP-20990101-${String(i).padStart(6, '0')}`, verification: 'x' });
  const login = (app: TestApp, from: string, i: number) =>
    request(app.url)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', from)
      .send({ username: `nobody-${i}`, password: 'wrong-password' });

  /** Requests from `from` until one answers 429; how many it took. */
  async function exhaust(call: (i: number) => request.Test, limit: number): Promise<number> {
    for (let i = 0; i < limit; i++) if ((await call(i)).status === 429) return i;
    throw new Error(`no 429 within ${limit} requests`);
  }

  describe('TRUST_PROXY=1', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ mode: 'api', env: { TRUST_PROXY: '1' } });
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('throttles two clients with different X-Forwarded-For separately (party lookup)', async () => {
      expect(await exhaust((i) => lookup(app, '198.51.100.1', i), 40)).toBe(30);
      await lookup(app, '198.51.100.1', 100).expect(429);
      await lookup(app, '198.51.100.2', 101).expect(404);
    });

    it('throttles two clients with different X-Forwarded-For separately (login)', async () => {
      expect(await exhaust((i) => login(app, '198.51.100.3', i), 40)).toBeLessThanOrEqual(30);
      await login(app, '198.51.100.3', 200).expect(429);
      await login(app, '198.51.100.4', 201).expect(401);
    });
  });

  describe('TRUST_PROXY unset (default)', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ mode: 'api' });
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('ignores X-Forwarded-For: a client cannot change its address to escape the throttle', async () => {
      expect(await exhaust((i) => lookup(app, `198.51.100.${i}`, i), 40)).toBe(30);
      await lookup(app, '198.51.100.250', 100).expect(429);
      expect(await exhaust((i) => login(app, `198.51.101.${i}`, i), 40)).toBeLessThanOrEqual(30);
      await login(app, '198.51.101.250', 200).expect(429);
    });
  });
});
