import {
  open311DeviceId,
  open311Discovery,
  open311LabelFor,
  open311StatusOf,
  parseOpen311ClientsYaml,
  parseOpen311RequestQuery,
  parseOpen311Submission,
  toOpen311Request,
  toOpen311Service,
  w3cDateTime,
  type PublicCaseFacts,
} from './open311';

const now = new Date('2026-11-29T08:00:00Z');
const facts: PublicCaseFacts = {
  caseNumber: 'CP-20261129-000001',
  status: 'dispatched',
  categoryCode: 'exposed-garbage',
  categoryName: 'Exposed garbage',
  categoryNameZh: '暴露垃圾',
  townshipName: 'Yunxi Subdistrict',
  unitName: 'Township team (Yunxi Subdistrict)',
  requestedAt: new Date('2026-11-29T01:02:03.456Z'),
  updatedAt: new Date('2026-11-29T02:00:00Z'),
  expectedAt: new Date('2026-11-29T09:30:00Z'),
  address: 'Yunxi Subdistrict',
  lat: 23.123456,
  lng: 113.254321,
  precisePosition: false,
};

describe('Open311 GeoReport v2 mapping', () => {
  it('publishes reviewed cases only, as open or closed', () => {
    expect(open311StatusOf('detected')).toBeNull();
    expect(open311StatusOf('rejected')).toBeNull();
    expect(open311StatusOf('registered')).toBe('open');
    expect(open311StatusOf('reported')).toBe('open');
    expect(open311StatusOf('closed')).toBe('closed');
  });

  it('writes W3C date-times in the district offset', () => {
    expect(w3cDateTime(new Date('2026-10-08T03:30:00.999Z'), 480)).toBe('2026-10-08T11:30:00+08:00');
    expect(w3cDateTime(new Date('2026-10-08T03:30:00Z'), -330)).toBe('2026-10-07T22:00:00-05:30');
  });

  it('maps a case to the standard fields, coarsening a position that is not a public place', () => {
    expect(toOpen311Request(facts, 480)).toEqual({
      service_request_id: 'CP-20261129-000001',
      status: 'open',
      status_notes: 'Dispatched to Township team (Yunxi Subdistrict).',
      service_name: 'Exposed garbage',
      service_code: 'exposed-garbage',
      description: 'Exposed garbage (暴露垃圾) in Yunxi Subdistrict, found by non-site patrol.',
      agency_responsible: 'Township team (Yunxi Subdistrict)',
      service_notice: '',
      requested_datetime: '2026-11-29T09:02:03+08:00',
      updated_datetime: '2026-11-29T10:00:00+08:00',
      expected_datetime: '2026-11-29T17:30:00+08:00',
      address: 'Yunxi Subdistrict',
      address_id: null,
      zipcode: null,
      lat: 23.123,
      long: 113.254,
      media_url: null,
    });
    expect(toOpen311Request({ ...facts, precisePosition: true }, 480)).toMatchObject({ lat: 23.12346, long: 113.25432 });
    expect(toOpen311Request({ ...facts, status: 'detected' }, 480)).toBeNull();
  });

  it('describes a category as a service', () => {
    expect(toOpen311Service({ code: 'exposed-garbage', name: 'Exposed garbage', nameZh: '暴露垃圾', family: '市容环境' })).toEqual({
      service_code: 'exposed-garbage',
      service_name: 'Exposed garbage',
      description: 'Exposed garbage (暴露垃圾)',
      metadata: false,
      type: 'realtime',
      keywords: '暴露垃圾,市容环境',
      group: '市容环境',
    });
  });
});

describe('parseOpen311RequestQuery', () => {
  it('defaults to the last 90 days', () => {
    const r = parseOpen311RequestQuery({}, now);
    expect(r).toEqual({ ok: true, filter: { serviceCodes: undefined, statuses: undefined, start: new Date('2026-08-31T08:00:00Z'), end: now } });
  });

  it('reads comma lists, statuses and dates', () => {
    const r = parseOpen311RequestQuery(
      { service_code: 'a,b,a', status: 'open,closed', start_date: '2026-10-01T00:00:00+08:00', end_date: '2026-10-31', jurisdiction_id: 'x' },
      now,
    );
    expect(r).toEqual({
      ok: true,
      filter: { serviceCodes: ['a', 'b'], statuses: ['open', 'closed'], start: new Date('2026-09-30T16:00:00Z'), end: new Date('2026-10-31T00:00:00Z') },
    });
  });

  it('lets service_request_id override every other filter', () => {
    expect(parseOpen311RequestQuery({ service_request_id: 'CP-1, CP-2', status: 'closed' }, now)).toEqual({ ok: true, filter: { ids: ['CP-1', 'CP-2'] } });
  });

  it('answers GeoReport errors for bad values', () => {
    expect(parseOpen311RequestQuery({ status: 'pending' }, now)).toEqual({
      ok: false,
      errors: [{ code: 400, description: 'status must be open or closed, not "pending"' }],
    });
    expect(parseOpen311RequestQuery({ start_date: 'yesterday' }, now)).toMatchObject({ ok: false });
    expect(parseOpen311RequestQuery({ start_date: '2026-01-01', end_date: '2026-06-01' }, now)).toMatchObject({
      ok: false,
      errors: [{ description: expect.stringMatching(/90 days/) }],
    });
    expect(parseOpen311RequestQuery({ status: ['open', 'closed'] }, now)).toMatchObject({ ok: false });
    expect(parseOpen311RequestQuery({ service_request_id: 'CP-1\u0000' }, now)).toMatchObject({ ok: false });
  });
});

