import { Clock, EvidenceService } from '@app/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Role } from '@app/domain';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import type { TestApp } from '../support/test-app';

/** Shared by the case-loop-*.int-spec.ts files: users of each role, cases put straight into the database. */

export const TOWNSHIP = '449901001';
export const OTHER_TOWNSHIP = '449901002';
export const TEAM = `township-team:${TOWNSHIP}`;

export interface TestUser {
  id: string;
  role: Role;
  token: string;
}

/** Creates a user through the API (as admin) and logs it in. */
export async function createUser(app: TestApp, role: Exclude<Role, 'device'>, extra: { townshipCode?: string; unitCode?: string } = {}): Promise<TestUser> {
  const username = `${role.replace('_', '-')}-${randomBytes(3).toString('hex')}`;
  const password = 'test-password-123';
  const created = await request(app.url)
    .post('/api/v1/users')
    .set('Authorization', `Bearer ${await app.token()}`)
    .send({ username, password, role, displayName: `Test ${role}`, ...extra })
    .expect(201);
  const login = await request(app.url).post('/api/v1/auth/login').send({ username, password }).expect(200);
  return { id: (created.body as { id: string }).id, role, token: (login.body as { accessToken: string }).accessToken };
}

export interface TestStaff {
  admin: TestUser;
  operator: TestUser;
  supervisor: TestUser;
  officer: TestUser;
  otherOfficer: TestUser;
  liaison: TestUser;
  pilot: TestUser;
}

export async function createStaff(app: TestApp): Promise<TestStaff> {
  const login = await request(app.url).post('/api/v1/auth/login').send({ username: 'admin', password: 'test-admin-password' }).expect(200);
  const me = await request(app.url)
    .get('/api/v1/users')
    .set('Authorization', `Bearer ${await app.token()}`)
    .expect(200);
  const adminRow = (me.body as { items: { id: string; username: string }[] }).items.find((u) => u.username === 'admin');
  return {
    admin: { id: adminRow?.id ?? '', role: 'admin', token: (login.body as { accessToken: string }).accessToken },
    operator: await createUser(app, 'operator'),
    supervisor: await createUser(app, 'supervisor'),
    officer: await createUser(app, 'township_officer', { townshipCode: TOWNSHIP }),
    otherOfficer: await createUser(app, 'township_officer', { townshipCode: OTHER_TOWNSHIP }),
    liaison: await createUser(app, 'department_liaison', { unitCode: 'traffic-police' }),
    pilot: await createUser(app, 'pilot'),
  };
}

export interface InsertedCase {
  id: string;
  caseNumber: string;
  eventId: string;
}

/**
 * A machine-made case as the ingest path stores it (event, case, occurrence), for tests that need many
 * cases with distinct identities, plates or devices without waiting for classification.
 */
