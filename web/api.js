// The HTTP API as the browser uses it: bearer token in sessionStorage, JSON errors, image blobs, the live stream.

import { describeServerError } from './server-errors.js';
import { t } from './i18n.js';

const REFRESH_KEY = 'cp.refresh';
const TOKEN_KEY = 'cp.token';
const BASE = '/api/v1';

/** @typedef {import('./server-constants.js').Role} Role */
/** @typedef {import('./server-constants.js').TransitionErrorCode} TransitionErrorCode */
/**
 * The server's JSON error answer; a refused transition names its code in `error`.
 * @typedef {{ statusCode?: number, error?: TransitionErrorCode | string, message?: string | string[] }} ErrorBody
 */
/**
 * A case as the API shows it (CaseView). Only what the console reads is described.
 * @typedef {object} CaseView
 * @property {string} id
 * @property {string} caseNumber
 * @property {import('./server-constants.js').CaseStatus} status
 * @property {string} severity low, medium, high, critical
 * @property {{ code: string, name?: string, nameZh?: string, severity?: string }} category
 * @property {string} origin
 * @property {string | null} townshipCode
 * @property {string | null} [gridCode]
 * @property {string | null} [placeId]
 * @property {{ lat: number, lng: number } | null} [location]
 * @property {string | null} [handlingUnit]
 * @property {string | null} [heldReason]
 * @property {string} deviceId
 * @property {number} occurrenceCount
 * @property {string} firstSeenAt
 * @property {string} lastSeenAt
 * @property {string} createdAt
 * @property {string} updatedAt
 * @property {import('./server-constants.js').CaseAction[]} [allowedActions] what this user may do now (not on the live stream)
 * @property {{ name: string } | null} [officer]
 * @property {{ id: string, version: number }} [rule]
 * @property {CaseExplanation} [explanation]
 * @property {CaseLoop} [loop]
 */
/**
 * Where a case stands in the closed loop.
 * @typedef {object} CaseLoop
 * @property {string | null} [dueAt]
 * @property {string | null} [closedAt]
 * @property {{ dueAt?: string | null, state?: string, step?: string | null } | null} [deadline]
 * @property {{ reviewedAt: string } | null} [review]
 * @property {{ deviceReviewPassed?: boolean | null } | null} [evidence]
 * @property {string | null} [rejectionReason]
 * @property {string | null} [resultNote]
 * @property {string[]} [afterPhotos]
 */
/**
 * Why a case exists: the rule and what it saw.
 * @typedef {object} CaseExplanation
 * @property {string} [rule]
 * @property {number} [ruleVersion]
 * @property {string} [label]
 * @property {string} [subLabel]
 * @property {number} [confidence]
 * @property {number} [minConfidence]
 * @property {string} [source]
 * @property {string} [deviceId]
 * @property {string[]} [zones]
 * @property {{ id?: string, name: string, type: string }} [place]
 * @property {{ code: string, officer?: { name: string } }} [grid]
 * @property {string} [plate]
 * @property {unknown} [dwell]
 * @property {{ reason?: string }} [exemption]
 * @property {{ kind?: string, window: string, localTime: string }} [window]
 * @property {{ held?: string, reason?: string, unit?: string }} [routing]
 */
/**
 * A message of the live alert stream; `resync` is the console's own (the stream came back: reload).
 * @typedef {{ type: string, case?: CaseView, ingest?: { transport: string, reason?: string } }} Alert
 */
/**
 * The signed-in user, as the token's claims describe them.
 * @typedef {{ id: string, username: string, role: Role, townshipCode: string | null, unitCode: string | null, expiresAt: number | null }} User
 */

export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status; 0 when the network failed
   * @param {string} message
   * @param {ErrorBody | null} [body]
   */
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
    // `message` stays the server's own text; these are what a person reads, in the page's language.
    const said = describeServerError(status, body);
    /** The console's words for this answer. */
    this.text = said.text;
    /** The server's text, shown small under `text` (null when it adds nothing). */
    this.detail = said.detail;
    /** The machine code the server named (`error`), if any. */
    this.code = said.code;
  }
}

