import { networkInterfaces } from 'node:os';
import request from 'supertest';
import { freePort } from '../support/services';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 16 item 7: /metrics (device ids, per-device counts) is not public. Default: this host only (loopback
 * socket, not forwarded by a proxy); METRICS_TOKEN: a bearer token; METRICS_PORT: its own listener on
 * METRICS_HOST (default 127.0.0.1), not on the API's port.
 */
const TOKEN = 'metrics-token-0123456789abcdef';

/** An address of this machine that is not loopback (a request to it comes from it, not from 127.0.0.1). */
function outsideAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
}

describe('metrics access', () => {
  describe('neither METRICS_TOKEN nor METRICS_PORT: this host only', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ mode: 'api', env: { HOST: '0.0.0.0' } });
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('answers a loopback client, refuses a request forwarded by a proxy', async () => {
      const res = await request(app.url).get('/metrics').expect(200);
      expect(res.text).toContain('# TYPE');
      const refused = await request(app.url).get('/metrics').set('X-Forwarded-For', '203.0.113.9').expect(403);
      expect((refused.body as { message: string }).message).toMatch(/METRICS_TOKEN or METRICS_PORT/);
      await request(app.url).get('/metrics').set('Forwarded', 'for=203.0.113.9').expect(403);
      await request(app.url).get('/health').set('X-Forwarded-For', '203.0.113.9').expect(200);
    });

    it('refuses a client that is not on loopback', async () => {
      const outside = outsideAddress();
      if (!outside) return console.warn('no non-loopback IPv4 address on this machine: skipped');
      const port = Number(new URL(app.url).port);
      await request(`http://${outside}:${port}`).get('/metrics').expect(403);
      await request(`http://${outside}:${port}`).get('/health').expect(200);
    });
  });

  describe('METRICS_TOKEN', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ mode: 'api', env: { METRICS_TOKEN: TOKEN } });
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('requires the bearer token, from loopback too', async () => {
      const none = await request(app.url).get('/metrics').expect(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      await request(app.url).get('/metrics').set('Authorization', `Bearer ${TOKEN}x`).expect(401);
      await request(app.url)
        .get('/metrics')
        .set('Authorization', `Bearer ${await app.token()}`)
        .expect(401);
      const ok = await request(app.url).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      expect(ok.text).toContain('# TYPE');
    });
  });

  describe('METRICS_PORT (with METRICS_TOKEN)', () => {
    let app: TestApp;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      app = await startTestApp({ mode: 'api', env: { METRICS_PORT: String(port), METRICS_TOKEN: TOKEN } });
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('serves metrics on their own port on 127.0.0.1 only, and no longer on the API port', async () => {
      expect(app.metricsUrl).toBe(`http://127.0.0.1:${port}`);
      await request(app.url).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
      await request(app.metricsUrl!).get('/metrics').expect(401);
      const ok = await request(app.metricsUrl!).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      expect(ok.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(ok.text).toContain('# TYPE');
      await request(app.metricsUrl!).get('/health').expect(404);
      const outside = outsideAddress();
      if (outside) await expect(request(`http://${outside}:${port}`).get('/metrics')).rejects.toThrow(/ECONNREFUSED/);
    });
  });
});
