import fc from 'fast-check';
import { AUDIT_GENESIS_HASH, AuditChainWalker, auditData, auditEntryHash, canonicalJson, chainNext, sha256Hex, type StoredAuditEntry } from './audit-chain';

function chain(n: number): StoredAuditEntry[] {
  const out: StoredAuditEntry[] = [];
  let last: { seq: number; hash: string } | undefined;
  for (let i = 0; i < n; i++) {
    const { seq, prevHash } = chainNext(last);
    const content = {
      seq,
      at: new Date(Date.UTC(2026, 9, 8, 1, i)).toISOString(),
      actorId: `user-${i}`,
      actorRole: 'operator',
      action: 'case.transition',
      caseId: '6f1c1f5e-0000-4000-8000-000000000001',
      data: { action: 'dispatch', to: 'dispatched', evidence: [{ key: `event:${i}`, sha256: sha256Hex(`payload ${i}`) }], note: null },
    };
    const entry = { ...content, prevHash, hash: auditEntryHash(prevHash, content) };
    out.push(entry);
    last = entry;
  }
  return out;
}

/** Simulates a jsonb round trip: values kept, key order lost. */
function throughJsonb<T>(v: T): T {
  const shuffle = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(shuffle);
    if (x && typeof x === 'object')
      return Object.fromEntries(
        Object.entries(x)
          .reverse()
          .map(([k, val]) => [k, shuffle(val)]),
      );
    return x;
  };
  return shuffle(JSON.parse(JSON.stringify(v))) as T;
}

function firstBroken(entries: StoredAuditEntry[]): { seq: number; reason: string } | null {
  const walker = new AuditChainWalker();
  for (const e of entries) {
    const reason = walker.check(e);
    if (reason) return { seq: e.seq, reason };
  }
  return null;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined like JSON.stringify', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}');
  });

  it('writes dates as ISO strings, undefined in arrays and non-finite numbers as null', () => {
    expect(canonicalJson([new Date('2026-10-08T03:30:00Z'), undefined, Number.NaN])).toBe('["2026-10-08T03:30:00.000Z",null,null]');
  });

  it('is the same for a value and its jsonb round trip', () => {
    const v = { z: 'ü "quoted"\n', a: [0.1 + 0.2, -0, 1e21], m: { k2: 2, k1: 1 } };
    expect(canonicalJson(throughJsonb(v))).toBe(canonicalJson(v));
  });

  it('is the text the chain was first hashed with, for any JSON value, dates and undefined included', () => {
    // The first form of the encoder, kept here: stored chains were hashed with it, so its output may never change.
    const firstForm = (value: unknown): string | undefined => {
      let v = value;
      if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON: () => unknown }).toJSON();
      if (typeof v === 'string') return JSON.stringify(v);
      if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
      if (typeof v === 'boolean') return v ? 'true' : 'false';
      if (v === undefined) return undefined;
      if (v === null) return 'null';
      if (Array.isArray(v)) return `[${v.map((item) => firstForm(item) ?? 'null').join(',')}]`;
      const obj = v as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(obj).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
        const encoded = firstForm(obj[key]);
        if (encoded !== undefined) parts.push(`${JSON.stringify(key)}:${encoded}`);
      }
      return `{${parts.join(',')}}`;
    };
    const leaf = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.date({ noInvalidDate: true }), fc.constant(undefined), fc.constantFrom(Number.NaN, Infinity, -0));
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 5 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie('node'), { maxKeys: 6 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        const expected = firstForm(v);
        if (expected === undefined) expect(() => canonicalJson(v)).toThrow(TypeError);
        else expect(canonicalJson(v)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses bigint (store big ids as strings)', () => {
    expect(() => canonicalJson({ id: 1n })).toThrow(/bigint/);
  });
});

