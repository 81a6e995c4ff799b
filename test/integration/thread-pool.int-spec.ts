import { pbkdf2 } from 'node:crypto';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise) does photo resizing, password hashing and
 * file reads for the whole process. An API request needs none of it, and must not queue behind it: before, every GET
 * went to the console's file server first, which looked the path up on disk (a stat on the pool) before falling
 * through, so the console's list waited for the next photo or sign-in to finish.
 */
describe('the API while the thread pool is busy', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ mode: 'api' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('answers API requests before any of the jobs that fill the pool has finished', async () => {
    const token = await app.token();
    const poolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    let finished = 0;
    // Each job holds a pool thread for about a second of CPU (more on a loaded machine), every thread taken.
    const jobs = Array.from(
      { length: poolSize },
      () => new Promise<void>((resolve, reject) => pbkdf2('password', 'salt', 600_000, 64, 'sha512', (err) => (finished++, err ? reject(err) : resolve()))),
    );
    const answers: { path: string; status: number; finishedBefore: number }[] = [];
    const ask = async (path: string, auth: boolean) => {
      const req = request(app.url).get(path);
      const res = await (auth ? req.set('Authorization', `Bearer ${token}`) : req);
      answers.push({ path, status: res.status, finishedBefore: finished });
    };
    await ask('/api/v1/cases?limit=5', true);
    await ask('/api/v1/cases', false);
    await ask('/api/v1/no-such-route', false);
    await Promise.all(jobs);
    expect(answers).toEqual([
      { path: '/api/v1/cases?limit=5', status: 200, finishedBefore: 0 },
      { path: '/api/v1/cases', status: 401, finishedBefore: 0 },
      { path: '/api/v1/no-such-route', status: 404, finishedBefore: 0 },
    ]);
    expect(finished).toBe(poolSize);
  });

  it('still serves the console from web/', async () => {
    const page = await request(app.url).get('/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    await request(app.url)
      .get('/app.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
  });
});
