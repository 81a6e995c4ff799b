import { z } from 'zod';
import { AdaptedEvent, AdapterResult, accepted, rejected } from '../event/canonical-event';
import { decodeJson, describeZodError } from '../event/payload';

/**
 * Issues marked on a drone photo — by the pilot in the upload page, or by an onboard/external detector's
 * sidecar JSON — become canonical events, so a photo of a known case joins it as evidence.
 * Each label marked on a photo is one event, identified by (photo, marked by, label): marking the same photo
 * with the same label again — with a note added or changed — stores nothing new.
 */
export const photoDetectionSchema = z
  .object({
    photo: z
      .object({
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        flightId: z.string().min(1).max(100),
        deviceId: z.string().min(1).max(100),
        takenAt: z.iso.datetime({ offset: true }),
        position: z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }).optional(),
      })
      .strict(),
    by: z.enum(['pilot', 'detector']),
    marks: z
      .array(
        z
          .object({
            label: z.string().min(1).max(100),
            confidence: z.number().min(0).max(1).default(1),
            box: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
            note: z.string().max(1000).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(50),
  })
  .strict();

export type PhotoDetectionPayload = z.input<typeof photoDetectionSchema>;

export const PHOTO_DETECTION_TOPIC = 'drone-upload/detections';

export function adaptPhotoDetection(payload: Uint8Array | string): AdapterResult {
  const decoded = decodeJson(payload);
  if (!decoded.ok) return decoded.result;
  const parsed = photoDetectionSchema.safeParse(decoded.value);
  if (!parsed.success) return rejected('invalid-schema', describeZodError(parsed.error));
  const { photo, marks, by } = parsed.data;
  // One event per label: the photo shows that issue once, however often it is marked (a re-mark, a note added or
  // changed, a box moved). Another label on the same photo is another issue. Pilot and detector marks stay apart,
  // so a pilot confirming what a detector marked is not swallowed as a repeat of the detector's (maybe weaker) mark.
  const byLabel = new Map<string, typeof marks>();
  for (const m of marks) byLabel.set(m.label, [...(byLabel.get(m.label) ?? []), m]);
  return accepted(
    [...byLabel].map(([label, same]): AdaptedEvent => {
      const notes = same.map((m) => m.note).filter((n): n is string => n !== undefined);
      return {
        eventId: photoMarkEventId(photo.sha256, by, label),
        source: 'drone-upload',
        sourceKind: 'drone',
        deviceId: photo.deviceId,
        occurredAt: new Date(photo.takenAt),
        location: photo.position,
        zones: [],
        detections: same.map((m) => ({ label: m.label, confidence: m.confidence, ...(m.box && { box: m.box }) })),
        media: [{ kind: 'photo', uri: `photo:${photo.sha256}`, sha256: photo.sha256 }],
        attributes: { flightId: photo.flightId, markedBy: by, ...(notes.length > 0 && { note: notes.join(' | ').slice(0, 1000) }) },
        raw: decoded.text,
      };
    }),
  );
}

/** "photo:<sha256>:<by>:<label>" (at most 180 characters: labels are at most 100). */
export function photoMarkEventId(sha256: string, by: 'pilot' | 'detector', label: string): string {
  return `photo:${sha256}:${by}:${label}`;
}
