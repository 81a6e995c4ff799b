import type { CaseStatus } from './case-state-machine';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';

/**
 * Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/) as pure mapping: which cases are public,
 * what a service request says about one, and the query filters. The endpoints are public and carry no
 * personal data: no plates, no names (officers, parties), no free-text reasons or notes, no media, and a
 * position is exact only where the place itself is public; otherwise it is coarsened (3 decimals ≈ 110 m).
 */

export const OPEN311_MAX_REQUESTS = 1000;
export const OPEN311_DEFAULT_WINDOW_DAYS = 90;
export const OPEN311_COARSE_DECIMALS = 3;
export const OPEN311_PRECISE_DECIMALS = 5;

export type Open311Status = 'open' | 'closed';

export interface Open311Error {
  code: number;
  description: string;
}

export interface Open311Service {
  service_code: string;
  service_name: string;
  description: string;
  metadata: false;
  type: 'realtime' | 'batch' | 'blackbox';
  keywords: string;
  group: string;
}

export interface Open311Request {
  service_request_id: string;
  status: Open311Status;
  status_notes: string;
  service_name: string;
  service_code: string;
  description: string;
  agency_responsible: string;
  service_notice: string;
  requested_datetime: string;
  updated_datetime: string;
  expected_datetime: string | null;
  address: string;
  address_id: string | null;
  zipcode: string | null;
  lat: number | null;
  long: number | null;
  media_url: string | null;
}

/**
 * Public only after a person reviewed the record (Administrative Penalty Law art. 41): a machine detection
 * still `detected` is not yet a case anybody vouches for, and a `rejected` one was a false positive.
 */
export function open311StatusOf(status: CaseStatus): Open311Status | null {
  switch (status) {
    case 'registered':
    case 'dispatched':
    case 'in_progress':
    case 'reported':
      return 'open';
    case 'closed':
      return 'closed';
    case 'detected':
    case 'rejected':
      return null;
  }
}

export function caseStatusesFor(status: Open311Status): CaseStatus[] {
  return status === 'open' ? ['registered', 'dispatched', 'in_progress', 'reported'] : ['closed'];
}

/** Fixed wording per status: free text written by staff may name people, so none of it is shown. */
export function publicStatusNote(status: CaseStatus, unitName: string | null): string {
  switch (status) {
    case 'registered':
      return 'Registered after review; awaiting dispatch.';
    case 'dispatched':
      return `Dispatched to ${unitName ?? 'the responsible unit'}.`;
    case 'in_progress':
      return `Being handled by ${unitName ?? 'the responsible unit'}.`;
    case 'reported':
      return 'Handling reported; awaiting verification.';
    case 'closed':
      return 'Closed after verification.';
    case 'detected':
    case 'rejected':
      return '';
  }
}

