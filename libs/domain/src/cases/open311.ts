import type { CaseStatus } from './case-state-machine';

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
