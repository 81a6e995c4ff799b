import { parseJurisdictionGeoJson } from './jurisdiction.parser';

const FILE = 'config/demo/grids.geojson';
const grids = `{
  "type": "FeatureCollection",
  "synthetic": true,
  "features": [
    {
      "type": "Feature",
      "properties": {"code":"449901001001001","townshipCode":"449901001","officer":{"id":"o1","name":"Officer"}},
      "geometry": { "type": "Polygon", "coordinates": [[[113.0,23.0],[113.1,23.0],[113.1,23.1],[113.0,23.1],[113.0,23.0]]] }
    },
    {
      "type": "Feature",
      "properties": {"code":"449901001001002","townshipCode":"449901001"},
      "geometry": { "type": "MultiPolygon", "coordinates": [[[[113.1,23.0],[113.2,23.0],[113.2,23.1],[113.1,23.0]]]] }
    }
  ]
}
`;

describe('parseJurisdictionGeoJson', () => {
  it('parses grid cells with optional officers and MultiPolygons', () => {
    const r = parseJurisdictionGeoJson(grids, FILE, 'grids');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map((g) => [g.code, g.townshipCode, g.officer?.id, g.geometry.type])).toEqual([
      ['449901001001001', '449901001', 'o1', 'Polygon'],
      ['449901001001002', '449901001', undefined, 'MultiPolygon'],
    ]);
  });

  it('reports bad properties and geometry with line and column', () => {
    const bad = grids
      .replace('"code":"449901001001002"', '"code":"4499-01"')
      .replace('"officer":{"id":"o1","name":"Officer"}', '"oficer":{"id":"o1","name":"Officer"}')
      .replace('[[[113.0,23.0],[113.1,23.0],[113.1,23.1],[113.0,23.1],[113.0,23.0]]]', '[[[113.0,23.0],[113.1,23.0],[113.1,23.1],[113.0,23.1]]]')
      .replace('"type": "MultiPolygon"', '"type": "Point"');
    const r = parseJurisdictionGeoJson(bad, FILE, 'grids');
    expect(r.ok ? [] : r.errors).toEqual([
      'config/demo/grids.geojson:7:74 features[0].properties.oficer: unknown key',
      'config/demo/grids.geojson:8:56 features[0].geometry.coordinates[0]: a ring must end where it starts',
      'config/demo/grids.geojson:12:29 features[1].properties.code: 6 to 24 digits (e.g. 15: district 6 + township 3 + community 3 + sequence 3)',
      "config/demo/grids.geojson:13:29 features[1].geometry.type: Invalid discriminator value. Expected 'Polygon' | 'MultiPolygon'",
    ]);
  });

  it('reports duplicate codes', () => {
    const r = parseJurisdictionGeoJson(grids.replace('"code":"449901001001002"', '"code":"449901001001001"'), FILE, 'grids');
    expect(r.ok ? [] : r.errors).toEqual(['config/demo/grids.geojson:12:29 features[1].properties.code: duplicate code "449901001001001" (first at index 0)']);
  });

  it('parses townships and places into domain objects', () => {
    const township = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"449901001","name":"Yunxi","nameZh":"云溪街道","synthetic":true},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}`;
    const t = parseJurisdictionGeoJson(township, 't.geojson', 'townships');
    expect(t.ok && t.value[0]).toMatchObject({ code: '449901001', name: 'Yunxi', nameZh: '云溪街道' });
    const place = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"p1","name":"Shop","type":"shopfront","township":"449901001","grid":"449901001001001","businessId":"B1"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}`;
    const p = parseJurisdictionGeoJson(place, 'p.geojson', 'places');
    expect(p.ok && p.value[0]).toMatchObject({ id: 'p1', type: 'shopfront', townshipCode: '449901001', gridCode: '449901001001001', businessId: 'B1' });
    const badType = parseJurisdictionGeoJson(place.replace('"shopfront"', '"Shop Front"'), 'p.geojson', 'places');
    expect(badType.ok ? [] : badType.errors).toEqual(['p.geojson:1:104 features[0].properties.type: lower-case letters, digits and dashes']);
  });

  it('reports invalid JSON with its position', () => {
    const r = parseJurisdictionGeoJson('{"type": "FeatureCollection", "features": [', FILE, 'grids');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]).toMatch(/^config\/demo\/grids\.geojson:1:\d+ /);
  });
});
