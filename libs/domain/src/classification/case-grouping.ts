import type { CanonicalEvent } from '../event/canonical-event';
import type { BatchResult } from './classify';
import { type DetectedIssue, type IssueExplanation, identityOfKey, type Suppression, suppressionKeyOf } from './detected-issue';
import type { DwellProof } from './dwell-tracker';
import type { RuleSet } from './rule-set';
import { type ActiveInhibitor, type DoNotDisturbRecord, inhibitionDetail, inhibitionReference } from './suppression-policy';

/**
 * Grouping: what classification's decisions become for the stores, in plain data. Issues become case rows
 * (one per issue; the repository folds rows that share an identity), suppressions become tallies (one per
 * suppression; folded per key), occurrences a late fire mutes are withdrawn from their cases, and first issues
 * an earlier issue arriving later makes repeats become case occurrences. The worker reads the state these
 * need and writes what they return, in one transaction.
 */

/** One issue (or several of one identity) to add to its open case, or to open a case with. */
export interface CaseGrouping {
  identityKey: string;
  identity: Record<string, string>;
  categoryCode: string;
  severity: string;
  townshipCode?: string;
  gridCode?: string;
  placeId?: string;
  handlingUnit?: string;
  heldReason?: string;
  officer?: { id: string; name: string };
  deviceId: string;
  lat?: number;
  lng?: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  latestEventId: string;
  ruleId: string;
  ruleVersion: number;
  explanation: Record<string, unknown>;
  /** Every stored event that this upsert adds as an occurrence. */
  events: { id: string; occurredAt: Date }[];
}

/** A suppression as stored: a live one, or an occurrence taken off a case afterwards (its case's explanation). */
export interface SuppressionRecord {
  reason: Suppression['reason'];
  detail: string;
  reference?: string;
  issue: Pick<DetectedIssue, 'categoryCode' | 'identityKey' | 'ruleId' | 'ruleVersion' | 'deviceId' | 'townshipCode' | 'occurredAt'> & { explanation: object };
}

/** One suppression to count under its key (the repository folds tallies that share a key). */
export interface SuppressionTally {
  key: string;
  suppression: SuppressionRecord;
  count: number;
  eventId: string;
  firstAt: Date;
}

/** Occurrences taken off one case afterwards, and why (kept in the case's explanation and the audit log). */
export interface CaseWithdrawal {
  caseId: string;
  caseNumber: string;
  eventIds: string[];
  reason: string;
  /** What the case's explanation and the audit entry record (rule version, inhibitor, events). */
  note: Record<string, unknown>;
}

/** A dwell issue's proof of duration, by the source identity of its events (a track is one source and device). */
export interface DwellProofOfIssue {
  identityKey: string;
  source: string;
  deviceId: string;
  proof: DwellProof;
}

/** An occurrence of a machine-made case nobody has acted on yet, as withdrawing it needs it. */
export interface CaseOccurrenceOnRecord {
  caseId: string;
  caseNumber: string;
  identityKey: string;
  categoryCode: string;
  townshipCode?: string;
  ruleId: string;
  ruleVersion: number;
  explanation: Record<string, unknown>;
  /** The stored event's id. */
  eventId: string;
  /** The event's id at its source. */
  sourceEventId: string;
  occurredAt: Date;
  deviceId: string;
}

/** A stored do-not-disturb first issue (one detection): its suppression row, and the event it was. */
export interface FirstIssueRecord {
  key: string;
  subjectId: string;
  identityKey: string;
  categoryCode: string;
  ruleId: string;
  ruleVersion: number;
  deviceId: string;
  townshipCode?: string;
  at: Date;
  eventId: string;
  explanation: Record<string, unknown>;
}

/** A first issue's suppression that is superseded: it became a case occurrence (`note` says why). */
export interface SupersededFirstIssue {
  key: string;
  eventId: string;
  note: Record<string, unknown>;
}

/** One suppression, counted once, from the stored event it was. */
export function suppressionTallyOf(key: string, suppression: SuppressionRecord, eventId: string): SuppressionTally {
  return { key, suppression, count: 1, eventId, firstAt: suppression.issue.occurredAt };
}

/**
 * Occurrences a fire stored after them mutes (`inhibitedAfterwards`), taken back off their cases: each becomes
 * an 'inhibited' suppression, and each case one withdrawal naming all its muted events, in the order the
 * occurrences come. `at` is when it is decided (the withdrawal notes' time).
 */
