// The district (boundaries, grid cells, places, categories, units) from /api/v1/geo/district, and names by code.
import { api } from './api.js';
import { isZh, setTimeZone, t } from './i18n.js';

/** @typedef {{ type: 'Polygon', coordinates: number[][][] } | { type: 'MultiPolygon', coordinates: number[][][][] }} Geometry */
/**
 * @template P
 * @typedef {{ type: 'FeatureCollection', features: { type: 'Feature', properties: P, geometry: Geometry }[] }} Collection
 */
/** @typedef {{ code: string, name: string, nameZh: string }} Township */
/** @typedef {{ code: string, name?: string }} Grid */
/** @typedef {{ id: string, name: string, type: string }} Place */
/** @typedef {{ code: string, name?: string, nameZh?: string }} Category */
/** @typedef {{ code: string, name: string, nameZh: string, townshipCode?: string | null }} Unit */
/**
 * /api/v1/geo/district.
 * @typedef {{ townships: Collection<Township>, grids: Collection<Grid>, places: Collection<Place>, categories: Category[], units: Unit[], timezone: string }} District
 */
/** web/config.json's map settings (a tile server of the city's own, if any). */
/** @typedef {{ tileUrl?: string | null, tileAttribution?: string | null, tileMaxZoom?: number }} MapConfig */

/** @type {District | null} */
let data = null;
/** @type {Promise<District> | null} */
let loading = null;
/** @type {{ map?: MapConfig }} */
let config = { map: {} };
const byCode = {
  /** @type {Map<string, Township>} */ townships: new Map(),
  /** @type {Map<string, Grid>} */ grids: new Map(),
  /** @type {Map<string, Place>} */ places: new Map(),
  /** @type {Map<string, Category>} */ categories: new Map(),
  /** @type {Map<string, Unit>} */ units: new Map(),
};

/** @returns {Promise<District>} */
export async function loadDistrict() {
  if (data) return data;
  loading ??= (async () => {
    /** @type {[District, { map?: MapConfig }]} */
    const [geo, cfg] = await Promise.all([
      api('/geo/district'),
      fetch('config.json')
        .then((r) => (r.ok ? r.json() : {}))
        .catch(() => ({})),
    ]);
    config = { map: {}, ...cfg };
    for (const f of geo.townships.features) byCode.townships.set(f.properties.code, f.properties);
    for (const f of geo.grids.features) byCode.grids.set(f.properties.code, f.properties);
    for (const f of geo.places.features) byCode.places.set(f.properties.id, f.properties);
    for (const c of geo.categories) byCode.categories.set(c.code, c);
    for (const u of geo.units) byCode.units.set(u.code, u);
    setTimeZone(geo.timezone);
    data = geo;
    return geo;
  })().finally(() => (loading = null));
  return loading;
}

/** The district once loaded (every page but the login's loads it first). */
export const district = () => /** @type {District} */ (data);
/** @returns {MapConfig} */
export const mapConfig = () => config.map ?? {};

/** @param {string | null | undefined} code */
export function townshipName(code) {
  if (!code) return '—';
  const t = byCode.townships.get(code);
  return t ? (isZh() ? t.nameZh : t.name) : code;
}

/**
 * A case's category (object from CaseView, or a code).
 * @param {Category | string | null | undefined} category
 * @returns {string}
 */
export function categoryName(category) {
  const code = typeof category === 'string' ? category : category?.code;
  const c = (code === undefined ? undefined : byCode.categories.get(code)) ?? (typeof category === 'object' ? category : null);
  if (!c) return code ?? '—';
  // A category was found by its code, or given as an object (which has one): there is a code.
  const known = /** @type {string} */ (code);
  return isZh() ? (c.nameZh ?? c.name ?? known) : (c.name ?? known);
}

/** @param {string | null | undefined} code */
export function unitName(code) {
  if (!code) return '—';
  const u = byCode.units.get(code);
  return u ? (isZh() ? u.nameZh : u.name) : code;
}

/** @param {string | null | undefined} id */
export function placeName(id) {
  return id ? (byCode.places.get(id)?.name ?? id) : null;
}

/** @param {string | null | undefined} code */
export const grid = (code) => (code ? byCode.grids.get(code) : undefined);
export const categories = () => data?.categories ?? [];
export const townships = () => [...byCode.townships.values()];
export const units = () => data?.units ?? [];

/**
 * Where a case is, in words: township · place or grid.
 * @param {{ townshipCode?: string | null, placeId?: string | null, gridCode?: string | null }} c
 */
export function whereOf(c) {
  const parts = [townshipName(c.townshipCode)];
  const place = placeName(c.placeId);
  if (place) parts.push(place);
  else if (c.gridCode) parts.push(gridName(c.gridCode));
  return parts.join(' · ');
}

/**
 * A grid as people say it: its name from the district data (in Chinese, 网格 001-001 from the numbered part
 * of it), never the 15-digit code unless the grid is unknown.
 * @param {string} code
 */
export function gridName(code) {
  const g = /** @type {{ name?: string, nameZh?: string } | undefined} */ (byCode.grids.get(code));
  if (!g) return code;
  if (isZh()) {
    if (g.nameZh) return g.nameZh;
    const numbered = g.name?.match(/(\d+(?:-\d+)*)\s*$/)?.[1];
    return numbered ? t('console.gridName', { n: numbered }) : (g.name ?? code);
  }
  return g.name ?? code;
}
