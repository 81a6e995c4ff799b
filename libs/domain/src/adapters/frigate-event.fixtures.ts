/**
 * Frigate `frigate/events` payloads, reconstructed from the shapes Frigate 0.12–0.16 publish
 * (SYNTHETIC camera names, ids, zones and plates). Plain data for tests.
 */

export interface FrigateObjectFixture {
  [key: string]: unknown;
}

/** A parked car on a street camera, as Frigate 0.14+ describes it (snapshot object, sub_label tuple, path data). */
export function frigateCar(overrides: FrigateObjectFixture = {}): FrigateObjectFixture {
  return {
    id: '1764295322.417655-7ykq2c',
    camera: 'xihu_rd_east',
    frame_time: 1764295391.839211,
    snapshot: {
      frame_time: 1764295388.104522,
      box: [812, 402, 1106, 611],
      area: 61446,
      region: [704, 288, 1216, 800],
      score: 0.86328125,
      attributes: [],
      current_estimated_speed: 0,
      velocity_angle: 0,
      path_data: [],
    },
    label: 'car',
    sub_label: null,
    top_score: 0.861328125,
    false_positive: false,
    start_time: 1764295322.417655,
    end_time: null,
    score: 0.83984375,
    box: [815, 404, 1104, 609],
    area: 59245,
    ratio: 1.409756,
    region: [704, 288, 1216, 800],
    active: false,
    stationary: true,
    motionless_count: 612,
    position_changes: 1,
    current_zones: ['no_parking_east'],
    entered_zones: ['carriageway', 'no_parking_east'],
    has_clip: true,
    has_snapshot: true,
    attributes: {},
    current_attributes: [],
    pending_loitering: false,
    max_severity: 'alert',
    current_estimated_speed: 0,
    average_estimated_speed: 0,
    velocity_angle: 0,
    path_data: [
      [[0.4547, 0.5641], 1764295322.417655],
      [[0.4932, 0.5653], 1764295326.02153],
    ],
    recognized_license_plate: '粤A3K7Q2',
    recognized_license_plate_score: 0.912,
    ...overrides,
  };
}

/** The same car's object one frame earlier: Frigate's `before`. */
export function frigateCarBefore(): FrigateObjectFixture {
  return frigateCar({ frame_time: 1764295330.113402, motionless_count: 40, stationary: false, active: true, current_zones: ['carriageway'] });
}

export function frigateMessage(type: string, after: FrigateObjectFixture = frigateCar(), before: FrigateObjectFixture = frigateCarBefore()): string {
  return JSON.stringify({ type, before, after });
}

/** A `new` message: first true-positive sighting of a person, no zone yet, no snapshot yet. */
export const FRIGATE_NEW_PERSON = JSON.stringify({
  type: 'new',
  before: {
    id: '1764300020.552101-q0d3mf',
    camera: 'market_st_gate',
    frame_time: 1764300020.552101,
    label: 'person',
    sub_label: null,
    top_score: 0.0,
    false_positive: true,
    start_time: 1764300020.552101,
    end_time: null,
    score: 0.71,
    box: [288, 166, 352, 330],
    current_zones: [],
    entered_zones: [],
    has_snapshot: false,
    has_clip: false,
    active: true,
    stationary: false,
    motionless_count: 0,
    position_changes: 0,
  },
  after: {
    id: '1764300020.552101-q0d3mf',
    camera: 'market_st_gate',
    frame_time: 1764300021.152604,
    label: 'person',
    sub_label: null,
    top_score: 0.7734375,
    false_positive: false,
    start_time: 1764300020.552101,
    end_time: null,
    score: 0.78125,
    box: [291, 163, 356, 333],
    current_zones: [],
    entered_zones: [],
    has_snapshot: false,
    has_clip: false,
    active: true,
    stationary: false,
    motionless_count: 0,
    position_changes: 0,
  },
});

/** Frigate 0.12-era `end` message: snapshot_time, string sub_label, no `active`, no plate fields. */
export const FRIGATE_END_LEGACY = JSON.stringify({
  type: 'end',
  before: {
    id: '1700112233.004411-ab12cd',
    camera: 'lane_cam_2',
    frame_time: 1700112601.2,
    snapshot_time: 1700112290.7,
    label: 'truck',
    sub_label: 'muck_truck',
    top_score: 0.8,
    false_positive: false,
    start_time: 1700112233.004411,
    end_time: null,
    score: 0.76,
    box: [100, 200, 400, 420],
    current_zones: ['fire_lane'],
    entered_zones: ['fire_lane'],
    has_snapshot: true,
    has_clip: true,
    stationary: true,
    motionless_count: 1500,
    position_changes: 0,
  },
  after: {
    id: '1700112233.004411-ab12cd',
    camera: 'lane_cam_2',
    frame_time: 1700112603.9,
    snapshot_time: 1700112290.7,
    label: 'truck',
    sub_label: 'muck_truck',
    top_score: 0.8,
    false_positive: false,
    start_time: 1700112233.004411,
    end_time: 1700112603.9,
    score: 0.71,
    box: [100, 200, 400, 420],
    current_zones: [],
    entered_zones: ['fire_lane'],
    has_snapshot: true,
    has_clip: true,
    stationary: false,
    motionless_count: 0,
    position_changes: 1,
  },
});
