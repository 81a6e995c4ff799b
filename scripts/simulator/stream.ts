/**
 * A realistic mixed stream: Frigate tracks of parked and moving vehicles and of street vendors, exposed
 * garbage (and a little construction / advertising) on the generic topic, Hikvision AID alarms over HTTP,
 * DJI aircraft OSD, and fire / police / emergency platform records on Kafka; a chosen share re-sent
 * verbatim (duplicates, as QoS 1 redelivery and retrying feeds produce) and a chosen share broken.
 * Pure apart from the clock it is given: the same seed and clock give the same messages.
 */
import { SimDistrict, SimTarget } from './district';
import {
  Department,
  DEPARTMENT_TYPES,
  departmentRecord,
  djiOsd,
  FRIGATE_SENDER,
  FrigateTrack,
  frigateEvent,
  genericEvent,
  hikvisionParkingAlarm,
  malformedLike,
  SimKind,
  SimMessage,
  SimTransport,
} from './payloads';
import { mulberry32, pick, plate } from './random';

export const SIM_KINDS: readonly SimKind[] = [
  'garbage',
  'generic',
  'frigate-parked',
  'frigate-moving',
  'frigate-vendor',
  'hikvision',
  'dji-osd',
  'fire',
  'police',
  'emergency',
];

/** Relative weights of the default mix (a district's busy afternoon, roughly). */
export const DEFAULT_MIX: Record<SimKind, number> = {
  garbage: 20,
  generic: 5,
  'frigate-parked': 15,
  'frigate-moving': 15,
  'frigate-vendor': 8,
  hikvision: 5,
  'dji-osd': 12,
  fire: 4,
  police: 9,
  emergency: 7,
};

const TRANSPORT_OF: Record<SimKind, SimTransport> = {
  garbage: 'mqtt',
  generic: 'mqtt',
  'frigate-parked': 'mqtt',
  'frigate-moving': 'mqtt',
  'frigate-vendor': 'mqtt',
  hikvision: 'http',
  'dji-osd': 'mqtt',
  fire: 'kafka',
  police: 'kafka',
  emergency: 'kafka',
};

export interface StreamOptions {
  district: SimDistrict;
  /** Prefix of every id the simulator makes, so runs never collide (default: a time-based one). */
  runId?: string;
  seed?: number;
  /** Share (0..1) of messages that re-send an earlier message verbatim. */
  duplicates?: number;
  /** Share (0..1) of messages that are broken (cut-off JSON, missing device, wrong schema, not XML). */
  malformed?: number;
  mix?: Partial<Record<SimKind, number>>;
  /** Transports that are connected; kinds on the others are left out of the mix. */
  transports: Record<SimTransport, boolean>;
  frigateTopicPrefix?: string;
  /** MQTT user Frigate publishes as (default "frigate"). */
  frigateSender?: string;
}

export interface StreamCounts {
  total: number;
  duplicates: number;
  malformed: number;
  byKind: Record<string, number>;
}

export class SimulatedStream {
  private readonly rand: () => number;
  private readonly runId: string;
  private readonly kinds: SimKind[];
  private readonly cumulative: number[];
  private readonly recent: SimMessage[] = [];
  private readonly tracks: Record<FrigateTrack['kind'], FrigateTrack[]> = { 'frigate-parked': [], 'frigate-moving': [], 'frigate-vendor': [] };
  private seq = 0;
  readonly counts: StreamCounts = { total: 0, duplicates: 0, malformed: 0, byKind: {} };

  constructor(private readonly o: StreamOptions) {
    this.rand = mulberry32(o.seed ?? 1);
    this.runId = o.runId ?? `sim${Date.now().toString(36)}`;
    const mix = { ...DEFAULT_MIX, ...o.mix };
    const d = o.district;
    const available = (k: SimKind): boolean => {
      if (!o.transports[TRANSPORT_OF[k]]) return false;
      if (k === 'hikvision') return d.hikvision.length > 0;
      if (k === 'dji-osd') return d.drones.length > 0;
      if (k.startsWith('frigate-')) return d.frigateCameras.length > 0;
      if (k === 'garbage' || k === 'generic') return d.genericDevices.length > 0 && d.targets.length > 0;
      return d.targets.length > 0;
    };
    this.kinds = SIM_KINDS.filter((k) => available(k) && (mix[k] ?? 0) > 0);
    if (this.kinds.length === 0) throw new Error('nothing to simulate: no transport connected for any kind in the mix');
    let sum = 0;
    this.cumulative = this.kinds.map((k) => (sum += mix[k]));
  }

  /** The next message, as of `now`. */
  next(now: Date): SimMessage {
    const r = this.rand();
    let msg: SimMessage;
    if (r < (this.o.duplicates ?? 0) && this.recent.length > 0) {
      msg = { ...pick(this.rand, this.recent), duplicate: true };
      this.counts.duplicates++;
    } else if (r < (this.o.duplicates ?? 0) + (this.o.malformed ?? 0)) {
      msg = malformedLike(this.fresh(now), this.seq);
      this.counts.malformed++;
    } else {
      msg = this.fresh(now);
      if (this.recent.length < 500) this.recent.push(msg);
      else this.recent[this.seq % 500] = msg;
    }
    this.counts.total++;
    this.counts.byKind[msg.kind] = (this.counts.byKind[msg.kind] ?? 0) + 1;
    return msg;
  }