describe('audit hash chain', () => {
  it('starts from the genesis hash and links each entry to the one before', () => {
    const entries = chain(3);
    expect(entries[0].prevHash).toBe(AUDIT_GENESIS_HASH);
    expect(entries[1].prevHash).toBe(entries[0].hash);
    expect(entries[2].prevHash).toBe(entries[1].hash);
    expect(firstBroken(entries)).toBeNull();
  });

  it('still verifies after the rows went through jsonb', () => {
    expect(firstBroken(chain(5).map(throughJsonb))).toBeNull();
  });

  it('finds an altered entry at that entry', () => {
    const entries = chain(5);
    entries[2] = { ...entries[2], data: { ...entries[2].data, to: 'closed' } };
    expect(firstBroken(entries)).toEqual({ seq: 3, reason: expect.stringMatching(/altered/) });
  });

  it('finds an altered actor or time', () => {
    const byActor = chain(4);
    byActor[1] = { ...byActor[1], actorId: 'someone-else' };
    expect(firstBroken(byActor)?.seq).toBe(2);
    const byTime = chain(4);
    byTime[3] = { ...byTime[3], at: '2026-01-01T00:00:00.000Z' };
    expect(firstBroken(byTime)?.seq).toBe(4);
  });

  it('finds a rewritten entry whose hash was recomputed at the next link', () => {
    const entries = chain(5);
    const forged = { ...entries[1], data: { forged: true } };
    entries[1] = { ...forged, hash: auditEntryHash(forged.prevHash, forged) };
    expect(firstBroken(entries)).toEqual({ seq: 3, reason: expect.stringMatching(/link broken/) });
  });

  it('finds a deleted entry', () => {
    const entries = chain(5);
    entries.splice(2, 1);
    expect(firstBroken(entries)).toEqual({ seq: 4, reason: 'entries 3..3 are missing (deleted)' });
  });

  it('counts what it checked and reports the head', () => {
    const entries = chain(4);
    const walker = new AuditChainWalker();
    entries.forEach((e) => walker.check(e));
    expect(walker.checked).toBe(4);
    expect(walker.head).toEqual({ seq: 4, hash: entries[3].hash });
  });
});

describe('auditData', () => {
  /** What jsonb accepts: no U+0000 and no lone surrogate anywhere in the JSON text. */
  const storable = (v: unknown) => {
    const text = JSON.stringify(v);
    return !/\\u0000/.test(text) && !/\\ud[89a-f][0-9a-f]{2}/i.test(text);
  };

  it('is the JSON round trip of ordinary data, unchanged', () => {
    const data = { deviceId: 'CAM-01', at: new Date(Date.UTC(2026, 11, 5)), gone: undefined, list: [1, 'two', null], nested: { 粤: '粤B22222 🚗' } };
    expect(auditData(data)).toEqual({ deviceId: 'CAM-01', at: '2026-12-05T00:00:00.000Z', list: [1, 'two', null], nested: { 粤: '粤B22222 🚗' } });
  });

  it('replaces U+0000 and lone surrogates in values and keys with U+FFFD, and keeps surrogate pairs', () => {
    expect(auditData({ ownerDepartment: '\ud800', name: 'a\u0000b', ['k\udc00']: ['x\udbff', '🚗\udfff'], pair: '\ud83d\ude97' })).toEqual({
      ownerDepartment: '\ufffd',
      name: 'a\ufffdb',
      ['k\ufffd']: ['x\ufffd', '🚗\ufffd'],
      pair: '🚗',
    });
  });

  it('leaves a literal backslash-u text alone', () => {
    expect(auditData({ note: '\\u0000 and \\ud800 are only text here' })).toEqual({ note: '\\u0000 and \\ud800 are only text here' });
  });

  // Any UTF-16 code unit, lone surrogates and U+0000 among them, and the sharp ones more often.
  const unit = fc.oneof(
    fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d\ude97', '\\', 'u'),
    fc.nat(0xffff).map((c) => String.fromCharCode(c)),
  );
  const text = fc.string({ unit, maxLength: 12 });
  const data = fc.dictionary(
    text,
    fc.oneof(text, fc.array(text, { maxLength: 3 }), fc.dictionary(text, text, { maxKeys: 3 }), fc.integer(), fc.constant(null)),
    {
      maxKeys: 5,
    },
  );

  it('always gives what jsonb stores, and is the same after a second pass', () => {
    fc.assert(
      fc.property(data, (data) => {
        const once = auditData(data);
        expect(storable(once)).toBe(true);
        expect(auditData(once)).toEqual(once);
        expect(canonicalJson(auditData(throughJsonb(once)))).toBe(canonicalJson(once));
      }),
      { numRuns: 300 },
    );
  });
});
