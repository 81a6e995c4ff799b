import type { CanonicalEvent } from '@app/domain';
import { EventsDocument } from './events-document';

const event = (eventId: string, raw: string): CanonicalEvent => ({
  eventId,
  source: 'cloudpatrol',
  sourceKind: 'camera',
  deviceId: 'DEMO-CAM-01',
  occurredAt: new Date('2026-12-05T12:00:00.123Z'),
  location: { lat: 23.1, lng: 113.2 },
  zones: ['loading_bay'],
  detections: [{ label: 'car', confidence: 0.9, plate: '粤A12345' }],
  media: [],
  attributes: { channel: 1 },
  raw,
});

/** What PostgreSQL reads: each row's columns, and the payload its span names in the bytes (1-based, in bytes). */
function read(document: EventsDocument): { rows: unknown[][]; payloads: string[] } {
  const [rows, payloads] = document.parameters();
  expect(rows[0]).toBe(1); // jsonb's binary version byte
  const parsed = JSON.parse(rows.subarray(1).toString('utf8')) as unknown[][];
  return {
    rows: parsed.map((r) => r.slice(0, 12)),
    payloads: parsed.map((r) => payloads.subarray((r[12] as number) - 1, (r[12] as number) - 1 + (r[13] as number)).toString('utf8')),
  };
}

describe('the events insert document', () => {
  const raws = ['{"eventId":"a"}', '{"plate":"粤A12345","place":"兰亭夜市 \\"market\\""}', '', '𠮷野家 🚗', 'é'.repeat(5000), '{"x":"\\u0000"}'];

  it('names each event payload as its bytes, whatever the characters, and writes the rest of the row as JSON', () => {
    const document = new EventsDocument(raws.length);
    raws.forEach((raw, i) => document.add(event(`e-${i}`, raw)));
    const { rows, payloads } = read(document);
    expect(payloads).toEqual(raws);
    expect(rows[1]).toEqual([
      'cloudpatrol',
      'e-1',
      'camera',
      'DEMO-CAM-01',
      '2026-12-05T12:00:00.123Z',
      23.1,
      113.2,
      ['loading_bay'],
      [{ label: 'car', confidence: 0.9, plate: '粤A12345' }],
      [],
      { channel: 1 },
      null,
    ]);
  });

  it('grows past its guess, one event at a time', () => {
    const many = Array.from({ length: 300 }, (_, i) => event(`m-${i}`, `{"n":${i},"text":"${'粤'.repeat(i % 97)}"}`));
    const document = new EventsDocument(1);
    for (const e of many) document.add(e);
    const { rows, payloads } = read(document);
    expect(payloads).toEqual(many.map((e) => e.raw));
    expect(rows.map((r) => r[1])).toEqual(many.map((e) => e.eventId));
  });
});
