// The district (boundaries, grid cells, places, categories, units) from /api/v1/geo/district, and names by code.
import { api } from './api.js';
import { isZh, setTimeZone } from './i18n.js';

let data = null;
let loading = null;
let config = { map: {} };
const byCode = { townships: new Map(), grids: new Map(), places: new Map(), categories: new Map(), units: new Map() };

export async function loadDistrict() {
  if (data) return data;
  loading ??= (async () => {
    const [geo, cfg] = await Promise.all([api('/geo/district'), fetch('config.json').then((r) => (r.ok ? r.json() : {})).catch(() => ({}))]);
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

export const district = () => data;
export const mapConfig = () => config.map ?? {};

export function townshipName(code) {
  if (!code) return '—';
  const t = byCode.townships.get(code);
  return t ? (isZh() ? t.nameZh : t.name) : code;
}

/** A case's category (object from CaseView, or a code). */
export function categoryName(category) {
  const code = typeof category === 'string' ? category : category?.code;
  const c = byCode.categories.get(code) ?? (typeof category === 'object' ? category : null);
  if (!c) return code ?? '—';
  return isZh() ? (c.nameZh ?? c.name ?? code) : (c.name ?? code);
}

export function unitName(code) {
  if (!code) return '—';
  const u = byCode.units.get(code);
  return u ? (isZh() ? u.nameZh : u.name) : code;
}

export function placeName(id) {
  return id ? (byCode.places.get(id)?.name ?? id) : null;
}

export const grid = (code) => (code ? byCode.grids.get(code) : undefined);
export const categories = () => data?.categories ?? [];
export const townships = () => [...byCode.townships.values()];
export const units = () => data?.units ?? [];

/** Where a case is, in words: township · place or grid. */
export function whereOf(c) {
  const parts = [townshipName(c.townshipCode)];
  const place = placeName(c.placeId);
  if (place) parts.push(place);
  else if (c.gridCode) parts.push(c.gridCode);
  return parts.join(' · ');
}
