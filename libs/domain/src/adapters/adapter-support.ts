import { createHash } from 'node:crypto';
import { AdapterResult, GeoPoint, rejected } from '../event/canonical-event';
import { decodeText } from '../event/payload';

/**
 * Small pure helpers shared by the source adapters in this folder.
 * (Local on purpose: libs/domain/src/event is owned elsewhere.)
 */

/** Event ids stay short enough for an indexed column; longer ones keep a readable head and a hash tail. */
export const MAX_EVENT_ID_LENGTH = 200;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Deterministic: the same long id always shortens to the same value. */
export function boundedId(id: string, max = MAX_EVENT_ID_LENGTH): string {
  if (id.length <= max) return id;
  const tail = sha256Hex(id).slice(0, 32);
  return `${id.slice(0, max - tail.length - 1)}~${tail}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Exact UTF-8 byte length of a string. */
export function utf8ByteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Size gate first: never decode or parse a payload bigger than the source can legitimately send. */
export function checkSize(payload: Uint8Array | string, maxBytes: number): AdapterResult | undefined {
  let size: number;
  let atLeast = false;
  if (typeof payload !== 'string') size = payload.byteLength;
  // A UTF-16 code unit is 1..3 UTF-8 bytes: decide cheaply when the answer is certain.
  else if (payload.length * 3 <= maxBytes) return undefined;
  else if (payload.length > maxBytes) [size, atLeast] = [payload.length, true];
  else size = utf8ByteLength(payload);
  if (size <= maxBytes) return undefined;
  return rejected('payload-too-large', `payload is ${atLeast ? 'at least ' : ''}${size} bytes; the limit for this source is ${maxBytes}`);
}

/** Size check, then strict UTF-8 decode. */
export function readText(payload: Uint8Array | string, maxBytes: number): { ok: true; text: string } | { ok: false; result: AdapterResult } {
  const tooLarge = checkSize(payload, maxBytes);
  if (tooLarge) return { ok: false, result: tooLarge };
  return decodeText(payload);
}

/** Size check, strict UTF-8, then JSON. */
export function readJson(payload: Uint8Array | string, maxBytes: number): { ok: true; text: string; value: unknown } | { ok: false; result: AdapterResult } {
  const t = readText(payload, maxBytes);
  if (!t.ok) return t;
  try {
    return { ok: true, text: t.text, value: JSON.parse(t.text) as unknown };
  } catch (err) {
    return { ok: false, result: rejected('not-json', `payload is not JSON: ${(err as Error).message}`) };
  }
}

/** Sources send numbers as numbers or as strings ("-91.40", "+23.1100"). Anything else is undefined. */
export function finiteNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A usable position: in range, and not the (0, 0) that devices report when they have no fix. */
export function geoPoint(lat: unknown, lng: unknown): GeoPoint | undefined {
  const la = finiteNumber(lat);
  const ln = finiteNumber(lng);
  if (la === undefined || ln === undefined) return undefined;
  if (la < -90 || la > 90 || ln < -180 || ln > 180) return undefined;
  if (la === 0 && ln === 0) return undefined;
  return { lat: la, lng: ln };
}

export const UTC_OFFSET_PATTERN = /^[+-](?:[01]\d|2[0-3]):[0-5]\d$/;

/**
 * ISO 8601 date-time with offset ("2026-11-28T10:00:00+08:00", "...Z"), or a local date-time without one
 * ("2026-11-28 10:00:00", "2026-11-28T10:00:00") read in `localUtcOffset`. Invalid calendar dates are refused.
 */
export function parseDateTime(text: string, localUtcOffset?: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let offset = zone;
  if (offset === undefined) {
    if (localUtcOffset === undefined || !UTC_OFFSET_PATTERN.test(localUtcOffset)) return undefined;
    offset = localUtcOffset;
  }
  if (offset !== 'Z' && !offset.includes(':')) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const ms = frac ? frac.slice(0, 4).padEnd(4, '0') : '.000';
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${offset}`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  // Reject roll-overs such as Feb 30 (Date would silently move them to March).
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > daysInMonth(Number(y), Number(mo))) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  return date;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 2000-01-01 .. 2100-01-01: outside it a device clock is unset (1970) or a unit is wrong. */
export function isPlausibleTime(date: Date): boolean {
  const t = date.getTime();
  return t >= 946_684_800_000 && t < 4_102_444_800_000;
}

/** Epoch seconds (float) to Date, refusing values outside 2000..2100 (a unit mix-up or a garbage clock). */
export function epochSecondsToDate(value: unknown): Date | undefined {
  const n = finiteNumber(value);
  if (n === undefined || n < 946_684_800 || n > 4_102_444_800) return undefined;
  return new Date(Math.round(n * 1000));
}

/** Epoch milliseconds to Date, with the same sanity window. */
export function epochMillisToDate(value: unknown): Date | undefined {
  const n = finiteNumber(value);
  if (n === undefined || n < 946_684_800_000 || n > 4_102_444_800_000) return undefined;
  return new Date(Math.round(n));
}

/** `$share/<group>/<topic>` is how shared subscriptions arrive on some clients: compare on the real topic. */
export function stripSharePrefix(topic: string): string {
  const m = /^\$share\/[^/]+\/(.*)$/.exec(topic);
  return m ? m[1] : topic;
}

/** Clamp a score into 0..1; sources occasionally report 1.0000001. */
export function unitInterval(value: number): number {
  return Math.min(1, Math.max(0, value));
}
