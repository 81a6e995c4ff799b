import { z } from 'zod';
import { AdapterResult, rejected } from './canonical-event';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeText(payload: Uint8Array | string): { ok: true; text: string } | { ok: false; result: AdapterResult } {
  if (typeof payload === 'string') return { ok: true, text: payload };
  try {
    return { ok: true, text: utf8.decode(payload) };
  } catch {
    return { ok: false, result: rejected('not-utf8', 'payload is not valid UTF-8 text') };
  }
}

export function decodeJson(payload: Uint8Array | string): { ok: true; text: string; value: unknown } | { ok: false; result: AdapterResult } {
  const t = decodeText(payload);
  if (!t.ok) return t;
  try {
    return { ok: true, text: t.text, value: JSON.parse(t.text) as unknown };
  } catch (err) {
    return { ok: false, result: rejected('not-json', `payload is not JSON: ${(err as Error).message}`) };
  }
}

/** One line naming every bad field: `detections.0.confidence: expected number ≤ 1; eventId: required`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
