import { checkDigest, DIGEST_REALM, digestChallenges, digestHa1, DigestNonces, digestResponse, NONCE_TTL_MS, parseDigestHeader } from './http-digest';

describe('HTTP Digest (RFC 7616)', () => {
  it('computes the RFC 7616 section 3.9.1 example responses for MD5 and SHA-256', () => {
    const ha1 = digestHa1('Mufasa', 'Circle of Life', 'http-auth@example.org');
    const r = {
      method: 'GET',
      uri: '/dir/index.html',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    };
    expect(digestResponse('MD5', ha1.md5, r)).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse('SHA-256', ha1.sha256, r)).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('parses quoted and token parameters, escapes included; refuses duplicates and junk', () => {
    expect(parseDigestHeader('Digest username="a\\"b", realm="CloudPatrol", nc=00000001, qop=auth, algorithm=SHA-256')).toEqual({
      username: 'a"b',
      realm: 'CloudPatrol',
      nc: '00000001',
      qop: 'auth',
      algorithm: 'SHA-256',
    });
    expect(parseDigestHeader('Basic abc')).toBeUndefined();
    expect(parseDigestHeader('Digest username="a", username="b"')).toBeUndefined();
    expect(parseDigestHeader('Digest username="a" junk')).toBeUndefined();
  });

  describe('checkDigest', () => {
    const nonces = new DigestNonces(Buffer.alloc(32, 7));
    const ha1 = digestHa1('HIK-GATE-01', 'secret-password');
    const lookup = (u: string) => Promise.resolve(u === 'HIK-GATE-01' ? ha1 : undefined);
    const now = 1_800_000_000_000;
    const header = (o: { user?: string; nonce: string; nc?: string; algorithm?: 'MD5' | 'SHA-256'; uri?: string; ha1?: string; realm?: string }) => {
      const algorithm = o.algorithm ?? 'SHA-256';
      const nc = o.nc ?? '00000001';
      const uri = o.uri ?? '/api/v1/ingest/hikvision';
      const response = digestResponse(algorithm, o.ha1 ?? (algorithm === 'MD5' ? ha1.md5 : ha1.sha256), {
        method: 'POST',
        uri,
        nonce: o.nonce,
        nc,
        cnonce: 'abc',
      });
      return `Digest username="${o.user ?? 'HIK-GATE-01'}", realm="${o.realm ?? DIGEST_REALM}", nonce="${o.nonce}", uri="${uri}", algorithm=${algorithm}, qop=auth, nc=${nc}, cnonce="abc", response="${response}"`;
    };
    const req = { method: 'POST', uri: '/api/v1/ingest/hikvision' };

    it('accepts a right answer with either algorithm, and refuses its replay', async () => {
      const nonce = nonces.issue(now);
      expect(await checkDigest(header({ nonce }), req, nonces, lookup, now)).toMatchObject({ ok: true, username: 'HIK-GATE-01', nc: 1 });
      expect(await checkDigest(header({ nonce }), req, nonces, lookup, now)).toEqual({ ok: false, reason: 'stale' });
      expect(await checkDigest(header({ nonce, nc: '00000002', algorithm: 'MD5' }), req, nonces, lookup, now)).toMatchObject({ ok: true, nc: 2 });
    });

    it('refuses a wrong password, an unknown user, a forged or expired nonce, another uri, another realm', async () => {
      const nonce = nonces.issue(now);
      const wrong = digestHa1('HIK-GATE-01', 'wrong').sha256;
      expect(await checkDigest(header({ nonce, ha1: wrong }), req, nonces, lookup, now)).toEqual({ ok: false, reason: 'wrong-response' });
      expect(await checkDigest(header({ nonce, user: 'NOBODY' }), req, nonces, lookup, now)).toEqual({ ok: false, reason: 'unknown-user' });
      const forged = new DigestNonces(Buffer.alloc(32, 8)).issue(now);
      expect(await checkDigest(header({ nonce: forged }), req, nonces, lookup, now)).toEqual({ ok: false, reason: 'bad-nonce' });
      expect(await checkDigest(header({ nonce }), req, nonces, lookup, now + NONCE_TTL_MS + 1)).toEqual({ ok: false, reason: 'stale' });
      expect(await checkDigest(header({ nonce, uri: '/other' }), req, nonces, lookup, now)).toEqual({ ok: false, reason: 'wrong-uri' });
      expect(await checkDigest(header({ nonce, realm: 'other' }), req, nonces, lookup, now)).toEqual({ ok: false, reason: 'unsupported' });
      expect(await checkDigest('Digest username="x"', req, nonces, lookup, now)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('challenges with Digest SHA-256, Digest MD5 and Basic', () => {
      const c = digestChallenges(nonces, now, true);
      expect(c).toHaveLength(3);
      expect(c[0]).toMatch(/^Digest realm="CloudPatrol", qop="auth", algorithm=SHA-256, nonce="[^"]+", opaque="[0-9a-f]{32}", stale=true$/);
      expect(c[1]).toMatch(/algorithm=MD5/);
      expect(c[2]).toBe('Basic realm="CloudPatrol", charset="UTF-8"');
    });
  });
});
