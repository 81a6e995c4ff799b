import { ConfigPath, ConfigProblem, ParseOutcome, parseConfigText } from './config-source.parser';
import { RuleSet, ruleSetSchema } from './rule-set';

/** What the rules file may refer to in other files (places.geojson); unknown names are errors when given. */
export interface RuleSetReferences {
  placeIds?: ReadonlySet<string>;
  placeTypes?: ReadonlySet<string>;
}

function referenceProblems(set: RuleSet, refs: RuleSetReferences): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const checkPlaces = (ids: readonly string[] | undefined, path: ConfigPath): void => {
    if (!refs.placeIds) return;
    ids?.forEach((id, i) => {
      if (!refs.placeIds?.has(id)) problems.push({ path: [...path, i], message: `unknown place "${id}"` });
    });
  };
  const checkTypes = (types: readonly string[] | undefined, path: ConfigPath): void => {
    if (!refs.placeTypes) return;
    types?.forEach((t, i) => {
      if (!refs.placeTypes?.has(t)) problems.push({ path: [...path, i], message: `no place has type "${t}"` });
    });
  };
  set.rules.forEach((r, i) => {
    checkPlaces(r.places, ['rules', i, 'places']);
    checkTypes(r.placeTypes, ['rules', i, 'placeTypes']);
    r.exemptions?.forEach((e, j) => {
      checkPlaces(e.places, ['rules', i, 'exemptions', j, 'places']);
      checkTypes(e.placeTypes, ['rules', i, 'exemptions', j, 'placeTypes']);
    });
    for (const kind of ['active', 'allowed'] as const) {
      r.timeWindows?.[kind]?.forEach((w, j) => {
        checkPlaces(w.places, ['rules', i, 'timeWindows', kind, j, 'places']);
        checkTypes(w.placeTypes, ['rules', i, 'timeWindows', kind, j, 'placeTypes']);
      });
    }
  });
  set.silences.forEach((s, i) => {
    checkPlaces(s.places, ['silences', i, 'places']);
    checkTypes(s.placeTypes, ['silences', i, 'placeTypes']);
  });
  set.doNotDisturb.entries.forEach((e, i) => {
    if (e.placeId !== undefined && refs.placeIds && !refs.placeIds.has(e.placeId)) {
      problems.push({ path: ['doNotDisturb', 'entries', i, 'placeId'], message: `unknown place "${e.placeId}"` });
    }
  });
  return problems;
}

/**
 * Parses and validates a rules file. Errors read `config/demo/rules.yaml:42:7 rules[3].minConfidence: expected number ≤ 1`.
 * Pass `refs` (ids and types from places.geojson) to also catch references to places that do not exist.
 */
export function parseRuleSetYaml(text: string, fileName: string, refs?: RuleSetReferences): { ok: true; ruleSet: RuleSet } | { ok: false; errors: string[] } {
  const result: ParseOutcome<RuleSet> = parseConfigText(text, fileName, ruleSetSchema, refs ? (set) => referenceProblems(set, refs) : undefined);
  return result.ok ? { ok: true, ruleSet: result.value } : result;
}