  private fresh(now: Date): SimMessage {
    const x = this.rand() * this.cumulative[this.cumulative.length - 1];
    const kind = this.kinds[this.cumulative.findIndex((c) => x < c)] ?? this.kinds[0];
    const n = ++this.seq;
    const d = this.o.district;
    const target = (): SimTarget => pick(this.rand, d.targets);
    switch (kind) {
      case 'garbage':
      case 'generic': {
        const t = target();
        const label = kind === 'garbage' ? 'garbage' : pick(this.rand, ['construction', 'banner', 'scaffold']);
        return genericEvent({
          eventId: `${this.runId}-${n}`,
          deviceId: pick(this.rand, d.genericDevices),
          occurredAt: now,
          label,
          confidence: 0.7 + 0.29 * this.rand(),
          location: jitter(t, this.rand),
          kind,
        });
      }
      case 'frigate-parked':
      case 'frigate-moving':
      case 'frigate-vendor':
        return this.frigate(kind, now);
      case 'hikvision': {
        const h = pick(this.rand, d.hikvision);
        return hikvisionParkingAlarm({ deviceId: h.deviceId, mac: h.mac, channel: h.channel, at: now, plate: plate(this.rand), lane: 1 + (n % 3) });
      }
      case 'dji-osd': {
        const t = target();
        const sn = pick(this.rand, d.drones);
        // An aircraft under a dock is heard through the dock (its gateway), as DJI Cloud API does.
        return djiOsd({ sn, gateway: d.gateways[sn], at: now, position: jitter(t, this.rand), height: 80 + 60 * this.rand(), tid: `${this.runId}-osd-${n}` });
      }
      case 'fire':
      case 'police':
      case 'emergency': {
        const dept: Department = kind;
        return departmentRecord(dept, {
          recordId: `${this.runId}-${dept}-${n}`,
          at: now,
          location: jitter(target(), this.rand),
          type: pick(this.rand, DEPARTMENT_TYPES[dept]),
        });
      }
    }
  }

  /** Who publishes a camera's Frigate events: --frigate-user when given, else the NVR the camera is registered under. */
  private frigateSender(track: FrigateTrack): string {
    return this.o.frigateSender ?? this.o.district.frigateCameras.find((c) => c.frigateCamera === track.camera)?.nvr ?? FRIGATE_SENDER;
  }

  private frigate(kind: FrigateTrack['kind'], now: Date): SimMessage {
    const pool = this.tracks[kind];
    const nowSec = now.getTime() / 1000;
    const prefix = this.o.frigateTopicPrefix ?? 'frigate';
    const wanted = kind === 'frigate-moving' ? 12 : 20;
    if (pool.length === 0 || (pool.length < wanted && this.rand() < 0.25)) {
      const track = this.newTrack(kind, nowSec);
      pool.push(track);
      return { ...frigateEvent(track, 'new', nowSec, prefix), sender: this.frigateSender(track) };
    }
    const i = Math.floor(this.rand() * pool.length);
    const track = pool[i];
    track.updates++;
    // Moving objects leave after a few frames; parked cars and vendors stay, and now and then go.
    const ends = kind === 'frigate-moving' ? track.updates >= 4 + (Math.floor(track.startSec) % 4) : this.rand() < 0.01;
    if (!track.stationary) track.box = track.box.map((v, j) => v + (j % 2 === 0 ? 14 : 3)) as FrigateTrack['box'];
    const msg = { ...frigateEvent(track, ends ? 'end' : 'update', nowSec, prefix), sender: this.frigateSender(track) };
    track.lastFrameSec = nowSec;
    if (ends) pool.splice(i, 1);
    return msg;
  }

  private newTrack(kind: FrigateTrack['kind'], nowSec: number): FrigateTrack {
    const cams = this.o.district.frigateCameras;
    const withZone = (types: string[]) => cams.filter((c) => Object.values(c.zones).some((t) => types.includes(t)));
    const zonesOf = (c: (typeof cams)[number], types: string[]) =>
      Object.entries(c.zones)
        .filter(([, t]) => types.includes(t))
        .map(([z]) => z);
    const id = `${nowSec.toFixed(6)}-${this.runId}${(++this.seq).toString(36)}`;
    const base = { id, startSec: nowSec, lastFrameSec: nowSec, updates: 0, kind };
    if (kind === 'frigate-vendor') {
      const cam = pick(this.rand, withZone(['night-market']).length ? withZone(['night-market']) : cams);
      return {
        ...base,
        camera: cam.frigateCamera,
        label: 'person',
        subLabel: 'vendor',
        zones: zonesOf(cam, ['night-market']),
        stationary: true,
        box: [420, 300, 520, 560],
      };
    }
    if (kind === 'frigate-parked') {
      const types = ['no-parking', 'fire-lane', 'loading-bay'];
      const cam = pick(this.rand, withZone(types).length ? withZone(types) : cams);
      const zones = zonesOf(cam, types);
      return {
        ...base,
        camera: cam.frigateCamera,
        label: pick(this.rand, ['car', 'car', 'car', 'truck']),
        plate: plate(this.rand),
        zones: zones.length ? [pick(this.rand, zones)] : [],
        stationary: true,
        box: [815, 404, 1104, 609],
      };
    }
    const cam = pick(this.rand, cams);
    return {
      ...base,
      camera: cam.frigateCamera,
      label: pick(this.rand, ['car', 'car', 'bus', 'motorcycle', 'bicycle']),
      zones: ['carriageway'],
      stationary: false,
      box: [100, 380, 300, 520],
    };
  }
}

/** A point within ~30 m of the target (several detections of one thing never share exact coordinates). */
function jitter(t: SimTarget, rand: () => number): { lat: number; lng: number } {
  return { lat: t.lat + (rand() - 0.5) * 0.0005, lng: t.lng + (rand() - 0.5) * 0.0005 };
}