/**
 * What a person reads for a failure: the console's words for a server's answer (in the page's language), a
 * network failure as such, anything else by its own message.
 * @param {unknown} err
 */
export function errorText(err) {
  if (err instanceof ApiError) return err.status === 0 ? t('app.network') : err.text;
  return err instanceof Error ? err.message : String(err);
}

/**
 * @param {string} token
 * @returns {{ sub: string, usr: string, role: Role, twp?: string, unit?: string, exp?: number } | null}
 */
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
  /** @returns {User | null} */
  get user() {
    const token = this.token;
    const c = token ? decodeClaims(token) : null;
    // Expiry is the server's call (a 401 brings the login back): a client clock may be wrong.
    if (!c) return null;
    return { id: c.sub, username: c.usr, role: c.role, townshipCode: c.twp ?? null, unitCode: c.unit ?? null, expiresAt: c.exp ? c.exp * 1000 : null };
  },
  /**
   * @param {string} token
   * @param {string} [refreshToken]
   */
  set(token, refreshToken) {
    sessionStorage.setItem(TOKEN_KEY, token);
    if (refreshToken) sessionStorage.setItem(REFRESH_KEY, refreshToken);
  },
  clear() {
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    // Ends the login on the server too: its refresh token stops working.
    if (refreshToken)
      fetch(`${BASE}/auth/logout`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refreshToken }) }).catch(() => {});
    sessionStorage.removeItem(REFRESH_KEY);
    sessionStorage.removeItem(TOKEN_KEY);
    for (const url of imageCache.values()) void url.then((u) => u && URL.revokeObjectURL(u));
    imageCache.clear();
  },
};

/**
 * @param {number} status
 * @param {unknown} body
 */
function messageOf(status, body) {
  if (body && typeof body === 'object') {
    const m = /** @type {ErrorBody} */ (body).message ?? /** @type {ErrorBody} */ (body).error;
    if (Array.isArray(m)) return m.join('; ');
    if (typeof m === 'string') return m;
  }
  return `HTTP ${status}`;
}

/** @param {Response} res */
async function failure(res) {
  /** @type {ErrorBody | null} */
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

/** @type {Promise<boolean> | null} */
let refreshing = null;
/**
 * Access tokens live 15 minutes; a console stays open all day. On a 401 the refresh token (good once) buys a
 * new pair; concurrent calls share one refresh.
 * @returns {Promise<boolean>}
 */
export function refreshSession() {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (!refreshToken) return Promise.resolve(false);
  refreshing ??= fetch(`${BASE}/auth/refresh`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refreshToken }) })
    .then(async (res) => {
      if (!res.ok) return false;
      const pair = /** @type {{ accessToken: string, refreshToken: string }} */ (await res.json());
      session.set(pair.accessToken, pair.refreshToken);
      return true;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/**
 * fetch + bearer token + JSON; throws ApiError with the server's reason. Answers the server's JSON as it is.
 * @param {string} path under /api/v1
 * @param {{ method?: string, body?: unknown, signal?: AbortSignal }} [options]
 * @param {boolean} [retried]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}, retried = false) {
  const { method = 'GET', body, signal } = options;
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  const token = session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (err) {
    if (/** @type {Error} */ (err).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', null);
  }
  if (res.status === 401 && !retried && (await refreshSession())) return api(path, options, true);
  if (!res.ok) throw await failure(res);
  return res.status === 204 ? null : res.json();
}

/** @param {Record<string, string | number | boolean | null | undefined>} params */
export const query = (params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
};

/**
 * @param {string} username
 * @param {string} password
 */
