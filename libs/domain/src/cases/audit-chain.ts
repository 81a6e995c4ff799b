import { createHash } from 'node:crypto';
import { jsonbSafeText } from '../text/jsonb-text';

/**
 * The append-only audit log as a hash chain: entry n's hash is
 *
 *     hash(n) = sha256_hex( hash(n-1) + canonicalJson(content(n)) )      hash(0) = 64 × "0"
 *
 * where content is {seq, at, actorId, actorRole, action, caseId, data}. Changing any stored field of an
 * entry changes its hash; deleting or inserting an entry breaks the seq run and the next entry's link.
 * Pure: the caller reads and writes rows; this file only says what the hashes must be.
 *
 * Canonical JSON = JSON.stringify semantics (toJSON, undefined dropped from objects / null in arrays,
 * non-finite numbers as null) with object keys sorted. The stored `data` is jsonb, which keeps values but
 * not key order or whitespace, so a row read back canonicalises to the same text it was hashed from.
 */

export const AUDIT_GENESIS_HASH = '0'.repeat(64);

export interface AuditEntryContent {
  seq: number;
  /** ISO 8601 instant (Date#toISOString). */
  at: string;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  caseId: string | null;
  data: Record<string, unknown>;
}

export interface StoredAuditEntry extends AuditEntryContent {
  prevHash: string;
  hash: string;
}

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

export function canonicalJson(value: unknown): string {
  const out = encode(value);
  if (out === undefined) throw new TypeError('canonicalJson: the value has no JSON form');
  return out;
}

// Built by concatenation, keys sorted only when they are not in order already (rows read back from jsonb are):
// every event sealed into the chain is encoded here, and the arrays of parts, their joins and a sorted copy of
// every object's keys were most of the sealing's allocations (issue 20). A property test holds it to that form.
function encode(value: unknown): string | undefined {
  let v = value;
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON: () => unknown }).toJSON();
  }
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: bigint has no JSON form; store it as a string');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + (encode(v[i]) ?? 'null');
        return out + ']';
      }
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj);
      if (!inOrder(keys)) keys.sort(compareKeys);
      let out = '{';
      for (const key of keys) {
        const encoded = encode(obj[key]);
        if (encoded !== undefined) out += (out.length === 1 ? '' : ',') + JSON.stringify(key) + ':' + encoded;
      }
      return out + '}';
    }
  }
}

function inOrder(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return false;
  return true;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function auditEntryHash(prevHash: string, content: AuditEntryContent): string {
  const material: AuditEntryContent = {
    seq: content.seq,
    at: content.at,
    actorId: content.actorId,
    actorRole: content.actorRole,
    action: content.action,
    caseId: content.caseId,
    data: content.data,
  };
  return sha256Hex(prevHash + canonicalJson(material));
}

// What JSON.stringify writes for the two things jsonb refuses: U+0000 (22P05) and a lone surrogate (22P02, written
// as \udXXX since ES2019). A literal backslash before such text also matches: it only takes the slower path.
const UNSTORABLE_ESCAPE = /\\u(0000|d[89a-f][0-9a-f]{2})/i;

/**
 * An entry's data as jsonb will hand it back, which is what gets hashed: plain JSON (toJSON applied, undefined
 * dropped), with U+0000 and lone surrogates in its strings and keys replaced by U+FFFD. jsonb refuses both, and an
 * append must not fail on what a request or a device sent: a security event that cannot be written is lost.
 */
export function auditData(data: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(data);
  if (!UNSTORABLE_ESCAPE.test(text)) return JSON.parse(text) as Record<string, unknown>;
  const storable = (v: unknown): unknown => {
    if (typeof v === 'string') return jsonbSafeText(v);
    if (Array.isArray(v)) return v.map(storable);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [jsonbSafeText(k), storable(x)]));
    return v;
  };
  return storable(JSON.parse(text)) as Record<string, unknown>;
}

/** The next entry to append after `last` (undefined when the log is empty). */
export function chainNext(last: { seq: number; hash: string } | undefined): { seq: number; prevHash: string } {
  return last ? { seq: last.seq + 1, prevHash: last.hash } : { seq: 1, prevHash: AUDIT_GENESIS_HASH };
}

/**
 * Walks a chain in seq order, one entry at a time (so a long log is checked page by page). `check`
 * answers null when the entry is intact, or why it is the first broken link.
 */
export class AuditChainWalker {
  private last: { seq: number; hash: string } | undefined;
  private count = 0;

  get checked(): number {
    return this.count;
  }

  get head(): { seq: number; hash: string } | undefined {
    return this.last;
  }

  check(entry: StoredAuditEntry): string | null {
    const expected = chainNext(this.last);
    if (entry.seq !== expected.seq) {
      return entry.seq > expected.seq
        ? `entries ${expected.seq}..${entry.seq - 1} are missing (deleted)`
        : `entry ${entry.seq} is out of order (expected ${expected.seq})`;
    }
    if (entry.prevHash !== expected.prevHash) return `link broken: prev_hash does not match the hash of entry ${expected.seq - 1}`;
    const hash = auditEntryHash(entry.prevHash, entry);
    if (hash !== entry.hash) return 'entry altered: its content does not hash to the stored hash';
    this.last = { seq: entry.seq, hash: entry.hash };
    this.count++;
    return null;
  }
}