describe('Open311 POST /requests', () => {
  const base = { service_code: 'exposed-garbage', lat: '23.123456', long: '113.254321' };

  it('takes the GeoReport v2 fields, personal data apart, unknown fields ignored', () => {
    const r = parseOpen311Submission({
      ...base,
      api_key: 'k',
      jurisdiction_id: 'x',
      attribute: { a: '1' },
      description: '  垃圾 ',
      media_url: 'https://img.example/1.jpg',
      email: 'a@b.example',
      first_name: 'San',
      last_name: 'Zhang',
      phone: '138',
      device_id: 'kiosk-1',
      account_id: 'u-9',
    });
    expect(r).toEqual({
      ok: true,
      submission: {
        serviceCode: 'exposed-garbage',
        lat: 23.123456,
        long: 113.254321,
        description: '垃圾',
        mediaUrl: 'https://img.example/1.jpg',
        reporter: { email: 'a@b.example', firstName: 'San', lastName: 'Zhang', phone: '138' },
        deviceId: 'kiosk-1',
        accountId: 'u-9',
      },
    });
    expect(parseOpen311Submission({ service_code: 'x', lat: 23.1, long: 113.2 })).toMatchObject({ ok: true, submission: { lat: 23.1, long: 113.2 } });
    expect(parseOpen311Submission({ service_code: 'x', address_string: 'Yunxi Road 8' })).toEqual({
      ok: true,
      submission: { serviceCode: 'x', addressString: 'Yunxi Road 8', reporter: {} },
    });
  });

  it.each([
    [{ ...base, service_code: undefined }, 'service_code is required'],
    [{ service_code: 'x' }, 'a location is required: lat and long, or address_string'],
    [{ service_code: 'x', lat: '23.1' }, 'lat and long go together'],
    [{ ...base, lat: '91' }, 'lat must be a number from -90 to 90 (WGS-84 degrees)'],
    [{ ...base, long: '1e999' }, 'long must be a number from -180 to 180 (WGS-84 degrees)'],
    [{ ...base, lat: '0x10' }, 'lat must be a number from -90 to 90 (WGS-84 degrees)'],
    [{ ...base, media_url: 'javascript:alert(1)' }, 'media_url must be an http or https URL'],
    [{ ...base, email: 'not an address' }, 'email is not an e-mail address'],
    [{ ...base, description: 'x'.repeat(4001) }, 'description is longer than 4000 characters'],
    [{ ...base, service_code: ['a', 'b'] }, 'service_code must be given once, as text'],
    [{ ...base, phone: '1\u00002' }, 'phone contains a NUL character'],
  ])('refuses %j: %s', (fields, message) => {
    const r = parseOpen311Submission(fields);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContainEqual({ code: 400, description: message });
  });

  it('gives a service the label of a rule that takes Open311 reports, else of a rule for any source, never a dwell rule', () => {
    const rules = [
      { category: 'motor-parking', labels: ['car'], dwell: { minutes: 10 } },
      { category: 'motor-parking', labels: ['illegalParking'], sources: ['hikvision'] },
      { category: 'exposed-garbage', labels: ['garbage', 'construction_waste'] },
      { category: 'street-occupation', labels: ['vendor'] },
      { category: 'street-occupation', labels: ['street_occupation'], sources: ['open311'] },
    ];
    expect(open311LabelFor(rules, 'exposed-garbage')).toBe('garbage');
    expect(open311LabelFor(rules, 'street-occupation')).toBe('street_occupation');
    expect(open311LabelFor(rules, 'motor-parking')).toBeUndefined();
    expect(open311LabelFor(rules, 'unknown')).toBeUndefined();
  });

  it('reads the clients file: key hashes only, defaults, every problem named', () => {
    const hash = 'A'.repeat(64);
    const ok = parseOpen311ClientsYaml(`clients:\n  - { id: hotline-12345, name: Hotline, keySha256: ${hash} }\n`);
    expect(ok).toEqual({
      ok: true,
      file: {
        contact: expect.any(String),
        keyService: expect.any(String),
        clients: [{ id: 'hotline-12345', name: 'Hotline', ownerDepartment: 'Open311 client', keySha256: 'a'.repeat(64), requestsPerMinute: 30, active: true }],
      },
    });
    expect(parseOpen311ClientsYaml('')).toMatchObject({ ok: true, file: { clients: [] } });
    const bad = parseOpen311ClientsYaml(
      `clients:\n  - { id: A_B, name: x, keySha256: ${hash} }\n  - { id: b, name: y, keySha256: plain-key, apiKey: secret }\n  - { id: c, name: z, keySha256: ${hash} }\n`,
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^clients\.0\.id: /),
          expect.stringMatching(/^clients\.1\.keySha256: /),
          expect.stringMatching(/^clients\.1: .*apiKey/),
        ]),
      );
    }
    const twice = parseOpen311ClientsYaml(`clients:\n  - { id: a, name: x, keySha256: ${hash} }\n  - { id: b, name: y, keySha256: ${hash.toLowerCase()} }\n`);
    expect(twice).toEqual({ ok: false, problems: ['clients.1.keySha256: two clients share one key'] });
    expect(parseOpen311ClientsYaml('clients: [').ok).toBe(false);
    expect(open311DeviceId('hotline-12345')).toBe('open311.hotline-12345');
  });

  it('describes the endpoint for discovery', () => {
    expect(open311Discovery({ baseUrl: 'http://localhost:3000', contact: 'c', keyService: 'k', utcOffsetMinutes: 480 })).toEqual({
      changeset: '2026-12-04T08:00:00+08:00',
      contact: 'c',
      key_service: 'k',
      endpoints: [
        {
          specification: 'http://wiki.open311.org/GeoReport_v2',
          url: 'http://localhost:3000/open311/v2',
          changeset: '2026-12-04T08:00:00+08:00',
          type: 'production',
          formats: ['text/xml', 'application/json'],
        },
      ],
    });
  });
});
