import { distanceMetres, isRtkFixed, normalizePhotoMetadata } from './photo-metadata';

// Shapes as exifr 7 returns them for a DJI JPEG with { xmp: true, gps: true, mergeOutput: false, reviveValues: false }.
const grouped = (
  over: { dji?: Record<string, unknown>; exif?: Record<string, unknown>; gps?: Record<string, unknown> | null; ifd0?: Record<string, unknown> } = {},
) => ({
  'drone-dji': {
    GpsLatitude: 23.1100123,
    GpsLongtitude: 113.3204561,
    AbsoluteAltitude: 152.3,
    RelativeAltitude: 87.5,
    GimbalRollDegree: 0,
    GimbalYawDegree: -114.2,
    GimbalPitchDegree: -90,
    FlightYawDegree: -113.8,
    RtkFlag: 50,
    ...over.dji,
  },
  ifd0: { Make: 'DJI', Model: 'M3E', Orientation: 'Horizontal (normal)', ...over.ifd0 },
  exif: { DateTimeOriginal: '2026:03:01 10:11:12', CreateDate: '2026:03:01 10:11:12', ExifImageWidth: 4000, ...over.exif },
  ...(over.gps === null
    ? {}
    : {
        gps: {
          GPSLatitudeRef: 'N',
          GPSLatitude: [23, 6, 36.0443],
          GPSLongitudeRef: 'E',
          GPSLongitude: [113, 19, 13.642],
          GPSAltitudeRef: new Uint8Array([0]),
          GPSAltitude: 152.3,
          latitude: 23.110012,
          longitude: 113.320456,
          ...over.gps,
        },
      }),
});

