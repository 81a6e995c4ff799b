import fc from 'fast-check';
import { readXml, xmlChild, xmlChildText, xmlFind, xmlNamespaceOf, XmlElement } from './xml-reader';

function rootOf(text: string): XmlElement {
  const r = readXml(text);
  if (!r.ok) throw new Error(r.error);
  return r.root;
}
function errorOf(text: string, limits?: { maxDepth?: number; maxElements?: number }): { error: string; refused: boolean } {
  const r = readXml(text, limits);
  if (r.ok) throw new Error('expected an error');
  return { error: r.error, refused: r.refused };
}

describe('xml reader', () => {
  it('reads elements, attributes, text, local names and the namespace', () => {
    const root = rootOf(
      '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><p:A xmlns:p="urn:x" v=\'2\'><p:b>one</p:b><c k="&quot;q&quot;"/><b>two</b></p:A>\n',
    );
    expect(root.name).toBe('A');
    expect(root.qName).toBe('p:A');
    expect(xmlNamespaceOf(root)).toBe('urn:x');
    expect(root.attributes).toEqual({ 'xmlns:p': 'urn:x', v: '2' });
    expect(xmlChildText(root, 'b')).toBe('one');
    expect(xmlChild(root, 'c')?.attributes.k).toBe('"q"');
    expect(root.children.map((c) => c.name)).toEqual(['b', 'c', 'b']);
  });

  it('decodes the predefined entities, character references and CDATA', () => {
    const root = rootOf('<a>&lt;&gt;&amp;&apos;&quot; &#20013;&#x6587; <![CDATA[<raw & kept>]]></a>');
    expect(root.text).toBe(`<>&'" 中文 <raw & kept>`);
  });

  it('finds descendants depth-first and treats empty text as absent', () => {
    const root = rootOf('<a><b><c>1</c></b><c>2</c><d>  </d></a>');
    expect(xmlFind(root, 'c')?.text).toBe('1');
    expect(xmlFind(root, 'zz')).toBeUndefined();
    expect(xmlChildText(root, 'd')).toBeUndefined();
    expect(xmlChildText(undefined, 'd')).toBeUndefined();
  });

  it.each([
    ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', true],
    ['<a><!ENTITY x "y"></a>', true],
    ['<a>&x;</a>', false],
    ['<a>fish & chips</a>', false],
    ['<a>&#0;</a>', false],
    ['<a>&#xD800;</a>', false],
    ['<a><b></a>', false],
    ['<a></b>', false],
    ['<a>', false],
    ['<a/><b/>', false],
    ['text<a/>', false],
    ['<a/>text', false],
    ['', false],
    ['<a b="1" b="2"/>', false],
    ['<a b=1/>', false],
    ['<a b="<"/>', false],
    ['<a b="1"c="2"/>', false],
    ['<a><!-- open</a>', false],
    ['<a><![CDATA[open</a>', false],
    ['<?xml version="1.0"', false],
    ['< a/>', false],
    ['<a></ a>', false],
  ])('refuses %j', (text, refused) => {
    const e = errorOf(text);
    expect(e.error.length).toBeGreaterThan(0);
    expect(e.refused).toBe(refused);
  });

  it('bounds depth and element count', () => {
    expect(errorOf('<a>'.repeat(40) + '</a>'.repeat(40)).error).toMatch(/deeper than 32/);
    expect(errorOf('<a>' + '<b/>'.repeat(11) + '</a>', { maxElements: 10 }).error).toMatch(/more than 10 elements/);
    // Deep nesting is an error, never a stack overflow.
    expect(errorOf('<a>'.repeat(100_000), { maxDepth: 200_000, maxElements: 200_000 }).error).toMatch(/not closed/);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('<', '>', '/', 'a', '=', '"', '&', ';', '!', '[', ']', '-', '?', ' ', '#', 'x') })),
        (text) => {
          const r = readXml(text);
          return r.ok ? typeof r.root.name === 'string' : r.error.length > 0;
        },
      ),
      { numRuns: 2000 },
    );
  });
});
