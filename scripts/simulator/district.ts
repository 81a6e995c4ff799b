/**
 * What the simulator needs from a district (config/demo by default): the registered devices it may
 * speak as, and for each grid cell a point inside it that is in no configured place (so a detection
 * there groups by grid, and no silence, exemption or do-not-disturb place swallows it).
 */
import type { DistrictConfig } from '@app/config';
import type { AreaGeometry } from '@app/domain';
import { mulberry32 } from './random';

export interface SimTarget {
  gridCode: string;
  townshipCode: string;
  lat: number;
  lng: number;
}

export interface SimCamera {
  deviceId: string;
  frigateCamera: string;
  /** Frigate zone name → place type it maps to (no-parking, fire-lane, night-market, ...). */
  zones: Record<string, string>;
  /** The NVR (Frigate instance) it is registered under: the account that publishes its events. */
  nvr?: string;
}

export interface SimDistrict {
  /** Devices that publish CloudPatrol's generic JSON (cameras without a Frigate name). */
  genericDevices: string[];
  frigateCameras: SimCamera[];
  /** Hikvision cameras: device id and the `<mac>:ch<channel>` alias the alarm carries. */
  hikvision: { deviceId: string; mac: string; channel: string }[];
  drones: string[];
  /** Aircraft → the dock or gateway it is registered under, which publishes for it. */
  gateways: Record<string, string>;
  targets: SimTarget[];
}

export function simDistrict(config: DistrictConfig, seed = 7): SimDistrict {
  const placeType = new Map(config.places.map((p) => [p.id, p.type]));
  const hikvision: SimDistrict['hikvision'] = [];
  for (const d of config.devices) {
    for (const alias of d.aliases) {
      const m = /^([0-9a-f]{2}(?::[0-9a-f]{2}){5}):ch(\d+)$/i.exec(alias);
      if (m) hikvision.push({ deviceId: d.id, mac: m[1], channel: m[2] });
    }
  }
  const kind = new Map(config.devices.map((d) => [d.id, d.kind]));
  const hikIds = new Set(hikvision.map((h) => h.deviceId));
  return {
    genericDevices: config.devices.filter((d) => d.kind === 'camera' && !d.frigateCamera && !hikIds.has(d.id)).map((d) => d.id),
    frigateCameras: config.devices
      .filter((d) => d.frigateCamera)
      .map((d) => ({
        deviceId: d.id,
        frigateCamera: d.frigateCamera as string,
        zones: Object.fromEntries(Object.entries(d.zones).map(([zone, place]) => [zone, placeType.get(place) ?? 'unknown'])),
        nvr: d.parentId !== undefined && kind.get(d.parentId) === 'nvr' ? d.parentId : undefined,
      })),
    hikvision,
    drones: config.devices.filter((d) => d.kind === 'drone').map((d) => d.id),
    gateways: Object.fromEntries(
      config.devices.filter((d) => d.kind === 'drone' && d.parentId !== undefined && kind.get(d.parentId) === 'dock').map((d) => [d.id, d.parentId as string]),
    ),
    targets: gridTargets(config, seed),
  };
}

/** One point per grid cell, inside the cell and outside every place; cells where none is found are skipped. */
export function gridTargets(config: DistrictConfig, seed = 7): SimTarget[] {
  const rand = mulberry32(seed);
  const out: SimTarget[] = [];
  for (const grid of config.grids) {
    const [minX, minY, maxX, maxY] = bbox(grid.geometry);
    for (let attempt = 0; attempt < 400; attempt++) {
      const lng = minX + (maxX - minX) * (0.05 + 0.9 * rand());
      const lat = minY + (maxY - minY) * (0.05 + 0.9 * rand());
      const where = config.jurisdiction.locate({ lat, lng });
      if (where.grid?.code === grid.code && where.places.length === 0) {
        out.push({ gridCode: grid.code, townshipCode: grid.townshipCode, lat, lng });
        break;
      }
    }
  }
  return out;
}

/**
 * A point of place `placeId` (at fractions `fx`, `fy` of its bounding box) that the district locates in that
 * place and in none of `outside`, with the grid cell it is in. Throws when the place is unknown or the point
 * misses, so a workload built on a changed district fails at once instead of measuring something else.
 */
export function placePoint(config: DistrictConfig, placeId: string, fx = 0.5, fy = 0.5, outside: readonly string[] = []): SimTarget {
  const place = config.places.find((p) => p.id === placeId);
  if (!place) throw new Error(`place "${placeId}" is not in the district`);
  const [minX, minY, maxX, maxY] = bbox(place.geometry);
  // Rounded as genericEvent writes it, so the point checked is the point sent.
  const lng = Math.round((minX + (maxX - minX) * fx) * 1e6) / 1e6;
  const lat = Math.round((minY + (maxY - minY) * fy) * 1e6) / 1e6;
  const where = config.jurisdiction.locate({ lat, lng });
  const ids = where.places.map((p) => p.id);
  if (!where.grid || !ids.includes(placeId) || outside.some((o) => ids.includes(o))) {
    throw new Error(
      `(${lat}, ${lng}) is not a point of place "${placeId}" outside ${outside.join(', ') || 'nothing'} (places there: ${ids.join(', ') || 'none'})`,
    );
  }
  return { gridCode: where.grid.code, townshipCode: where.grid.townshipCode, lat, lng };
}

function bbox(g: AreaGeometry): [number, number, number, number] {
  const polygons = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const poly of polygons)
    for (const ring of poly)
      for (const [x, y] of ring) {
        minX = Math.min(minX, x);
        minY = Math.min(minY, y);
        maxX = Math.max(maxX, x);
        maxY = Math.max(maxY, y);
      }
  return [minX, minY, maxX, maxY];
}
