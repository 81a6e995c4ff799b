import { parseRoutingYaml, routeIssue, routingTableSchema, unownedCategories } from './routing-table';

const routing = routingTableSchema.parse({
  version: 2,
  units: [
    { code: 'township-team', name: 'Township team', perTownship: true },
    { code: 'fire-brigade', name: 'Fire brigade' },
    { code: 'housing-construction', name: 'Housing' },
    { code: 'catch-all', name: 'Catch all' },
  ],
  responsibilities: [
    { category: 'illegal-construction', placeType: 'construction-site', unit: 'housing-construction' },
    { category: 'illegal-construction', placeType: '*', unit: 'township-team' },
    { category: 'motor-parking', placeType: 'fire-lane', unit: 'fire-brigade' },
    { category: 'motor-parking', placeType: '*', unit: 'township-team' },
    { category: '*', placeType: 'market', unit: 'catch-all' },
  ],
});

describe('routeIssue', () => {
  it('routes to the township team of the township', () => {
    expect(routeIssue(routing, 'motor-parking', { townshipCode: '449901001', placeTypes: ['no-parking'] })).toEqual({
      held: false,
      unit: 'township-team:449901001',
      unitName: 'Township team',
      reason: 'motor-parking × * → township-team (routing v2)',
    });
  });

  it('prefers the exact place type, in the order given', () => {
    expect(routeIssue(routing, 'illegal-construction', { townshipCode: 'T', placeTypes: ['construction-site'] })).toMatchObject({
      unit: 'housing-construction',
    });
    expect(routeIssue(routing, 'motor-parking', { townshipCode: 'T', placeTypes: ['no-parking', 'fire-lane'] })).toMatchObject({ unit: 'fire-brigade' });
  });

  it('falls back to a * category entry for the place type', () => {
    expect(routeIssue(routing, 'street-occupation', { townshipCode: 'T', placeTypes: ['market'] })).toMatchObject({ unit: 'catch-all' });
  });

  it('holds what is outside every township, what has no position at all, and what nobody owns', () => {
    expect(routeIssue(routing, 'motor-parking', { placeTypes: [] })).toMatchObject({ held: true, reason: 'outside-every-township' });
    expect(routeIssue(routing, 'motor-parking', { placeTypes: [], noPosition: true })).toMatchObject({
      held: true,
      reason: 'no-position',
      detail: expect.stringContaining('place it by hand'),
    });
    // asked again without the flag: not the remembered no-position decision
    expect(routeIssue(routing, 'motor-parking', { placeTypes: [] })).toMatchObject({ reason: 'outside-every-township' });
    expect(routeIssue(routing, 'street-occupation', { townshipCode: 'T', placeTypes: [] })).toMatchObject({ held: true, reason: 'no-unit-owns-category' });
  });

  it('lists categories no entry covers', () => {
    const noStar = { ...routing, responsibilities: routing.responsibilities.filter((r) => r.category !== '*') };
    expect(unownedCategories(noStar, ['motor-parking', 'fire-smoke'])).toEqual(['fire-smoke']);
    expect(unownedCategories(routing, ['fire-smoke'])).toEqual([]);
  });
});

describe('parseRoutingYaml', () => {
  const text = `version: 1
units:
  - { code: township-team, name: Team, perTownship: true }
responsibilities:
  - { category: motor-parking, placeType: '*', unit: township-team }
  - { category: fire-smoke, placeType: '*', unit: fire-brigade }
  - { category: motor-parking, placeType: '*', unit: township-team }
  - { category: ghosts, placeType: attic, unit: township-team }
`;

  it('reports unknown units, duplicates and unknown references with positions', () => {
    const r = parseRoutingYaml(text, 'config/demo/routing.yaml', { categories: new Set(['motor-parking', 'fire-smoke']), placeTypes: new Set(['no-parking']) });
    expect(r.ok ? [] : r.errors).toEqual(['config/demo/routing.yaml:6:51 responsibilities[1].unit: unknown unit "fire-brigade"']);
    const fixed = parseRoutingYaml(text.replace('unit: fire-brigade', 'unit: township-team'), 'config/demo/routing.yaml', {
      categories: new Set(['motor-parking', 'fire-smoke']),
      placeTypes: new Set(['no-parking']),
    });
    expect(fixed.ok ? [] : fixed.errors).toEqual([
      'config/demo/routing.yaml:7:5 responsibilities[2]: duplicate responsibility "motor-parking × *" (first at index 0)',
      'config/demo/routing.yaml:8:17 responsibilities[3].category: unknown category "ghosts"',
      'config/demo/routing.yaml:8:36 responsibilities[3].placeType: no place has type "attic"',
    ]);
  });
});
