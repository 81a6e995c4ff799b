import { redactUrl } from '@app/domain';
import { fetchFrigateSnapshot, frigateSnapshotRequest, isRetryableStatus } from './frigate-api.client';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

/** A fetch that answers `respond` and records what it was asked. */
function fakeFetch(respond: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: { url: string; init: RequestInit }[] = [];
  const f = ((url: string, init: RequestInit) => {
    calls.push({ url, init });
    return Promise.resolve(respond(url, init));
  }) as unknown as typeof fetch;
  return { fetch: f, calls };
}

const options = (f: typeof fetch, maxBytes = 1024) => ({ timeoutMs: 1_000, maxBytes, fetch: f });

describe('Frigate API snapshot address', () => {
  it('is /api/events/<id>/snapshot.jpg under the registered address, with its path, without query or trailing slash', () => {
    expect(frigateSnapshotRequest('http://frigate.local:5000', '1764295322.417655-7ykq2c').url).toBe(
      'http://frigate.local:5000/api/events/1764295322.417655-7ykq2c/snapshot.jpg',
    );
    expect(frigateSnapshotRequest('http://frigate.local:5000/', 'a').url).toBe('http://frigate.local:5000/api/events/a/snapshot.jpg');
    expect(frigateSnapshotRequest('https://proxy.example/nvr1/?x=1#y', 'a b/c').url).toBe('https://proxy.example/nvr1/api/events/a%20b%2Fc/snapshot.jpg');
  });

  it('sends credentials in the URL as basic authentication, and never shows them', () => {
    const r = frigateSnapshotRequest('http://viewer:s%40cret@frigate.local:5000', 'a');
    expect(r.url).toBe('http://frigate.local:5000/api/events/a/snapshot.jpg');
    expect(r.headers.authorization).toBe(`Basic ${Buffer.from('viewer:s@cret').toString('base64')}`);
    expect(redactUrl('http://viewer:secret@frigate.local:5000/x')).toBe('http://frigate.local:5000/x');
  });

  it('asks again for what may change by itself (404 before Frigate has a snapshot, 5xx, busy), not for the rest', () => {
    for (const s of [404, 408, 425, 429, 500, 502, 503, 504]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [400, 401, 403, 405, 410, 413]) expect(isRetryableStatus(s)).toBe(false);
  });
});

describe('fetching a snapshot', () => {
  it('gives the bytes of a 2xx answer', async () => {
    const f = fakeFetch(() => new Response(JPEG, { status: 200, headers: { 'content-type': 'image/jpeg' } }));
    const answer = await fetchFrigateSnapshot('http://nvr:5000', 'ev-1', options(f.fetch));
    expect(answer).toEqual({ ok: true, bytes: JPEG, url: 'http://nvr:5000/api/events/ev-1/snapshot.jpg' });
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0].url).toBe('http://nvr:5000/api/events/ev-1/snapshot.jpg');
  });

  it('a non-2xx answer is a failure naming the status', async () => {
    const f = fakeFetch(() => new Response('Event not found', { status: 404, statusText: 'Not Found' }));
    expect(await fetchFrigateSnapshot('http://nvr:5000', 'ev-1', options(f.fetch))).toEqual({
      ok: false,
      url: 'http://nvr:5000/api/events/ev-1/snapshot.jpg',
      status: 404,
      detail: 'GET http://nvr:5000/api/events/ev-1/snapshot.jpg answered HTTP 404 Not Found',
      retryable: true,
    });
    const denied = await fetchFrigateSnapshot('http://nvr:5000', 'ev-1', options(fakeFetch(() => new Response('', { status: 401 })).fetch));
    expect(denied).toMatchObject({ ok: false, status: 401, retryable: false });
  });

  it('does not read more than the limit, declared or not', async () => {
    const big = Buffer.alloc(2048, 1);
    const declared = await fetchFrigateSnapshot(
      'http://nvr:5000',
      'e',
      options(fakeFetch(() => new Response(big, { status: 200, headers: { 'content-length': '2048' } })).fetch),
    );
    expect(declared).toMatchObject({ ok: false, retryable: false, detail: expect.stringContaining('2048 bytes, more than the 1024') });
    const streamed = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(512));
        c.close();
      },
    });
    const chunked = await fetchFrigateSnapshot('http://nvr:5000', 'e', options(fakeFetch(() => new Response(streamed, { status: 200 })).fetch));
    expect(chunked).toMatchObject({ ok: false, retryable: false, detail: expect.stringContaining('more than the 1024 bytes') });
  });

  it('an empty answer and a network error are failures worth retrying', async () => {
    expect(await fetchFrigateSnapshot('http://nvr:5000', 'e', options(fakeFetch(() => new Response(null, { status: 200 })).fetch))).toMatchObject({
      ok: false,
      retryable: true,
    });
    const refused = fakeFetch(() => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    });
    expect(await fetchFrigateSnapshot('http://nvr:5000', 'e', options(refused.fetch))).toEqual({
      ok: false,
      url: 'http://nvr:5000/api/events/e/snapshot.jpg',
      detail: 'GET http://nvr:5000/api/events/e/snapshot.jpg failed: fetch failed (ECONNREFUSED)',
      retryable: true,
    });
  });

  it('gives up on a silent API at the deadline', async () => {
    const silent = fakeFetch(
      (_url, init) =>
        new Promise<Response>((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))),
        ),
    );
    const answer = await fetchFrigateSnapshot('http://nvr:5000', 'e', { timeoutMs: 50, maxBytes: 1024, fetch: silent.fetch });
    expect(answer).toMatchObject({ ok: false, retryable: true, detail: 'GET http://nvr:5000/api/events/e/snapshot.jpg failed: no answer within 50 ms' });
  });

  it('a registered address that is no URL is a failure, not an exception', async () => {
    expect(await fetchFrigateSnapshot('not a url', 'e', options(fakeFetch(() => new Response(JPEG)).fetch))).toMatchObject({ ok: false, retryable: false });
  });
});
