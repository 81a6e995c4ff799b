// The server answers in English ({ statusCode, error, message }); the console shows its own words for what it
// knows (a refused transition's code, the login throttle, a photo's refusal reason, the HTTP status) and keeps the
// server's text as a smaller second line, so nothing the server said is lost.

import { h } from './dom.js';
import { t, lang, districtTimeZone } from './i18n.js';
import { TRANSITION_ERROR_CODES } from './server-constants.js';

/** The district's zone when the page has not loaded the district yet (the login page): Guangdong, +08:00. */
const FALLBACK_ZONE = 'Asia/Shanghai';

/**
 * A time the server named (an ISO instant), in the district's zone, to the second.
 * @param {string} iso
 */
export function districtTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone: districtTimeZone() ?? FALLBACK_ZONE,
  }).formatToParts(d);
  /** @param {string} type */
  const part = (type) => parts.find((p) => p.type === type)?.value ?? '';
  // One written form in both languages (2026-12-04 19:05:00): read the same on every page and in every screenshot.
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour') === '24' ? '00' : part('hour')}:${part('minute')}:${part('second')}`;
}

/**
 * What the console says about a server answer: its own words, and the server's text when that adds something.
 * @param {number} status the HTTP status; 0 when the network failed
 * @param {unknown} body the JSON answer, when there was one
 * @returns {{ text: string, detail: string | null, code: string | null }}
 */
export function describeServerError(status, body) {
  const b = body && typeof body === 'object' ? /** @type {{ error?: unknown, message?: unknown, retryAt?: unknown }} */ (body) : {};
  const raw = Array.isArray(b.message) ? b.message.join('; ') : typeof b.message === 'string' ? b.message : null;
  const code = typeof b.error === 'string' ? b.error : null;
  if (status === 0) return { text: t('serverError.network'), detail: null, code: null };
  if (code && /** @type {readonly string[]} */ (TRANSITION_ERROR_CODES).includes(code)) return { text: t(`serverError.${code}`), detail: raw, code };
  if (code === 'too-many-attempts' && typeof b.retryAt === 'string')
    return { text: t('serverError.too-many-attempts', { time: districtTime(b.retryAt) }), detail: raw, code };
  const known = `serverError.http${status}`;
  const text = t(known);
  return { text: text === known ? t('serverError.other', { status }) : text, detail: raw ?? (code && code !== text ? code : null), code };
}

/**
 * A photo the server refused: the reason in the page's language, the server's detail kept.
 * @param {string | undefined} reason
 * @param {string | undefined} detail
 */
export function photoRefusal(reason, detail) {
  const key = `serverError.photo.${reason}`;
  const text = t(key);
  return text === key ? { text: t('serverError.photo.other'), detail: [reason, detail].filter(Boolean).join(': ') || null } : { text, detail: detail ?? null };
}

/**
 * An error as nodes: the console's words, then the server's text small underneath.
 * @param {{ text: string, detail: string | null }} said
 * @returns {import('./dom.js').Child[]}
 */
export function errorNodes(said) {
  return [said.text, said.detail ? [h('br'), h('small', { class: 'server-detail muted', lang: 'en' }, said.detail)] : null];
}
