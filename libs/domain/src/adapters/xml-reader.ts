/**
 * A small, safe XML reader for device alarm pushes (Hikvision ISAPI EventNotificationAlert and the like).
 *
 * Why hand-written rather than a parser dependency: the documents are tiny element trees with text leaves,
 * and what matters is what the reader refuses. It never expands anything: DOCTYPE and ENTITY declarations
 * are refused outright (no XXE, no "billion laughs"), only the five predefined entities and character
 * references are decoded, and depth and element count are bounded. It is iterative (no recursion), so a
 * deeply nested document cannot overflow the stack. Namespaces are reported, not resolved: elements are
 * addressed by local name, which is what ISAPI consumers do across its several namespaces.
 */

export interface XmlElement {
  /** Local name: the prefix, if any, is stripped ("hik:eventType" → "eventType"). */
  name: string;
  /** The name as written, prefix included. */
  qName: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Direct text content (CDATA included), entities decoded, not trimmed. */
  text: string;
}

export type XmlReadResult =
  | { ok: true; root: XmlElement }
  /** `refused`: the document is XML but uses a feature we do not accept (DOCTYPE, ENTITY). */
  | { ok: false; error: string; refused: boolean };

export interface XmlReadLimits {
  maxDepth?: number;
  maxElements?: number;
}

const DEFAULT_MAX_DEPTH = 32;
const DEFAULT_MAX_ELEMENTS = 5_000;
const NAME = /[A-Za-z_][A-Za-z0-9_.:-]*/y;
const SPACE = /[ \t\r\n]*/y;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

class XmlError extends Error {
  constructor(
    message: string,
    readonly refused = false,
  ) {
    super(message);
  }
}

export function readXml(text: string, limits: XmlReadLimits = {}): XmlReadResult {
  try {
    return { ok: true, root: parse(text, limits.maxDepth ?? DEFAULT_MAX_DEPTH, limits.maxElements ?? DEFAULT_MAX_ELEMENTS) };
  } catch (err) {
    if (err instanceof XmlError) return { ok: false, error: err.message, refused: err.refused };
    throw err;
  }
}

function parse(text: string, maxDepth: number, maxElements: number): XmlElement {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let count = 0;

  const lineOf = (pos: number) => `line ${text.slice(0, pos).split('\n').length}`;

  while (i < n) {
    const lt = text.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      const chunk = text.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(chunk);
      else if (chunk.trim() !== '') throw new XmlError(`text outside the root element at ${lineOf(i)}`);
    }
    if (lt === -1) break;

    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end === -1) throw new XmlError(`unterminated comment at ${lineOf(lt)}`);
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      if (end === -1) throw new XmlError(`unterminated CDATA section at ${lineOf(lt)}`);
      const top = stack[stack.length - 1];
      if (!top) throw new XmlError(`CDATA outside the root element at ${lineOf(lt)}`);
      top.text += text.slice(lt + 9, end);
      i = end + 3;
      continue;
    }
    if (text.startsWith('<!', lt)) {
      const word = /^<!([A-Za-z]+)/.exec(text.slice(lt, lt + 20))?.[1]?.toUpperCase();
      if (word === 'DOCTYPE' || word === 'ENTITY' || word === 'ELEMENT' || word === 'ATTLIST') {
        throw new XmlError(`<!${word}> declarations are refused (no DTDs or entity definitions) at ${lineOf(lt)}`, true);
      }
      throw new XmlError(`unsupported markup "<!" at ${lineOf(lt)}`);
    }
    if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt + 2);
      if (end === -1) throw new XmlError(`unterminated processing instruction at ${lineOf(lt)}`);
      i = end + 2;
      continue;
    }
    if (text.startsWith('</', lt)) {
      NAME.lastIndex = lt + 2;
      const m = NAME.exec(text);
      if (!m) throw new XmlError(`malformed end tag at ${lineOf(lt)}`);
      SPACE.lastIndex = NAME.lastIndex;
      SPACE.exec(text);
      if (text[SPACE.lastIndex] !== '>') throw new XmlError(`malformed end tag </${m[0]}> at ${lineOf(lt)}`);
      const open = stack.pop();
      if (!open) throw new XmlError(`end tag </${m[0]}> without a start tag at ${lineOf(lt)}`);
      if (open.qName !== m[0]) throw new XmlError(`end tag </${m[0]}> does not match <${open.qName}> at ${lineOf(lt)}`);
      i = SPACE.lastIndex + 1;
      continue;
    }

    // Start tag.
    NAME.lastIndex = lt + 1;
    const m = NAME.exec(text);
    if (!m) throw new XmlError(`malformed tag at ${lineOf(lt)}`);
    const qName = m[0];
    const element: XmlElement = { name: localName(qName), qName, attributes: {}, children: [], text: '' };
    let p = NAME.lastIndex;
    let selfClosing = false;
    for (;;) {
      SPACE.lastIndex = p;
      SPACE.exec(text);
      const spaced = SPACE.lastIndex > p;
      p = SPACE.lastIndex;
      if (p >= n) throw new XmlError(`unexpected end of document inside <${qName}>`);
      if (text[p] === '>') {
        p += 1;
        break;
      }
      if (text.startsWith('/>', p)) {
        p += 2;
        selfClosing = true;
        break;
      }
      if (!spaced) throw new XmlError(`expected whitespace before an attribute in <${qName}> at ${lineOf(p)}`);
      NAME.lastIndex = p;
      const a = NAME.exec(text);
      if (!a) throw new XmlError(`malformed attribute in <${qName}> at ${lineOf(p)}`);
      SPACE.lastIndex = NAME.lastIndex;
      SPACE.exec(text);
      p = SPACE.lastIndex;
      if (text[p] !== '=') throw new XmlError(`attribute ${a[0]} in <${qName}> has no value at ${lineOf(p)}`);
      SPACE.lastIndex = p + 1;
      SPACE.exec(text);
      p = SPACE.lastIndex;
      const quote = text[p];
      if (quote !== '"' && quote !== "'") throw new XmlError(`attribute ${a[0]} in <${qName}> is not quoted at ${lineOf(p)}`);
      const close = text.indexOf(quote, p + 1);
      if (close === -1) throw new XmlError(`unterminated attribute ${a[0]} in <${qName}>`);
      const raw = text.slice(p + 1, close);
      if (raw.includes('<')) throw new XmlError(`"<" in attribute ${a[0]} of <${qName}> at ${lineOf(p)}`);
      if (Object.prototype.hasOwnProperty.call(element.attributes, a[0])) {
        throw new XmlError(`duplicate attribute ${a[0]} in <${qName}> at ${lineOf(p)}`);
      }
      element.attributes[a[0]] = decodeEntities(raw);
      p = close + 1;
    }

    count += 1;
    if (count > maxElements) throw new XmlError(`more than ${maxElements} elements`);
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else if (root) throw new XmlError(`a second root element <${qName}> at ${lineOf(lt)}`);
    else root = element;
    if (!selfClosing) {
      stack.push(element);
      if (stack.length > maxDepth) throw new XmlError(`elements nested deeper than ${maxDepth}`);
    }
    i = p;
  }

  if (stack.length > 0) throw new XmlError(`unexpected end of document: <${stack[stack.length - 1].qName}> is not closed`);
  if (!root) throw new XmlError('no root element');
  return root;
}

