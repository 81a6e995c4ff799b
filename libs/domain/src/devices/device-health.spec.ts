import { DEFAULT_OFFLINE_THRESHOLDS, deviceHealthState, isSilent, latestSightings, offlineAfterSeconds, thinTrack } from './device-health';

const t = (iso: string) => new Date(`2026-12-01T${iso}Z`);

describe('device health', () => {
  it('takes the device’s own threshold, else its kind’s, and leaves unnamed kinds unwatched', () => {
    const kinds = { camera: 600, dock: 900 };
    expect(offlineAfterSeconds('camera', undefined, kinds)).toBe(600);
    expect(offlineAfterSeconds('camera', 120, kinds)).toBe(120);
    expect(offlineAfterSeconds('drone', undefined, kinds)).toBeUndefined();
    expect(offlineAfterSeconds('drone', 3600, kinds)).toBe(3600);
    // An aircraft is off between flights and a feed is quiet for days: not watched by default.
    expect(DEFAULT_OFFLINE_THRESHOLDS.drone).toBeUndefined();
    expect(DEFAULT_OFFLINE_THRESHOLDS.feed).toBeUndefined();
    expect(DEFAULT_OFFLINE_THRESHOLDS.camera).toBe(600);
  });

  it('counts a device silent only past its threshold', () => {
    expect(isSilent(t('10:00:00'), 600, t('10:10:00'))).toBe(false);
    expect(isSilent(t('10:00:00'), 600, t('10:10:00.001'))).toBe(true);
    expect(isSilent(t('10:00:00'), 600, t('09:59:00'))).toBe(false);
  });

  it('is offline from the watcher’s decision until heard again', () => {
    expect(deviceHealthState(null, null)).toBe('never-seen');
    expect(deviceHealthState(t('10:00:00'), null)).toBe('online');
    // offline_since is the last arrival before the silence.
    expect(deviceHealthState(t('10:00:00'), t('10:00:00'))).toBe('offline');
    expect(deviceHealthState(t('10:30:00'), t('10:00:00'))).toBe('online');
  });

  it('folds a batch to one latest arrival per device, in id order', () => {
    expect(
      latestSightings([
        { deviceId: 'CAM-2', at: t('10:00:01') },
        { deviceId: 'CAM-1', at: t('10:00:05') },
        { deviceId: 'CAM-2', at: t('10:00:09') },
        { deviceId: 'CAM-1', at: t('10:00:02') },
      ]),
    ).toEqual([
      { deviceId: 'CAM-1', at: t('10:00:05') },
      { deviceId: 'CAM-2', at: t('10:00:09') },
    ]);
    expect(latestSightings([])).toEqual([]);
  });

  it('thins a track to one point per device per second, the first of each second', () => {
    const p = (deviceId: string, iso: string, lat: number) => ({ deviceId, at: t(iso), lat, lng: 113.3 });
    const thinned = thinTrack([
      p('DRONE-1', '10:00:00.100', 23.1),
      p('DRONE-1', '10:00:00.600', 23.2),
      p('DRONE-1', '10:00:01.000', 23.3),
      p('DOCK-1', '10:00:00.900', 23.0),
      p('DRONE-1', '10:00:00.950', 23.4),
    ]);
    expect(thinned.map((x) => [x.deviceId, x.at.toISOString(), x.lat])).toEqual([
      ['DOCK-1', '2026-12-01T10:00:00.000Z', 23.0],
      ['DRONE-1', '2026-12-01T10:00:00.000Z', 23.1],
      ['DRONE-1', '2026-12-01T10:00:01.000Z', 23.3],
    ]);
  });
});