export function withdrawalsOfMuted(
  muted: ReadonlyArray<{ occurrence: CaseOccurrenceOnRecord; inhibitor: ActiveInhibitor }>,
  ruleSet: Pick<RuleSet, 'version'>,
  at: Date,
): { suppressions: SuppressionTally[]; withdrawals: CaseWithdrawal[] } {
  const suppressions: SuppressionTally[] = [];
  const withdrawals = new Map<string, CaseWithdrawal>();
  for (const { occurrence: o, inhibitor } of muted) {
    const reason = `${inhibitionDetail(inhibitor)}; stored before the inhibiting detection arrived, taken off case ${o.caseNumber} afterwards`;
    const explanation: Record<string, unknown> = {
      ...o.explanation,
      eventId: o.sourceEventId,
      deviceId: o.deviceId,
      occurredAt: o.occurredAt.toISOString(),
      takenOffCase: o.caseNumber,
    };
    delete explanation.inhibitedAfterwards;
    delete explanation.withdrawn;
    suppressions.push(
      suppressionTallyOf(
        `inhibited|${o.identityKey}`,
        {
          reason: 'inhibited',
          detail: reason,
          reference: inhibitionReference(inhibitor),
          issue: {
            categoryCode: o.categoryCode,
            identityKey: o.identityKey,
            ruleId: o.ruleId,
            ruleVersion: o.ruleVersion,
            deviceId: o.deviceId,
            townshipCode: o.townshipCode,
            occurredAt: o.occurredAt,
            explanation,
          },
        },
        o.eventId,
      ),
    );
    let w = withdrawals.get(o.caseId);
    if (!w) {
      w = {
        caseId: o.caseId,
        caseNumber: o.caseNumber,
        eventIds: [],
        reason,
        note: { at: at.toISOString(), by: 'classification', ruleVersion: ruleSet.version, reason, events: [] },
      };
      withdrawals.set(o.caseId, w);
    }
    w.eventIds.push(o.eventId);
    (w.note.events as object[]).push({
      eventId: o.eventId,
      sourceEventId: o.sourceEventId,
      occurredAt: o.occurredAt.toISOString(),
      inhibitor: inhibitionReference(inhibitor),
    });
  }
  return { suppressions, withdrawals: [...withdrawals.values()] };
}

/**
 * First issues that were never the first (`repeatsAfterwards`: an earlier issue of their subject arrived
 * later): each becomes the case occurrence it would have been in order, marked as a repeat of the latest
 * earlier issue in `batch` (the batch's do-not-disturb records), and its suppression is superseded.
 */
export function earlierIssueCases(
  repeats: readonly FirstIssueRecord[],
  batch: readonly DoNotDisturbRecord[],
  subjects: ReadonlyArray<{ subjectId: string; placeIds: string[] }>,
  ruleSet: Pick<RuleSet, 'version' | 'doNotDisturb'>,
): { cases: CaseGrouping[]; superseded: SupersededFirstIssue[] } {
  const cases: CaseGrouping[] = [];
  const superseded: SupersededFirstIssue[] = [];
  for (const f of repeats) {
    const e = f.explanation as Partial<IssueExplanation>;
    const places = subjects.find((d) => d.subjectId === f.subjectId)?.placeIds ?? [];
    const earlier = batch
      .filter((r) => r.at < f.at && (r.subjectId === f.subjectId || (r.placeId !== undefined && places.includes(r.placeId))))
      .reduce((a, b) => (a.at > b.at ? a : b));
    superseded.push({
      key: f.key,
      eventId: f.eventId,
      note: {
        subjectId: f.subjectId,
        sourceEventId: e.eventId,
        occurredAt: f.at.toISOString(),
        earlierIssueAt: earlier.at.toISOString(),
        identityKey: f.identityKey,
        ruleVersion: ruleSet.version,
      },
    });
    cases.push({
      identityKey: f.identityKey,
      identity: identityOfKey(f.identityKey),
      categoryCode: f.categoryCode,
      severity: e.severity ?? 'medium',
      townshipCode: f.townshipCode,
      gridCode: e.grid?.code,
      placeId: e.place?.id,
      handlingUnit: e.routing?.unit,
      heldReason: e.routing?.held,
      officer: e.grid?.officer,
      deviceId: f.deviceId,
      lat: e.location?.lat,
      lng: e.location?.lng,
      firstSeenAt: f.at,
      lastSeenAt: f.at,
      latestEventId: f.eventId,
      ruleId: f.ruleId,
      ruleVersion: f.ruleVersion,
      explanation: {
        ...f.explanation,
        doNotDisturb: {
          ...(e.doNotDisturb ?? { subjectId: f.subjectId, windowDays: ruleSet.doNotDisturb.windowDays }),
          earlierIssue: true,
          repeatOf: { at: earlier.at.toISOString(), note: 'an earlier issue of the subject arrived after this one was suppressed as the first' },
        },
      },
      events: [{ id: f.eventId, occurredAt: f.at }],
    });
  }
  return { cases, superseded };
}

