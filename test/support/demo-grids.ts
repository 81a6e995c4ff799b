import { join } from 'node:path';
import { loadDistrictConfig } from '@app/config';
import type { GeoPoint, GridCell } from '@app/domain';
import { ROOT } from './services';

/** The demo district (config/demo), as the test app loads it. */
export const demoDistrict = () => loadDistrictConfig(join(ROOT, 'config/demo'));

/** The middle of a grid cell's bounding ring (the demo's cells are rectangles). */
export function gridCentre(g: GridCell): GeoPoint {
  const ring = (g.geometry.type === 'Polygon' ? g.geometry.coordinates[0] : g.geometry.coordinates[0][0]) as number[][];
  return { lng: (ring[0][0] + ring[2][0]) / 2, lat: (ring[0][1] + ring[2][1]) / 2 };
}

/** Grid cells whose centre is in no named place: minor issues there are identified by the grid. */
export function plainGrids(district: ReturnType<typeof demoDistrict>): GridCell[] {
  return district.grids.filter((g) => {
    const where = district.jurisdiction.locate(gridCentre(g));
    return where.grid?.code === g.code && where.places.length === 0;
  });
}
