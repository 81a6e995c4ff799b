import { z } from 'zod';

/** Response schemas of logins, users and devices. */

const instant = z.string().describe('ISO 8601 instant');

export const tokenPairSchema = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('seconds'),
  refreshToken: z.string().describe('good once: refreshing answers a new one'),
  refreshExpiresIn: z.number().int().describe('seconds'),
});

export const streamTokenSchema = z.object({ token: z.string(), expiresIn: z.number().int().describe('seconds') });

export const userViewSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: z.string(),
  displayName: z.string(),
  townshipCode: z.string().nullable(),
  unitCode: z.string().nullable(),
  disabled: z.boolean(),
  createdAt: instant,
});

export const userListSchema = z.object({ items: z.array(userViewSchema), total: z.number().int() });

export const deviceCredentialsSchema = z.object({ username: z.string(), password: z.string().describe('shown once') });

export const deviceViewSchema = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  ownerDepartment: z.string(),
  location: z.object({ lat: z.number(), lng: z.number() }).nullable(),
  address: z.string().nullable(),
  townshipCode: z.string().nullable(),
  frigateCamera: z.string().nullable(),
  parentId: z.string().nullable(),
  apiUrl: z.string().nullable(),
  aliases: z.array(z.string()),
  zones: z.record(z.string(), z.string()),
  status: z.enum(['active', 'retired']),
  review: z.object({
    legalReviewPassed: z.boolean(),
    technicalReviewPassed: z.boolean(),
    reviewedOn: z.string().nullable(),
    locationPublished: z.boolean(),
    usableAsPenaltyEvidence: z.boolean().describe('Administrative Penalty Law art. 41: only a reviewed device supports a penalty'),
  }),
  managedBy: z.enum(['config', 'api']),
  createdAt: instant,
  updatedAt: instant,
  lastSeenAt: instant.nullable().describe('when anything from the device last arrived (event, heartbeat, osd); null = never heard'),
  health: z.object({
    state: z.enum(['online', 'offline', 'never-seen']).describe('offline from the device.offline alert until it is heard again'),
    offlineSince: instant.nullable().describe('while offline: its last arrival before the silence'),
    offlineAfterSeconds: z.number().int().nullable().describe('seconds of silence before it is offline (devices.yaml); null = not watched'),
  }),
});

export const deviceTrackSchema = z.object({
  deviceId: z.string(),
  from: instant,
  to: instant,
  points: z.array(
    z.object({
      at: instant.describe('the osd frame time, to the second (one point per second)'),
      lat: z.number(),
      lng: z.number(),
      height: z.number().nullable().describe('metres above the ellipsoid'),
      heading: z.number().nullable().describe('degrees from true north'),
      gatewayId: z.string().nullable().describe('the dock or remote controller that relayed it'),
    }),
  ),
  truncated: z.boolean().describe('more points than one answer carries: ask again from the last point'),
});

export const deviceListSchema = z.object({ items: z.array(deviceViewSchema), total: z.number().int() });

export const newDeviceSchema = deviceViewSchema.extend({ credentials: deviceCredentialsSchema });

export const passwordResetSchema = z.object({
  id: z.string(),
  username: z.string(),
  temporaryPassword: z.string().optional().describe('only when generated: shown once, give it to the user'),
});

export const sessionsRevokedSchema = z.object({ id: z.string(), refreshTokensRevoked: z.number().int() });

export const securityEventSchema = z.object({
  seq: z.number().int().describe('its place in the hash-chained audit log'),
  at: instant,
  actorId: z.string().nullable(),
  actorRole: z.string().nullable(),
  action: z.string(),
  data: z.record(z.string(), z.unknown()).describe('ids, usernames of existing accounts, client addresses, reasons: never a password or a token'),
  hash: z.string(),
});

export const securityEventListSchema = z.object({ items: z.array(securityEventSchema), total: z.number().int() });