describe('normalizePhotoMetadata', () => {
  it('reads DJI XMP: position (misspelt GpsLongtitude), altitudes, gimbal and flight attitude, RTK, camera', () => {
    const m = normalizePhotoMetadata(grouped());
    expect(m).toEqual({
      source: 'dji-xmp',
      position: { lat: 23.1100123, lng: 113.3204561 },
      absoluteAltitude: 152.3,
      relativeAltitude: 87.5,
      gimbalYaw: -114.2,
      gimbalPitch: -90,
      flightYaw: -113.8,
      rtk: 50,
      takenAt: new Date('2026-03-01T02:11:12.000Z'),
      cameraMake: 'DJI',
      cameraModel: 'M3E',
      warnings: [],
    });
    expect(isRtkFixed(m.rtk)).toBe(true);
  });

  it('parses the signed strings DJI firmware writes ("+23.1100") and the correct GpsLongitude spelling', () => {
    const m = normalizePhotoMetadata(
      grouped({
        dji: {
          GpsLatitude: '+23.1100',
          GpsLongtitude: undefined,
          GpsLongitude: '+113.3200',
          AbsoluteAltitude: '+152.30',
          RelativeAltitude: '-3.10',
          GimbalYawDegree: '+270.0',
          RtkFlag: '16',
        },
      }),
    );
    expect(m.position).toEqual({ lat: 23.11, lng: 113.32 });
    expect(m).toMatchObject({ absoluteAltitude: 152.3, relativeAltitude: -3.1, gimbalYaw: -90, rtk: 16 });
    expect(isRtkFixed(m.rtk)).toBe(false);
  });

  it('falls back to EXIF GPS (with hemisphere references) when the photo has no DJI block', () => {
    const m = normalizePhotoMetadata({
      ifd0: { Make: 'Autel Robotics', Model: 'XL720' },
      exif: { DateTimeOriginal: '2026:03:01 10:11:12' },
      gps: {
        GPSLatitudeRef: 'S',
        GPSLatitude: [23, 6, 36],
        GPSLongitudeRef: 'W',
        GPSLongitude: [113, 19, 12],
        GPSAltitudeRef: new Uint8Array([1]),
        GPSAltitude: 12.5,
      },
    });
    expect(m.source).toBe('exif-gps');
    expect(m.position?.lat).toBeCloseTo(-23.11, 6);
    expect(m.position?.lng).toBeCloseTo(-113.32, 6);
    expect(m.absoluteAltitude).toBe(-12.5);
    expect(m.gimbalYaw).toBeUndefined();
    expect(m.cameraModel).toBe('XL720');
  });

  it("prefers exifr's signed decimal latitude/longitude in the GPS block", () => {
    const m = normalizePhotoMetadata({ gps: { latitude: -33.5, longitude: 151.25, GPSLatitude: [33, 30, 0], GPSLatitudeRef: 'S' } });
    expect(m.position).toEqual({ lat: -33.5, lng: 151.25 });
  });

  it('treats DJI (0, 0) as no fix and falls back to EXIF, with a warning', () => {
    const m = normalizePhotoMetadata(grouped({ dji: { GpsLatitude: '+0.000000', GpsLongtitude: '+0.000000' } }));
    expect(m.source).toBe('exif-gps');
    expect(m.position).toEqual({ lat: 23.110012, lng: 113.320456 });
    expect(m.warnings).toEqual([expect.stringMatching(/^no-fix: DJI XMP/)]);
  });

  it('keeps a photo without any position, flagged "none"', () => {
    const m = normalizePhotoMetadata(grouped({ dji: { GpsLatitude: undefined, GpsLongtitude: undefined }, gps: null }));
    expect(m.source).toBe('none');
    expect(m.position).toBeUndefined();
    expect(m.warnings).toContain('no-position');
    // Everything else is still read.
    expect(m).toMatchObject({ relativeAltitude: 87.5, gimbalPitch: -90, cameraModel: 'M3E' });
  });

  it('refuses out-of-range positions and values, naming them', () => {
    const m = normalizePhotoMetadata(grouped({ dji: { GpsLatitude: 123.4, AbsoluteAltitude: 99999, GimbalPitchDegree: 'abc' }, gps: null }));
    expect(m.source).toBe('none');
    expect(m.absoluteAltitude).toBeUndefined();
    expect(m.gimbalPitch).toBeUndefined();
    expect(m.warnings).toEqual([
      expect.stringMatching(/^invalid-position: DJI XMP position \(123.4, 113.3204561\)/),
      'no-position',
      'invalid-value: AbsoluteAltitude 99999 is outside -500..10000',
      'invalid-value: GimbalPitchDegree abc is outside -180..180',
    ]);
  });

  it('warns when DJI XMP and EXIF GPS disagree by more than 100 m (DJI still wins)', () => {
    const m = normalizePhotoMetadata(grouped({ gps: { latitude: 23.12, longitude: 113.3204561 } }));
    expect(m.source).toBe('dji-xmp');
    expect(m.warnings).toEqual([expect.stringMatching(/^position-disagreement: DJI XMP and EXIF GPS are 111\d m apart$/)]);
  });

  it('normalises yaw into (-180, 180]', () => {
    const yaw = (v: number) => normalizePhotoMetadata(grouped({ dji: { GimbalYawDegree: v, FlightYawDegree: v } })).gimbalYaw;
    expect([0, 180, -180, 181, 359.5, -270, 360].map(yaw)).toEqual([0, 180, 180, -179, -0.5, 90, 0]);
  });

  it('reads the RTK flag as a number or a boolean', () => {
    const rtk = (v: unknown) => normalizePhotoMetadata(grouped({ dji: { RtkFlag: v } })).rtk;
    expect([rtk(0), rtk('50'), rtk('true'), rtk(false), rtk(undefined), rtk('x'), rtk(-1)]).toEqual([0, 50, true, false, undefined, undefined, undefined]);
    expect(isRtkFixed(true)).toBe(true);
    expect(isRtkFixed(34)).toBe(false);
  });

  describe('capture time', () => {
    const time = (exif: Record<string, unknown>, localUtcOffset?: string, raw: Record<string, unknown> = {}) =>
      normalizePhotoMetadata({ ...grouped({ exif: { DateTimeOriginal: undefined, CreateDate: undefined, ...exif } }), ...raw }, { localUtcOffset });

    it('reads DateTimeOriginal in the given offset (default +08:00)', () => {
      expect(time({ DateTimeOriginal: '2026:03:01 10:11:12' }).takenAt?.toISOString()).toBe('2026-03-01T02:11:12.000Z');
      expect(time({ DateTimeOriginal: '2026:03:01 10:11:12' }, '+00:00').takenAt?.toISOString()).toBe('2026-03-01T10:11:12.000Z');
      expect(time({ DateTimeOriginal: '2026:03:01 10:11:12' }, '-05:30').takenAt?.toISOString()).toBe('2026-03-01T15:41:12.000Z');
    });

    it('uses OffsetTimeOriginal and sub-seconds when the camera wrote them', () => {
      const m = time({ DateTimeOriginal: '2026:03:01 10:11:12', OffsetTimeOriginal: '+09:00', SubSecTimeOriginal: '25' });
      expect(m.takenAt?.toISOString()).toBe('2026-03-01T01:11:12.250Z');
    });

    it('falls back to DateTimeDigitized, then XMP CreateDate, then the GPS UTC stamp', () => {
      expect(time({ CreateDate: '2026:03:01 10:11:12' }).takenAt?.toISOString()).toBe('2026-03-01T02:11:12.000Z');
      expect(time({}, undefined, { xmp: { CreateDate: '2026-03-01T10:11:12' } }).takenAt?.toISOString()).toBe('2026-03-01T02:11:12.000Z');
      expect(time({}, undefined, { xmp: { CreateDate: '2026-03-01T10:11+01:00' } }).takenAt?.toISOString()).toBe('2026-03-01T09:11:00.000Z');
      const gps = { GPSDateStamp: '2026:03:01', GPSTimeStamp: [2, 11, 12.5], latitude: 23.1, longitude: 113.3 };
      expect(time({}, undefined, { gps }).takenAt?.toISOString()).toBe('2026-03-01T02:11:12.500Z');
    });

    it('takes a Date that the reader already revived as it is', () => {
      expect(time({ DateTimeOriginal: new Date('2026-03-01T02:11:12Z') }).takenAt?.toISOString()).toBe('2026-03-01T02:11:12.000Z');
    });

    it('flags an unset camera clock and a missing time', () => {
      const unset = time({ DateTimeOriginal: '1970:01:01 00:00:00' });
      expect(unset.takenAt).toBeUndefined();
      expect(unset.warnings).toEqual([expect.stringMatching(/^implausible-time: capture time 1969-12-31T16:00:00.000Z/)]);
      expect(time({ DateTimeOriginal: '2026:02:30 10:00:00' }).warnings).toEqual(['no-time']);
      expect(time({ DateTimeOriginal: '    :  :     :  :  ' }).warnings).toEqual(['no-time']);
    });

    it('refuses a malformed offset parameter and reads local times at +08:00', () => {
      const m = time({ DateTimeOriginal: '2026:03:01 10:11:12' }, 'CST');
      expect(m.takenAt?.toISOString()).toBe('2026-03-01T02:11:12.000Z');
      expect(m.warnings).toEqual([expect.stringMatching(/^invalid-utc-offset/)]);
    });
  });

  it('reads a merged (flat) exifr record too, without mistaking EXIF GPSLatitude for DJI', () => {
    const merged = {
      GpsLatitude: 23.110123,
      GpsLongtitude: 113.320456,
      AbsoluteAltitude: 152.3,
      GimbalYawDegree: -114.2,
      Make: 'DJI',
      Model: 'FC6310',
      DateTimeOriginal: '2026:03:01 10:11:12',
      GPSLatitudeRef: 'S',
      GPSLatitude: [23, 6, 36.44],
      GPSLongitudeRef: 'W',
      GPSLongitude: [113, 19, 13.64],
    };
    const m = normalizePhotoMetadata(merged);
    expect(m).toMatchObject({ source: 'dji-xmp', position: { lat: 23.110123, lng: 113.320456 }, cameraModel: 'FC6310' });
    const exifOnly = normalizePhotoMetadata({ ...merged, GpsLatitude: undefined, GpsLongtitude: undefined });
    expect(exifOnly.source).toBe('exif-gps');
    expect(exifOnly.position?.lat).toBeCloseTo(-23.11012, 5);
  });

  it('never throws on junk', () => {
    for (const raw of [{}, { 'drone-dji': null }, { gps: 'x', exif: 3 }, { gps: { GPSLatitude: [], GPSLongitude: [1, 2, 3, 4] } }, { GPSTimeStamp: 'x' }]) {
      expect(() => normalizePhotoMetadata(raw as Record<string, unknown>)).not.toThrow();
    }
  });
});

describe('distanceMetres', () => {
  it('is about 111 km per degree of latitude', () => {
    expect(distanceMetres({ lat: 23, lng: 113 }, { lat: 24, lng: 113 })).toBeCloseTo(111_195, -2);
  });
});
