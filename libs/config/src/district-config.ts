import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import {
  buildJurisdiction,
  DeadlinePolicy,
  deadlinePolicySchema,
  GridCell,
  JurisdictionIndex,
  parseConfigText,
  parseJurisdictionGeoJson,
  parseRoutingYaml,
  parseRuleSetYaml,
  Place,
  RoutingTable,
  RuleSet,
  Township,
  unknownDeadlineCategories,
  unownedCategories,
  WorkingCalendar,
  workingCalendarSchema,
} from '@app/domain';
import { ConfigError } from './env';
import { DeviceConfig, devicesFileSchema } from './devices.schema';
import type { OfflineThresholds } from '@app/domain/devices/device-health';

/**
 * Everything under CONFIG_DIR (and the shared calendar), validated together so one start reports every
 * bad value as `file:line:col path: message`.
 */
export interface DistrictConfig {
  dir: string;
  devices: DeviceConfig[];
  /** devices.yaml `offlineAfterSeconds`: seconds of silence per device kind before it is offline (device health). */
  deviceOfflineAfterSeconds: OfflineThresholds;
  ruleSet: RuleSet;
  /** The rules file exactly as loaded, and its hash: stored so every version stays readable. */
  ruleSetText: string;
  ruleSetSha256: string;
  routing: RoutingTable;
  jurisdiction: JurisdictionIndex;
  townships: Township[];
  grids: GridCell[];
  places: Place[];
  calendar: WorkingCalendar;
  deadlines: DeadlinePolicy;
  /** Where the working calendar and deadlines were read from, and why that place (`locateCalendar`). */
  calendarDir: string;
  calendarSource: CalendarSource;
  /** Things worth saying at start that are not errors (e.g. a category no unit owns). */
  warnings: string[];
}

function read(path: string, errors: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    errors.push(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return undefined;
  }
}

/** Parses the rules file alone (used by reload and by the replay command). */
export function parseRulesFile(path: string, places: readonly Place[]): { ok: true; ruleSet: RuleSet; text: string } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const text = read(path, errors);
  if (text === undefined) return { ok: false, errors };
  const r = parseRuleSetYaml(text, path, { placeIds: new Set(places.map((p) => p.id)), placeTypes: new Set(places.map((p) => p.type)) });
  return r.ok ? { ok: true, ruleSet: r.ruleSet, text } : r;
}

/** The files of a calendar directory: the working calendar (holidays, make-up days) and the deadline policy. */
export const CALENDAR_FILES = ['cn-2026.yaml', 'deadlines.yaml'] as const;

/**
 * Which calendar a start uses:
 * - `CALENDAR_DIR`: the setting, when given — an operator's explicit choice is never overridden, and never
 *   silently replaced when its files are missing (the start fails instead);
 * - `CONFIG_DIR/calendar`: the district carries its own, so a CONFIG_DIR copied anywhere is complete;
 * - `CONFIG_DIR/../calendar`: the layout before CONFIG_DIR carried one (config/demo beside config/calendar),
 *   kept so an existing deployment keeps the calendar it had;
 * - `shipped`: the installation's `config/calendar` (the 2026 national calendar).
 */
export type CalendarSource = 'CALENDAR_DIR' | 'CONFIG_DIR/calendar' | 'CONFIG_DIR/../calendar' | 'shipped';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The installation's config/calendar: looked for upward from this file (libs/config/src in a checkout, dist/libs/config/src when built). */
function shippedCalendarDir(): string | undefined {
  let at = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = join(at, 'config', 'calendar');
    if (existsSync(join(candidate, CALENDAR_FILES[0]))) return candidate;
    at = dirname(at);
  }
  return undefined;
}

/**
 * The first of CALENDAR_DIR (when set), CONFIG_DIR/calendar, CONFIG_DIR/../calendar, the shipped calendar that
 * exists as a directory; `looked` lists every place considered, for the start error.
 */
export function locateCalendar(configDir: string, calendarDirSetting?: string): { dir: string; source: CalendarSource; looked: string[] } {
  if (calendarDirSetting) {
    const dir = resolve(calendarDirSetting);
    return { dir, source: 'CALENDAR_DIR', looked: [`CALENDAR_DIR=${dir}`] };
  }
  const shipped = shippedCalendarDir();
  const candidates: { dir: string; source: CalendarSource }[] = [
    { dir: resolve(configDir, 'calendar'), source: 'CONFIG_DIR/calendar' },
    { dir: resolve(configDir, '..', 'calendar'), source: 'CONFIG_DIR/../calendar' },
    ...(shipped ? [{ dir: shipped, source: 'shipped' as const }] : []),
  ];
  const looked = ['CALENDAR_DIR (unset)', ...candidates.map((c) => `${c.source}=${c.dir}`)];
  const found = candidates.find((c) => isDirectory(c.dir));
  return { ...(found ?? candidates[0]), looked };
}

/**
 * Loads and validates the district. `calendarDirSetting` is CALENDAR_DIR (unset: the calendar is looked for as
 * `locateCalendar` says). A missing calendar file is named with every place looked.
 */
