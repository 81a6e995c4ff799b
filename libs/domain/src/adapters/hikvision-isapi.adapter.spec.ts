import fc from 'fast-check';
import { adaptHikvisionAlert, defaultDeviceId, distinguishingFields, HikvisionAdapterOptions, HikvisionResult } from './hikvision-isapi.adapter';
import { readXml, XmlElement } from './xml-reader';
import {
  AID_ABANDONED_OBJECT,
  AID_ILLEGAL_PARKING,
  ANPR_PLATE,
  ANPR_UNKNOWN_PLATE,
  BILLION_LAUGHS,
  FIELD_DETECTION_VEHICLE,
  HEARTBEAT_AID,
  HEARTBEAT_VIDEOLOSS,
  NVR_PSIA_FIELD_DETECTION,
  TFS_CONSTRUCTION_ROADBLOCK,
  VMD_ALERT,
  XXE_ALERT,
  hikAlert,
} from '@test/fixtures/payloads/hikvision-isapi.fixtures';
import { mutate, outcomeProblem } from './adapter-test-support';
import { AdaptedEvent } from '../event/canonical-event';

const NOW = new Date('2026-11-28T02:21:09.000Z');
const options: HikvisionAdapterOptions = { now: NOW };

function only(r: HikvisionResult): AdaptedEvent {
  if (!r.ok) throw new Error(`rejected: ${r.rejection.reason}: ${r.rejection.detail}`);
  expect(r.events).toHaveLength(1);
  expect(r.heartbeat).toBeUndefined();
  return r.events[0];
}
function readRoot(xml: string): XmlElement {
  const doc = readXml(xml);
  if (!doc.ok) throw new Error(doc.error);
  return doc.root;
}
const reasonOf = (r: HikvisionResult) => (r.ok ? undefined : r.rejection.reason);
const detailOf = (r: HikvisionResult) => (r.ok ? '' : r.rejection.detail);

