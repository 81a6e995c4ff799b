import { loggedUrl, requestIdFor } from './access-log';

describe('access log helpers', () => {
  it('keeps a well-formed incoming request id, replaces anything else with a UUID', () => {
    expect(requestIdFor('proxy-req-0001')).toBe('proxy-req-0001');
    expect(requestIdFor(['b3f1c2d4-aaaa-bbbb-cccc-123456789abc', 'x'])).toBe('b3f1c2d4-aaaa-bbbb-cccc-123456789abc');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const bad of [undefined, '', 'short', 'has space in it', '<script>alert(1)</script>', 'x'.repeat(129), 'line\nbreak-here'])
      expect(requestIdFor(bad)).toMatch(uuid);
  });

  it('redacts secret-looking query values and keeps the rest', () => {
    expect(loggedUrl('/api/v1/alerts/stream?token=eyJabc&since=1')).toBe('/api/v1/alerts/stream?token=%5Bredacted%5D&since=1');
    expect(loggedUrl('/x?access_token=a&password=b&verification=c&limit=5')).toBe(
      '/x?access_token=%5Bredacted%5D&password=%5Bredacted%5D&verification=%5Bredacted%5D&limit=5',
    );
    expect(loggedUrl('/api/v1/cases')).toBe('/api/v1/cases');
    expect(loggedUrl('/api/v1/cases?')).toBe('/api/v1/cases');
  });
});
