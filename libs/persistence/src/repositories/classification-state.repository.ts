import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PreparedStatement, runInOrder, runPrepared, type SqlStep } from './prepared-statement';
import {
  mergeInhibitors,
  type CaseOccurrenceOnRecord,
  type FirstIssueRecord,
  type ActiveInhibitor,
  type CaseWithdrawal,
  type DoNotDisturbRecord,
  type GeoPoint,
  type IssueSeverity,
  type SuppressionRecord as DomainSuppressionRecord,
  type SuppressionTally,
  type TrackState,
} from '@app/domain';
import type { AuditAppend } from './audit-log.repository';
import { ADVISORY_LOCKS } from '../advisory-locks';

interface InhibitorRow {
  inhibition_id: string;
  source_category: string;
  source_identity_key: string;
  scope: ActiveInhibitor['scope'];
  place_id: string | null;
  grid_code: string | null;
  township_code: string | null;
  from_at: Date;
  until_at: Date;
}

const activeInhibitorOf = (r: InhibitorRow): ActiveInhibitor => ({
  inhibitionId: r.inhibition_id,
  sourceCategory: r.source_category,
  sourceIdentityKey: r.source_identity_key,
  scope: r.scope,
  placeId: r.place_id ?? undefined,
  gridCode: r.grid_code ?? undefined,
  townshipCode: r.township_code ?? undefined,
  from: r.from_at,
  until: r.until_at,
});

/** Decisions that look at other events (inhibition, do-not-disturb) are taken by one worker at a time. */
export const DECISIONS_LOCK = ADVISORY_LOCKS.decisions;

/** Judging and recording a rules text (start, reload) happens one process at a time. */
export const RULE_TEXTS_LOCK = ADVISORY_LOCKS.ruleTexts;

/** A rules text put in force: by a start (a deployment), a reload (with who asked), or recorded by the migration. */
export interface RuleSetActivation {
  version: number;
  sha256: string;
  reason: 'start' | 'reload' | 'recorded';
  actorId?: string;
  actorName?: string;
}

/** A suppression as stored: a live one, or an occurrence taken off a case afterwards (its case's explanation). */
export type SuppressionRecord = DomainSuppressionRecord;

/** An occurrence of a machine-made case nobody has acted on yet, with what inhibition needs to judge it. */
export interface OpenOccurrenceRow extends CaseOccurrenceOnRecord {
  severity: IssueSeverity;
  gridCode?: string;
  location?: GeoPoint;
  zones: string[];
}

/** A stored do-not-disturb first issue (one detection): its suppression row, and the event it was. */
export type StoredFirstIssue = FirstIssueRecord;

/** Occurrences taken off one case afterwards, and why (kept in the case's explanation and the audit log). */
export type CaseTakeOff = CaseWithdrawal;

/**
 * State classification reads and writes inside the ingest transaction: dwell tracks (locked so two
 * workers never race on the same object), inhibitors, suppressions and do-not-disturb history.
 */
