import type { CanonicalEvent } from '../event/canonical-event';
import {
  deviceSnapshotMatchKey,
  deviceSnapshotTopic,
  djiFileMatchKey,
  djiFileName,
  isPictureMedia,
  parseDeviceSnapshotTopic,
  pictureRequestsOf,
  storedPictureRef,
} from './picture-requests';

const SHA = 'a'.repeat(64);
const base = (over: Partial<CanonicalEvent>): Pick<CanonicalEvent, 'source' | 'deviceId' | 'eventId' | 'media' | 'attributes' | 'detections'> => ({
  source: 'cloudpatrol',
  deviceId: 'CAM-1',
  eventId: 'e-1',
  media: [],
  attributes: {},
  detections: [],
  ...over,
});

describe('picture requests: the picture slots of an event', () => {
  it('a pilot mark names its stored photo: present at once', () => {
    expect(pictureRequestsOf(base({ source: 'drone-upload', media: [{ kind: 'photo', uri: `photo:${SHA}`, sha256: SHA }] }))).toEqual([
      { slot: 0, mode: 'present', origin: 'drone-photo', sha256: SHA },
    ]);
  });

  it('a device cannot claim a stored picture by naming it', () => {
    const claimed = base({
      media: [
        { kind: 'snapshot', uri: `picture:${SHA}` },
        { kind: 'photo', uri: `photo:${SHA}` },
      ],
    });
    expect(pictureRequestsOf(claimed)).toEqual([]);
    expect(isPictureMedia(claimed, claimed.media[0])).toBe(false);
  });

  it('a Frigate event asks for its snapshot by the tracked object id', () => {
    const e = base({
      source: 'frigate',
      attributes: { camera: 'yunxi_rd_east' },
      detections: [{ label: 'car', confidence: 0.9, trackId: '1764-abc' }],
      media: [{ kind: 'snapshot', uri: 'frigate/yunxi_rd_east/car/snapshot' }],
    });
    expect(pictureRequestsOf(e)).toEqual([
      { slot: 0, mode: 'fetch', origin: 'frigate-api', request: { frigateEventId: '1764-abc', camera: 'yunxi_rd_east', label: 'car' } },
    ]);
  });

  it('a DJI callback waits for the upload of its file, by dock and case-folded file name', () => {
    const e = base({
      source: 'dji',
      deviceId: 'DOCK-1',
      attributes: { fileName: 'DJI_20261128101502_0001_W.JPEG' },
      media: [{ kind: 'photo', uri: 'wayline/abc/DJI_20261128101502_0001_W.JPEG' }],
    });
    expect(pictureRequestsOf(e)).toEqual([{ slot: 0, mode: 'await', origin: 'dji-upload', matchKey: 'dji-file:DOCK-1:dji_20261128101502_0001_w.jpeg' }]);
    expect(djiFileMatchKey('DOCK-1', 'uploads/DJI_20261128101502_0001_W.JPEG')).toBe('dji-file:DOCK-1:dji_20261128101502_0001_w.jpeg');
    expect(djiFileName(' a/b/C.JPG ')).toBe('c.jpg');
  });

  it("CloudPatrol's own format: only the event's own snapshot topic is awaited", () => {
    const own = base({ media: [{ kind: 'snapshot', uri: deviceSnapshotTopic('CAM-1', 'e-1') }] });
    expect(pictureRequestsOf(own)).toEqual([{ slot: 0, mode: 'await', origin: 'device-publish', matchKey: deviceSnapshotMatchKey('CAM-1', 'e-1') }]);
    const other = base({
      media: [
        { kind: 'snapshot', uri: deviceSnapshotTopic('CAM-2', 'e-1') },
        { kind: 'snapshot', uri: deviceSnapshotTopic('CAM-1', 'e-9') },
      ],
    });
    expect(pictureRequestsOf(other)).toEqual([]);
    expect(parseDeviceSnapshotTopic('$share/g/cloudpatrol/v1/devices/CAM-1/events/e-1/snapshot')).toEqual({ deviceId: 'CAM-1', eventId: 'e-1' });
    expect(parseDeviceSnapshotTopic('cloudpatrol/v1/devices/CAM-1/events')).toBeUndefined();
  });

  it('attached parts follow the media, refused ones are missing with the reason, duplicates count once', () => {
    const e = base({ source: 'hikvision', media: [storedPictureRef(SHA)] });
    const b = 'b'.repeat(64);
    expect(pictureRequestsOf(e, [{ sha256: SHA }, { sha256: b }, { refused: { reason: 'not-an-image', detail: 'no image signature' } }])).toEqual([
      { slot: 0, mode: 'present', origin: 'hikvision-part', sha256: SHA },
      { slot: 1, mode: 'present', origin: 'hikvision-part', sha256: b },
      { slot: 2, mode: 'missing', origin: 'hikvision-part', detail: 'not-an-image: no image signature' },
    ]);
  });

  it('clips and URLs of other storage are plain references, not pictures', () => {
    const e = base({
      media: [
        { kind: 'clip', uri: deviceSnapshotTopic('CAM-1', 'e-1') },
        { kind: 'snapshot', uri: 'https://nvr.example/s.jpg' },
      ],
    });
    expect(pictureRequestsOf(e)).toEqual([]);
  });
});
