import { jsonbArray, JsonbArrayWriter } from './jsonb-document';

/** What PostgreSQL's jsonb_recv reads: the version byte, then the text. */
const read = (b: Buffer): { version: number; text: string } => ({ version: b[0], text: b.subarray(1).toString('utf8') });

describe('jsonb documents', () => {
  const values = [1, 'a', { plate: '粤A12345' }, [], null, ['x', { name: '兰亭夜市 "market"\\n\t' }], '𠮷野家', '\ud800 lone surrogate', 'ÅÄÖ', true, 2.5];

  it('is the text JSON.stringify writes for the array, after the version byte 1', () => {
    expect(read(jsonbArray(values))).toEqual({ version: 1, text: JSON.stringify(values) });
  });

  it('grows past any guess at its size, one element at a time', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ i, text: 'é'.repeat(i % 37), plate: i % 7 === 0 ? '粤B00001' : undefined }));
    const writer = new JsonbArrayWriter(1);
    for (const v of many) writer.add(v);
    expect(read(writer.bytes()).text).toBe(JSON.stringify(many));
    expect(read(jsonbArray(many, 1)).text).toBe(JSON.stringify(many));
  });

  it('an empty array, and undefined as null (as in an array)', () => {
    expect(read(jsonbArray([]))).toEqual({ version: 1, text: '[]' });
    expect(read(jsonbArray([undefined, 1])).text).toBe(JSON.stringify([undefined, 1]));
  });
});
