import { parseRuleSetYaml } from './rule-set.parser';

const FILE = 'config/demo/rules.yaml';

const valid = `version: 3
categories:
  - { code: motor-parking, name: Parking, nameZh: 乱停, family: 街面秩序, severity: medium }
  - { code: street-occupation, name: Vending, nameZh: 占道, family: 街面秩序, severity: medium }
rules:
  - id: parking
    category: motor-parking
    labels: [car]
    minConfidence: 0.6
    placeTypes: [no-parking]
    dwell: { minutes: 10 }
    exemptions:
      - { placeTypes: [loading-bay], graceMinutes: 30, reason: loading }
  - id: vending
    category: street-occupation
    labels: [vendor]
    minConfidence: 0.6
    timeWindows:
      allowed: [{ from: '18:00', to: '22:00', placeTypes: [night-market] }]
`;

describe('parseRuleSetYaml', () => {
  it('parses a valid file and applies defaults', () => {
    const r = parseRuleSetYaml(valid, FILE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.ruleSet.timezone).toBe('+08:00');
    expect(r.ruleSet.tracking).toEqual({ lateToleranceSeconds: 120, maxGapSeconds: 300, stationaryIou: 0.8 });
    expect(r.ruleSet.rules[0].dwell).toEqual({ minutes: 10, requireStationary: true });
    expect(r.ruleSet.silences).toEqual([]);
    expect(r.ruleSet.doNotDisturb).toEqual({ windowDays: 365, maxSeverity: 'medium', entries: [] });
    expect(r.ruleSet.categories[0].identityIncludesPlate).toBe(false);
  });

  it('names file, line, column and path of a bad value', () => {
    const r = parseRuleSetYaml(valid.replace('minConfidence: 0.6\n    placeTypes', 'minConfidence: 1.5\n    placeTypes'), FILE);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual(['config/demo/rules.yaml:9:20 rules[0].minConfidence: expected number ≤ 1']);
  });

  it('points at an unknown key itself (a typo), one line per key', () => {
    const r = parseRuleSetYaml(valid.replace('    dwell: { minutes: 10 }', '    dwel: { minutes: 10 }'), FILE);
    expect(r.ok ? [] : r.errors).toEqual(['config/demo/rules.yaml:11:5 rules[0].dwel: unknown key']);
  });

  it('reports a missing key at the map that lacks it', () => {
    const r = parseRuleSetYaml(valid.replace('    labels: [vendor]\n', ''), FILE);
    expect(r.ok ? [] : r.errors).toEqual(['config/demo/rules.yaml:14:5 rules[1].labels: required array is missing']);
  });

  it('reports references: unknown category, duplicate rule id, bad window', () => {
    const text = valid
      .replace('category: street-occupation', 'category: vending')
      .replace('- id: vending', '- id: parking')
      .replace("to: '22:00'", "to: '18:00'");
    const r = parseRuleSetYaml(text, FILE);
    expect(r.ok ? [] : r.errors).toEqual([
      'config/demo/rules.yaml:14:9 rules[1].id: duplicate rule id "parking"',
      'config/demo/rules.yaml:15:15 rules[1].category: unknown category "vending"',
      'config/demo/rules.yaml:19:38 rules[1].timeWindows.allowed[0].to: an empty window: from equals to',
    ]);
  });

  it('reports an enum value with the allowed ones', () => {
    const r = parseRuleSetYaml(valid.replace('severity: medium }\n  - { code: street', 'severity: huge }\n  - { code: street'), FILE);
    expect(r.ok ? [] : r.errors).toEqual([
      'config/demo/rules.yaml:3:79 categories[0].severity: expected one of "low" | "medium" | "high" | "critical", got "huge"',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const r = parseRuleSetYaml('version: 1\ncategories: [\n', FILE);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]).toMatch(/^config\/demo\/rules\.yaml:\d+:\d+ /);
  });

  it('reports a duplicate key', () => {
    const r = parseRuleSetYaml(`version: 1\nversion: 2\n${valid.split('\n').slice(1).join('\n')}`, FILE);
    expect(r.ok ? [] : r.errors).toEqual([expect.stringMatching(/^config\/demo\/rules\.yaml:2:1 .*[Uu]nique/)]);
  });

  it('checks place references against places.geojson when given', () => {
    const text = valid.replace('placeTypes: [no-parking]', 'places: [no-such-place]');
    const r = parseRuleSetYaml(text, FILE, { placeIds: new Set(['a']), placeTypes: new Set(['no-parking', 'loading-bay']) });
    expect(r.ok ? [] : r.errors).toEqual([
      'config/demo/rules.yaml:10:14 rules[0].places[0]: unknown place "no-such-place"',
      'config/demo/rules.yaml:19:60 rules[1].timeWindows.allowed[0].placeTypes[0]: no place has type "night-market"',
    ]);
  });

  it('validates silences, do-not-disturb and inhibitions', () => {
    const text = `${valid}silences:
  - { id: s1, from: '2026-12-01T00:00:00+08:00', to: '2026-11-01T00:00:00+08:00', reason: works, places: [x] }
  - { id: s2, from: '2026-11-01', to: '2026-12-01T00:00:00+08:00', reason: works }
doNotDisturb:
  entries:
    - { name: both, businessId: B, placeId: p }
inhibitions:
  - { id: i1, sourceCategories: [fire-smoke], targetCategories: [motor-parking], scope: grid, minutes: 60 }
`;
    const r = parseRuleSetYaml(text, FILE);
    expect(r.ok ? [] : r.errors).toEqual([
      'config/demo/rules.yaml:21:54 silences[0].to: must be after from',
      'config/demo/rules.yaml:22:5 silences[1]: a silence needs a scope: places, placeTypes, gridCodes, townshipCodes or deviceIds',
      'config/demo/rules.yaml:22:21 silences[1].from: an ISO 8601 time with offset, e.g. 2026-11-01T00:00:00+08:00',
      'config/demo/rules.yaml:25:7 doNotDisturb.entries[0]: give exactly one of businessId or placeId',
      'config/demo/rules.yaml:27:34 inhibitions[0].sourceCategories[0]: unknown category "fire-smoke"',
    ]);
  });
});
