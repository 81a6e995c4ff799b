/**
 * Pure payload generators for the device simulator and the benchmark: every message a CloudPatrol
 * deployment receives, built from the adapters' own fixtures and examples so the shapes stay the ones
 * the adapters are tested with. No I/O here: a message is data (transport, topic, payload, sender).
 */
import { EMERGENCY_RECORD_V1_EXAMPLE, FIRE_RECORD_V1_EXAMPLE, POLICE_RECORD_V1_EXAMPLE } from '@app/domain';
import { aircraftOsd } from '../../test/fixtures/payloads/dji-cloud.fixtures';
import { frigateCar, FrigateObjectFixture } from '../../test/fixtures/payloads/frigate-event.fixtures';
import { hikAlert } from '../../test/fixtures/payloads/hikvision-isapi.fixtures';

export type SimTransport = 'mqtt' | 'kafka' | 'http';

/** What a message stands for, for the simulator's counts. */
export type SimKind =
  'garbage' | 'generic' | 'frigate-parked' | 'frigate-moving' | 'frigate-vendor' | 'hikvision' | 'dji-osd' | 'fire' | 'police' | 'emergency';

export interface SimMessage {
  transport: SimTransport;
  /** MQTT topic; Kafka topic without the tenancy prefix; HTTP path. */
  topic: string;
  /** Kafka message key (the record's platform:id keeps one record's revisions in order). */
  key?: string;
  payload: string;
  /** Who sends it: the MQTT username / HTTP Basic user (the device id, or "frigate" for the NVR). */
  sender: string;
  kind: SimKind;
  /** The source event id CloudPatrol will derive (when the generator knows it). */
  eventId?: string;
  malformed?: boolean;
  duplicate?: boolean;
}

export interface Point {
  lat: number;
  lng: number;
}

export const HIKVISION_HTTP_PATH = '/api/v1/ingest/hikvision';
export const FRIGATE_SENDER = 'frigate';

