import { z } from 'zod';
import { ConfigProblem, duplicateProblems, ParseOutcome, parseConfigText } from '../classification/config-source.parser';
import { gridCollectionSchema, GridCell, Place, placeCollectionSchema, Township, townshipCollectionSchema } from './jurisdiction.schema';

export interface JurisdictionFeatureKinds {
  townships: Township;
  grids: GridCell;
  places: Place;
}
export type JurisdictionFileKind = keyof JurisdictionFeatureKinds;

const idPath = (key: string) => (i: number) => ['features', i, 'properties', key];

function parseWith<C extends { features: Array<{ properties: object }> }, T>(
  text: string,
  fileName: string,
  schema: z.ZodType<C>,
  idKey: string,
  idOf: (properties: C['features'][number]['properties']) => string,
  map: (feature: C['features'][number]) => T,
): ParseOutcome<T[]> {
  const check = (c: C): ConfigProblem[] => duplicateProblems(c.features, (f) => idOf(f.properties), idPath(idKey), idKey);
  const parsed = parseConfigText(text, fileName, schema, check);
  return parsed.ok ? { ok: true, value: parsed.value.features.map(map) } : parsed;
}

/**
 * Parses one GeoJSON file of the jurisdiction (townships, grid cells or places) with line-precise errors,
 * e.g. `config/demo/grids.geojson:118:21 features[7].properties.code: 6 to 24 digits ...`.
 * Cross-file checks (a grid's township exists) happen in `buildJurisdiction`.
 */
export function parseJurisdictionGeoJson<K extends JurisdictionFileKind>(
  text: string,
  fileName: string,
  kind: K,
): ParseOutcome<Array<JurisdictionFeatureKinds[K]>>;
export function parseJurisdictionGeoJson(text: string, fileName: string, kind: JurisdictionFileKind): ParseOutcome<Array<Township | GridCell | Place>> {
  switch (kind) {
    case 'townships':
      return parseWith(
        text,
        fileName,
        townshipCollectionSchema,
        'code',
        (p) => p.code,
        (f): Township => ({
          code: f.properties.code,
          name: f.properties.name,
          nameZh: f.properties.nameZh,
          geometry: f.geometry,
        }),
      );
    case 'grids':
      return parseWith(
        text,
        fileName,
        gridCollectionSchema,
        'code',
        (p) => p.code,
        (f): GridCell => ({
          code: f.properties.code,
          townshipCode: f.properties.townshipCode,
          ...(f.properties.name !== undefined && { name: f.properties.name }),
          ...(f.properties.officer !== undefined && { officer: f.properties.officer }),
          geometry: f.geometry,
        }),
      );
    case 'places':
      return parseWith(
        text,
        fileName,
        placeCollectionSchema,
        'id',
        (p) => p.id,
        (f): Place => ({
          id: f.properties.id,
          name: f.properties.name,
          type: f.properties.type,
          townshipCode: f.properties.township,
          ...(f.properties.grid !== undefined && { gridCode: f.properties.grid }),
          ...(f.properties.businessId !== undefined && { businessId: f.properties.businessId }),
          geometry: f.geometry,
        }),
      );
  }
}