/**
 * A classified batch for the stores, in its order: each suppression a tally under `suppressionKeyOf`, the issues
 * of each identity one case row (the first issue's, every occurrence's stored event added, see
 * `foldCaseGroupings`), and the dwell proofs of the issues that carry one. A burst repeats a few hundred
 * identities thousands of times: the row and its explanation are built once per identity, not per issue.
 */
export function groupClassified(
  results: BatchResult['results'],
  eventIdOf: (event: CanonicalEvent) => string,
): { suppressions: SuppressionTally[]; cases: CaseGrouping[]; dwellProofs: DwellProofOfIssue[] } {
  const suppressions: SuppressionTally[] = [];
  const cases: CaseGrouping[] = [];
  const byIdentity = new Map<string, CaseGrouping>();
  const dwellProofs: DwellProofOfIssue[] = [];
  for (const r of results) {
    const eventId = eventIdOf(r.event);
    for (const s of r.suppressed) suppressions.push(suppressionTallyOf(suppressionKeyOf(s), s, eventId));
    for (const issue of r.issues) {
      const seen = byIdentity.get(issue.identityKey);
      if (seen) addOccurrences(seen, [{ id: eventId, occurredAt: issue.occurredAt }], issue.occurredAt, issue.occurredAt, eventId);
      else {
        const row = caseGroupingOf(issue, eventId);
        byIdentity.set(issue.identityKey, row);
        cases.push(row);
      }
      if (issue.dwellProof) dwellProofs.push({ identityKey: issue.identityKey, source: r.event.source, deviceId: r.event.deviceId, proof: issue.dwellProof });
    }
  }
  return { suppressions, cases, dwellProofs };
}

/**
 * One row per identity, in the order of first appearance: the first row's fields, every row's occurrences in
 * order, the earliest first seen, and the latest last seen with its event (a later row wins a tie). The case
 * upsert needs it (ON CONFLICT DO UPDATE may not touch a row twice in one statement, and a burst of one identity
 * must never fail a batch); folding rows already folded gives the same rows.
 */
export function foldCaseGroupings(rows: readonly CaseGrouping[]): CaseGrouping[] {
  const byIdentity = new Map<string, CaseGrouping>();
  for (const r of rows) {
    const seen = byIdentity.get(r.identityKey);
    if (seen) addOccurrences(seen, r.events, r.firstSeenAt, r.lastSeenAt, r.latestEventId);
    else byIdentity.set(r.identityKey, { ...r, events: [...r.events] });
  }
  return [...byIdentity.values()];
}

function addOccurrences(row: CaseGrouping, events: CaseGrouping['events'], firstSeenAt: Date, lastSeenAt: Date, latestEventId: string): void {
  for (const e of events) row.events.push(e);
  if (firstSeenAt < row.firstSeenAt) row.firstSeenAt = firstSeenAt;
  if (lastSeenAt >= row.lastSeenAt) {
    row.lastSeenAt = lastSeenAt;
    row.latestEventId = latestEventId;
  }
}

/** An issue as the occurrence of its case, the stored event `eventId`. */
export function caseGroupingOf(issue: DetectedIssue, eventId: string): CaseGrouping {
  return {
    identityKey: issue.identityKey,
    identity: issue.identity,
    categoryCode: issue.categoryCode,
    severity: issue.severity,
    townshipCode: issue.townshipCode,
    gridCode: issue.gridCode,
    placeId: issue.placeId,
    handlingUnit: issue.handlingUnit,
    heldReason: issue.heldReason,
    officer: issue.officer,
    deviceId: issue.deviceId,
    lat: issue.location?.lat,
    lng: issue.location?.lng,
    firstSeenAt: issue.occurredAt,
    lastSeenAt: issue.occurredAt,
    latestEventId: eventId,
    ruleId: issue.ruleId,
    ruleVersion: issue.ruleVersion,
    explanation: { ...issue.explanation, routing: issue.routing },
    events: [{ id: eventId, occurredAt: issue.occurredAt }],
  };
}
