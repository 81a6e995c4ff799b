import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, RUNTIME_OPTIONS, type RuntimeOptions } from '@app/core';
import type { AreaGeometry } from '@app/domain';
import { ApiAccess, ZodResponse } from '../openapi';
import { districtSchema } from '../openapi/loop.schemas';

interface Feature {
  type: 'Feature';
  properties: Record<string, unknown>;
  geometry: AreaGeometry;
}
interface FeatureCollection {
  type: 'FeatureCollection';
  features: Feature[];
}

const collection = (features: Feature[]): FeatureCollection => ({ type: 'FeatureCollection', features });

/** The district as the browser draws it: boundaries, grid cells and places (GeoJSON), categories and units. */
@ApiTags('web')
@ApiAccess()
@Controller('api/v1/geo')
export class GeoController {
  private readonly body: ReturnType<GeoController['build']>;

  constructor(@Inject(RUNTIME_OPTIONS) runtime: RuntimeOptions) {
    this.body = this.build(runtime);
  }

  @Get('district')
  @Header('Cache-Control', 'private, max-age=300')
  @Access('operator', 'supervisor', 'admin', 'township_officer', 'department_liaison', 'pilot')
  @ZodResponse(200, districtSchema, 'townships, grid cells and places (GeoJSON), the timezone, categories and units')
  district() {
    return this.body;
  }

  private build({ district: d }: RuntimeOptions) {
    const townshipNames = new Map(d.townships.map((t) => [t.code, t]));
    return {
      townships: collection(d.townships.map((t) => ({ type: 'Feature', properties: { code: t.code, name: t.name, nameZh: t.nameZh }, geometry: t.geometry }))),
      grids: collection(
        d.grids.map((g) => ({
          type: 'Feature',
          properties: { code: g.code, townshipCode: g.townshipCode, name: g.name ?? null, officer: g.officer ?? null },
          geometry: g.geometry,
        })),
      ),
      places: collection(
        d.places.map((p) => ({
          type: 'Feature',
          properties: { id: p.id, name: p.name, type: p.type, townshipCode: p.townshipCode, gridCode: p.gridCode ?? null },
          geometry: p.geometry,
        })),
      ),
      /** The district's local time (rules' timezone), for showing times as the district lives them. */
      timezone: d.ruleSet.timezone,
      categories: d.ruleSet.categories.map((c) => ({ code: c.code, name: c.name, nameZh: c.nameZh, family: c.family, severity: c.severity })),
      /** Where a case can be dispatched or transferred: departments, and each township's own team. */
      units: d.routing.units.flatMap((u): { code: string; name: string; nameZh: string; townshipCode: string | null }[] =>
        u.perTownship
          ? [...townshipNames.values()].map((t) => ({
              code: `${u.code}:${t.code}`,
              name: `${u.name} (${t.name})`,
              nameZh: `${t.nameZh}${u.nameZh ?? u.name}`,
              townshipCode: t.code,
            }))
          : [{ code: u.code, name: u.name, nameZh: u.nameZh ?? u.name, townshipCode: null }],
      ),
    };
  }
}
