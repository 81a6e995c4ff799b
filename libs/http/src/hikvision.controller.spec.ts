import type { Part } from './multipart';
import { isPicturePart, sortAlarmParts } from './hikvision.controller';

const XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema"><eventType>AID</eventType></EventNotificationAlert>';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
const part = (name: string, data: string | Buffer, mimeType = 'text/plain', filename?: string): Part => ({
  name,
  mimeType,
  data: Buffer.isBuffer(data) ? data : Buffer.from(data),
  ...(filename !== undefined && { filename }),
});

describe('Hikvision multipart alarm parts', () => {
  it('finds the alarm by its content (whatever the part is called) and keeps every picture part in order', () => {
    const sorted = sortAlarmParts([
      part('licensePlatePicture.jpg', JPEG, 'image/jpeg', 'licensePlatePicture.jpg'),
      part('AID', `\uFEFF  ${XML}`),
      part('detectionPicture', Buffer.from('not an image'), 'image/jpeg'),
      part('pilot', PNG, 'application/octet-stream'),
    ]);
    expect(sorted?.alarm.toString()).toContain('EventNotificationAlert');
    expect(sorted?.pictures.map((p) => p.name)).toEqual(['licensePlatePicture.jpg', 'detectionPicture', 'pilot']);
    expect(sorted?.pictures[0].bytes.equals(JPEG)).toBe(true);
    expect(sorted?.ignored).toEqual([]);
  });

  it('prefers the part holding an EventNotificationAlert over another XML or JSON part, and lists the parts it does not keep', () => {
    const sorted = sortAlarmParts([
      part('meta', '{"a":1}', 'application/json'),
      part('MoveDetection.xml', XML, 'application/xml', 'MoveDetection.xml'),
      part('note', 'hello'),
    ]);
    expect(sorted?.alarm.toString()).toBe(XML);
    expect(sorted?.pictures).toEqual([]);
    expect(sorted?.ignored).toEqual(['meta', 'note']);
  });

  it('hands on a JSON alarm (the adapter refuses it with its reason); no alarm part at all is undefined', () => {
    expect(sortAlarmParts([part('alarm', '{"eventType":"AID"}', 'application/json'), part('p.jpg', JPEG, 'image/jpeg', 'p.jpg')])?.alarm.toString()).toBe(
      '{"eventType":"AID"}',
    );
    expect(sortAlarmParts([part('p.jpg', JPEG, 'image/jpeg', 'p.jpg'), part('note', 'hello')])).toBeUndefined();
    // An XML-looking picture part is still a picture, never the alarm.
    expect(sortAlarmParts([part('x.jpg', XML, 'image/jpeg', 'x.jpg')])).toBeUndefined();
  });

  it('a picture part is one offered as a picture: image content type, image file name, or JPEG/PNG bytes', () => {
    expect(isPicturePart(part('a', 'x', 'image/png'))).toBe(true);
    expect(isPicturePart(part('a', 'x', 'application/octet-stream', 'plate.JPG'))).toBe(true);
    expect(isPicturePart(part('detectionPicture.jpeg', 'x'))).toBe(true);
    expect(isPicturePart(part('a', JPEG, 'application/octet-stream'))).toBe(true);
    expect(isPicturePart(part('a', PNG))).toBe(true);
    expect(isPicturePart(part('AID', XML, 'application/xml'))).toBe(false);
    expect(isPicturePart(part('blob', Buffer.from([0xff, 0xd8]), 'application/octet-stream'))).toBe(false);
  });
});