export function loadDistrictConfig(dir: string, calendarDirSetting?: string): DistrictConfig {
  const errors: string[] = [];
  const located = locateCalendar(dir, calendarDirSetting);
  const calendarDir = located.dir;
  const missingCalendarFiles = CALENDAR_FILES.filter((name) => !existsSync(join(calendarDir, name)));
  for (const name of missingCalendarFiles) {
    errors.push(`${join(calendarDir, name)}: calendar file missing (calendar from ${located.source}; looked in: ${located.looked.join('; ')})`);
  }
  const file = (name: string) => join(dir, name);
  const parsed = <T>(path: string, parse: (text: string) => { ok: true; value: T } | { ok: false; errors: string[] }): T | undefined => {
    const text = read(path, errors);
    if (text === undefined) return undefined;
    const r = parse(text);
    if (!r.ok) errors.push(...r.errors);
    return r.ok ? r.value : undefined;
  };

  const townships = parsed(file('townships.geojson'), (t) => parseJurisdictionGeoJson(t, file('townships.geojson'), 'townships'));
  const grids = parsed(file('grids.geojson'), (t) => parseJurisdictionGeoJson(t, file('grids.geojson'), 'grids'));
  const places = parsed(file('places.geojson'), (t) => parseJurisdictionGeoJson(t, file('places.geojson'), 'places'));
  const devices = parsed(file('devices.yaml'), (t) => parseConfigText(t, file('devices.yaml'), devicesFileSchema));
  const rules = places ? parseRulesFile(file('rules.yaml'), places) : undefined;
  if (rules && !rules.ok) errors.push(...rules.errors);
  const ruleSet = rules?.ok ? rules.ruleSet : undefined;
  const routing = parsed(file('routing.yaml'), (t) => {
    const r = parseRoutingYaml(t, file('routing.yaml'), {
      categories: ruleSet ? new Set(ruleSet.categories.map((c) => c.code)) : undefined,
      placeTypes: places ? new Set(places.map((p) => p.type)) : undefined,
    });
    return r.ok ? { ok: true, value: r.routing } : r;
  });
  const calendarMissing = missingCalendarFiles.length > 0;
  const calendar = calendarMissing ? undefined : parsed(join(calendarDir, 'cn-2026.yaml'), (t) => parseConfigText(t, join(calendarDir, 'cn-2026.yaml'), workingCalendarSchema));
  const deadlines = calendarMissing ? undefined : parsed(join(calendarDir, 'deadlines.yaml'), (t) => parseConfigText(t, join(calendarDir, 'deadlines.yaml'), deadlinePolicySchema));

  let jurisdiction: JurisdictionIndex | undefined;
  if (townships && grids && places) {
    const j = buildJurisdiction({ townships, grids, places });
    if (j.ok) jurisdiction = j.jurisdiction;
    else errors.push(...j.errors);
  }
  if (devices && places) {
    const placeIds = new Set(places.map((p) => p.id));
    const seen = new Set<string>();
    devices.devices.forEach((d, i) => {
      if (seen.has(d.id)) errors.push(`${file('devices.yaml')}: devices[${i}].id: "${d.id}" appears twice`);
      seen.add(d.id);
      for (const [zone, placeId] of Object.entries(d.zones)) {
        if (!placeIds.has(placeId)) errors.push(`${file('devices.yaml')}: devices[${i}].zones.${zone}: unknown place "${placeId}"`);
      }
    });
    // A camera is registered under an NVR, an aircraft under a dock: the source that publishes for it.
    const kinds = new Map(devices.devices.map((d) => [d.id, d.kind]));
    devices.devices.forEach((d, i) => {
      if (d.parentId === undefined) return;
      const parentKind = kinds.get(d.parentId);
      if (parentKind === undefined) errors.push(`${file('devices.yaml')}: devices[${i}].parentId: unknown device "${d.parentId}"`);
      else if (d.parentId === d.id || (parentKind !== 'nvr' && parentKind !== 'dock')) errors.push(`${file('devices.yaml')}: devices[${i}].parentId: "${d.parentId}" is a ${parentKind}: only an nvr or a dock has devices under it`);
    });
  }
  const warnings: string[] = [];
  if (ruleSet && routing) {
    const unowned = unownedCategories(routing, ruleSet.categories.map((c) => c.code));
    if (unowned.length) warnings.push(`no unit owns categories ${unowned.join(', ')}: their cases are held for an operator`);
  }
  if (ruleSet && deadlines) {
    for (const p of unknownDeadlineCategories(deadlines, ruleSet.categories.map((c) => c.code))) warnings.push(`deadlines.yaml: ${p.message}`);
  }

  if (errors.length || !devices || !ruleSet || !rules?.ok || !routing || !jurisdiction || !townships || !grids || !places || !calendar || !deadlines) {
    throw new ConfigError(errors.length ? errors : ['configuration incomplete']);
  }
  return {
    dir,
    devices: devices.devices,
    deviceOfflineAfterSeconds: devices.offlineAfterSeconds,
    ruleSet,
    ruleSetText: rules.text,
    ruleSetSha256: createHash('sha256').update(rules.text).digest('hex'),
    routing,
    jurisdiction,
    townships,
    grids,
    places,
    calendar,
    deadlines,
    calendarDir,
    calendarSource: located.source,
    warnings,
  };
}