// Every ingest batch runs these (prepared once per connection, see PreparedStatement).
// A function scan over the array takes the locks in array order: the tracks' keys sorted, then (a NULL element) the
// decisions lock. Track keys are hashed into the same bigint lock space the decisions lock lives in.
const LOCK_FOR_DECISIONS = new PreparedStatement(
  'cp_lock_for_decisions',
  `SELECT count(pg_advisory_xact_lock(CASE WHEN k IS NULL THEN $2::bigint ELSE hashtextextended(k, 7) END)) FROM unnest($1::text[]) AS k`,
);
// What classification reads of other batches' decisions, in one statement after the locks (so one snapshot that
// starts after every lock is held). Columns named, never *: a prepared statement fails once its result's columns change.
const READ_DECISION_STATE = new PreparedStatement(
  'cp_read_decision_state',
  `SELECT
     (SELECT coalesce(json_agg(json_build_array(track_key, state)), '[]') FROM track_states WHERE track_key = ANY($1::text[])) AS tracks,
     (SELECT coalesce(json_agg(i), '[]') FROM (
        SELECT inhibition_id, source_category, source_identity_key, scope, place_id, grid_code, township_code, from_at, until_at
          FROM inhibitors WHERE until_at >= $2 AND from_at <= $3) AS i) AS inhibitors,
     (SELECT coalesce(json_agg(json_build_array(kind, ref, first_at, last_at)), '[]') FROM (
        SELECT 'place' AS kind, place_id AS ref, first_seen_at AS first_at, last_seen_at AS last_at FROM cases
         WHERE place_id = ANY($4::text[]) AND status <> 'rejected' AND last_seen_at >= $6 AND first_seen_at < $7
        UNION ALL
        SELECT 'subject', reference, first_seen_at, last_seen_at FROM suppressions
         WHERE reason = 'do-not-disturb' AND reference = ANY($5::text[]) AND last_seen_at >= $6 AND first_seen_at < $7) AS d) AS do_not_disturb`,
);
const SAVE_TRACKS = new PreparedStatement(
  'cp_save_tracks',
  `INSERT INTO track_states (track_key, device_id, state, last_seen_at, ended_at)
   SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[], $5::timestamptz[])
   ON CONFLICT (track_key) DO UPDATE SET state = EXCLUDED.state, last_seen_at = EXCLUDED.last_seen_at, ended_at = EXCLUDED.ended_at, updated_at = now()`,
);
// Most ingest batches record suppressions (prepared once per connection, see PreparedStatement).
const SAVE_SUPPRESSIONS = new PreparedStatement(
  'cp_save_suppressions',
  `INSERT INTO suppressions (suppression_key, reason, detail, reference, category_code, identity_key, rule_id, rule_version, device_id, township_code,
                                 count, first_seen_at, last_seen_at, latest_event_id, explanation)
       SELECT t.key, t.reason, t.detail, t.reference, t.category, t.identity_key, t.rule_id, t.rule_version, t.device_id, t.township, t.count, t.first_at, t.at, t.event_id, t.explanation::jsonb
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[], $11::int[], $12::timestamptz[], $13::bigint[], $14::text[], $15::timestamptz[])
              AS t(key, reason, detail, reference, category, identity_key, rule_id, rule_version, device_id, township, count, at, event_id, explanation, first_at)
       ON CONFLICT (suppression_key) DO UPDATE SET
         count = suppressions.count + EXCLUDED.count,
         detail = EXCLUDED.detail,
         first_seen_at = LEAST(suppressions.first_seen_at, EXCLUDED.first_seen_at),
         last_seen_at = GREATEST(suppressions.last_seen_at, EXCLUDED.last_seen_at),
         latest_event_id = CASE WHEN EXCLUDED.last_seen_at >= suppressions.last_seen_at THEN EXCLUDED.latest_event_id ELSE suppressions.latest_event_id END`,
);

