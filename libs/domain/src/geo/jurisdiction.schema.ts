import { z } from 'zod';

/**
 * GeoJSON FeatureCollections under config/<district>/: township boundaries, grid cells (网格) and places
 * (no-parking streets, night markets, loading bays, ...). Positions are [lng, lat] (WGS 84, RFC 7946).
 * Properties are strict so a misspelt key is an error, not a silently missing officer.
 */

const position = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]).rest(z.number());
const ring = z
  .array(position)
  .min(4)
  .refine((r) => r[0][0] === r[r.length - 1][0] && r[0][1] === r[r.length - 1][1], { message: 'a ring must end where it starts' });

export const polygonSchema = z.object({ type: z.literal('Polygon'), coordinates: z.array(ring).min(1) });
export const multiPolygonSchema = z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(ring).min(1)).min(1) });
export const areaGeometrySchema = z.discriminatedUnion('type', [polygonSchema, multiPolygonSchema]);
export type AreaGeometry = z.infer<typeof areaGeometrySchema>;

const kebab = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'lower-case letters, digits and dashes');
const adminCode = z.string().regex(/^[0-9A-Za-z-]{1,32}$/, 'letters, digits or dashes');

export const townshipPropertiesSchema = z
  .object({
    code: adminCode,
    name: z.string().min(1),
    nameZh: z.string().min(1),
    synthetic: z.boolean().optional(),
  })
  .strict();

export const gridOfficerSchema = z.object({ id: z.string().min(1), name: z.string().min(1) }).strict();

export const gridPropertiesSchema = z
  .object({
    /** District admin code (6) + township (3) + community (3) + sequence (3); other cities vary in length. */
    code: z.string().regex(/^\d{6,24}$/, '6 to 24 digits (e.g. 15: district 6 + township 3 + community 3 + sequence 3)'),
    townshipCode: adminCode,
    name: z.string().min(1).optional(),
    officer: gridOfficerSchema.optional(),
    synthetic: z.boolean().optional(),
  })
  .strict();

export const placePropertiesSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash or underscore'),
    name: z.string().min(1),
    /** no-parking | night-market | loading-bay | fire-lane | construction-site | shopfront | ... */
    type: kebab,
    township: adminCode,
    grid: z
      .string()
      .regex(/^\d{6,24}$/)
      .optional(),
    /** The business occupying the place (shopfronts), for the do-not-disturb list. */
    businessId: z.string().min(1).optional(),
    synthetic: z.boolean().optional(),
  })
  .strict();

const featureOf = <P extends z.ZodType>(properties: P) =>
  z.object({
    type: z.literal('Feature'),
    id: z.union([z.string(), z.number()]).optional(),
    properties,
    geometry: areaGeometrySchema,
  });

/** Foreign members (`name`, `synthetic`, `description`) are allowed at the top, as RFC 7946 permits. */
const collectionOf = <P extends z.ZodType>(properties: P) =>
  z.object({
    type: z.literal('FeatureCollection'),
    name: z.string().optional(),
    synthetic: z.boolean().optional(),
    description: z.string().optional(),
    features: z.array(featureOf(properties)),
  });

export const townshipCollectionSchema = collectionOf(townshipPropertiesSchema);
export const gridCollectionSchema = collectionOf(gridPropertiesSchema);
export const placeCollectionSchema = collectionOf(placePropertiesSchema);

export interface Township {
  code: string;
  name: string;
  nameZh: string;
  geometry: AreaGeometry;
}

export type GridOfficer = z.infer<typeof gridOfficerSchema>;

export interface GridCell {
  code: string;
  townshipCode: string;
  name?: string;
  officer?: GridOfficer;
  geometry: AreaGeometry;
}

export interface Place {
  id: string;
  name: string;
  type: string;
  townshipCode: string;
  gridCode?: string;
  businessId?: string;
  geometry: AreaGeometry;
}