export async function insertCase(
  db: Client,
  o: {
    category?: string;
    township?: string | null;
    unit?: string | null;
    deviceId?: string;
    plate?: string;
    ruleId?: string;
    placeId?: string;
    lat?: number;
    lng?: number;
    media?: { kind: string; uri: string; sha256?: string }[];
    occurredAt?: Date;
    /** When the case was made (default: now). */
    createdAt?: Date;
  } = {},
): Promise<InsertedCase> {
  const tag = randomBytes(6).toString('hex');
  const category = o.category ?? 'exposed-garbage';
  const township = o.township === undefined ? TOWNSHIP : o.township;
  const deviceId = o.deviceId ?? 'DEMO-CAM-01';
  const occurredAt = o.occurredAt ?? new Date();
  const detections = [{ label: 'garbage', confidence: 0.9, ...(o.plate ? { plate: o.plate } : {}) }];
  const raw = JSON.stringify({ eventId: `t-${tag}`, deviceId, occurredAt: occurredAt.toISOString(), detections, media: o.media ?? [] });
  const lat = o.lat ?? 23.105;
  const lng = o.lng ?? 113.255;
  const ev = await db.query<{ id: string }>(
    `INSERT INTO events (source, source_event_id, source_kind, device_id, occurred_at, lat, lng, detections, media, raw_payload)
     VALUES ('cloudpatrol', $1, 'camera', $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8) RETURNING id::text AS id`,
    [`t-${tag}`, deviceId, occurredAt.toISOString(), lat, lng, JSON.stringify(detections), JSON.stringify(o.media ?? []), raw],
  );
  const identity: Record<string, string> = { category, device: `${deviceId}-${tag}`, ...(o.plate ? { plate: o.plate } : {}) };
  const identityKey = Object.keys(identity)
    .sort()
    .map((k) => `${k}=${identity[k]}`)
    .join('|');
  const c = await db.query<{ id: string; case_number: string }>(
    // Numbered from the register's day counter, like a case classification opens (gapless per day).
    `WITH counter AS (INSERT INTO case_number_days (day, last) VALUES ((now() AT TIME ZONE 'Asia/Shanghai')::date, 1)
                      ON CONFLICT (day) DO UPDATE SET last = case_number_days.last + 1 RETURNING day, last)
     INSERT INTO cases (case_number, category_code, status, identity_key, identity, severity, township_code, place_id, handling_unit, device_id, lat, lng,
                        first_seen_at, last_seen_at, occurrence_count, latest_event_id, rule_id, rule_version, explanation, origin, created_at)
     SELECT 'CP-' || to_char(counter.day, 'YYYYMMDD') || '-' || lpad(counter.last::text, 6, '0'),
             $1, 'detected', $2, $3::jsonb, 'medium', $4, $5, $6, $7, $8::float8, $9::float8, $10::timestamptz, $10::timestamptz, 1, $11::bigint, $12, 1, '{}'::jsonb, 'machine', COALESCE($13::timestamptz, now())
       FROM counter
     RETURNING id, case_number`,
    [
      category,
      identityKey,
      JSON.stringify(identity),
      township,
      o.placeId ?? null,
      o.unit === undefined ? (township ? `township-team:${township}` : null) : o.unit,
      deviceId,
      lat,
      lng,
      occurredAt.toISOString(),
      ev.rows[0].id,
      o.ruleId ?? 'garbage-exposed',
      o.createdAt?.toISOString() ?? null,
    ],
  );
  await db.query(`INSERT INTO case_occurrences (case_id, event_id, occurred_at) VALUES ($1, $2, $3)`, [c.rows[0].id, ev.rows[0].id, occurredAt.toISOString()]);
  return { id: c.rows[0].id, caseNumber: c.rows[0].case_number, eventId: ev.rows[0].id };
}

/** Fixes the case loop's clock (transitions, deadlines, the watcher) at `local` (+08:00), e.g. '2026-09-30T16:00'. */
export function setClock(app: TestApp, local: string): Date {
  const at = new Date(`${local}+08:00`);
  jest.spyOn(app.app.get(Clock), 'now').mockReturnValue(at);
  return at;
}

export const at = (local: string): Date => new Date(`${local}+08:00`);

export interface TransitionResponse {
  case: {
    id: string;
    status: string;
    handlingUnit: string | null;
    townshipCode: string | null;
    allowedActions?: string[];
    loop: {
      review: { reviewedAt: string; reviewedBy: string | null } | null;
      evidence: { deviceReviewPassed: boolean | null; usableForPenalty: boolean | null; note: string | null };
      deadline: {
        step: string;
        startedAt: string | null;
        dueAt: string;
        state: string | null;
        limit: Record<string, unknown> | null;
        escalatedAt: string | null;
      } | null;
      dueAt: string | null;
      counts: { transitions: number; transfers: number; sendBacks: number; reopens: number };
      partyVerification: { method: 'plate' } | { method: 'code'; code: string } | null;
      afterPhotos: string[];
      resultNote: string | null;
    };
  };
  transition: {
    seq: number;
    action: string;
    from: string | null;
    to: string;
    actor: { id: string; role: string };
    reason: string | null;
    details: Record<string, unknown>;
  };
}

/** POST /api/v1/cases/{id}/transitions; returns the raw supertest response (status checked by the caller). */
export function act(app: TestApp, user: TestUser, caseId: string, body: Record<string, unknown>) {
  return request(app.url).post(`/api/v1/cases/${caseId}/transitions`).set('Authorization', `Bearer ${user.token}`).send(body);
}

/** A transition that must succeed. */
export async function step(app: TestApp, user: TestUser, caseId: string, body: Record<string, unknown>): Promise<TransitionResponse> {
  const res = await act(app, user, caseId, body);
  if (res.status !== 200) throw new Error(`${String(body.action)} by ${user.role} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as TransitionResponse;
}

/**
 * An after-photo stored under the test app's media root, for a report-back on a category that needs one
 * (`reportBackRequiresPhoto` in rules.yaml, e.g. exposed-garbage): returns the media key to pass in `photos`.
 */
export function storedAfterPhoto(app: TestApp): string {
  const name = randomBytes(6).toString('hex');
  const key = `after/test/${name}.jpg`;
  const file = join(app.app.get(EvidenceService).media.root, key);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `after-photo ${name}: the site is clear`);
  return key;
}
