import type { EventSource, GeoPoint } from '../event/canonical-event';
import type { GridOfficer } from '../geo/jurisdiction.schema';
import type { DwellProof } from './dwell-tracker';
import type { IssueSeverity } from './rule-set';
import type { HeldReason, RouteDecision } from './routing-table';

/**
 * What classification hands to grouping. Everything an operator or a court needs to see why a case
 * exists is in `explanation` (plain JSON: stored as is with the case).
 */
// A type alias (not an interface) so it is assignable to Record<string, unknown> (a jsonb column).
export type IssueExplanation = {
  rule: string;
  ruleVersion: number;
  category: string;
  severity: IssueSeverity;
  label: string;
  /** Frigate's sub label, when the event carried one (a rule may have matched it instead of `label`). */
  subLabel?: string;
  confidence: number;
  minConfidence: number;
  deviceId: string;
  eventId: string;
  source: EventSource;
  /** Source time, ISO 8601. */
  occurredAt: string;
  location?: GeoPoint;
  zones?: string[];
  /** The place the identity is about, and how it was known (camera zone mapping or the point's geometry). */
  place?: { id: string; name: string; type: string; via: 'zone' | 'geometry' };
  township?: { code: string; name: string };
  grid?: { code: string; officer?: GridOfficer };
  identityFrom: IdentityFrom;
  /** A department's referral (移交) the case answers: its number on the referring platform. */
  referral?: { platform: string; referralNo: string; referringUnit?: string };
  /** The department's own severity, how it maps onto ours, and the rule's default it was compared with. */
  departmentSeverity?: { reported: string; mapped: IssueSeverity; ruleDefault: IssueSeverity };
  trackKey?: string;
  plate?: string;
  /**
   * `since` is the start of the counted period; `firstEventId` the event it started at and `sampledEvents` how
   * many events of the period the issue links (its `dwellProof`, the issue's own event included).
   */
  dwell?: { requiredMinutes: number; observedMinutes: number; since?: string; requireStationary: boolean; firstEventId?: string; sampledEvents?: number };
  /** The rule's active window that let it apply, or the allowed window that suppressed it. */
  window?: { kind: 'active' | 'allowed'; window: string; localTime: string };
  exemption?: { reason: string; graceMinutes?: number; placeId?: string };
  /** The do-not-disturb subject asked about and whether an earlier issue (case or suppressed first issue) made this a repeat. */
  doNotDisturb?: { subjectId: string; earlierIssue: boolean; windowDays: number };
  lateBySeconds?: number;
  routing: { unit?: string; held?: HeldReason; reason: string };
};

export interface DetectedIssue {
  categoryCode: string;
  severity: IssueSeverity;
  /** The grouping identity as a label set; equal sets while a case is open => one case. */
  identity: Record<string, string>;
  /** Stable text form of `identity`, the database's unique key for open cases. */
  identityKey: string;
  ruleId: string;
  ruleVersion: number;
  /** Source time of the detection. */
  occurredAt: Date;
  eventId: string;
  deviceId: string;
  source: EventSource;
  location?: GeoPoint;
  townshipCode?: string;
  gridCode?: string;
  placeId?: string;
  placeType?: string;
  officer?: GridOfficer;
  /** Set when routed; `heldReason` when held for an operator instead. */
  handlingUnit?: string;
  heldReason?: HeldReason;
  routing: RouteDecision;
  trackKey?: string;
  /**
   * Set when a dwell rule produced the issue and the track knows its period's events: the event the counted
   * period started at (the first picture) and a bounded, time-spread sample of the later ones, the issue's own
   * event last. Event ids are the canonical `eventId`s of the same device (see `DwellProof`).
   */
  dwellProof?: DwellProof;
  /** Inputs and thresholds that decided it, stored with the case for operators and courts. */
  explanation: IssueExplanation;
}

/**
 * Why a detection that matched a rule did not become an issue. Only policy decisions are reported
 * (not "dwell not reached yet": the track state shows that progress, and it would be one row per
 * camera update). The would-be issue is attached so it can be aggregated per `reason` + `identityKey`.
 */
