import type { JurisdictionLocation } from '../geo/jurisdiction-index';
import type { GridCell, Place, Township } from '../geo/jurisdiction.schema';
import { placePhoto } from './photo-placement';

const township = { code: 'T01', name: 'Riverside', nameZh: '河畔街道' } as unknown as Township;
const grid = { code: '440106001001001', townshipCode: 'T01' } as unknown as GridCell;
const place = { id: 'market-1' } as unknown as Place;
const at = (location: JurisdictionLocation) => ({ locate: () => location });

describe('placePhoto', () => {
  it('gives township, grid and places for a positioned photo', () => {
    expect(placePhoto({ position: { lat: 23.1, lng: 113.3 } }, at({ township, grid, places: [place] }))).toEqual({
      townshipCode: 'T01',
      gridCode: '440106001001001',
      placeIds: ['market-1'],
      flags: [],
    });
  });

  it('flags a photo without position instead of dropping it', () => {
    const locate = jest.fn();
    expect(placePhoto({}, { locate })).toEqual({ placeIds: [], flags: ['no-position'] });
    expect(locate).not.toHaveBeenCalled();
  });

  it('flags a position outside every township, or in a township but no grid cell', () => {
    expect(placePhoto({ position: { lat: 1, lng: 1 } }, at({ places: [] })).flags).toEqual(['outside-jurisdiction']);
    expect(placePhoto({ position: { lat: 1, lng: 1 } }, at({ township, places: [] }))).toEqual({ townshipCode: 'T01', placeIds: [], flags: ['no-grid'] });
  });
});