/** ISO 8601 with an explicit offset (the district's +08:00 by default), as cameras and platforms write it. */
export function isoWithOffset(at: Date, offsetMinutes = 480): string {
  const local = new Date(at.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${local.toISOString().slice(0, 19)}${off}`;
}

export const genericTopic = (deviceId: string): string => `cloudpatrol/v1/devices/${deviceId}/events`;

/** CloudPatrol's own JSON event on `cloudpatrol/v1/devices/{id}/events` (cameras with an on-board model, gateways). */
export function genericEvent(e: {
  eventId: string;
  deviceId: string;
  occurredAt: Date;
  label: string;
  confidence?: number;
  location?: Point;
  kind?: SimKind;
  /** A tracked object (dwell rules need one): the camera's tracker id, the plate it read, whether it stands still. */
  trackId?: string;
  plate?: string;
  stationary?: boolean;
}): SimMessage {
  const detection = {
    label: e.label,
    confidence: e.confidence ?? 0.9,
    ...(e.trackId !== undefined && { trackId: e.trackId }),
    ...(e.plate !== undefined && { plate: e.plate }),
    ...(e.stationary !== undefined && { stationary: e.stationary }),
  };
  const body = {
    eventId: e.eventId,
    deviceId: e.deviceId,
    occurredAt: e.occurredAt.toISOString(),
    ...(e.location && { location: { lat: round(e.location.lat, 6), lng: round(e.location.lng, 6) } }),
    detections: [detection],
  };
  return {
    transport: 'mqtt',
    topic: genericTopic(e.deviceId),
    payload: JSON.stringify(body),
    sender: e.deviceId,
    kind: e.kind ?? 'generic',
    eventId: e.eventId,
  };
}

/** A tracked object as the simulator keeps it between Frigate messages. */
export interface FrigateTrack {
  id: string;
  camera: string;
  label: string;
  subLabel?: string;
  plate?: string;
  zones: string[];
  startSec: number;
  stationary: boolean;
  box: [number, number, number, number];
  lastFrameSec: number;
  updates: number;
  kind: Extract<SimKind, 'frigate-parked' | 'frigate-moving' | 'frigate-vendor'>;
}

/** One `frigate/events` message (`new`, `update` or `end`) for a track; `before` is the previous frame. */
export function frigateEvent(track: FrigateTrack, type: 'new' | 'update' | 'end', nowSec: number, topicPrefix = 'frigate'): SimMessage {
  const object = (frameSec: number, ended: boolean): FrigateObjectFixture =>
    frigateCar({
      id: track.id,
      camera: track.camera,
      frame_time: frameSec,
      snapshot: { frame_time: frameSec, box: track.box, area: area(track.box), region: [0, 0, 1280, 720], score: 0.86, attributes: [] },
      label: track.label,
      sub_label: track.subLabel ? [track.subLabel, 0.91] : null,
      start_time: track.startSec,
      end_time: ended ? frameSec : null,
      box: track.box,
      area: area(track.box),
      active: !track.stationary,
      stationary: track.stationary,
      motionless_count: track.stationary ? Math.round((frameSec - track.startSec) * 5) : 0,
      position_changes: track.stationary ? 1 : 1 + track.updates,
      current_zones: ended ? [] : track.zones,
      entered_zones: track.zones,
      path_data: [],
      recognized_license_plate: track.plate ?? null,
      recognized_license_plate_score: track.plate ? 0.93 : null,
    });
  const before = object(type === 'new' ? nowSec : track.lastFrameSec, false);
  const after = object(nowSec, type === 'end');
  return { transport: 'mqtt', topic: `${topicPrefix}/events`, payload: JSON.stringify({ type, before, after }), sender: FRIGATE_SENDER, kind: track.kind };
}

/** A Hikvision AID "illegalParking" alarm (XML), pushed over HTTP by the camera. */
export function hikvisionParkingAlarm(a: { deviceId: string; mac: string; channel: string; ip?: string; at: Date; plate: string; lane?: number }): SimMessage {
  const xml = hikAlert(
    { macAddress: a.mac, channelID: a.channel, ipAddress: a.ip ?? '10.20.31.64', dateTime: isoWithOffset(a.at), channelName: 'Simulated lane camera' },
    `  <AID>
    <illegalTrafficEvent>illegalParking</illegalTrafficEvent>
    <laneNo>${a.lane ?? 2}</laneNo>
    <direction>upstream</direction>
    <PlateInfo>
      <plate>${a.plate}</plate>
      <plateColor>blue</plateColor>
      <confidenceLevel>95</confidenceLevel>
    </PlateInfo>
  </AID>
`,
  );
  return { transport: 'http', topic: HIKVISION_HTTP_PATH, payload: xml, sender: a.deviceId, kind: 'hikvision' };
}

/** DJI Cloud API aircraft OSD on `thing/product/{sn}/osd` (telemetry: stored as the latest position, not as an event). */
export function djiOsd(o: { sn: string; gateway?: string; at: Date; position: Point; height?: number; tid: string }): SimMessage {
  const payload = aircraftOsd(
    { latitude: round(o.position.lat, 7), longitude: round(o.position.lng, 7), height: o.height ?? 120 },
    { timestamp: o.at.getTime(), gateway: o.gateway ?? o.sn, tid: o.tid, bid: `${o.tid}-b` },
  );
  return { transport: 'mqtt', topic: `thing/product/${o.sn}/osd`, payload, sender: o.gateway ?? o.sn, kind: 'dji-osd' };
}

export type Department = 'fire' | 'police' | 'emergency';

export const DEPARTMENT_TYPES: Record<Department, readonly string[]> = {
  fire: ['smoke_alarm', 'blocked_fire_exit', 'blocked_fire_lane', 'fire_equipment_fault'],
  police: ['illegal_vending', 'street_occupation', 'public_order', 'traffic_obstruction', 'noise_nuisance'],
  emergency: ['flooding', 'fallen_tree', 'road_damage', 'hazard'],
};

/** A fire / police / emergency platform record (the published v1 schemas), for `monitoring.<dept>.v1`. */
export function departmentRecord(dept: Department, r: { recordId: string; at: Date; location: Point; type: string }): SimMessage {
  const base = dept === 'fire' ? FIRE_RECORD_V1_EXAMPLE : dept === 'police' ? POLICE_RECORD_V1_EXAMPLE : EMERGENCY_RECORD_V1_EXAMPLE;
  const record: Record<string, unknown> = {
    ...base,
    recordId: r.recordId,
    reportedAt: isoWithOffset(r.at),
    location: { lat: round(r.location.lat, 6), lng: round(r.location.lng, 6) },
    type: r.type,
  };
  if ('occurredAt' in base) record.occurredAt = isoWithOffset(new Date(r.at.getTime() - 4000));
  if (dept === 'police') record.referral = { ...POLICE_RECORD_V1_EXAMPLE.referral, referralNo: `YJ-${r.recordId}`, referredAt: isoWithOffset(r.at) };
  return {
    transport: 'kafka',
    topic: `monitoring.${dept}.v1`,
    key: `${base.platform}:${r.recordId}`,
    payload: JSON.stringify(record),
    sender: base.platform,
    kind: dept,
    eventId: `${base.platform}:${r.recordId}`,
  };
}

/** Broken input of the kind real feeds produce: cut-off JSON, a missing device, a wrong schema, not XML. */
export function malformedLike(m: SimMessage, variant: number): SimMessage {
  const bad = (payload: string): SimMessage => ({ ...m, payload, malformed: true, eventId: undefined });
  switch (m.transport) {
    case 'http':
      return bad(variant % 2 === 0 ? m.payload.slice(0, Math.floor(m.payload.length / 2)) : 'not an alarm');
    case 'kafka':
      return bad(
        variant % 2 === 0
          ? m.payload.slice(0, Math.floor(m.payload.length * 0.7))
          : JSON.stringify({ ...(JSON.parse(m.payload) as object), schemaVersion: 99 }),
      );
    case 'mqtt': {
      if (variant % 3 === 0) return bad(m.payload.slice(0, Math.floor(m.payload.length * 0.6)));
      const body = JSON.parse(m.payload) as Record<string, unknown>;
      if (m.kind === 'generic' || m.kind === 'garbage') {
        delete body.deviceId;
        return bad(JSON.stringify(body));
      }
      if (m.kind === 'dji-osd') return bad(JSON.stringify({ ...body, tid: undefined, bid: 42 }));
      const after = body.after as Record<string, unknown> | undefined;
      return bad(JSON.stringify({ ...body, after: { ...after, camera: '' } }));
    }
  }
}

const area = (b: [number, number, number, number]): number => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;
