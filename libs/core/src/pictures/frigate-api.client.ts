import { redactUrl } from '@app/domain';
/**
 * Frigate's HTTP API, as far as evidence needs it: the snapshot of one tracked object,
 * `GET <apiUrl>/api/events/<id>/snapshot.jpg` (the object's best frame so far, as a JPEG). Node's own fetch,
 * with a deadline and a size limit; every answer that is not a picture is a failure whose detail says what
 * happened (the HTTP status, the network error), and whether asking again later may help.
 */

export type FrigateSnapshotAnswer =
  | { ok: true; bytes: Buffer; url: string }
  | {
      ok: false;
      url: string;
      status?: number;
      detail: string;
      /** asking again later may help (the snapshot is not there yet, Frigate is restarting) */ retryable: boolean;
    };

export interface FrigateApiClientOptions {
  /** The whole request, body included. */
  timeoutMs: number;
  /** PHOTO_MAX_BYTES: a larger answer is not read. */
  maxBytes: number;
  /** Aborts requests in flight (the service is stopping). */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/**
 * The snapshot address of a tracked object on a Frigate at `apiUrl` (which may carry a path, behind a reverse
 * proxy, and user:password, sent as basic authentication since fetch refuses credentials in a URL).
 */
export function frigateSnapshotRequest(apiUrl: string, frigateEventId: string): { url: string; headers: Record<string, string> } {
  const base = new URL(apiUrl);
  const headers: Record<string, string> = { accept: 'image/jpeg' };
  if (base.username || base.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
    base.username = '';
    base.password = '';
  }
  const path = base.pathname.replace(/\/+$/, '');
  base.pathname = `${path}/api/events/${encodeURIComponent(frigateEventId)}/snapshot.jpg`;
  base.search = '';
  base.hash = '';
  return { url: base.toString(), headers };
}

/**
 * Whether an HTTP status may change by itself: Frigate answers 404 until it has chosen a snapshot for an object
 * (a `new` event usually has none yet), 5xx while it restarts, 408/429 when busy. 400, 401, 403 and the like
 * stay what they are until somebody changes the configuration.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 404 || status === 408 || status === 425 || status === 429 || status >= 500;
}

export async function fetchFrigateSnapshot(apiUrl: string, frigateEventId: string, options: FrigateApiClientOptions): Promise<FrigateSnapshotAnswer> {
  let request: { url: string; headers: Record<string, string> };
  try {
    request = frigateSnapshotRequest(apiUrl, frigateEventId);
  } catch {
    return { ok: false, url: redactUrl(apiUrl), detail: `the registered API address "${redactUrl(apiUrl)}" is not a URL`, retryable: false };
  }
  const shown = redactUrl(request.url);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const doFetch = options.fetch ?? fetch;
  try {
    const res = await doFetch(request.url, { headers: request.headers, signal, redirect: 'follow' });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return {
        ok: false,
        url: shown,
        status: res.status,
        detail: `GET ${shown} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
        retryable: isRetryableStatus(res.status),
      };
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      return {
        ok: false,
        url: shown,
        status: res.status,
        detail: `GET ${shown} answered ${declared} bytes, more than the ${options.maxBytes} a picture may have (PHOTO_MAX_BYTES)`,
        retryable: false,
      };
    }
    const bytes = await readLimited(res, options.maxBytes);
    if (bytes === undefined)
      return {
        ok: false,
        url: shown,
        status: res.status,
        detail: `GET ${shown} answered more than the ${options.maxBytes} bytes a picture may have (PHOTO_MAX_BYTES)`,
        retryable: false,
      };
    if (bytes.length === 0)
      return { ok: false, url: shown, status: res.status, detail: `GET ${shown} answered HTTP ${res.status} with no picture (empty body)`, retryable: true };
    return { ok: true, bytes, url: shown };
  } catch (err) {
    return { ok: false, url: shown, detail: `GET ${shown} failed: ${describeFetchError(err, timeout, options.timeoutMs)}`, retryable: true };
  }
}

async function readLimited(res: Response, maxBytes: number): Promise<Buffer | undefined> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function describeFetchError(err: unknown, timeout: AbortSignal, timeoutMs: number): string {
  if (timeout.aborted) return `no answer within ${timeoutMs} ms`;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'AbortError') return 'aborted (the service is stopping)';
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : e.message;
}
