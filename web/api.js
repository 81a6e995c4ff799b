// The HTTP API as the browser uses it: bearer token in sessionStorage, JSON errors, image blobs, the live stream.

const REFRESH_KEY = 'cp.refresh';
const TOKEN_KEY = 'cp.token';
const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function decodeClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      atob(part)
        .split('')
        .map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
        .join(''),
    );
    return JSON.parse(json);
  } catch {
    return null;
  }
}

/** The signed-in user, read from the token's claims (the server checks every call; this only shapes the UI). */
export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  get user() {
    const token = this.token;
    const c = token ? decodeClaims(token) : null;
    // Expiry is the server's call (a 401 brings the login back): a client clock may be wrong.
    if (!c) return null;
    return { id: c.sub, username: c.usr, role: c.role, townshipCode: c.twp ?? null, unitCode: c.unit ?? null, expiresAt: c.exp ? c.exp * 1000 : null };
  },
  set(token, refreshToken) {
    sessionStorage.setItem(TOKEN_KEY, token);
    if (refreshToken) sessionStorage.setItem(REFRESH_KEY, refreshToken);
  },
  clear() {
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    // Ends the login on the server too: its refresh token stops working.
    if (refreshToken) fetch(`${BASE}/auth/logout`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refreshToken }) }).catch(() => {});
    sessionStorage.removeItem(REFRESH_KEY);
    sessionStorage.removeItem(TOKEN_KEY);
    for (const url of imageCache.values()) url.then((u) => u && URL.revokeObjectURL(u));
    imageCache.clear();
  },
};

function messageOf(status, body) {
  if (body && typeof body === 'object') {
    const m = body.message ?? body.error;
    if (Array.isArray(m)) return m.join('; ');
    if (typeof m === 'string') return m;
  }
  return `HTTP ${status}`;
}

async function failure(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  if (res.status === 401) {
    session.clear();
    window.dispatchEvent(new CustomEvent('cp:unauthorized'));
  }
  return new ApiError(res.status, messageOf(res.status, body), body);
}

let refreshing = null;
/**
 * Access tokens live 15 minutes; a console stays open all day. On a 401 the refresh token (good once) buys a
 * new pair; concurrent calls share one refresh.
 */
export function refreshSession() {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (!refreshToken) return Promise.resolve(false);
  refreshing ??= fetch(`${BASE}/auth/refresh`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refreshToken }) })
    .then(async (res) => {
      if (!res.ok) return false;
      const pair = await res.json();
      session.set(pair.accessToken, pair.refreshToken);
      return true;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** fetch + bearer token + JSON; throws ApiError with the server's reason. */
export async function api(path, options = {}, retried = false) {
  const { method = 'GET', body, signal } = options;
  const headers = { Accept: 'application/json' };
  const token = session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', null);
  }
  if (res.status === 401 && !retried && (await refreshSession())) return api(path, options, true);
  if (!res.ok) throw await failure(res);
  return res.status === 204 ? null : res.json();
}

export const query = (params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
};

export async function login(username, password) {
  let res;
  try {
    res = await fetch(`${BASE}/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  } catch {
    throw new ApiError(0, 'network', null);
  }
  if (!res.ok) {
    let body = null;
    try {
      body = await res.json();
    } catch {
      /* empty */
    }
    throw new ApiError(res.status, messageOf(res.status, body), body);
  }
  const { accessToken, refreshToken } = await res.json();
  session.set(accessToken, refreshToken);
  return session.user;
}

const imageCache = new Map();
/** Images behind the bearer token: fetched once, shown through a blob: URL. Resolves to null when not viewable. */
export function imageUrl(path) {
  if (!imageCache.has(path)) {
    const p = (async () => {
      const res = await fetch(BASE + path, { headers: { Authorization: `Bearer ${session.token}` } });
      if (!res.ok) return null;
      return URL.createObjectURL(await res.blob());
    })().catch(() => null);
    imageCache.set(path, p);
  }
  return imageCache.get(path);
}

/**
 * multipart upload with progress (XMLHttpRequest: fetch has no upload progress). Resolves to the JSON
 * answer; rejects with ApiError(0, 'network') when the connection drops, so the caller can resume.
 */
export function upload(path, form, { onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', BASE + path);
    xhr.setRequestHeader('Authorization', `Bearer ${session.token}`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr.response);
      if (xhr.status === 401) {
        session.clear();
        window.dispatchEvent(new CustomEvent('cp:unauthorized'));
      }
      reject(new ApiError(xhr.status, messageOf(xhr.status, xhr.response), xhr.response));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', null));
    xhr.ontimeout = () => reject(new ApiError(0, 'network', null));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/**
 * The live alert stream. EventSource cannot send an Authorization header, so each (re)connection first
 * asks for a 60-second stream token and passes it as ?token=. The server checks it when the stream
 * opens; a dropped stream is reopened with a fresh token, and `onState('live', { resumed: true })`
 * tells the page to reload what it shows (alerts sent while disconnected are not replayed).
 */
export function openAlertStream(onAlert, onState) {
  let es = null;
  let closed = false;
  let attempt = 0;
  let timer = null;
  let wasLive = false;

  const schedule = () => {
    if (closed) return;
    const delay = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
    attempt += 1;
    timer = setTimeout(connect, delay);
  };

  async function connect() {
    if (closed) return;
    onState('connecting');
    let token;
    try {
      ({ token } = await api('/auth/stream-token', { method: 'POST' }));
    } catch (err) {
      if (err.status === 401 || err.status === 403) return onState('off');
      onState('reconnecting');
      return schedule();
    }
    if (closed) return;
    es = new EventSource(`${BASE}/alerts/stream?token=${encodeURIComponent(token)}`);
    const handle = (e) => {
      try {
        onAlert(JSON.parse(e.data));
      } catch {
        /* not an alert */
      }
    };
    es.addEventListener('alert', handle);
    es.onmessage = handle;
    es.onopen = () => {
      attempt = 0;
      onState('live', { resumed: wasLive });
      wasLive = true;
    };
    es.onerror = () => {
      // The stream token is short-lived: never let EventSource retry with it; start over instead.
      es.close();
      es = null;
      onState('reconnecting');
      schedule();
    };
  }

  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      es?.close();
    },
  };
}
