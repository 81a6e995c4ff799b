import { jsonbSafeText, whyNotJsonbSafe } from './jsonb-text';

describe('jsonb-safe text', () => {
  it('names what PostgreSQL refuses, and passes the rest', () => {
    expect(whyNotJsonbSafe('a\u0000b')).toBe('must not contain NUL characters');
    expect(whyNotJsonbSafe('x\ud800')).toBe('must be well-formed Unicode (it holds a lone surrogate)');
    expect(whyNotJsonbSafe('\udc00x')).toBe('must be well-formed Unicode (it holds a lone surrogate)');
    expect(whyNotJsonbSafe('粤B22222 🚗 \\u0000')).toBeUndefined();
  });

  it('replaces U+0000 and lone surrogates with U+FFFD and keeps surrogate pairs', () => {
    expect(jsonbSafeText('a\u0000b\ud800c\udfff🚗')).toBe('a\ufffdb\ufffdc\ufffd🚗');
    expect(whyNotJsonbSafe(jsonbSafeText('\udbff\u0000\udc00'))).toBeUndefined();
  });
});
