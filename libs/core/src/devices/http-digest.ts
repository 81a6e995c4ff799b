import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RecencyMap } from '@app/domain';

/**
 * HTTP Digest access authentication (RFC 7616) as a server checks it: MD5 and SHA-256, qop=auth only, no
 * userhash, no -sess. Nonces are stateless (issue time + random, HMAC'd with a per-process key), valid for
 * NONCE_TTL_MS; a nonce's nonce-count must grow (replays of one request are refused).
 */
export const DIGEST_REALM = 'CloudPatrol';
export const DIGEST_ALGORITHMS = ['SHA-256', 'MD5'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];
export const NONCE_TTL_MS = 5 * 60_000;

export interface DigestHa1 {
  md5: string;
  sha256: string;
}

const hash = (algorithm: DigestAlgorithm, text: string) =>
  createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(text, 'utf8')
    .digest('hex');

/** HA1 = H(username:realm:password) for both algorithms: what the server keeps to check Digest without the password. */
export function digestHa1(username: string, password: string, realm = DIGEST_REALM): DigestHa1 {
  const a1 = `${username}:${realm}:${password}`;
  return { md5: hash('MD5', a1), sha256: hash('SHA-256', a1) };
}

/** The Authorization: Digest parameters (auth-param list; quoted strings with backslash escapes). Undefined when unreadable. */
export function parseDigestHeader(header: string): Record<string, string> | undefined {
  const m = /^Digest\s+/i.exec(header);
  if (!m || header.length > 4096) return undefined;
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/gy;
  re.lastIndex = m[0].length;
  let last = re.lastIndex;
  let match: RegExpExecArray | null;
  while (last < header.length && (match = re.exec(header)) !== null) {
    const key = match[1].toLowerCase();
    if (key in params) return undefined;
    params[key] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3];
    if (re.lastIndex === last) return undefined;
    last = re.lastIndex;
  }
  return last >= header.length ? params : undefined;
}

export type DigestCheck =
  | { ok: true; username: string; nonce: string; nc: number }
  | { ok: false; reason: 'malformed' | 'unsupported' | 'stale' | 'bad-nonce' | 'wrong-uri' | 'unknown-user' | 'wrong-response' };

/** Issues and checks nonces; keeps nothing per nonce but the last nonce-count (bounded). */
export class DigestNonces {
  private readonly key: Buffer;
  private readonly counts = new RecencyMap<string, number>();

  constructor(
    key = randomBytes(32),
    private readonly capacity = 10_000,
  ) {
    this.key = key;
  }

  issue(now: number): string {
    const body = `${now.toString(36)}.${randomBytes(12).toString('base64url')}`;
    return `${body}.${this.mac(body)}`;
  }

  /** 'ok', 'stale' (ours but too old) or 'bad' (not ours). */
  state(nonce: string, now: number): 'ok' | 'stale' | 'bad' {
    const parts = nonce.split('.');
    if (parts.length !== 3) return 'bad';
    const body = `${parts[0]}.${parts[1]}`;
    const given = Buffer.from(parts[2]);
    const wanted = Buffer.from(this.mac(body));
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return 'bad';
    const issued = parseInt(parts[0], 36);
    if (!Number.isFinite(issued) || issued > now + 1000) return 'bad';
    return now - issued > NONCE_TTL_MS ? 'stale' : 'ok';
  }

  /** Records nc for nonce; false when it is not above the last one seen (a replay). */
  advance(nonce: string, nc: number): boolean {
    const last = this.counts.get(nonce) ?? 0;
    if (nc <= last) return false;
    this.counts.touch(nonce, nc);
    while (this.counts.size > this.capacity) this.counts.dropOldest();
    return true;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 32);
  }
}

/** response = H(HA1:nonce:nc:cnonce:auth:H(method:uri)) (RFC 7616 3.4.1, qop=auth). */
export function digestResponse(algorithm: DigestAlgorithm, ha1: string, r: { method: string; uri: string; nonce: string; nc: string; cnonce: string }): string {
  const ha2 = hash(algorithm, `${r.method}:${r.uri}`);
  return hash(algorithm, `${ha1}:${r.nonce}:${r.nc}:${r.cnonce}:auth:${ha2}`);
}

/** The challenges a 401 carries: Digest SHA-256, Digest MD5 (what most cameras offer), Basic. */
export function digestChallenges(nonces: DigestNonces, now: number, stale = false): string[] {
  const nonce = nonces.issue(now);
  const opaque = createHash('sha256').update(DIGEST_REALM).digest('hex').slice(0, 32);
  const digest = DIGEST_ALGORITHMS.map(
    (algorithm) => `Digest realm="${DIGEST_REALM}", qop="auth", algorithm=${algorithm}, nonce="${nonce}", opaque="${opaque}"${stale ? ', stale=true' : ''}`,
  );
  return [...digest, `Basic realm="${DIGEST_REALM}", charset="UTF-8"`];
}

/**
 * Checks an Authorization: Digest header for a request (method, the request-target as sent) against the user's
 * HA1 (looked up by username; undefined = unknown user or no Digest for it).
 */
export async function checkDigest(
  header: string,
  request: { method: string; uri: string },
  nonces: DigestNonces,
  ha1Of: (username: string) => Promise<DigestHa1 | undefined>,
  now: number,
): Promise<DigestCheck> {
  const p = parseDigestHeader(header);
  if (!p || !p.username || !p.nonce || !p.uri || !p.response || !p.qop || !p.nc || !p.cnonce) return { ok: false, reason: 'malformed' };
  const algorithm = (p.algorithm ?? 'MD5').toUpperCase() === 'SHA-256' ? 'SHA-256' : (p.algorithm ?? 'MD5').toUpperCase() === 'MD5' ? 'MD5' : undefined;
  if (!algorithm || p.qop !== 'auth' || (p.userhash ?? 'false') !== 'false' || p.realm !== DIGEST_REALM) return { ok: false, reason: 'unsupported' };
  if (!/^[0-9a-fA-F]{8}$/.test(p.nc) || !/^[0-9a-fA-F]+$/.test(p.response) || p.cnonce.length > 256) return { ok: false, reason: 'malformed' };
  const nonceState = nonces.state(p.nonce, now);
  if (nonceState === 'bad') return { ok: false, reason: 'bad-nonce' };
  if (nonceState === 'stale') return { ok: false, reason: 'stale' };
  if (p.uri !== request.uri) return { ok: false, reason: 'wrong-uri' };
  const ha1 = await ha1Of(p.username);
  // Same work for an unknown user: compare against a value no response can match.
  const a1 = ha1 ? (algorithm === 'MD5' ? ha1.md5 : ha1.sha256) : randomBytes(32).toString('hex');
  const expected = Buffer.from(digestResponse(algorithm, a1, { method: request.method, uri: p.uri, nonce: p.nonce, nc: p.nc, cnonce: p.cnonce }));
  const given = Buffer.from(p.response.toLowerCase());
  const match = given.length === expected.length && timingSafeEqual(given, expected);
  if (!ha1) return { ok: false, reason: 'unknown-user' };
  if (!match) return { ok: false, reason: 'wrong-response' };
  const nc = parseInt(p.nc, 16);
  if (!nonces.advance(p.nonce, nc)) return { ok: false, reason: 'stale' };
  return { ok: true, username: p.username, nonce: p.nonce, nc };
}
