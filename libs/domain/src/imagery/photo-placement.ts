import type { Jurisdiction } from '../geo/jurisdiction-index';
import type { PhotoMetadata } from './photo-metadata';

/**
 * Where a photo belongs: township and grid cell from its position (DOMAIN.md §4). A photo that cannot be
 * placed is still stored; its flags say why, so an operator can place it by hand.
 */

export const PHOTO_PLACEMENT_FLAGS = [
  'no-position', // no usable position in the photo
  'outside-jurisdiction', // the position is in no configured township
  'no-grid', // in a township, but in no grid cell of it
] as const;
export type PhotoPlacementFlag = (typeof PHOTO_PLACEMENT_FLAGS)[number];

export interface PhotoPlacement {
  townshipCode?: string;
  gridCode?: string;
  /** Configured places containing the position, most specific first. */
  placeIds: string[];
  flags: PhotoPlacementFlag[];
}

export function placePhoto(metadata: Pick<PhotoMetadata, 'position'>, jurisdiction: Pick<Jurisdiction, 'locate'>): PhotoPlacement {
  if (!metadata.position) return { placeIds: [], flags: ['no-position'] };
  const located = jurisdiction.locate(metadata.position);
  const placement: PhotoPlacement = { placeIds: located.places.map((p) => p.id), flags: [] };
  if (located.township) placement.townshipCode = located.township.code;
  else placement.flags.push('outside-jurisdiction');
  if (located.grid) placement.gridCode = located.grid.code;
  else if (located.township) placement.flags.push('no-grid');
  return placement;
}
