/**
 * DJI Cloud API messages reconstructed from the published thing-model shapes (Dock + M30T / M3TD
 * aircraft, DJI Pilot 2). SYNTHETIC serial numbers, ids, object keys and positions.
 */

export const DOCK_SN = '7CTDM4100B0SYN';
export const AIRCRAFT_SN = '1581F5BKD223D00SYN';

/** Aircraft OSD while flying a patrol: main camera "53-0-0" with a rangefinder lock, FPV "39-0-7". */
export function aircraftOsd(data: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}): string {
  return JSON.stringify({
    tid: '5a3e1c2f-8d7b-4c11-9a0e-2f6c1b7d9e01',
    bid: '0d6f4b8a-3e2c-4b5d-8f1a-6c9e2d7b3a10',
    timestamp: 1764296530123,
    gateway: DOCK_SN,
    data: {
      mode_code: 5,
      gear: 1,
      latitude: 23.1049213,
      longitude: 113.2551068,
      height: 132.4,
      elevation: 80.1,
      attitude_head: -37.5,
      attitude_pitch: -2.1,
      attitude_roll: 0.4,
      horizontal_speed: 7.9,
      vertical_speed: 0,
      home_distance: 812.3,
      wind_speed: 3.2,
      wind_direction: 2,
      battery: { capacity_percent: 71, remain_flight_time: 1320, return_home_power: 22, landing_power: 8 },
      position_state: { is_fixed: 2, quality: 5, gps_number: 18, rtk_number: 31 },
      track_id: 'b1d2c3e4-0000-4f00-8000-00000000syn1',
      '53-0-0': {
        payload_index: '53-0-0',
        gimbal_pitch: -48.3,
        gimbal_roll: 0,
        gimbal_yaw: -36.9,
        zoom_factor: 5.6,
        measure_target_altitude: 14.2,
        measure_target_distance: 118.7,
        measure_target_error_state: 0,
        measure_target_latitude: 23.1041871,
        measure_target_longitude: 113.2559402,
      },
      '39-0-7': { payload_index: '39-0-7', gimbal_pitch: 0, gimbal_roll: 0, gimbal_yaw: -37.5 },
      ...data,
    },
    ...envelope,
  });
}

/** One of the dock's own OSD frames: environment only, no position. */
export const DOCK_ENVIRONMENT_OSD = JSON.stringify({
  tid: 'e4c15182-776b-4c13-9973-3fc76848csyn',
  bid: 'd6cfcea4-c6ca-439b-948f-b17d88fcsyn1',
  timestamp: 1764296531000,
  gateway: DOCK_SN,
  data: { network_state: { type: 2, quality: 4, rate: 5.1 }, drone_in_dock: 0, rainfall: 0, wind_speed: 2.4, environment_temperature: 19, humidity: 71 },
});

/** A photo reached object storage during a dock flight task; the dock wants a reply. */
export function fileUploadCallback(file: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}): string {
  return JSON.stringify({
    tid: '9b8f3c21-2a7d-4e0b-b0a4-7f1d2e3c4b5a',
    bid: '3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f',
    timestamp: 1764296702456,
    gateway: DOCK_SN,
    method: 'file_upload_callback',
    need_reply: 1,
    data: {
      file: {
        object_key: 'wayline/8c1f2e3d-syn/DJI_202611281014_0042_W.jpeg',
        path: 'wayline/8c1f2e3d-syn',
        name: 'DJI_202611281014_0042_W.jpeg',
        cloud_to_cloud_id: 'DEFAULT',
        ext: { flight_id: '8c1f2e3d-4b5a-4697-8a1b-2c3d4e5f6syn', drone_model_key: '0-67-0', payload_model_key: '1-53-0', is_original: true, sn: AIRCRAFT_SN },
        metadata: {
          gimbal_yaw_degree: '-36.90',
          absolute_altitude: 132.41,
          relative_altitude: 80.12,
          created_time: '2026-11-28T10:14:51+08:00',
          shoot_position: { lat: 23.1049102, lng: 113.2551241 },
        },
        ...file,
      },
      flight_task: { expected_file_count: 64, uploaded_file_count: 42, flight_type: 0 },
    },
    ...envelope,
  });
}

/** Health-management event: not evidence, but it must be acknowledged. */
export const HMS_EVENT = JSON.stringify({
  tid: 'a1b2c3d4-0000-4000-8000-0000000hms01',
  bid: 'a1b2c3d4-0000-4000-8000-0000000hms02',
  timestamp: 1764296800000,
  gateway: DOCK_SN,
  method: 'hms',
  need_reply: 1,
  data: { list: [{ level: 1, module: 3, in_the_sky: 1, code: '0x16100083', device_type: '0-67-0', imminent: 0, args: { component_index: 0, sensor_index: 0 } }] },
});
