/**
 * Hikvision ISAPI EventNotificationAlert documents, reconstructed from the documented message shapes and
 * from real device pushes (SYNTHETIC addresses, MACs, plates and names).
 */

const HIK_NS = 'http://www.hikvision.com/ver20/XMLSchema';
const ISAPI_NS = 'http://www.isapi.org/ver20/XMLSchema';

export interface AlertHeader {
  namespace?: string;
  ipAddress?: string;
  macAddress?: string;
  channelID?: string;
  dateTime?: string;
  activePostCount?: string;
  eventType?: string;
  eventState?: string;
  eventDescription?: string;
  channelName?: string;
}

const HEADER_DEFAULTS: Required<AlertHeader> = {
  namespace: ISAPI_NS,
  ipAddress: '10.20.31.64',
  macAddress: '24:0f:9b:3a:51:c7',
  channelID: '1',
  dateTime: '2026-11-28T10:21:07+08:00',
  activePostCount: '1',
  eventType: 'AID',
  eventState: 'active',
  eventDescription: 'AID alarm',
  channelName: 'Xihu Rd / Market St NE',
};

/** Build an alert: the header fields in ISAPI order, then the event-specific body. Omit a field with `undefined` in `omit`. */
export function hikAlert(header: AlertHeader = {}, body = '', omit: (keyof AlertHeader)[] = []): string {
  const h = { ...HEADER_DEFAULTS, ...header };
  const line = (k: Exclude<keyof AlertHeader, 'namespace'>) => (omit.includes(k) ? '' : `  <${k}>${h[k]}</${k}>\n`);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlert version="2.0" xmlns="${h.namespace}">\n` +
    line('ipAddress') +
    `  <portNo>80</portNo>\n  <protocol>HTTP</protocol>\n` +
    line('macAddress') +
    line('channelID') +
    line('dateTime') +
    line('activePostCount') +
    line('eventType') +
    line('eventState') +
    line('eventDescription') +
    line('channelName') +
    body +
    `</EventNotificationAlert>\n`
  );
}

/** Traffic incident detection (AID) on a road camera: a car parked in a no-stopping section. */
export const AID_ILLEGAL_PARKING = hikAlert(
  { namespace: HIK_NS },
  `  <AID>
    <illegalTrafficEvent>illegalParking</illegalTrafficEvent>
    <laneNo>2</laneNo>
    <direction>upstream</direction>
    <VehicleInfo>
      <vehicleType>vehicle</vehicleType>
      <vehicleColor>white</vehicleColor>
    </VehicleInfo>
    <PlateInfo>
      <plate>粤A5N8X1</plate>
      <plateColor>blue</plateColor>
      <confidenceLevel>96</confidenceLevel>
    </PlateInfo>
  </AID>
  <detectionPictureTransType>binary</detectionPictureTransType>
  <detectionPicturesNumber>2</detectionPicturesNumber>
  <isDataRetransmission>false</isDataRetransmission>
`,
);

/** Traffic enforcement (TFS) reporting two incidents at once on a works section. */
export const TFS_CONSTRUCTION_ROADBLOCK = hikAlert(
  { eventType: 'TFS', eventDescription: 'TFS alarm', activePostCount: '3', dateTime: '2026-11-28T14:02:55+08:00' },
  `  <TFS>
    <illegalTrafficEvent>construction,roadBlock</illegalTrafficEvent>
    <laneNo>1</laneNo>
  </TFS>
  <UUID>20261128140255120009kq3PZb2xT8uWn5</UUID>
`,
);

/** AID abandoned object on the carriageway (no plate). */
export const AID_ABANDONED_OBJECT = hikAlert(
  { activePostCount: '1', dateTime: '2026-11-28T16:40:02+08:00' },
  `  <AID>
    <illegalTrafficEvent>abandonedObject</illegalTrafficEvent>
    <laneNo>3</laneNo>
  </AID>
`,
);

/** ANPR read with GPS, as a checkpoint camera posts it. */
export const ANPR_PLATE = hikAlert(
  { eventType: 'ANPR', eventDescription: 'ANPR', channelName: 'Market St exit', dateTime: '2026-11-28T09:12:40+08:00' },
  `  <ANPR>
    <country>2</country>
    <licensePlate>粤A7Q2K9</licensePlate>
    <line>1</line>
    <direction>forward</direction>
    <confidenceLevel>97</confidenceLevel>
    <plateType>92TypeCivil</plateType>
    <plateColor>blue</plateColor>
    <vehicleType>vehicle</vehicleType>
    <vehicleInfo>
      <index>57</index>
      <color>black</color>
    </vehicleInfo>
    <pictureInfoList>
      <pictureInfo>
        <fileName>licensePlatePicture.jpg</fileName>
        <type>licensePlatePicture</type>
      </pictureInfo>
    </pictureInfoList>
    <originalLicensePlate>粤A7Q2K9</originalLicensePlate>
    <vehicleListName>otherList</vehicleListName>
  </ANPR>
  <UUID>2026112809124051200aZk29PqLm3Xc</UUID>
  <picNum>1</picNum>
  <isDataRetransmission>false</isDataRetransmission>
  <DeviceGPSInfo>
    <longitudeType>E</longitudeType>
    <latitudeType>N</latitudeType>
    <Longitude><degree>113</degree><minute>15</minute><sec>18.360000</sec></Longitude>
    <Latitude><degree>23</degree><minute>6</minute><sec>17.640000</sec></Latitude>
  </DeviceGPSInfo>
`,
);

/** ANPR with no plate read. */
export const ANPR_UNKNOWN_PLATE = hikAlert(
  { eventType: 'ANPR', eventDescription: 'ANPR', dateTime: '2026-11-28T09:13:02+08:00' },
  `  <ANPR>
    <licensePlate>unknown</licensePlate>
    <confidenceLevel>0</confidenceLevel>
    <vehicleType>SUVMPV</vehicleType>
  </ANPR>
`,
);

/** Intrusion (field detection) of a vehicle into a fire-lane region. */
export const FIELD_DETECTION_VEHICLE = hikAlert(
  { namespace: HIK_NS, eventType: 'fielddetection', eventDescription: 'fielddetection alarm', channelName: 'Fire lane B' },
  `  <DetectionRegionList>
    <DetectionRegionEntry>
      <regionID>2</regionID>
      <sensitivityLevel>50</sensitivityLevel>
      <RegionCoordinatesList>
        <RegionCoordinates><positionX>118</positionX><positionY>327</positionY></RegionCoordinates>
        <RegionCoordinates><positionX>999</positionX><positionY>326</positionY></RegionCoordinates>
        <RegionCoordinates><positionX>999</positionX><positionY>626</positionY></RegionCoordinates>
      </RegionCoordinatesList>
      <detectionTarget>vehicle</detectionTarget>
      <TargetRect><X>0.779688</X><Y>0.409722</Y><width>0.209375</width><height>0.459722</height></TargetRect>
    </DetectionRegionEntry>
  </DetectionRegionList>
  <detectionPictureTransType>binary</detectionPictureTransType>
  <detectionPicturesNumber>1</detectionPicturesNumber>
  <isDataRetransmission>false</isDataRetransmission>
`,
);

/** Old NVR firmware: PSIA namespace, no address fields, serial number in Extensions. */
export const NVR_PSIA_FIELD_DETECTION = `<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="1.0" xmlns="urn:psialliance-org">
<channelID>34</channelID>
<dateTime>2026-11-28T19:16:39+08:00</dateTime>
<activePostCount>174</activePostCount>
<eventType>fielddetection</eventType>
<eventState>active</eventState>
<Extensions>
<serialNumber xmlns="urn:selfextension:psiaext-ver10-xsd">DS-7608NXI-I2/8P0820261128CCRRSYN0001WCVU</serialNumber>
<eventPush xmlns="urn:selfextension:psiaext-ver10-xsd">fielddetection&amp;&amp;DS-7608NXI-I2/8P0820261128CCRRSYN0001WCVU,2026-11-28T19:16:39+08:00,34,1.0</eventPush>
</Extensions>
</EventNotificationAlert>
`;

/** The keep-alive a camera sends every few seconds while nothing happens. */
export const HEARTBEAT_VIDEOLOSS = hikAlert({
  namespace: HIK_NS,
  eventType: 'videoloss',
  eventState: 'inactive',
  eventDescription: 'videoloss alarm',
  activePostCount: '0',
});

/** An AID camera's heartbeat ("inactive" = not triggered). */
export const HEARTBEAT_AID = hikAlert({ eventState: 'inactive', activePostCount: '0' }, '  <AID><illegalTrafficEvent>unknown</illegalTrafficEvent></AID>\n');

/** Motion detection: a real push, but not an event CloudPatrol uses. */
export const VMD_ALERT = hikAlert({ eventType: 'VMD', eventDescription: 'Motion alarm' });

/** XXE: an external entity pointing at a local file. */
export const XXE_ALERT = `<?xml version="1.0"?>
<!DOCTYPE EventNotificationAlert [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<EventNotificationAlert xmlns="${ISAPI_NS}"><ipAddress>&xxe;</ipAddress></EventNotificationAlert>`;

/** "Billion laughs": nested entity expansion. */
export const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<EventNotificationAlert xmlns="${ISAPI_NS}"><eventDescription>&lol2;</eventDescription></EventNotificationAlert>`;