@Injectable()
export class ClassificationStateRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Locks what a batch's classification decides on, then reads it: the tracks it will touch (advisory locks in sorted
   * order, so concurrent workers queue instead of deadlocking), then, with `decisions`, the decisions lock — held until
   * the transaction ends, since inhibition and do-not-disturb read what other batches decided and two workers deciding
   * at once would each miss the other's fire or first issue. Two statements whatever the batch: the locks, then one read
   * of the tracks' states, the inhibitors whose window overlaps [from, to] (source times of the batch) and the
   * do-not-disturb history overlapping [since, to): cases at the subjects' places (their first and last detection; a
   * rejected case was no issue: a false positive, or withdrawn by a later inhibition) and the first issues
   * do-not-disturb suppressed (reference = subject id, first and last seen). Issue 20: up to five round trips before.
   */
  async lockAndReadDecisionState(
    tx: EntityManager,
    input: {
      trackKeys: readonly string[];
      decisions: boolean;
      inhibitorsFrom: Date;
      inhibitorsTo: Date;
      doNotDisturb: { subjects: readonly { subjectId: string; placeIds: readonly string[] }[]; since: Date; to: Date };
    },
  ): Promise<{ tracks: Map<string, unknown>; activeInhibitors: ActiveInhibitor[]; doNotDisturbRecords: DoNotDisturbRecord[] }> {
    const sorted = [...input.trackKeys].sort();
    const locks: (string | null)[] = input.decisions ? [...sorted, null] : sorted;
    if (locks.length > 0) await runPrepared(tx, LOCK_FOR_DECISIONS, [locks, DECISIONS_LOCK]);
    const { subjects, since, to } = input.doNotDisturb;
    const [row] = await runPrepared<{
      tracks: [string, unknown][];
      inhibitors: (Omit<InhibitorRow, 'from_at' | 'until_at'> & { from_at: string; until_at: string })[];
      do_not_disturb: ['place' | 'subject', string, string, string][];
    }>(tx, READ_DECISION_STATE, [
      sorted,
      input.inhibitorsFrom,
      input.inhibitorsTo,
      [...new Set(subjects.flatMap((s) => s.placeIds))],
      subjects.map((s) => s.subjectId),
      since,
      to,
    ]);
    const tracks = new Map<string, unknown>(row.tracks);
    // JSON has no dates: the window's ends come as text.
    const activeInhibitors = row.inhibitors.map((r) => activeInhibitorOf({ ...r, from_at: new Date(r.from_at), until_at: new Date(r.until_at) }));
    const doNotDisturbRecords: DoNotDisturbRecord[] = [];
    for (const [kind, ref, firstText, lastText] of row.do_not_disturb) {
      const first = new Date(firstText);
      const last = new Date(lastText);
      for (const at of first.getTime() === last.getTime() ? [first] : [first, last]) {
        doNotDisturbRecords.push(kind === 'place' ? { at, placeId: ref } : { at, subjectId: ref });
      }
    }
    return { tracks, activeInhibitors, doNotDisturbRecords };
  }

  async saveTracks(tx: EntityManager, changed: TrackState[]): Promise<void> {
    await runInOrder(tx, [this.saveTracksStep(changed)]);
  }

  /** `saveTracks` as a step of a group sent at once (`runInOrder`); nothing when no track changed. */
  saveTracksStep(changed: TrackState[]): SqlStep | undefined {
    if (changed.length === 0) return undefined;
    // One row per track (the newest state wins): ON CONFLICT DO UPDATE may not touch a row twice in one statement.
    const latest = new Map<string, TrackState>();
    for (const t of changed) {
      const seen = latest.get(t.key);
      if (!seen || seen.lastSeenAt <= t.lastSeenAt) latest.set(t.key, t);
    }
    const tracks = [...latest.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return {
      statement: SAVE_TRACKS,
      values: [
        tracks.map((t) => t.key),
        tracks.map((t) => t.deviceId),
        tracks.map((t) => JSON.stringify(t)),
        tracks.map((t) => t.lastSeenAt),
        tracks.map((t) => t.endedAt ?? null),
      ],
    };
  }

  /**
   * Deletes up to `limit` track states nobody has written for `days` (the oldest first, by the database's clock, the
   * one `updated_at` is written with); returns how many. The keys are taken once, as an array: a subquery the planner
   * re-runs per row could take more than the limit.
   */
  async pruneTrackStates(days: number, limit: number): Promise<number> {
    const [, deleted]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM track_states
        WHERE track_key = ANY (ARRAY(SELECT track_key FROM track_states WHERE updated_at < now() - $1 * interval '1 day' ORDER BY updated_at LIMIT $2))`,
      [days, limit],
    );
    return deleted;
  }

  async saveInhibitors(tx: EntityManager, started: ActiveInhibitor[]): Promise<void> {
    if (started.length === 0) return;
    // Windows of one source that overlap or touch what is stored become one row, the exact union (a fire at 10:00 and
    // one at 13:00 still mute 10:00–11:00 and 13:00–14:00, never 11:00–13:00): a camera reporting smoke every second
    // for an hour leaves one row per stretch, not one per batch, and every batch reads only what is in force. The
    // stored rows it overlaps are taken out and written back merged; callers hold DECISIONS_LOCK, so no other
    // worker merges the same source meanwhile.
    const pairs = new Map<string, { inhibitionId: string; sourceIdentityKey: string }>();
    let from = started[0].from;
    let until = started[0].until;
    for (const i of started) {
      pairs.set(`${i.inhibitionId}\u0000${i.sourceIdentityKey}`, { inhibitionId: i.inhibitionId, sourceIdentityKey: i.sourceIdentityKey });
      if (i.from < from) from = i.from;
      if (i.until > until) until = i.until;
    }
    const sources = [...pairs.values()];
    // Wrapped in a SELECT: for a bare DELETE … RETURNING, TypeORM's query() answers [rows, rowCount], not the rows.
    const taken: InhibitorRow[] = await tx.query(
      `WITH taken AS (
         DELETE FROM inhibitors x USING unnest($1::text[], $2::text[]) AS p(inhibition_id, source_identity_key)
          WHERE x.inhibition_id = p.inhibition_id AND x.source_identity_key = p.source_identity_key AND x.until_at >= $3 AND x.from_at <= $4
         RETURNING x.*)
       SELECT * FROM taken`,
      [sources.map((p) => p.inhibitionId), sources.map((p) => p.sourceIdentityKey), from, until],
    );
    // ON CONFLICT DO UPDATE may not touch a row twice in one statement: merged, no two rows share a start.
    const inhibitors = mergeInhibitors([...taken.map(activeInhibitorOf), ...started]);
    await tx.query(
      `INSERT INTO inhibitors (inhibition_id, source_category, source_identity_key, scope, place_id, grid_code, township_code, from_at, until_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[])
       ON CONFLICT (inhibition_id, source_identity_key, from_at) DO UPDATE SET until_at = GREATEST(inhibitors.until_at, EXCLUDED.until_at)`,
      [
        inhibitors.map((i) => i.inhibitionId),
        inhibitors.map((i) => i.sourceCategory),
        inhibitors.map((i) => i.sourceIdentityKey),
        inhibitors.map((i) => i.scope),
        inhibitors.map((i) => i.placeId ?? null),
        inhibitors.map((i) => i.gridCode ?? null),
        inhibitors.map((i) => i.townshipCode ?? null),
        inhibitors.map((i) => i.from),
        inhibitors.map((i) => i.until),
      ],
    );
  }

  /**
   * Suppressed detections, counted per key (`suppressionKeyOf`: reason and identity) like cases, so a silenced
   * site is one row. A row stands for `count` detections from `firstAt` to the latest (`suppression`, `eventId`).
   */
  /** Suppressions recorded, as a step of a group sent at once (`runInOrder`); nothing when there are none. */
  saveSuppressionsStep(rows: SuppressionTally[]): SqlStep | undefined {
    if (rows.length === 0) return undefined;
    // One row per key, counts added, the earliest time and the latest detection kept: a statement may not update a row twice.
    const folded = new Map<string, SuppressionTally>();
    for (const r of rows) {
      const seen = folded.get(r.key);
      if (!seen) folded.set(r.key, { ...r });
      else {
        seen.count += r.count;
        if (r.firstAt < seen.firstAt) seen.firstAt = r.firstAt;
        if (r.suppression.issue.occurredAt >= seen.suppression.issue.occurredAt) {
          seen.suppression = r.suppression;
          seen.eventId = r.eventId;
        }
      }
    }
    const sorted = [...folded.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return {
      statement: SAVE_SUPPRESSIONS,
      values: [
        sorted.map((r) => r.key),
        sorted.map((r) => r.suppression.reason),
        sorted.map((r) => r.suppression.detail),
        sorted.map((r) => r.suppression.reference ?? null),
        sorted.map((r) => r.suppression.issue.categoryCode),
        sorted.map((r) => r.suppression.issue.identityKey),
        sorted.map((r) => r.suppression.issue.ruleId),
        sorted.map((r) => r.suppression.issue.ruleVersion),
        sorted.map((r) => r.suppression.issue.deviceId),
        sorted.map((r) => r.suppression.issue.townshipCode ?? null),
        sorted.map((r) => r.count),
        sorted.map((r) => r.suppression.issue.occurredAt),
        sorted.map((r) => r.eventId),
        sorted.map((r) => JSON.stringify(r.suppression.issue.explanation)),
        sorted.map((r) => r.firstAt),
      ],
    };
  }

  /**
   * First issues do-not-disturb suppressed for these subjects, one detection each (count 1), with source time in
   * (after, before): candidates for `repeatsAfterwards`. The stored explanation is the would-be issue's.
   */
  async doNotDisturbFirsts(tx: EntityManager, subjectIds: string[], after: Date, before: Date): Promise<StoredFirstIssue[]> {
    if (subjectIds.length === 0) return [];
    const rows: {
      suppression_key: string;
      reference: string;
      identity_key: string;
      category_code: string;
      rule_id: string;
      rule_version: number;
      device_id: string;
      township_code: string | null;
      first_seen_at: Date;
      latest_event_id: string;
      explanation: Record<string, unknown>;
    }[] = await tx.query(
      `SELECT suppression_key, reference, identity_key, category_code, rule_id, rule_version, device_id, township_code, first_seen_at, latest_event_id::text AS latest_event_id, explanation
         FROM suppressions
        WHERE reason = 'do-not-disturb' AND reference = ANY($1::text[]) AND count = 1 AND first_seen_at > $2 AND first_seen_at < $3
        ORDER BY suppression_key`,
      [subjectIds, after, before],
    );
    return rows.map((r) => ({
      key: r.suppression_key,
      subjectId: r.reference,
      identityKey: r.identity_key,
      categoryCode: r.category_code,
      ruleId: r.rule_id,
      ruleVersion: r.rule_version,
      deviceId: r.device_id,
      townshipCode: r.township_code ?? undefined,
      at: r.first_seen_at,
      eventId: String(r.latest_event_id),
      explanation: r.explanation,
    }));
  }

  /**
   * First issues that turned out to be repeats (an earlier issue of the business arrived later): their
   * suppressions go, as they become case occurrences, and the audit log keeps why (the case they join may be
   * an older one whose explanation is its first issue's). Returns those audit entries for the caller to append
   * last in its transaction (see `takeOffCases`).
   */
  async supersedeFirstIssues(tx: EntityManager, firsts: { key: string; eventId: string; note: Record<string, unknown> }[], at: Date): Promise<AuditAppend[]> {
    if (firsts.length === 0) return [];
    const sorted = [...firsts].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    await tx.query(`DELETE FROM suppressions WHERE suppression_key = ANY($1::text[])`, [sorted.map((f) => f.key)]);
    return sorted.map((f) => ({
      at,
      actorId: null,
      actorRole: 'system',
      action: 'do-not-disturb.repeat-afterwards',
      caseId: null,
      data: { eventId: f.eventId, ...f.note },
    }));
  }

  /**
   * Occurrences in [from, until] of machine-made cases in these grids or townships that no person has acted on
   * (status detected, nothing recorded after the opening), their cases locked: what a newly stored inhibitor may
   * take back. A person's review taken first wins (the lock waits, then the case no longer qualifies).
   */
  async openOccurrences(tx: EntityManager, scope: { gridCodes: string[]; townshipCodes: string[]; from: Date; until: Date }): Promise<OpenOccurrenceRow[]> {
    const rows: {
      case_id: string;
      case_number: string;
      identity_key: string;
      category_code: string;
      severity: IssueSeverity;
      grid_code: string | null;
      township_code: string | null;
      rule_id: string;
      rule_version: number;
      explanation: Record<string, unknown>;
      event_id: string;
      source_event_id: string;
      occurred_at: Date;
      device_id: string;
      lat: number | null;
      lng: number | null;
      zones: string[] | null;
    }[] = await tx.query(
      `SELECT c.id AS case_id, c.case_number, c.identity_key, c.category_code, c.severity, c.grid_code, c.township_code, c.rule_id, c.rule_version,
              c.explanation, o.event_id::text AS event_id, e.source_event_id, o.occurred_at, e.device_id, e.lat, e.lng, e.zones
         FROM cases c
         JOIN case_occurrences o ON o.case_id = c.id
         JOIN events e ON e.id = o.event_id
        WHERE c.status = 'detected' AND c.origin = 'machine'
          AND (c.grid_code = ANY($1::text[]) OR c.township_code = ANY($2::text[]))
          AND o.occurred_at >= $3 AND o.occurred_at <= $4
          AND NOT EXISTS (SELECT 1 FROM case_workflow w WHERE w.case_id = c.id AND w.transition_count > 1)
        ORDER BY c.id, o.event_id
          FOR UPDATE OF c`,
      [scope.gridCodes, scope.townshipCodes, scope.from, scope.until],
    );
    return rows.map((r) => ({
      caseId: r.case_id,
      caseNumber: r.case_number,
      identityKey: r.identity_key,
      categoryCode: r.category_code,
      severity: r.severity,
      gridCode: r.grid_code ?? undefined,
      townshipCode: r.township_code ?? undefined,
      ruleId: r.rule_id,
      ruleVersion: r.rule_version,
      explanation: r.explanation,
      eventId: String(r.event_id),
      sourceEventId: r.source_event_id,
      occurredAt: r.occurred_at,
      deviceId: r.device_id,
      location: r.lat !== null && r.lng !== null ? { lat: r.lat, lng: r.lng } : undefined,
      zones: r.zones ?? [],
    }));
  }

  /**
   * Takes occurrences off their cases: counters, first/last seen and latest event recomputed from what is left,
   * the reason appended to the case's explanation (`inhibitedAfterwards`) and to the audit log. A case left with
   * no occurrence is withdrawn: `rejected` (terminal, reopenable by a supervisor, not a reviewed false positive:
   * nobody reviewed it) with `explanation.withdrawn`, its grouping closed and, if the case loop already holds
   * it, its review clock stopped. Returns the ids of the cases changed and the audit entries that say why.
   *
   * The entries are not appended here: the chain lock must be the last lock a transaction takes. The case
   * intake, the case loop and the device watcher lock rows first and the chain after; an ingest batch that
   * took the chain here and then waited for a case row the intake held deadlocked with it.
   */
  async takeOffCases(tx: EntityManager, takeOffs: CaseTakeOff[], at: Date): Promise<{ changed: string[]; audit: AuditAppend[] }> {
    if (takeOffs.length === 0) return { changed: [], audit: [] };
    const sorted = [...takeOffs].sort((a, b) => (a.caseId < b.caseId ? -1 : a.caseId > b.caseId ? 1 : 0));
    const pairs = sorted.flatMap((t) => t.eventIds.map((e) => [t.caseId, e] as const));
    await tx.query(
      `DELETE FROM case_occurrences o USING unnest($1::uuid[], $2::bigint[]) AS t(case_id, event_id) WHERE o.case_id = t.case_id AND o.event_id = t.event_id`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
    // Wrapped in a SELECT: TypeORM hands back [rows, count] for a bare UPDATE … RETURNING.
    const updated: { id: string; n: number }[] = await tx.query(
      `WITH t AS (SELECT * FROM unnest($1::uuid[], $2::jsonb[]) AS t(id, note)),
            l AS (SELECT t.id, count(o.event_id)::int AS n, min(o.occurred_at) AS first_at, max(o.occurred_at) AS last_at,
                         (array_agg(o.event_id ORDER BY o.occurred_at DESC, o.event_id DESC) FILTER (WHERE o.event_id IS NOT NULL))[1] AS latest
                    FROM t LEFT JOIN case_occurrences o ON o.case_id = t.id GROUP BY t.id),
            u AS (UPDATE cases c SET
              occurrence_count = l.n,
              first_seen_at = coalesce(l.first_at, c.first_seen_at),
              last_seen_at = coalesce(l.last_at, c.last_seen_at),
              latest_event_id = coalesce(l.latest, c.latest_event_id),
              status = CASE WHEN l.n = 0 THEN 'rejected' ELSE c.status END,
              grouping_open = CASE WHEN l.n = 0 THEN false ELSE c.grouping_open END,
              explanation = jsonb_set(c.explanation, '{inhibitedAfterwards}', coalesce(c.explanation->'inhibitedAfterwards', '[]'::jsonb) || jsonb_build_array(t.note))
                            || CASE WHEN l.n = 0 THEN jsonb_build_object('withdrawn', t.note) ELSE '{}'::jsonb END,
              updated_at = now()
         FROM t JOIN l ON l.id = t.id
        WHERE c.id = t.id
       RETURNING c.id, l.n)
       SELECT id, n FROM u`,
      [sorted.map((t) => t.caseId), sorted.map((t) => JSON.stringify(t.note))],
    );
    const left = new Map(updated.map((u) => [u.id, u.n]));
    const withdrawn = sorted.filter((t) => left.get(t.caseId) === 0);
    if (withdrawn.length > 0) {
      // Only the loop's clock and rejection fields: the loop's own record of the case is its transitions.
      await tx.query(
        `UPDATE case_workflow w SET rejected_at = $3, rejected_by = 'classification', rejection_reason = t.reason,
                step = NULL, step_started_at = NULL, step_due_at = NULL, step_limit = NULL, deadline_state = NULL, updated_at = now()
           FROM unnest($1::uuid[], $2::text[]) AS t(case_id, reason) WHERE w.case_id = t.case_id`,
        [withdrawn.map((t) => t.caseId), withdrawn.map((t) => t.reason), at],
      );
    }
    const audit = sorted.map((t): AuditAppend => {
      const remaining = left.get(t.caseId) ?? 0;
      return {
        at,
        actorId: null,
        actorRole: 'system',
        action: remaining === 0 ? 'case.withdrawn' : 'case.occurrences-withdrawn',
        caseId: t.caseId,
        data: { caseNumber: t.caseNumber, reason: t.reason, remainingOccurrences: remaining, ...t.note },
      };
    });
    return { changed: sorted.map((t) => t.caseId), audit };
  }

  /** Drones' latest telemetry, as a step of a group sent at once (`runInOrder`); nothing when there is none. */
  saveTelemetryStep(rows: { deviceId: string; at: Date; lat?: number; lng?: number; telemetry: object }[]): SqlStep | undefined {
    if (rows.length === 0) return undefined;
    // Keep only the newest per device within the batch, and never go back in time.
    const latest = new Map<string, (typeof rows)[number]>();
    for (const r of rows) if (!latest.has(r.deviceId) || latest.get(r.deviceId)!.at < r.at) latest.set(r.deviceId, r);
    const list = [...latest.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
    return {
      statement: `INSERT INTO device_telemetry (device_id, at, lat, lng, telemetry, updated_at)
       SELECT t.*, now() FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::jsonb[]) AS t
       ON CONFLICT (device_id) DO UPDATE SET at = EXCLUDED.at, lat = EXCLUDED.lat, lng = EXCLUDED.lng, telemetry = EXCLUDED.telemetry, updated_at = now()
       WHERE device_telemetry.at <= EXCLUDED.at`,
      values: [
        list.map((r) => r.deviceId),
        list.map((r) => r.at),
        list.map((r) => r.lat ?? null),
        list.map((r) => r.lng ?? null),
        list.map((r) => JSON.stringify(r.telemetry)),
      ],
    };
  }

  /**
   * Held until the transaction ends: a start and a reload (or two starts) judge and record a rules text one at a
   * time, so two texts can never both be recorded under one version, and activations are in commit order.
   */
  async lockRuleTexts(tx: EntityManager): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [RULE_TEXTS_LOCK]);
  }

  /** Every rules text loaded so far: its version and hash. */
  async loadedRuleTexts(tx: EntityManager): Promise<{ version: number; sha256: string }[]> {
    return tx.query(`SELECT version, sha256 FROM rule_set_versions ORDER BY id`);
  }

  async recordRuleSetVersion(tx: EntityManager, version: number, sha256: string, content: string): Promise<void> {
    await tx.query(`INSERT INTO rule_set_versions (version, sha256, content) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING`, [version, sha256, content]);
  }

  /** The text in force: the newest activation (undefined before the first start). */
  async latestActivation(tx?: EntityManager): Promise<{ version: number; sha256: string; activatedAt: Date } | undefined> {
    const rows: { version: number; sha256: string; activated_at: Date }[] = await (tx ?? this.dataSource).query(
      `SELECT version, sha256, activated_at FROM rule_set_activations ORDER BY id DESC LIMIT 1`,
    );
    return rows[0] && { version: rows[0].version, sha256: rows[0].sha256, activatedAt: rows[0].activated_at };
  }

  async recordActivation(tx: EntityManager, a: RuleSetActivation): Promise<void> {
    await tx.query(`INSERT INTO rule_set_activations (sha256, version, reason, actor_id, actor_name) VALUES ($1, $2, $3, $4, $5)`, [
      a.sha256,
      a.version,
      a.reason,
      a.actorId ?? null,
      a.actorName ?? null,
    ]);
  }

  async ruleSetVersion(sha256: string): Promise<{ version: number; sha256: string; content: string; loadedAt: Date } | undefined> {
    const rows: { version: number; sha256: string; content: string; loaded_at: Date }[] = await this.dataSource.query(
      `SELECT version, sha256, content, loaded_at FROM rule_set_versions WHERE sha256 = $1`,
      [sha256],
    );
    return rows[0] && { version: rows[0].version, sha256: rows[0].sha256, content: rows[0].content, loadedAt: rows[0].loaded_at };
  }

  async ruleSetHistory(): Promise<{ version: number; sha256: string; loadedAt: Date }[]> {
    const rows: { version: number; sha256: string; loaded_at: Date }[] = await this.dataSource.query(
      `SELECT version, sha256, loaded_at FROM rule_set_versions ORDER BY id DESC LIMIT 200`,
    );
    return rows.map((r) => ({ version: r.version, sha256: r.sha256, loadedAt: r.loaded_at }));
  }

  /** Activations, newest first (the first row is the text in force). */
  async ruleSetActivations(limit = 200): Promise<(RuleSetActivation & { activatedAt: Date })[]> {
    const rows: {
      version: number;
      sha256: string;
      activated_at: Date;
      reason: RuleSetActivation['reason'];
      actor_id: string | null;
      actor_name: string | null;
    }[] = await this.dataSource.query(
      `SELECT version, sha256, activated_at, reason, actor_id, actor_name FROM rule_set_activations ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      version: r.version,
      sha256: r.sha256,
      activatedAt: r.activated_at,
      reason: r.reason,
      actorId: r.actor_id ?? undefined,
      actorName: r.actor_name ?? undefined,
    }));
  }
}
