import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import type { GeoPoint } from '../event/canonical-event';
import { BboxIndex } from './bbox-index';
import type { AreaGeometry, GridCell, Place, Township } from './jurisdiction.schema';

/** Where a point is: its township, the grid cell inside it, and every configured place containing it. */
export interface JurisdictionLocation {
  township?: Township;
  grid?: GridCell;
  /** Most specific first (smallest bounding box), then by id. */
  places: Place[];
}

/** What classification needs from geography; `JurisdictionIndex` implements it, tests may fake it. */
export interface Jurisdiction {
  locate(point: GeoPoint): JurisdictionLocation;
  township(code: string): Township | undefined;
  grid(code: string): GridCell | undefined;
  place(id: string): Place | undefined;
  /** Known places among `ids`, ranked like `locate` ranks them (so camera zones and drone points agree). */
  rankPlaces(ids: readonly string[]): Place[];
  /**
   * Known places among `ids` and every place whose geometry encloses one of them, ranked like `locate`: a camera
   * zone mapped to the loading bay is also in the no-parking street around it, as a point in the bay would be.
   */
  placesAround(ids: readonly string[]): Place[];
  /** Every place a business occupies (do-not-disturb by business). */
  placesOfBusiness(businessId: string): Place[];
}

type Bbox = [number, number, number, number];

function bboxOf(geometry: AreaGeometry): Bbox {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  for (const polygon of polygons) {
    // The outer ring bounds the polygon; holes are inside it.
    for (const [x, y] of polygon[0]) {
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
    }
  }
  return [minX, minY, maxX, maxY];
}

const bboxArea = (b: Bbox): number => (b[2] - b[0]) * (b[3] - b[1]);

/**
 * A packed R-tree over bounding boxes (`BboxIndex`) narrows the candidates; the exact point-in-polygon test
 * (holes and MultiPolygon parts included, boundary counts as inside) decides. Built once per config load.
 */
class PolygonLayer<T extends { geometry: AreaGeometry }> {
  private readonly index = new BboxIndex();
  private readonly boxes: Bbox[];

  constructor(readonly items: readonly T[]) {
    this.boxes = items.map((i) => bboxOf(i.geometry));
    for (const b of this.boxes) this.index.add(b[0], b[1], b[2], b[3]);
    this.index.finish();
  }

  /** Items whose geometry encloses every outer-ring vertex of `geometry` (item `self` excluded). */
  enclosing(geometry: AreaGeometry, self: number): T[] {
    const b = bboxOf(geometry);
    const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
    const vertices = polygons.flatMap((polygon) => polygon[0]);
    return this.index
      .search(b[0], b[1], b[2], b[3])
      .filter((i) => i !== self && this.encloses(this.boxes[i], b) && vertices.every((v) => booleanPointInPolygon([v[0], v[1]], this.items[i].geometry)))
      .map((i) => this.items[i]);
  }

  private encloses(outer: Bbox, inner: Bbox): boolean {
    return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];
  }

  containing(point: GeoPoint): Array<{ item: T; area: number }> {
    return this.index
      .search(point.lng, point.lat, point.lng, point.lat)
      .filter((i) => booleanPointInPolygon([point.lng, point.lat], this.items[i].geometry))
      .map((i) => ({ item: this.items[i], area: bboxArea(this.boxes[i]) }));
  }

  areaOf(i: number): number {
    return bboxArea(this.boxes[i]);
  }
}

const byCode = <T extends { code: string }>(a: { item: T }, b: { item: T }): number => (a.item.code < b.item.code ? -1 : a.item.code > b.item.code ? 1 : 0);
const bySpecificity = (a: { item: Place; area: number }, b: { item: Place; area: number }): number =>
  a.area - b.area || (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0);

/** Points remembered by `locate` (a district's cameras and then some; drones bring new points every time). */
const LOCATE_CACHE_SIZE = 20_000;

export class JurisdictionIndex implements Jurisdiction {
  private readonly townships: PolygonLayer<Township>;
  private readonly grids: PolygonLayer<GridCell>;
  private readonly places: PolygonLayer<Place>;
  private readonly townshipByCode = new Map<string, Township>();
  private readonly gridByCode = new Map<string, GridCell>();
  private readonly placeById = new Map<string, { item: Place; area: number }>();
  /** lat → lng → location: numbers as keys, since formatting two floats into a string key per event cost more than the lookup. */
  private readonly located = new Map<number, Map<number, JurisdictionLocation>>();
  private locatedCount = 0;
  /** Place id → ids of the places whose geometry encloses it (computed once per config load). */
  private readonly enclosingById = new Map<string, string[]>();

