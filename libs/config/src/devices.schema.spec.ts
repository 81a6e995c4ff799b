import { devicesFileSchema } from './devices.schema';

const camera = { id: 'CAM-1', kind: 'camera', name: 'Gate camera', ownerDepartment: 'city-management' };

describe('devices.yaml: device health thresholds', () => {
  it('defaults to the kinds that are watched, and keeps a device’s own threshold', () => {
    const parsed = devicesFileSchema.parse({ devices: [{ ...camera, offlineAfterSeconds: 120 }] });
    expect(parsed.offlineAfterSeconds).toEqual({ camera: 600, nvr: 300, dock: 600, sensor: 1800 });
    expect(parsed.devices[0].offlineAfterSeconds).toBe(120);
  });

  it('takes the district’s own thresholds per kind, and only what it names', () => {
    const parsed = devicesFileSchema.parse({ offlineAfterSeconds: { camera: 300, drone: 1800 }, devices: [camera] });
    expect(parsed.offlineAfterSeconds).toEqual({ camera: 300, drone: 1800 });
    expect(parsed.devices[0].offlineAfterSeconds).toBeUndefined();
  });

  it('refuses an unknown kind, a threshold under 10 s and one that is not whole seconds', () => {
    expect(devicesFileSchema.safeParse({ offlineAfterSeconds: { lamp: 600 }, devices: [] }).success).toBe(false);
    expect(devicesFileSchema.safeParse({ offlineAfterSeconds: { camera: 5 }, devices: [] }).success).toBe(false);
    expect(devicesFileSchema.safeParse({ devices: [{ ...camera, offlineAfterSeconds: 1.5 }] }).success).toBe(false);
  });
});