export async function login(username, password) {
  let res;
  try {
    res = await fetch(`${BASE}/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  } catch {
    throw new ApiError(0, 'network', null);
  }
  if (!res.ok) {
    /** @type {ErrorBody | null} */
    let body = null;
    try {
      body = await res.json();
    } catch {
      /* empty */
    }
    throw new ApiError(res.status, messageOf(res.status, body), body);
  }
  const { accessToken, refreshToken } = /** @type {{ accessToken: string, refreshToken: string }} */ (await res.json());
  session.set(accessToken, refreshToken);
  return session.user;
}

/** @type {Map<string, Promise<string | null>>} */
const imageCache = new Map();
/**
 * Images behind the bearer token: fetched once, shown through a blob: URL. Resolves to null when not viewable.
 * @param {string} path under /api/v1
 * @returns {Promise<string | null>}
 */
export function imageUrl(path) {
  if (!imageCache.has(path)) {
    const p = (async () => {
      const res = await fetch(BASE + path, { headers: { Authorization: `Bearer ${session.token}` } });
      if (!res.ok) return null;
      return URL.createObjectURL(await res.blob());
    })().catch(() => null);
    // A picture not there yet (a thumbnail still being made) is asked for again next time, not remembered as missing.
    void p.then((url) => url === null && imageCache.get(path) === p && imageCache.delete(path));
    imageCache.set(path, p);
  }
  return /** @type {Promise<string | null>} */ (imageCache.get(path));
}

/**
 * multipart upload with progress (XMLHttpRequest: fetch has no upload progress). Resolves to the JSON
 * answer; rejects with ApiError(0, 'network') when the connection drops, so the caller can resume.
 * @param {string} path under /api/v1
 * @param {FormData} form
 * @param {{ onProgress?: (fraction: number) => void, signal?: AbortSignal }} [options]
 * @returns {Promise<any>}
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
 * @param {(alert: Alert) => void} onAlert
 * @param {(state: 'connecting' | 'live' | 'reconnecting' | 'off', info?: { resumed: boolean }) => void} onState
 * @returns {{ close(): void }}
 */
export function openAlertStream(onAlert, onState) {
  /** @type {EventSource | null} */
  let es = null;
  let closed = false;
  let attempt = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
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
    /** @type {string} */
    let token;
    try {
      ({ token } = await api('/auth/stream-token', { method: 'POST' }));
    } catch (err) {
      const status = /** @type {ApiError} */ (err).status;
      if (status === 401 || status === 403) return onState('off');
      onState('reconnecting');
      return schedule();
    }
    if (closed) return;
    const source = new EventSource(`${BASE}/alerts/stream?token=${encodeURIComponent(token)}`);
    es = source;
    /** @param {MessageEvent<string>} e */
    const handle = (e) => {
      try {
        onAlert(JSON.parse(e.data));
      } catch {
        /* not an alert */
      }
    };
    source.addEventListener('alert', handle);
    source.onmessage = handle;
    source.onopen = () => {
      attempt = 0;
      onState('live', { resumed: wasLive });
      wasLive = true;
    };
    source.onerror = () => {
      // The stream token is short-lived: never let EventSource retry with it; start over instead.
      source.close();
      es = null;
      onState('reconnecting');
      schedule();
    };
  }

  void connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      es?.close();
    },
  };
}

/**
 * Fetches a file behind the bearer token (refreshed once on 401) and saves it through a download link to a blob:
 * URL (the CSP allows blob: for downloads, not pages, so a PDF is not opened in the page). Resolves to the file
 * name the server gave (Content-Disposition), else `fallbackName`; a refusal is an ApiError like any other.
 * @param {string} path under /api/v1
 * @param {string} fallbackName
 * @param {string} [accept]
 * @returns {Promise<string>}
 */
export async function download(path, fallbackName, accept) {
  const get = () => fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${session.token}`, ...(accept && { Accept: accept }) } });
  let res = await get();
  if (res.status === 401 && (await refreshSession())) res = await get();
  if (!res.ok) throw await failure(res);
  const name = fileNameOf(res.headers.get('Content-Disposition')) ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the bytes once the click is handled; keep the URL a while for slow saves.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

/**
 * The file name of a Content-Disposition header (filename*=UTF-8'' first, then filename="…").
 * @param {string | null} header
 */
function fileNameOf(header) {
  if (!header) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      /* fall through */
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain ? plain[1] : null;
}
