import type { CanonicalEvent, MediaRef } from '../event/canonical-event';

/**
 * Pictures as evidence (issue 14). Every picture an event has, or will have, is one numbered slot of that event:
 * its bytes are stored under their SHA-256 by the imagery pipeline and sealed like the event. How a slot gets its
 * bytes depends on the source:
 * - `present`: the bytes came before or with the event and are stored already (a drone photo a pilot marked, an
 *   image part of a Hikvision multipart alarm);
 * - `fetch`: CloudPatrol asks the source for them (Frigate's HTTP API, with the MQTT snapshot as the fallback);
 * - `await`: the source sends them separately, before or after the event (a DJI upload, a device's snapshot
 *   publish); whichever comes second links the two by the match key;
 * - `missing`: they were offered but refused (not an image, too large, ...), recorded with the reason.
 */

export const PICTURE_ORIGINS = ['drone-photo', 'frigate-api', 'frigate-mqtt', 'hikvision-part', 'device-publish', 'dji-upload'] as const;
export type PictureOrigin = (typeof PICTURE_ORIGINS)[number];

export const PICTURE_STATUSES = ['pending', 'present', 'missing'] as const;
export type PictureStatus = (typeof PICTURE_STATUSES)[number];

/** What a Frigate picture fetch needs: the event id Frigate's API knows, and camera/label for the MQTT fallback. */
export interface FrigatePictureRequest {
  frigateEventId: string;
  camera: string;
  label: string;
}

export type PictureRequest =
  | { slot: number; mode: 'present'; origin: PictureOrigin; sha256: string }
  | { slot: number; mode: 'fetch'; origin: 'frigate-api'; request: FrigatePictureRequest }
  | { slot: number; mode: 'await'; origin: 'dji-upload' | 'device-publish'; matchKey: string }
  | { slot: number; mode: 'missing'; origin: PictureOrigin; detail: string };

/** A picture that came with the message (a multipart image part), already through the imagery pipeline. */
export type AttachedPicture = { sha256: string } | { refused: { reason: string; detail: string; sha256?: string } };

const SHA256 = /^[0-9a-f]{64}$/;
/** `photo:<sha256>` names a stored drone photo; `picture:<sha256>` any other stored picture. */
const STORED_REF = /^(photo|picture):([0-9a-f]{64})$/;
const DEVICE_SNAPSHOT_TOPIC = /^cloudpatrol\/v1\/devices\/([^/]+)\/events\/([^/]+)\/snapshot$/;

/** Where a device publishes the picture of one of its events (CloudPatrol's own format, docs/schemas/). */
export function deviceSnapshotTopic(deviceId: string, eventId: string): string {
  return `cloudpatrol/v1/devices/${deviceId}/events/${eventId}/snapshot`;
}