/** W3C date-time in the district's fixed offset, e.g. 2026-10-08T11:30:00+08:00 (whole seconds). */
export function w3cDateTime(instant: Date, utcOffsetMinutes: number): string {
  const local = new Date(Math.floor(instant.getTime() / 1000) * 1000 + utcOffsetMinutes * 60_000);
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(utcOffsetMinutes);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${local.toISOString().slice(0, 19)}${offset}`;
}

export function roundCoordinate(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export interface PublicCaseFacts {
  caseNumber: string;
  status: CaseStatus;
  categoryCode: string;
  categoryName: string;
  categoryNameZh?: string;
  townshipName: string | null;
  unitName: string | null;
  requestedAt: Date;
  updatedAt: Date;
  /** The handling deadline, once dispatched. */
  expectedAt: Date | null;
  /** A public place name or a published device address; otherwise the township (and grid) only. */
  address: string;
  lat: number | null;
  lng: number | null;
  /** True when the position is of a public place (a listed place, a published device location). */
  precisePosition: boolean;
}

export function toOpen311Request(c: PublicCaseFacts, utcOffsetMinutes: number): Open311Request | null {
  const status = open311StatusOf(c.status);
  if (status === null) return null;
  const decimals = c.precisePosition ? OPEN311_PRECISE_DECIMALS : OPEN311_COARSE_DECIMALS;
  const name = c.categoryNameZh ? `${c.categoryName} (${c.categoryNameZh})` : c.categoryName;
  return {
    service_request_id: c.caseNumber,
    status,
    status_notes: publicStatusNote(c.status, c.unitName),
    service_name: c.categoryName,
    service_code: c.categoryCode,
    description: `${name}${c.townshipName ? ` in ${c.townshipName}` : ''}, found by non-site patrol.`,
    agency_responsible: c.unitName ?? '',
    service_notice: '',
    requested_datetime: w3cDateTime(c.requestedAt, utcOffsetMinutes),
    updated_datetime: w3cDateTime(c.updatedAt, utcOffsetMinutes),
    expected_datetime: c.expectedAt ? w3cDateTime(c.expectedAt, utcOffsetMinutes) : null,
    address: c.address,
    address_id: null,
    zipcode: null,
    lat: c.lat === null ? null : roundCoordinate(c.lat, decimals),
    long: c.lng === null ? null : roundCoordinate(c.lng, decimals),
    media_url: null,
  };
}

export function toOpen311Service(c: { code: string; name: string; nameZh: string; family: string }): Open311Service {
  return {
    service_code: c.code,
    service_name: c.name,
    description: `${c.name} (${c.nameZh})`,
    metadata: false,
    type: 'realtime',
    keywords: [c.nameZh, c.family].join(','),
    group: c.family,
  };
}

export interface Open311RequestFilter {
  /** When given, the other filters are ignored (GeoReport v2: "overrides all other arguments"). */
  ids?: string[];
  serviceCodes?: string[];
  statuses?: Open311Status[];
  start?: Date;
  end?: Date;
}

const MS_PER_DAY = 86_400_000;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The query of GET /requests.json. Unknown parameters (api_key, jurisdiction_id, extensions) are ignored.
 * Dates: neither given = the last 90 days; one given = 90 days from / up to it; both = at most 90 days apart.
 */
export function parseOpen311RequestQuery(
  query: Record<string, unknown>,
  now: Date,
): { ok: true; filter: Open311RequestFilter } | { ok: false; errors: Open311Error[] } {
  const errors: Open311Error[] = [];
  const text = (key: string): string | undefined => {
    const v = query[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      errors.push({ code: 400, description: `${key} must be given once` });
      return undefined;
    }
    if (v.includes('\u0000')) {
      errors.push({ code: 400, description: `${key} contains a NUL character` });
      return undefined;
    }
    return v.trim() === '' ? undefined : v.trim();
  };
  const list = (key: string): string[] | undefined => {
    const v = text(key);
    if (v === undefined) return undefined;
    const items = [
      ...new Set(
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ];
    if (items.length > OPEN311_MAX_REQUESTS) errors.push({ code: 400, description: `${key}: at most ${OPEN311_MAX_REQUESTS} values` });
    if (items.some((s) => s.length > 100)) errors.push({ code: 400, description: `${key}: a value is longer than 100 characters` });
    return items;
  };
  const date = (key: string): Date | undefined => {
    const v = text(key);
    if (v === undefined) return undefined;
    const d = ISO_DATE_TIME.test(v) ? new Date(v) : new Date(Number.NaN);
    if (Number.isNaN(d.getTime())) {
      errors.push({ code: 400, description: `${key} must be a W3C date-time such as 2026-10-08T09:00:00+08:00` });
      return undefined;
    }
    return d;
  };

  const ids = list('service_request_id');
  const serviceCodes = list('service_code');
  const statusValues = list('status');
  const statuses: Open311Status[] = [];
  for (const s of statusValues ?? []) {
    if (s === 'open' || s === 'closed') statuses.push(s);
    else errors.push({ code: 400, description: `status must be open or closed, not "${s}"` });
  }
  let start = date('start_date');
  let end = date('end_date');
  if (errors.length > 0) return { ok: false, errors };
  if (ids) return { ok: true, filter: { ids } };

  const window = OPEN311_DEFAULT_WINDOW_DAYS * MS_PER_DAY;
  if (start && end) {
    if (end.getTime() < start.getTime()) return { ok: false, errors: [{ code: 400, description: 'end_date is before start_date' }] };
    if (end.getTime() - start.getTime() > window) {
      return { ok: false, errors: [{ code: 400, description: `start_date and end_date may not span more than ${OPEN311_DEFAULT_WINDOW_DAYS} days` }] };
    }
  } else if (start) {
    end = new Date(start.getTime() + window);
  } else if (end) {
    start = new Date(end.getTime() - window);
  } else {
    end = now;
    start = new Date(now.getTime() - window);
  }
  return {
    ok: true,
    filter: { serviceCodes, statuses: statuses.length ? statuses : undefined, start, end },
  };
}

// ---------------------------------------------------------------------------------------------------------
// POST /requests: a registered client (a 12345 hotline, a citizen app) reports an issue. What it sent is
// checked here; the service turns it into an `open311` event that classification and routing treat like any
// other source's.

/** GeoReport v2 lets a request be as long as this (description). */
export const OPEN311_MAX_DESCRIPTION = 4000;

/** The answer to POST /requests: the case number when the case is opened already, else a token to ask about later. */
export interface Open311Posted {
  service_request_id?: string;
  token?: string;
  service_notice: string;
  account_id: string | null;
}

/** The answer to GET /tokens/{token}: the case number once known (null while the report waits for review or placing). */
export interface Open311TokenAnswer {
  service_request_id: string | null;
  token: string;
}

export interface Open311Reporter {
  email?: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
}

/** A checked service request as the client sent it (api_key is checked apart, before anything else). */
export interface Open311Submission {
  serviceCode: string;
  lat?: number;
  long?: number;
  addressString?: string;
  description?: string;
  mediaUrl?: string;
  /** Personal data: kept for the staff who follow the report up, never shown by the public GET endpoints. */
  reporter: Open311Reporter;
  deviceId?: string;
  accountId?: string;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The fields of POST /requests (form-urlencoded as GeoReport v2 says, or JSON). A position is `lat` and
 * `long` together, or an `address_string` (kept for the operator who places it); unknown fields
 * (jurisdiction_id, attribute[...]) are ignored.
 */
export function parseOpen311Submission(fields: Record<string, unknown>): { ok: true; submission: Open311Submission } | { ok: false; errors: Open311Error[] } {
  const errors: Open311Error[] = [];
  const text = (key: string, max: number): string | undefined => {
    let v = fields[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' || typeof v === 'boolean') v = String(v);
    if (typeof v !== 'string') {
      errors.push({ code: 400, description: `${key} must be given once, as text` });
      return undefined;
    }
    if (v.includes('\u0000')) {
      errors.push({ code: 400, description: `${key} contains a NUL character` });
      return undefined;
    }
    const t = v.trim();
    if (t.length > max) errors.push({ code: 400, description: `${key} is longer than ${max} characters` });
    return t === '' ? undefined : t;
  };
  const coordinate = (key: string, limit: number): number | undefined => {
    const v = text(key, 40);
    if (v === undefined) return undefined;
    const n = NUMBER.test(v) ? Number(v) : Number.NaN;
    if (!Number.isFinite(n) || Math.abs(n) > limit) {
      errors.push({ code: 400, description: `${key} must be a number from -${limit} to ${limit} (WGS-84 degrees)` });
      return undefined;
    }
    return n;
  };

  const serviceCode = text('service_code', 100);
  if (serviceCode === undefined) errors.push({ code: 400, description: 'service_code is required' });
  const lat = coordinate('lat', 90);
  const long = coordinate('long', 180);
  const addressString = text('address_string', 500);
  const description = text('description', OPEN311_MAX_DESCRIPTION);
  const mediaUrl = text('media_url', 2000);
  if (mediaUrl !== undefined && !isHttpUrl(mediaUrl)) errors.push({ code: 400, description: 'media_url must be an http or https URL' });
  const email = text('email', 320);
  if (email !== undefined && !EMAIL.test(email)) errors.push({ code: 400, description: 'email is not an e-mail address' });
  const reporter: Open311Reporter = {
    ...(email !== undefined && { email }),
    ...optional('firstName', text('first_name', 100)),
    ...optional('lastName', text('last_name', 100)),
    ...optional('phone', text('phone', 50)),
  };
  const deviceId = text('device_id', 100);
  const accountId = text('account_id', 100);
  if ((lat === undefined) !== (long === undefined) && !errors.some((e) => /^(lat|long) /.test(e.description))) {
    errors.push({ code: 400, description: 'lat and long go together' });
  }
  if (lat === undefined && long === undefined && addressString === undefined && !errors.some((e) => /^(lat|long|address_string) /.test(e.description))) {
    errors.push({ code: 400, description: 'a location is required: lat and long, or address_string' });
  }
  if (errors.length > 0 || serviceCode === undefined) return { ok: false, errors };
  return {
    ok: true,
    submission: {
      serviceCode,
      ...(lat !== undefined && long !== undefined && { lat, long }),
      ...optional('addressString', addressString),
      ...optional('description', description),
      ...optional('mediaUrl', mediaUrl),
      reporter,
      ...optional('deviceId', deviceId),
      ...optional('accountId', accountId),
    },
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * The detection label an Open311 report of a service carries, so the district's own rules classify it:
 * the first label of a rule of that category that takes this source — a rule naming `open311` (or the
 * `feed` kind) first, else one for any source — and that a single report can fire (no dwell). None: the
 * service is not taken through Open311 (the district adds a rule `sources: [open311]` to take it).
 */
export function open311LabelFor(
  rules: readonly { category: string; labels: readonly string[]; sources?: readonly string[]; dwell?: unknown }[],
  serviceCode: string,
): string | undefined {
  const candidates = rules.filter((r) => r.category === serviceCode && r.dwell === undefined);
  const named = candidates.find((r) => r.sources?.some((s) => s === 'open311' || s === 'feed'));
  return (named ?? candidates.find((r) => r.sources === undefined))?.labels[0];
}

/** What the client is told when its report is taken; no promise about the outcome (a person reviews it first). */
export function open311Notice(caseNumber: string | null): string {
  return caseNumber
    ? `Received as case ${caseNumber}; it is published here once reviewed.`
    : 'Received; a person reviews it before it becomes a case. Ask GET /tokens/{token} for its number.';
}

// ---------------------------------------------------------------------------------------------------------
// Registered clients: config file open311-clients.yaml. Keys are never stored, only their SHA-256 (the keys
// are long random strings, so a fast hash is enough: nobody can guess one from its hash).

export const OPEN311_CLIENT_ID = /^[a-z0-9][a-z0-9-]{0,59}$/;
/** At least 128 bits of randomness: 32 hex characters or more. */
export const OPEN311_MIN_KEY_LENGTH = 32;

export const open311ClientSchema = z
  .object({
    id: z.string().regex(OPEN311_CLIENT_ID, 'lower-case letters, digits and dashes (max 60)'),
    name: z.string().min(1).max(200),
    /** Who runs the client (the hotline's department, the app's vendor). */
    ownerDepartment: z.string().min(1).max(200).default('Open311 client'),
    /** SHA-256 of the client's API key, hex (`printf %s "$KEY" | sha256sum`). */
    keySha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'the SHA-256 of the key, 64 hex characters')
      .transform((s) => s.toLowerCase()),
    /** Requests accepted per minute from this key; beyond it 429 until the window frees. */
    requestsPerMinute: z.number().int().min(1).max(10_000).default(30),
    /** A retired key answers 403 like an unknown one. */
    active: z.boolean().default(true),
  })
  .strict();

export const open311ClientsFileSchema = z
  .object({
    /** Discovery's `contact`: whom an integrator asks. */
    contact: z.string().min(1).max(500).default('The district city-management command centre'),
    /** Discovery's `key_service`: where to get an API key. */
    keyService: z.string().min(1).max(500).default('API keys are issued by the district city-management command centre.'),
    clients: z.array(open311ClientSchema).default([]),
  })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    const keys = new Set<string>();
    f.clients.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'id'], message: `client id ${c.id} is used twice` });
      if (keys.has(c.keySha256)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'keySha256'], message: 'two clients share one key' });
      seen.add(c.id);
      keys.add(c.keySha256);
    });
  });

export type Open311Client = z.infer<typeof open311ClientSchema>;
export type Open311ClientsFile = z.infer<typeof open311ClientsFileSchema>;

/** The device a client's reports come from: registered in the device register like any other source. */
export function open311DeviceId(clientId: string): string {
  return `open311.${clientId}`;
}

// ---------------------------------------------------------------------------------------------------------
// Discovery (https://wiki.open311.org/Service_Discovery).

export const OPEN311_SPECIFICATION = 'http://wiki.open311.org/GeoReport_v2';
/** When this endpoint's interface last changed (discovery's `changeset`): bump it with the interface. */
export const OPEN311_CHANGESET = new Date('2026-12-04T00:00:00Z');

export interface Open311Discovery {
  changeset: string;
  contact: string;
  key_service: string;
  endpoints: { specification: string; url: string; changeset: string; type: 'production' | 'test'; formats: string[] }[];
}

export function open311Discovery(o: { baseUrl: string; contact: string; keyService: string; utcOffsetMinutes: number }): Open311Discovery {
  const changeset = w3cDateTime(OPEN311_CHANGESET, o.utcOffsetMinutes);
  return {
    changeset,
    contact: o.contact,
    key_service: o.keyService,
    endpoints: [
      {
        specification: OPEN311_SPECIFICATION,
        url: `${o.baseUrl.replace(/\/+$/, '')}/open311/v2`,
        changeset,
        type: 'production',
        formats: ['text/xml', 'application/json'],
      },
    ],
  };
}

/** open311-clients.yaml, checked: every problem named with its path, so a bad file stops the start with the reason. */
export function parseOpen311ClientsYaml(text: string): { ok: true; file: Open311ClientsFile } | { ok: false; problems: string[] } {
  let value: unknown;
  try {
    value = parseYaml(text) ?? {};
  } catch (err) {
    return { ok: false, problems: [`not YAML: ${(err as Error).message}`] };
  }
  const parsed = open311ClientsFileSchema.safeParse(value);
  if (parsed.success) return { ok: true, file: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`) };
}