export const SUPPRESSION_REASONS = ['allowed-window', 'exemption', 'silenced', 'inhibited', 'do-not-disturb', 'late-event', 'no-track'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

export interface Suppression {
  reason: SuppressionReason;
  detail: string;
  /** Silence id and reference, inhibition id and the inhibiting identity, do-not-disturb subject, ... */
  reference?: string;
  issue: DetectedIssue;
}

/**
 * Aggregation key for stored suppressions: one row per reason and identity, counted, like a case. A
 * do-not-disturb first issue is one row per detection instead: it is rare by design (one per business per
 * window), and a first issue that an earlier one arriving later turns into a repeat must be found again to
 * become a case occurrence.
 */
export const suppressionKeyOf = (s: Suppression): string =>
  s.reason === 'do-not-disturb'
    ? `${s.reason}|${s.issue.identityKey}|${s.issue.source}:${s.issue.deviceId}:${s.issue.eventId}@${s.issue.occurredAt.toISOString()}`
    : `${s.reason}|${s.issue.identityKey}`;

/** The label set back from its key (`identityKeyOf` in reverse; the key is not escaped, so no value may hold `|`). */
export function identityOfKey(identityKey: string): Record<string, string> {
  const identity: Record<string, string> = {};
  for (const part of identityKey.split('|')) {
    const eq = part.indexOf('=');
    if (eq > 0) identity[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return identity;
}

/** Where an identity's "where" came from; `referral` and `record` are department records (see `issueIdentity`). */
export type IdentityFrom = 'referral' | 'place' | 'grid' | 'record' | 'device';

/** A label value safe inside an identity key (`|` separates labels): `%` and `|` percent-encoded, anything else kept. */
export const identityValue = (value: string): string => value.replace(/%/g, '%25').replace(/\|/g, '%7C');

export function identityKeyOf(identity: Record<string, string>): string {
  // Made for every issue of every event: the few keys are put in order in place (Array#sort allocated a copy) and
  // joined as they go. `<` orders strings by UTF-16 code units, as the default sort does.
  const keys = Object.keys(identity);
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i];
    let j = i - 1;
    for (; j >= 0 && keys[j] > k; j--) keys[j + 1] = keys[j];
    keys[j + 1] = k;
  }
  let key = '';
  for (let i = 0; i < keys.length; i++) key += `${i === 0 ? '' : '|'}${keys[i]}=${identity[keys[i]]}`;
  return key;
}

/**
 * A department referral (移交) is its own case, whatever its place (issue 17): identity = {referral: the referring
 * platform + its referral number} — no category, no place. Two referrals 1.4 km apart in one grid cell are two
 * cases (each needs its own answer to the department); the same referral number sent again (a redelivery, a
 * revision, a correction of its type) joins the case that answers it.
 *
 * Otherwise identity = {category, where, plate?}:
 * - where = the place id when the detection is in a configured place, else the grid code, else the
 *   device (last resort). Never the device when a place or grid is known: a camera and a drone seeing
 *   the same place and category must group into one case.
 * - plate only for categories that ask for it (parking): two cars in one place are two cases.
 * - never the tracker id: Frigate gives a lost and re-found object a new id, which would split one
 *   parked car into several cases. Dwell per object lives in the track state, not in the identity.
 */
export function issueIdentity(input: {
  categoryCode: string;
  placeId?: string;
  gridCode?: string;
  deviceId: string;
  plate?: string;
  /** Nothing places it (a drone photo without GPS): the photo itself, so unplaced photos never merge into one case. */
  unplacedPhoto?: string;
  /** A department record's referral: `<platform>:<referralNo>`. */
  referral?: string;
  /**
   * A department record's own id on its platform (`<platform>:<recordId>`, revisions share it). Used only when no
   * place or grid knows where it is: the sending platform is not a place, so records outside every place are
   * never merged by their sender (two emergency records 50 km apart were one case).
   */
  record?: string;
}): {
  identity: Record<string, string>;
  identityKey: string;
  from: IdentityFrom;
} {
  if (input.referral !== undefined) {
    const identity = { referral: identityValue(input.referral) };
    return { identity, identityKey: identityKeyOf(identity), from: 'referral' };
  }
  const identity: Record<string, string> = { category: input.categoryCode };
  let from: IdentityFrom;
  if (input.placeId !== undefined) {
    identity.place = input.placeId;
    from = 'place';
  } else if (input.gridCode !== undefined) {
    identity.grid = input.gridCode;
    from = 'grid';
  } else if (input.record !== undefined) {
    identity.record = identityValue(input.record);
    from = 'record';
  } else {
    identity.device = input.deviceId;
    if (input.unplacedPhoto !== undefined) identity.photo = input.unplacedPhoto;
    from = 'device';
  }
  if (input.plate !== undefined) identity.plate = input.plate;
  return { identity, identityKey: identityKeyOf(identity), from };
}
