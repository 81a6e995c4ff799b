import { buildJurisdiction, JurisdictionIndex } from './jurisdiction-index';
import type { AreaGeometry, GridCell, Place, Township } from './jurisdiction.schema';

const ring = (w: number, s: number, e: number, n: number): Array<[number, number]> => [
  [w, s],
  [e, s],
  [e, n],
  [w, n],
  [w, s],
];
const square = (w: number, s: number, e: number, n: number): AreaGeometry => ({ type: 'Polygon', coordinates: [ring(w, s, e, n)] });

// A: a square with a hole; B: its neighbour sharing an edge; C: a MultiPolygon with an exclave.
const townships: Township[] = [
  { code: 'A', name: 'A', nameZh: '甲', geometry: { type: 'Polygon', coordinates: [ring(0, 0, 10, 10), ring(4, 4, 6, 6)] } },
  { code: 'B', name: 'B', nameZh: '乙', geometry: square(10, 0, 20, 10) },
  { code: 'C', name: 'C', nameZh: '丙', geometry: { type: 'MultiPolygon', coordinates: [[ring(0, 20, 10, 30)], [ring(30, 30, 32, 32)]] } },
];
const grids: GridCell[] = [
  { code: '100000001001001', townshipCode: 'A', geometry: square(0, 0, 10, 10) },
  // a sloppy grid of B overlapping A's edge: A's own grid wins inside A
  { code: '100000002001001', townshipCode: 'B', officer: { id: 'o', name: 'Officer' }, geometry: square(9, 0, 20, 10) },
  { code: '100000003001001', townshipCode: 'C', geometry: { type: 'MultiPolygon', coordinates: [[ring(0, 20, 10, 30)], [ring(30, 30, 32, 32)]] } },
];
const places: Place[] = [
  { id: 'street', name: 'Street', type: 'no-parking', townshipCode: 'A', geometry: square(1, 1, 3, 2) },
  { id: 'bay', name: 'Bay', type: 'loading-bay', townshipCode: 'A', geometry: square(1.5, 1, 2, 2) },
  { id: 'shop', name: 'Shop', type: 'shopfront', townshipCode: 'A', businessId: 'BIZ', geometry: square(7, 7, 8, 8) },
];
const index = new JurisdictionIndex({ townships, grids, places });
const pt = (lng: number, lat: number) => ({ lng, lat });

describe('JurisdictionIndex.locate', () => {
  it('finds township, grid and places of a point', () => {
    const r = index.locate(pt(1.8, 1.5));
    expect(r.township?.code).toBe('A');
    expect(r.grid?.code).toBe('100000001001001');
    expect(r.places.map((p) => p.id)).toEqual(['bay', 'street']); // most specific first
  });

  it('respects holes', () => {
    expect(index.locate(pt(5, 5)).township).toBeUndefined();
  });

  it('handles MultiPolygon parts (an exclave)', () => {
    const r = index.locate(pt(31, 31));
    expect(r.township?.code).toBe('C');
    expect(r.grid?.code).toBe('100000003001001');
    expect(index.locate(pt(20, 25)).township).toBeUndefined();
  });

  it("breaks ties on a shared border by the lowest code, and prefers the township's own grid", () => {
    const r = index.locate(pt(10, 5));
    expect(r.township?.code).toBe('A');
    expect(r.grid?.code).toBe('100000001001001');
    expect(index.locate(pt(9.5, 5)).grid?.code).toBe('100000001001001');
    expect(index.locate(pt(15, 5))).toMatchObject({ township: { code: 'B' }, grid: { officer: { id: 'o' } } });
  });

  it('remembers points by latitude and longitude both, and answers the same after its memory is full', () => {
    const fresh = new JurisdictionIndex({ townships, grids, places });
    // Same latitude, different longitudes: A's street, B, nothing.
    expect(fresh.locate(pt(1.8, 1.5)).places.map((p) => p.id)).toEqual(['bay', 'street']);
    expect(fresh.locate(pt(15, 1.5)).township?.code).toBe('B');
    expect(fresh.locate(pt(25, 1.5)).township).toBeUndefined();
    expect(fresh.locate(pt(1.8, 1.5))).toBe(fresh.locate(pt(1.8, 1.5)));
    // More distinct points than it keeps (20,000), then the first ones again.
    for (let i = 0; i < 20_050; i++) fresh.locate(pt(11 + (i % 200) * 0.01, 1 + Math.floor(i / 200) * 0.01));
    expect(fresh.locate(pt(1.8, 1.5)).places.map((p) => p.id)).toEqual(['bay', 'street']);
    expect(fresh.locate(pt(15, 1.5)).township?.code).toBe('B');
  });

  it('returns nothing outside everything', () => {
    expect(index.locate(pt(-50, -50))).toEqual({ places: [] });
  });

  it('looks up by code and ranks place ids like locate', () => {
    expect(index.township('B')?.name).toBe('B');
    expect(index.grid('100000002001001')?.townshipCode).toBe('B');
    expect(index.place('bay')?.type).toBe('loading-bay');
    expect(index.rankPlaces(['street', 'nope', 'bay', 'street']).map((p) => p.id)).toEqual(['bay', 'street']);
    expect(index.placesOfBusiness('BIZ').map((p) => p.id)).toEqual(['shop']);
  });

  it('adds the places whose geometry encloses a place (a zone mapped to the bay is in the street too), ranked like locate', () => {
    expect(index.placesAround(['bay']).map((p) => p.id)).toEqual(['bay', 'street']);
    expect(index.placesAround(['street']).map((p) => p.id)).toEqual(['street']);
    expect(index.placesAround(['shop', 'nope']).map((p) => p.id)).toEqual(['shop']);
    // The same set a point in the bay gets by geometry.
    expect(index.placesAround(['bay']).map((p) => p.id)).toEqual(index.locate(pt(1.8, 1.5)).places.map((p) => p.id));
  });

  it('does not count a place that only overlaps another as enclosed by it', () => {
    const overlapping = new JurisdictionIndex({
      townships,
      grids,
      places: [
        { id: 'left', name: 'L', type: 'no-parking', townshipCode: 'A', geometry: square(1, 1, 3, 3) },
        { id: 'across', name: 'X', type: 'loading-bay', townshipCode: 'A', geometry: square(2, 2, 4, 2.5) },
      ],
    });
    expect(overlapping.placesAround(['across']).map((p) => p.id)).toEqual(['across']);
  });

  it('works with empty layers', () => {
    expect(new JurisdictionIndex({ townships: [], grids: [], places: [] }).locate(pt(1, 1))).toEqual({ places: [] });
  });
});

describe('buildJurisdiction', () => {
  it('checks cross references between the files', () => {
    const r = buildJurisdiction({
      townships,
      grids: [...grids, { code: '100000009001001', townshipCode: 'Z', geometry: square(0, 0, 1, 1) }],
      places: [
        ...places,
        { id: 'lost', name: 'Lost', type: 'x', townshipCode: 'Z', geometry: square(0, 0, 1, 1) },
        { id: 'crossed', name: 'Crossed', type: 'x', townshipCode: 'A', gridCode: '100000002001001', geometry: square(0, 0, 1, 1) },
      ],
    });
    expect(r.ok ? [] : r.errors).toEqual([
      'grid "100000009001001": unknown township "Z"',
      'place "lost": unknown township "Z"',
      'place "crossed": grid "100000002001001" belongs to township "B", not "A"',
    ]);
    expect(buildJurisdiction({ townships, grids, places }).ok).toBe(true);
  });
});
