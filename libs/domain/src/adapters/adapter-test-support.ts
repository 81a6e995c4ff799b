import { REJECTION_REASONS } from '../event/canonical-event';
import { isRecord } from './adapter-support';

/**
 * Test support for the adapter specs (plain functions, no test framework): checks that whatever an
 * adapter returned is one of the two documented shapes, and corrupts valid payloads deterministically.
 */

/** undefined when `result` is `{ok:true, events:[...]}` (or telemetry) or `{ok:false, rejection}` with a known reason. */
export function outcomeProblem(result: unknown): string | undefined {
  if (!isRecord(result)) return 'result is not an object';
  if (result.ok === true) {
    if ('telemetry' in result) return result.telemetry === null || isRecord(result.telemetry) ? undefined : 'telemetry is neither null nor an object';
    if (!Array.isArray(result.events)) return 'ok result without an events array';
    for (const e of result.events as unknown[]) {
      if (!isRecord(e)) return 'event is not an object';
      if (typeof e.eventId !== 'string' || e.eventId === '' || e.eventId.length > 200) return `bad eventId ${String(e.eventId)}`;
      if (typeof e.deviceId !== 'string' || e.deviceId === '') return 'bad deviceId';
      if (!(e.occurredAt instanceof Date) || Number.isNaN(e.occurredAt.getTime())) return 'bad occurredAt';
      if (typeof e.raw !== 'string') return 'raw is not a string';
      if (!Array.isArray(e.detections)) return 'detections is not an array';
      for (const d of e.detections as unknown[]) {
        if (!isRecord(d) || typeof d.confidence !== 'number' || d.confidence < 0 || d.confidence > 1) return 'detection confidence outside 0..1';
      }
    }
    return undefined;
  }
  if (result.ok === false) {
    const r = result.rejection;
    if (!isRecord(r)) return 'rejection missing';
    if (!(REJECTION_REASONS as readonly unknown[]).includes(r.reason)) return `unknown reason ${String(r.reason)}`;
    if (typeof r.detail !== 'string' || r.detail === '') return 'empty rejection detail';
    return undefined;
  }
  return 'ok is neither true nor false';
}

export type Mutation = { kind: 'truncate' | 'delete' | 'insert' | 'replace'; at: number; length: number; text: string };

/** Apply one corruption at a relative position (0..1) of the text. */
export function mutate(text: string, m: Mutation): string {
  const at = Math.min(text.length, Math.floor(m.at * text.length));
  switch (m.kind) {
    case 'truncate':
      return text.slice(0, at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'replace':
      return text.slice(0, at) + m.text + text.slice(at + Math.max(1, m.text.length));
  }
}
