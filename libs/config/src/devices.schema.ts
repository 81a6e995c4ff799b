import { z } from 'zod';
import { DEVICE_KINDS } from '@app/domain';
import { DEFAULT_OFFLINE_THRESHOLDS } from '@app/domain/devices/device-health';

/** config/<district>/devices.yaml: devices seeded into the register at start. */
export const deviceConfigSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, dot, dash or underscore (max 100)'),
    kind: z.enum(DEVICE_KINDS),
    name: z.string().min(1),
    ownerDepartment: z.string().min(1),
    location: z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }).optional(),
    address: z.string().optional(),
    townshipCode: z.string().optional(),
    /** Frigate camera name when it differs from the device id. */
    frigateCamera: z.string().optional(),
    /** The source it is registered under and that publishes for it: a camera's NVR (kind nvr), an aircraft's dock. */
    parentId: z.string().optional(),
    /** A source's HTTP API pictures are fetched from (a Frigate instance: http://frigate.local:5000). */
    apiUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Other ids a source uses for this device (a Hikvision `<mac>:ch<channel>`, ...). */
    aliases: z.array(z.string().min(1)).default([]),
    /** Camera zone name → place id (config/<district>/places.geojson). */
    zones: z.record(z.string(), z.string()).default({}),
    /** Administrative Penalty Law art. 41: legal and technical review of the device. */
    review: z
      .object({
        legalReviewPassed: z.boolean(),
        technicalReviewPassed: z.boolean(),
        reviewedOn: z.iso.date().optional(),
        locationPublished: z.boolean(),
      })
      .strict()
      .default({ legalReviewPassed: false, technicalReviewPassed: false, locationPublished: false }),
    /** Seconds of silence after which this device is offline (overrides its kind's `offlineAfterSeconds`). */
    offlineAfterSeconds: z.number().int().min(10).max(30 * 86_400).optional(),
  })
  .strict();

/** Seconds of silence after which a device of a kind is offline; a kind not named is not watched (the defaults apply when the key is absent). */
export const offlineThresholdsSchema = z.partialRecord(z.enum(DEVICE_KINDS), z.number().int().min(10).max(30 * 86_400));

export const devicesFileSchema = z
  .object({
    /** Device health: `{ camera: 600, nvr: 300, dock: 600, sensor: 1800 }` unless given. */
    offlineAfterSeconds: offlineThresholdsSchema.default(() => ({ ...DEFAULT_OFFLINE_THRESHOLDS })),
    devices: z.array(deviceConfigSchema),
  })
  .strict();
export type DeviceConfig = z.infer<typeof deviceConfigSchema>;
