import { readXml } from '../adapters/xml-reader';
import { open311Discovery, type Open311Request } from './open311';
import { open311DiscoveryXml, open311ErrorsXml, open311PostedXml, open311RequestsXml, open311ServicesXml, xmlEscape } from './open311-xml';

const request: Open311Request = {
  service_request_id: 'CP-20261008-000042',
  status: 'open',
  status_notes: 'Dispatched to Team <A> & "B"',
  service_name: 'Exposed garbage',
  service_code: 'exposed-garbage',
  description: "Exposed garbage (暴露垃圾) in O'Brien Street",
  agency_responsible: '',
  service_notice: '',
  requested_datetime: '2026-10-08T09:00:00+08:00',
  updated_datetime: '2026-10-08T10:00:00+08:00',
  expected_datetime: null,
  address: 'Township 1',
  address_id: null,
  zipcode: null,
  lat: 23.123,
  long: 113.254,
  media_url: null,
};

function fields(xml: string): { root: string; items: { name: string; fields: Record<string, string | null> }[] } {
  const r = readXml(xml);
  if (!r.ok) throw new Error(r.error);
  return {
    root: r.root.name,
    items: r.root.children.map((c) => ({
      name: c.name,
      fields: Object.fromEntries(c.children.map((f) => [f.name, f.children.length || f.text ? f.text : null])),
    })),
  };
}

describe('Open311 XML', () => {
  // An empty text and null are both an empty element: XML cannot tell them apart, and GeoReport clients read both as absent.
  it('writes requests as <service_requests><request>, one element per field, the same values as JSON', () => {
    const xml = open311RequestsXml([request]);
    expect(
      xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<service_requests><request><service_request_id>CP-20261008-000042</service_request_id>'),
    ).toBe(true);
    const read = fields(xml);
    expect(read.root).toBe('service_requests');
    expect(read.items).toEqual([
      { name: 'request', fields: Object.fromEntries(Object.entries(request).map(([k, v]) => [k, v === null || v === '' ? null : String(v)])) },
    ]);
  });

  it('writes an empty list as an empty root', () => {
    expect(open311RequestsXml([])).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<service_requests></service_requests>\n');
  });

  it('escapes markup and replaces what XML 1.0 cannot carry', () => {
    expect(xmlEscape(`<a href="x">Tom & 'Jerry'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;');
    expect(xmlEscape('bell\u0007 nul\u0000 tab\t ok')).toBe('bell\uFFFD nul\uFFFD tab\t ok');
    expect(xmlEscape('lone \uD800 surrogate, pair 😀')).toBe('lone \uFFFD surrogate, pair 😀');
    const back = fields(open311RequestsXml([{ ...request, description: '</request><x>&amp;\u0001' }]));
    expect(back.items[0].fields.description).toBe('</request><x>&amp;\uFFFD');
  });

  it('writes services, errors and the POST answer with their GeoReport roots', () => {
    const services = fields(
      open311ServicesXml([{ service_code: 'c', service_name: 'n', description: 'd', metadata: false, type: 'realtime', keywords: 'k', group: 'g' }]),
    );
    expect(services).toEqual({
      root: 'services',
      items: [
        { name: 'service', fields: { service_code: 'c', service_name: 'n', description: 'd', metadata: 'false', type: 'realtime', keywords: 'k', group: 'g' } },
      ],
    });
    expect(fields(open311ErrorsXml([{ code: 403, description: 'api_key is missing or not valid' }]))).toEqual({
      root: 'errors',
      items: [{ name: 'error', fields: { code: '403', description: 'api_key is missing or not valid' } }],
    });
    expect(fields(open311PostedXml([{ token: 't-1', service_notice: 'n', account_id: null }]))).toEqual({
      root: 'service_requests',
      items: [{ name: 'request', fields: { token: 't-1', service_notice: 'n', account_id: null } }],
    });
  });

  it('writes discovery with its endpoint and formats', () => {
    const d = open311Discovery({ baseUrl: 'https://cg.example.gov.cn/', contact: 'C & D', keyService: 'K', utcOffsetMinutes: 480 });
    const r = readXml(open311DiscoveryXml(d));
    if (!r.ok) throw new Error(r.error);
    expect(r.root.name).toBe('discovery');
    expect(r.root.children.map((c) => c.name)).toEqual(['changeset', 'contact', 'key_service', 'endpoints']);
    expect(r.root.children[1].text).toBe('C & D');
    const endpoint = r.root.children[3].children[0];
    expect(endpoint.children.map((c) => [c.name, c.text])).toEqual([
      ['specification', 'http://wiki.open311.org/GeoReport_v2'],
      ['url', 'https://cg.example.gov.cn/open311/v2'],
      ['changeset', d.changeset],
      ['type', 'production'],
      ['formats', ''],
    ]);
    expect(endpoint.children[4].children.map((f) => f.text)).toEqual(['text/xml', 'application/json']);
  });
});