describe('Hikvision ISAPI alert adapter', () => {
  it('turns an AID illegal-parking alarm into a detection named by illegalTrafficEvent', () => {
    const e = only(adaptHikvisionAlert(AID_ILLEGAL_PARKING, options));
    expect(e.source).toBe('hikvision');
    expect(e.sourceKind).toBe('camera');
    expect(e.deviceId).toBe('24:0f:9b:3a:51:c7:ch1');
    expect(e.occurredAt.toISOString()).toBe('2026-11-28T02:21:07.000Z');
    expect(e.detections).toEqual([{ label: 'illegalParking', confidence: 1, plate: '粤A5N8X1' }]);
    expect(e.attributes).toMatchObject({
      eventType: 'AID',
      activePostCount: 1,
      channelId: '1',
      channelName: 'Xihu Rd / Market St NE',
      ipAddress: '10.20.31.64',
      macAddress: '24:0f:9b:3a:51:c7',
      illegalTrafficEvent: 'illegalParking',
      laneNo: 2,
      plateConfidence: 0.96,
      isDataRetransmission: false,
      namespace: 'http://www.hikvision.com/ver20/XMLSchema',
    });
    expect(e.attributes.clockSkewSeconds).toBeUndefined();
    expect(e.raw).toBe(AID_ILLEGAL_PARKING);
  });

  it('reads several TFS incidents as several detections', () => {
    const e = only(adaptHikvisionAlert(TFS_CONSTRUCTION_ROADBLOCK, options));
    expect(e.detections.map((d) => d.label)).toEqual(['construction', 'roadBlock']);
    expect(e.attributes).toMatchObject({ eventType: 'TFS', activePostCount: 3, uuid: '20261128140255120009kq3PZb2xT8uWn5' });
  });

  it('reads an abandoned object without a plate', () => {
    const e = only(adaptHikvisionAlert(AID_ABANDONED_OBJECT, options));
    expect(e.detections).toEqual([{ label: 'abandonedObject', confidence: 1 }]);
  });

  it('reads an ANPR plate with its confidence (0-100 → 0..1) and the camera GPS', () => {
    const e = only(adaptHikvisionAlert(Buffer.from(ANPR_PLATE), options));
    expect(e.detections).toEqual([{ label: 'vehicle', confidence: 0.97, plate: '粤A7Q2K9' }]);
    expect(e.location?.lat).toBeCloseTo(23 + 6 / 60 + 17.64 / 3600, 6);
    expect(e.location?.lng).toBeCloseTo(113 + 15 / 60 + 18.36 / 3600, 6);
    expect(e.attributes).toMatchObject({ plateRead: true, plateColor: 'blue', vehicleType: 'vehicle', vehicleColor: 'black', laneNo: 1, picNum: 1 });
  });

  it('keeps an unread ANPR plate out of the detection', () => {
    const e = only(adaptHikvisionAlert(ANPR_UNKNOWN_PLATE, options));
    expect(e.detections).toEqual([{ label: 'vehicle', confidence: 0 }]);
    expect(e.attributes.plateRead).toBe(false);
  });

  it('maps field detection to an intrusion in the configured region, box normalised', () => {
    const e = only(adaptHikvisionAlert(FIELD_DETECTION_VEHICLE, options));
    expect(e.zones).toEqual(['region-2']);
    expect(e.detections).toHaveLength(1);
    expect(e.detections[0].label).toBe('intrusion');
    const box = e.detections[0].box ?? [];
    expect(box[0]).toBeCloseTo(0.779688);
    expect(box[3]).toBeCloseTo(0.409722 + 0.459722);
    expect(e.attributes).toMatchObject({ detectionTarget: 'vehicle', boxUnits: 'normalized' });
  });

  it('reads old PSIA-namespace NVR pushes, identified by serial number and channel', () => {
    const e = only(adaptHikvisionAlert(NVR_PSIA_FIELD_DETECTION, options));
    expect(e.deviceId).toBe('DS-7608NXI-I2/8P0820261128CCRRSYN0001WCVU:ch34');
    expect(e.attributes.activePostCount).toBe(174);
  });

  it('answers a heartbeat with liveness, not events', () => {
    for (const xml of [HEARTBEAT_VIDEOLOSS, HEARTBEAT_AID]) {
      const r = adaptHikvisionAlert(xml, options);
      expect(r.ok && r.events).toEqual([]);
      expect(r.heartbeat).toMatchObject({ deviceId: '24:0f:9b:3a:51:c7:ch1', at: NOW });
      expect(r.heartbeat?.deviceTime?.toISOString()).toBe('2026-11-28T02:21:07.000Z');
    }
    expect(adaptHikvisionAlert(HEARTBEAT_VIDEOLOSS, options).heartbeat?.eventType).toBe('videoloss');
  });

  it('records a heartbeat even from a device whose clock is unreadable', () => {
    const r = adaptHikvisionAlert(hikAlert({ eventType: 'videoloss', eventState: 'inactive', dateTime: '1970-01-01T00:00:00' }), options);
    expect(r.ok && r.heartbeat?.deviceId).toBe('24:0f:9b:3a:51:c7:ch1');
  });

  it('gives a retried POST the same id and a repeated alarm (activePostCount) a new one', () => {
    const a = only(adaptHikvisionAlert(AID_ILLEGAL_PARKING, options));
    const retry = only(adaptHikvisionAlert(AID_ILLEGAL_PARKING, { now: new Date(NOW.getTime() + 30_000) }));
    const repeat = only(adaptHikvisionAlert(AID_ILLEGAL_PARKING.replace('<activePostCount>1<', '<activePostCount>2<'), options));
    expect(retry.eventId).toBe(a.eventId);
    expect(repeat.eventId).not.toBe(a.eventId);
    expect(a.eventId).toBe('24:0f:9b:3a:51:c7|ch1|AID|2026-11-28T02:21:07.000Z|n1|illegalParking|粤A5N8X1|laneNo=2|direction=upstream');
  });

  describe('identity: two alarms in the same second are two events, a re-send is one', () => {
    const idOf = (xml: string) => only(adaptHikvisionAlert(xml, options)).eventId;
    const resent = (xml: string) => (xml.includes('<isDataRetransmission>') ? xml.replace('<isDataRetransmission>false', '<isDataRetransmission>true') : xml);
    const aid = (body: string) =>
      hikAlert({ dateTime: '2026-11-28T16:40:02+08:00' }, `  <AID>\n    <illegalTrafficEvent>abandonedObject</illegalTrafficEvent>\n${body}  </AID>\n`);
    const vca = (entry: string) =>
      hikAlert({ eventType: 'fielddetection' }, `  <DetectionRegionList><DetectionRegionEntry>${entry}</DetectionRegionEntry></DetectionRegionList>\n`);
    const anpr = (extra: string) =>
      hikAlert({ eventType: 'ANPR' }, `  <ANPR><licensePlate>粤A7Q2K9</licensePlate><confidenceLevel>97</confidenceLevel>${extra}</ANPR>\n`);

    it('tells apart abandoned objects on lanes 1 and 3 (same camera, second, type and post count); a retransmission keeps its id', () => {
      const lane1 = aid('    <laneNo>1</laneNo>\n');
      const lane3 = AID_ABANDONED_OBJECT; // lane 3, same header
      expect(idOf(lane1)).not.toBe(idOf(lane3));
      expect(idOf(lane3)).toBe('24:0f:9b:3a:51:c7|ch1|AID|2026-11-28T08:40:02.000Z|n1|abandonedObject|laneNo=3');
      const retransmitted = AID_ABANDONED_OBJECT.replace('</AID>\n', '</AID>\n  <isDataRetransmission>true</isDataRetransmission>\n');
      expect(idOf(retransmitted)).toBe(idOf(lane3));
      expect(idOf(resent(AID_ILLEGAL_PARKING))).toBe(idOf(AID_ILLEGAL_PARKING));
    });

    it.each([
      ['lane', aid('<laneNo>1</laneNo>'), aid('<laneNo>2</laneNo>')],
      ['direction', aid('<laneNo>1</laneNo><direction>upstream</direction>'), aid('<laneNo>1</laneNo><direction>downstream</direction>')],
      ['rule', aid('<ruleID>1</ruleID>'), aid('<ruleID>4</ruleID>')],
      ['scene', aid('<sceneID>1</sceneID>'), aid('<sceneID>2</sceneID>')],
      ['target', aid('<targetID>3301</targetID>'), aid('<targetID>3302</targetID>')],
      [
        'picture file',
        aid('<pictureInfoList><pictureInfo><fileName>aid_0001.jpg</fileName></pictureInfo></pictureInfoList>'),
        aid('<pictureInfoList><pictureInfo><fileName>aid_0002.jpg</fileName></pictureInfo></pictureInfoList>'),
      ],
      ['picture name', aid('<picName>p1.jpg</picName>'), aid('<picName>p2.jpg</picName>')],
      ['alarm serial number', aid('<serialNo>7781</serialNo>'), aid('<serialNo>7782</serialNo>')],
      [
        'violation code',
        hikAlert({ eventType: 'TFS' }, '<TFS><illegalTrafficEvent>illegalParking</illegalTrafficEvent><illegalCode>1039</illegalCode></TFS>'),
        hikAlert({ eventType: 'TFS' }, '<TFS><illegalTrafficEvent>illegalParking</illegalTrafficEvent><illegalCode>1625</illegalCode></TFS>'),
      ],
      [
        'region',
        vca('<regionID>1</regionID><detectionTarget>vehicle</detectionTarget>'),
        vca('<regionID>2</regionID><detectionTarget>vehicle</detectionTarget>'),
      ],
      [
        'detection target',
        vca('<regionID>1</regionID><detectionTarget>vehicle</detectionTarget>'),
        vca('<regionID>1</regionID><detectionTarget>human</detectionTarget>'),
      ],
      [
        'target rectangle',
        vca('<regionID>1</regionID><TargetRect><X>0.1</X><Y>0.2</Y><width>0.1</width><height>0.1</height></TargetRect>'),
        vca('<regionID>1</regionID><TargetRect><X>0.6</X><Y>0.2</Y><width>0.1</width><height>0.1</height></TargetRect>'),
      ],
      ['ANPR lane', anpr('<line>1</line>'), anpr('<line>2</line>')],
      ['ANPR vehicle number', anpr('<vehicleInfo><index>57</index></vehicleInfo>'), anpr('<vehicleInfo><index>58</index></vehicleInfo>')],
    ])('tells apart two alarms that differ only in %s, and gives each the same id when sent again', (_field, a, b) => {
      expect(idOf(a)).not.toBe(idOf(b));
      expect(idOf(a)).toBe(idOf(a));
      expect(idOf(b)).toBe(idOf(resent(b)));
    });

    it('ignores fields that are not about the incident (header, GPS, vehicle colour, picture count, retransmission flag)', () => {
      const base = aid('<laneNo>1</laneNo>');
      const noisy = base
        .replace('<laneNo>1</laneNo>', '<laneNo>1</laneNo><VehicleInfo><vehicleColor>white</vehicleColor></VehicleInfo>')
        .replace(
          '</EventNotificationAlert>',
          '<detectionPicturesNumber>2</detectionPicturesNumber><isDataRetransmission>true</isDataRetransmission></EventNotificationAlert>',
        );
      expect(idOf(noisy)).toBe(idOf(base));
      expect(distinguishingFields(readRoot(ANPR_PLATE))).toEqual(['line=1', 'direction=forward', 'vehicleIndex=57', 'fileName=licensePlatePicture.jpg']);
      expect(distinguishingFields(readRoot(NVR_PSIA_FIELD_DETECTION))).toEqual([]);
    });
  });

  it('keeps the id when the device id mapping changes, and uses the mapping for deviceId', () => {
    const mapped = only(
      adaptHikvisionAlert(AID_ILLEGAL_PARKING, {
        ...options,
        deviceIdFor: (_ip, mac, ch) => (mac === '24:0f:9b:3a:51:c7' && ch === '1' ? 'CAM-XH-0012' : undefined),
      }),
    );
    expect(mapped.deviceId).toBe('CAM-XH-0012');
    expect(mapped.eventId).toBe(only(adaptHikvisionAlert(AID_ILLEGAL_PARKING, options)).eventId);
  });

  it('falls back to ip:channel without a MAC, and reads a time without offset as +08:00', () => {
    const e = only(
      adaptHikvisionAlert(
        hikAlert({ dateTime: '2026-11-28T10:21:07' }, '<AID><illegalTrafficEvent>roadBlock</illegalTrafficEvent></AID>', ['macAddress']),
        options,
      ),
    );
    expect(e.deviceId).toBe('10.20.31.64:ch1');
    expect(e.occurredAt.toISOString()).toBe('2026-11-28T02:21:07.000Z');
    expect(defaultDeviceId(undefined, undefined, undefined, '1')).toBeUndefined();
    expect(defaultDeviceId('aa:bb:cc:dd:ee:ff', '1.2.3.4', undefined, undefined)).toBe('aa:bb:cc:dd:ee:ff');
  });

  it('flags a device clock far from arrival time and a retransmission', () => {
    const late = only(
      adaptHikvisionAlert(AID_ILLEGAL_PARKING.replace('<isDataRetransmission>false', '<isDataRetransmission>true'), {
        now: new Date('2026-11-28T03:21:07.000Z'),
      }),
    );
    expect(late.attributes).toMatchObject({ clockSkewSeconds: 3600, isDataRetransmission: true });
    expect(late.occurredAt.toISOString()).toBe('2026-11-28T02:21:07.000Z');
  });

  it('accepts prefixed element names and comments', () => {
    const xml = `<?xml version="1.0"?><!-- pushed by a proxy --><h:EventNotificationAlert xmlns:h="http://www.isapi.org/ver20/XMLSchema"><h:macAddress>24-0F-9B-3A-51-C7</h:macAddress><h:channelID>2</h:channelID><h:dateTime>2026-11-28T10:21:07+08:00</h:dateTime><h:activePostCount>1</h:activePostCount><h:eventType>AID</h:eventType><h:eventState>active</h:eventState><h:AID><h:illegalTrafficEvent>construction</h:illegalTrafficEvent></h:AID></h:EventNotificationAlert>`;
    const e = only(adaptHikvisionAlert(xml, options));
    expect(e.deviceId).toBe('24:0f:9b:3a:51:c7:ch2');
    expect(e.detections[0].label).toBe('construction');
  });

  describe('rejections', () => {
    it.each([
      ['an XXE document', XXE_ALERT, 'not-xml'],
      ['a billion-laughs document', BILLION_LAUGHS, 'not-xml'],
      ['truncated XML', AID_ILLEGAL_PARKING.slice(0, 400), 'not-xml'],
      ['mismatched tags', AID_ILLEGAL_PARKING.replace('</laneNo>', '</lane>'), 'not-xml'],
      ['an undefined entity', hikAlert({ channelName: 'A &nbsp; B' }), 'not-xml'],
      ['a JSON alert', '{"eventType":"AID","eventState":"active"}', 'not-xml'],
      ['plain text', 'hello', 'not-xml'],
      ['another root element', '<ResponseStatus><statusCode>1</statusCode></ResponseStatus>', 'unsupported-message'],
      ['a foreign namespace', hikAlert({ namespace: 'http://example.invalid/alarm' }), 'invalid-schema'],
      ['no eventType', hikAlert({}, '', ['eventType']), 'invalid-schema'],
      ['no dateTime', hikAlert({}, '', ['dateTime']), 'invalid-schema'],
      ['an unknown eventState', hikAlert({ eventState: 'paused' }), 'invalid-schema'],
      ['an unreadable dateTime', hikAlert({ dateTime: '28/11/2026 10:21' }, '<AID><illegalTrafficEvent>x</illegalTrafficEvent></AID>'), 'invalid-schema'],
      [
        'an unset device clock',
        hikAlert({ dateTime: '1970-01-01T08:00:05+08:00' }, '<AID><illegalTrafficEvent>x</illegalTrafficEvent></AID>'),
        'invalid-schema',
      ],
      ['a February 30th', hikAlert({ dateTime: '2026-02-30T10:00:00+08:00' }, '<AID><illegalTrafficEvent>x</illegalTrafficEvent></AID>'), 'invalid-schema'],
      ['a non-numeric activePostCount', hikAlert({ activePostCount: 'many' }, '<AID><illegalTrafficEvent>x</illegalTrafficEvent></AID>'), 'invalid-schema'],
      ['AID without illegalTrafficEvent', hikAlert({}, '<AID><laneNo>1</laneNo></AID>'), 'invalid-schema'],
      ['ANPR without licensePlate', hikAlert({ eventType: 'ANPR' }, '<ANPR><confidenceLevel>90</confidenceLevel></ANPR>'), 'invalid-schema'],
      [
        'ANPR confidence above 100',
        hikAlert({ eventType: 'ANPR' }, '<ANPR><licensePlate>粤A1</licensePlate><confidenceLevel>130</confidenceLevel></ANPR>'),
        'invalid-schema',
      ],
      ['motion detection', VMD_ALERT, 'unsupported-message'],
      ['no device identity', hikAlert({}, '<AID><illegalTrafficEvent>x</illegalTrafficEvent></AID>', ['ipAddress', 'macAddress']), 'missing-device-id'],
    ])('rejects %s', (_name, xml, reason) => {
      const r = adaptHikvisionAlert(xml, options);
      expect(reasonOf(r)).toBe(reason);
      expect(detailOf(r)).not.toBe('');
    });

    it('says it refused a DTD rather than failing to parse', () => {
      expect(detailOf(adaptHikvisionAlert(XXE_ALERT, options))).toMatch(/^refused: <!DOCTYPE>/);
    });

    it('rejects invalid UTF-8 and oversized posts', () => {
      expect(reasonOf(adaptHikvisionAlert(Buffer.from([0x3c, 0xff, 0x3e]), options))).toBe('not-utf8');
      expect(reasonOf(adaptHikvisionAlert(ANPR_PLATE, { ...options, maxBytes: 1000 }))).toBe('payload-too-large');
      expect(reasonOf(adaptHikvisionAlert('<a>' + 'x'.repeat(70 * 1024) + '</a>', options))).toBe('payload-too-large');
    });
  });

  describe('properties', () => {
    const mutation = fc.record({
      kind: fc.constantFrom('truncate' as const, 'delete' as const, 'insert' as const, 'replace' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      length: fc.integer({ min: 1, max: 40 }),
      text: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('<', '>', '&', '</x>', '<!DOCTYPE a>', ']]>', '&#0;', '"')),
    });
    // Random XML-ish trees: ISAPI-like names, random text, bounded nesting, sometimes entities or junk.
    const names = fc.constantFrom(
      'EventNotificationAlert',
      'eventType',
      'eventState',
      'dateTime',
      'AID',
      'ANPR',
      'illegalTrafficEvent',
      'licensePlate',
      'macAddress',
      'channelID',
      'x',
    );
    const texts = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('active', 'inactive', 'AID', 'ANPR', '2026-11-28T10:21:07+08:00', '&amp;', '&bogus;', '<![CDATA[x]]>'),
    );
    const xmlNode = (depth: number): fc.Arbitrary<string> =>
      depth === 0
        ? fc.tuple(names, texts).map(([n, t]) => `<${n}>${t}</${n}>`)
        : fc.tuple(names, texts, fc.array(xmlNode(depth - 1), { maxLength: 4 })).map(([n, t, c]) => `<${n}>${t}${c.join('')}</${n}>`);
    const node = xmlNode(3);

    it('never throws on random strings or bytes, and always answers ok or a known rejection', () => {
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 200 }), fc.json()), (p) => outcomeProblem(adaptHikvisionAlert(p, options)) === undefined),
        { numRuns: 500 },
      );
    });

    it('never throws on random XML-ish trees', () => {
      fc.assert(
        fc.property(node, (xml) => outcomeProblem(adaptHikvisionAlert(xml, options)) === undefined),
        { numRuns: 500 },
      );
    });

    it('never throws on corrupted real alerts', () => {
      const samples = [AID_ILLEGAL_PARKING, ANPR_PLATE, FIELD_DETECTION_VEHICLE, NVR_PSIA_FIELD_DETECTION, HEARTBEAT_VIDEOLOSS, TFS_CONSTRUCTION_ROADBLOCK];
      fc.assert(
        fc.property(fc.constantFrom(...samples), mutation, (xml, m) => outcomeProblem(adaptHikvisionAlert(mutate(xml, m), options)) === undefined),
        { numRuns: 1000 },
      );
    });
  });
});