function localName(qName: string): string {
  const colon = qName.lastIndexOf(':');
  return colon === -1 ? qName : qName.slice(colon + 1);
}

/** Only the five predefined entities and character references; anything else is an error, never a lookup. */
function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  let out = '';
  let i = 0;
  for (;;) {
    const amp = raw.indexOf('&', i);
    if (amp === -1) return out + raw.slice(i);
    out += raw.slice(i, amp);
    const semi = raw.indexOf(';', amp + 1);
    if (semi === -1 || semi - amp > 12) throw new XmlError('bare "&" in text (write &amp;)');
    const ref = raw.slice(amp + 1, semi);
    if (ref.startsWith('#')) {
      const code = /^#x[0-9a-fA-F]{1,6}$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#[0-9]{1,7}$/.test(ref) ? parseInt(ref.slice(1), 10) : NaN;
      const valid =
        code === 0x9 ||
        code === 0xa ||
        code === 0xd ||
        (code >= 0x20 && code <= 0xd7ff) ||
        (code >= 0xe000 && code <= 0xfffd) ||
        (code >= 0x10000 && code <= 0x10ffff);
      if (!valid) throw new XmlError(`invalid character reference &${ref};`);
      out += String.fromCodePoint(code);
    } else {
      const ch = PREDEFINED[ref];
      if (ch === undefined) throw new XmlError(`undefined entity &${ref}; (only &lt; &gt; &amp; &quot; &apos; are accepted)`);
      out += ch;
    }
    i = semi + 1;
  }
}

/** First direct child with this local name. */
export function xmlChild(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

/** Trimmed text of the first direct child with this local name; undefined when absent or empty. */
export function xmlChildText(element: XmlElement | undefined, name: string): string | undefined {
  const t = xmlChild(element, name)?.text.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** First descendant (depth-first, document order) with this local name. */
export function xmlFind(element: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!element) return undefined;
  const stack = [...element.children].reverse();
  for (let e = stack.pop(); e; e = stack.pop()) {
    if (e.name === name) return e;
    for (let k = e.children.length - 1; k >= 0; k -= 1) stack.push(e.children[k]);
  }
  return undefined;
}

/** The namespace URI bound to an element's prefix (or the default namespace), as declared on that element. */
export function xmlNamespaceOf(element: XmlElement): string | undefined {
  const colon = element.qName.indexOf(':');
  const key = colon === -1 ? 'xmlns' : `xmlns:${element.qName.slice(0, colon)}`;
  return element.attributes[key];
}
