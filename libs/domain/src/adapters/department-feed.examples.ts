/**
 * One example record per department feed topic: the same JSON as in docs/schemas/<topic>.md.
 * SYNTHETIC data (made-up ids, positions and names). Exported for tests, fixtures and producers' reference.
 */

export const FIRE_RECORD_V1_EXAMPLE = {
  schemaVersion: 1,
  recordId: 'FA-20261128-000731',
  platform: 'FIRE-PLATFORM',
  deviceId: 'SD-0571-33A0-0192',
  stationId: 'FS-XIHU-02',
  reportedAt: '2026-11-28T10:02:41+08:00',
  occurredAt: '2026-11-28T10:02:37+08:00',
  location: { lat: 23.10412, lng: 113.25633 },
  address: 'Synthetic Road 18, Unit 3, ground-floor shop',
  type: 'smoke_alarm',
  severity: 'high',
  confidence: 0.9,
  description: 'Independent smoke detector alarm, kitchen of a street-front restaurant',
  premises: 'Synthetic Noodle House',
  attachments: [{ kind: 'photo', url: 'https://fire.example.invalid/alarms/FA-20261128-000731/1.jpg' }],
} as const;

export const POLICE_RECORD_V1_EXAMPLE = {
  schemaVersion: 1,
  recordId: 'JQ-20261128-004417',
  platform: 'POLICE-PLATFORM',
  stationId: 'PS-TOWNSHIP-01',
  reportedAt: '2026-11-28T21:14:05+08:00',
  occurredAt: '2026-11-28T20:55:00+08:00',
  location: { lat: 23.10988, lng: 113.24817 },
  address: 'Synthetic Night Market, east entrance',
  type: 'illegal_vending',
  severity: 'medium',
  description: 'Caller reports food stalls blocking the pavement; no police matter, referred to city management',
  referral: { referralNo: 'YJ-2026-11-0391', referringUnit: 'Township 01 police station', referredAt: '2026-11-28T21:13:40+08:00' },
} as const;

export const EMERGENCY_RECORD_V1_EXAMPLE = {
  schemaVersion: 1,
  recordId: 'EM-2026-11-28-0057',
  platform: 'EMERGENCY-PLATFORM',
  deviceId: 'WL-SENSOR-0088',
  reportedAt: '2026-11-28T06:40:12+08:00',
  location: { lat: 23.09871, lng: 113.26102 },
  address: 'Synthetic Underpass, north approach',
  type: 'flooding',
  severity: 'critical',
  description: 'Water-level sensor above 35 cm in the underpass',
  warningLevel: 'orange',
  extensions: { waterLevelCm: 38, sensorModel: 'WL-2' },
} as const;

/** The examples as the JSON text a producer publishes, by topic. */
export const DEPARTMENT_FEED_EXAMPLES = {
  'monitoring.fire.v1': JSON.stringify(FIRE_RECORD_V1_EXAMPLE, null, 2),
  'monitoring.police.v1': JSON.stringify(POLICE_RECORD_V1_EXAMPLE, null, 2),
  'monitoring.emergency.v1': JSON.stringify(EMERGENCY_RECORD_V1_EXAMPLE, null, 2),
} as const;
