/**
 * What PostgreSQL can store as a string in text and jsonb: no U+0000 (text and jsonb refuse it) and no lone
 * surrogate (jsonb refuses it, 22P02; text gets U+FFFD in its place from the client's UTF-8 encoding).
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** Why PostgreSQL cannot store `s` as it is, or undefined when it can. */
export function whyNotJsonbSafe(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(s)) return 'must be well-formed Unicode (it holds a lone surrogate)';
  return undefined;
}

/** `s` with U+0000 and lone surrogates replaced by U+FFFD; surrogate pairs are kept. */
export function jsonbSafeText(s: string): string {
  return s.replaceAll('\u0000', '\ufffd').replace(LONE_SURROGATES, '\ufffd');
}