/** The device and event a snapshot topic names, or undefined when it is not one. */
export function parseDeviceSnapshotTopic(topic: string): { deviceId: string; eventId: string } | undefined {
  const m = DEVICE_SNAPSHOT_TOPIC.exec(topic.replace(/^\$share\/[^/]+\//, ''));
  return m ? { deviceId: m[1], eventId: m[2] } : undefined;
}

export function deviceSnapshotMatchKey(deviceId: string, eventId: string): string {
  return `device-snapshot:${deviceId}:${eventId}`;
}

/** A file's name as DJI and the pilot both know it: the last segment of the object key, case-folded. */
export function djiFileName(objectKeyOrName: string): string {
  const segments = objectKeyOrName.split('/');
  return (segments[segments.length - 1] ?? objectKeyOrName).trim().toLowerCase();
}

/** A DJI file is matched by the gateway (dock or remote controller) that reported it and its file name. */
export function djiFileMatchKey(gatewaySn: string, fileName: string): string {
  return `dji-file:${gatewaySn}:${djiFileName(fileName)}`;
}

/** Frigate's MQTT snapshot of a camera's label (retained, overwritten by the next object): the fallback picture. */
export function frigateSnapshotMatchKey(deviceId: string, camera: string, label: string): string {
  return `frigate-snapshot:${deviceId}:${camera}:${label}`;
}

/** The picture reference a stored picture is given in an event's media. */
export function storedPictureRef(sha256: string, kind: MediaRef['kind'] = 'snapshot'): MediaRef {
  return { kind, uri: `picture:${sha256}`, sha256 };
}

type EventForPictures = Pick<CanonicalEvent, 'source' | 'deviceId' | 'eventId' | 'media' | 'attributes' | 'detections'>;

/**
 * The picture slots of an event, in order: its media references first, then the pictures attached to its
 * message. A media reference that is not a picture CloudPatrol can get (a video clip, a URL of somebody else's
 * storage) gives no slot: it stays a plain reference, never sealed as if its bytes were here.
 */
export function pictureRequestsOf(event: EventForPictures, attached: readonly AttachedPicture[] = []): PictureRequest[] {
  // Most events name no picture: asked for every stored event, that answer should cost nothing.
  if (event.media.length === 0 && attached.length === 0) return [];
  const requests: PictureRequest[] = [];
  const seen = new Set<string>();
  for (const ref of event.media) {
    const r = pictureRequestOfMedia(event, ref);
    if (!r) continue;
    const identity = r.mode === 'present' ? `sha:${r.sha256}` : r.mode === 'await' ? `key:${r.matchKey}` : `ref:${ref.uri}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    requests.push({ ...r, slot: requests.length });
  }
  const attachedOrigin: PictureOrigin = event.source === 'hikvision' ? 'hikvision-part' : 'device-publish';
  for (const a of attached) {
    if ('sha256' in a) {
      if (seen.has(`sha:${a.sha256}`)) continue;
      seen.add(`sha:${a.sha256}`);
      requests.push({ slot: requests.length, mode: 'present', origin: attachedOrigin, sha256: a.sha256 });
    } else {
      requests.push({ slot: requests.length, mode: 'missing', origin: attachedOrigin, detail: `${a.refused.reason}: ${a.refused.detail}` });
    }
  }
  return requests;
}

type SlotlessRequest = { [K in PictureRequest['mode']]: Omit<Extract<PictureRequest, { mode: K }>, 'slot'> }[PictureRequest['mode']];

/** Whether a media reference is a picture (it becomes a slot) rather than a plain reference. */
export function isPictureMedia(event: EventForPictures, ref: MediaRef): boolean {
  return pictureRequestOfMedia(event, ref) !== undefined;
}

function pictureRequestOfMedia(event: EventForPictures, ref: MediaRef): SlotlessRequest | undefined {
  if (ref.kind === 'clip') return undefined;
  const stored = STORED_REF.exec(ref.uri);
  if (stored && SHA256.test(stored[2])) {
    // Only what CloudPatrol itself put there: a pilot's mark names the photo it was made on, and the HTTP intake
    // names the image parts it stored with the alarm. A device naming some stored picture claims nothing.
    if (stored[1] === 'photo' && event.source === 'drone-upload') return { mode: 'present', origin: 'drone-photo', sha256: stored[2] };
    if (stored[1] === 'picture' && event.source === 'hikvision') return { mode: 'present', origin: 'hikvision-part', sha256: stored[2] };
    return undefined;
  }
  switch (event.source) {
    case 'frigate': {
      const camera = typeof event.attributes.camera === 'string' ? event.attributes.camera : undefined;
      const detection = event.detections[0];
      if (!camera || !detection?.trackId) return undefined;
      return { mode: 'fetch', origin: 'frigate-api', request: { frigateEventId: detection.trackId, camera, label: detection.label } };
    }
    case 'dji':
      return {
        mode: 'await',
        origin: 'dji-upload',
        matchKey: djiFileMatchKey(event.deviceId, typeof event.attributes.fileName === 'string' ? event.attributes.fileName : ref.uri),
      };
    case 'cloudpatrol': {
      const topic = parseDeviceSnapshotTopic(ref.uri);
      // Only the event's own snapshot topic: a device cannot claim another device's or event's picture.
      if (!topic || topic.deviceId !== event.deviceId || topic.eventId !== event.eventId) return undefined;
      return { mode: 'await', origin: 'device-publish', matchKey: deviceSnapshotMatchKey(event.deviceId, event.eventId) };
    }
    case 'hikvision':
    case 'drone-upload':
    case 'fire':
    case 'police':
    case 'emergency':
    case 'open311':
      return undefined;
  }
}
