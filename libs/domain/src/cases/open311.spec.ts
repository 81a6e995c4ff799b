import { open311StatusOf, parseOpen311RequestQuery, toOpen311Request, toOpen311Service, w3cDateTime, type PublicCaseFacts } from './open311';

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