  constructor(input: { townships: readonly Township[]; grids: readonly GridCell[]; places: readonly Place[] }) {
    this.townships = new PolygonLayer(input.townships);
    this.grids = new PolygonLayer(input.grids);
    this.places = new PolygonLayer(input.places);
    for (const t of input.townships) this.townshipByCode.set(t.code, t);
    for (const g of input.grids) this.gridByCode.set(g.code, g);
    input.places.forEach((p, i) => this.placeById.set(p.id, { item: p, area: this.places.areaOf(i) }));
    input.places.forEach((p, i) => {
      const around = this.places.enclosing(p.geometry, i).filter((o) => o.id !== p.id);
      if (around.length > 0)
        this.enclosingById.set(
          p.id,
          around.map((o) => o.id),
        );
    });
  }

  /**
   * A point on a shared border lies in both neighbours; the lowest code wins so the answer is stable.
   * A grid cell of the located township is preferred over an overlapping one of another township.
   */
  locate(point: GeoPoint): JurisdictionLocation {
    // Fixed cameras report the same point with every event: the answer for a point never changes (the index
    // is rebuilt on a config reload), so it is remembered, up to a bound.
    let byLng = this.located.get(point.lat);
    const known = byLng?.get(point.lng);
    if (known) return known;
    const found = Object.freeze(this.locateUncached(point));
    if (this.locatedCount >= LOCATE_CACHE_SIZE) {
      this.located.clear();
      this.locatedCount = 0;
      byLng = undefined;
    }
    if (!byLng) this.located.set(point.lat, (byLng = new Map<number, JurisdictionLocation>()));
    byLng.set(point.lng, found);
    this.locatedCount++;
    return found;
  }

  private locateUncached(point: GeoPoint): JurisdictionLocation {
    const township = this.townships.containing(point).sort(byCode)[0]?.item;
    const grids = this.grids.containing(point).sort(byCode);
    const grid = (township && grids.find((g) => g.item.townshipCode === township.code)) ?? grids[0];
    const places = this.places
      .containing(point)
      .sort(bySpecificity)
      .map((p) => p.item);
    return { ...(township && { township }), ...(grid && { grid: grid.item }), places };
  }

  township(code: string): Township | undefined {
    return this.townshipByCode.get(code);
  }

  grid(code: string): GridCell | undefined {
    return this.gridByCode.get(code);
  }

  place(id: string): Place | undefined {
    return this.placeById.get(id)?.item;
  }

  rankPlaces(ids: readonly string[]): Place[] {
    const found = [...new Set(ids)].map((id) => this.placeById.get(id)).filter((p): p is { item: Place; area: number } => p !== undefined);
    return found.sort(bySpecificity).map((p) => p.item);
  }

  placesAround(ids: readonly string[]): Place[] {
    return this.rankPlaces(ids.flatMap((id) => [id, ...(this.enclosingById.get(id) ?? [])]));
  }

  placesOfBusiness(businessId: string): Place[] {
    return [...this.placeById.values()].filter((p) => p.item.businessId === businessId).map((p) => p.item);
  }
}

/** Builds the index after cross-file checks: every grid and place names a known township (and grid of it). */
export function buildJurisdiction(input: {
  townships: readonly Township[];
  grids: readonly GridCell[];
  places: readonly Place[];
}): { ok: true; jurisdiction: JurisdictionIndex } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const townshipCodes = new Set(input.townships.map((t) => t.code));
  const gridTownship = new Map(input.grids.map((g) => [g.code, g.townshipCode]));
  for (const g of input.grids) {
    if (!townshipCodes.has(g.townshipCode)) errors.push(`grid "${g.code}": unknown township "${g.townshipCode}"`);
  }
  for (const p of input.places) {
    if (!townshipCodes.has(p.townshipCode)) errors.push(`place "${p.id}": unknown township "${p.townshipCode}"`);
    if (p.gridCode === undefined) continue;
    const owner = gridTownship.get(p.gridCode);
    if (owner === undefined) errors.push(`place "${p.id}": unknown grid "${p.gridCode}"`);
    else if (owner !== p.townshipCode) errors.push(`place "${p.id}": grid "${p.gridCode}" belongs to township "${owner}", not "${p.townshipCode}"`);
  }
  return errors.length ? { ok: false, errors } : { ok: true, jurisdiction: new JurisdictionIndex(input) };
}
