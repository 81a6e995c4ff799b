import type { CanonicalEvent, Detection } from '../event/canonical-event';
import type { Place } from '../geo/jurisdiction.schema';
import type { Jurisdiction, JurisdictionLocation } from '../geo/jurisdiction-index';
import { DetectedIssue, IdentityFrom, IssueExplanation, issueIdentity, Suppression, SuppressionReason } from './detected-issue';
import { departmentRecordOf, departmentSeverity, referralOf } from './department-record';
import { dwellOf, dwellProofOf, ObserveOutcome, observeTrack, trackKeyOf, TrackState } from './dwell-tracker';
import { Category, Rule, RuleExemption, RuleSet, severityRank } from './rule-set';
import { RouteDecision, routeIssue, RouteInput, RoutingTable } from './routing-table';
import {
  ActiveInhibitor,
  DoNotDisturbHistory,
  DoNotDisturbLedger,
  doNotDisturbPlaceIds,
  DoNotDisturbRecord,
  doNotDisturbSubjects,
  eitherHistory,
  findInhibitor,
  findSilence,
  inhibitionDetail,
  inhibitionReference,
  inhibitorsFromIssue,
  mergeInhibitors,
} from './suppression-policy';
import { isoInstant } from '../time/iso-instant';
import { describeWindow, localClock, LocalClock, parseUtcOffset, windowAppliesToPlaces, windowContainsTime } from './time-window.matcher';

export { identityKeyOf } from './detected-issue';
export type { DetectedIssue, Suppression } from './detected-issue';

/**
 * Classification: canonical event (+ the states of the objects it tracks) in, issues and suppressions
 * out. Pure: no clock (time is `event.occurredAt`), no I/O; everything it needs is in the context, and
 * every state it changes is returned for the caller to store.
 */
export interface ClassifyContext {
  ruleSet: RuleSet;
  jurisdiction: Jurisdiction;
  routing: RoutingTable;
  /** Camera zone → place id (devices.yaml `zones`). */
  zoneToPlace: (deviceId: string, zone: string) => string | undefined;
  /** Stored track states by key (`trackKeysFor` names the ones a batch needs). */
  tracks: ReadonlyMap<string, TrackState>;
  /** Inhibitors in force (from stored source-category issues); expired ones are ignored by time. */
  activeInhibitors: readonly ActiveInhibitor[];
  doNotDisturbHistory: DoNotDisturbHistory;
}

export interface ClassifyResult {
  issues: DetectedIssue[];
  suppressed: Suppression[];
  /** New or changed track states to upsert; those with `endedAt` may be deleted once the source ended them. */
  tracks: TrackState[];
  /** Inhibitors started by this event's issues: store them and pass them in from now on. */
  inhibitors: ActiveInhibitor[];
}

interface CompiledRuleSet {
  offsetMinutes: number;
  rulesByLabel: Map<string, Rule[]>;
  /** Labels whose objects need a track (a dwell rule or a grace exemption uses them). */
  trackedLabels: Set<string>;
  categories: Map<string, Category>;
  /** Categories an inhibition starts from. */
  inhibitionSources: Set<string>;
}

// Rule sets are immutable values; compile each once (reloads bring a new object).
const compiled = new WeakMap<RuleSet, CompiledRuleSet>();

function compile(ruleSet: RuleSet): CompiledRuleSet {
  const hit = compiled.get(ruleSet);
  if (hit) return hit;
  const rulesByLabel = new Map<string, Rule[]>();
  const trackedLabels = new Set<string>();
  for (const rule of ruleSet.rules) {
    for (const label of rule.labels) {
      const listed = rulesByLabel.get(label) ?? [];
      // A rule is evaluated once per detection however often it names the label.
      if (!listed.includes(rule)) rulesByLabel.set(label, [...listed, rule]);
      if (rule.dwell || rule.exemptions?.some((e) => e.graceMinutes !== undefined)) trackedLabels.add(label);
    }
  }
  const c: CompiledRuleSet = {
    offsetMinutes: parseUtcOffset(ruleSet.timezone),
    rulesByLabel,
    trackedLabels,
    categories: new Map(ruleSet.categories.map((cat) => [cat.code, cat])),
    inhibitionSources: new Set(ruleSet.inhibitions.flatMap((i) => i.sourceCategories)),
  };
  compiled.set(ruleSet, c);
  return c;
}

/** Track keys a batch of events will read: load these states before classifying the batch. */
export function trackKeysFor(events: readonly CanonicalEvent[], ruleSet: RuleSet): string[] {
  const { trackedLabels } = compile(ruleSet);
  const keys = new Set<string>();
  for (const e of events) {
    for (const d of e.detections) {
      const key = labelsOf(e, d).some((l) => trackedLabels.has(l)) ? trackKeyOf(e, d) : undefined;
      if (key) keys.add(key);
    }
  }
  return [...keys];
}

interface EventWhere {
  /** Places the event is in, most specific first. */
  places: Place[];
  /** Their ids (tracks and inhibition look at every place of the event). */
  placeIds: string[];
  via?: 'zone' | 'geometry';
  located?: JurisdictionLocation;
}

/**
 * Camera zones mapped to places win over the event's point: a fixed camera's position is where it hangs, the
 * zone is where the object is. Without mapped zones (drones, feeds) the event's point decides. Either way the
 * places are the same kind of set — the place and every place whose geometry encloses it — so rules, exemptions
 * and policies see a car in the `loading_bay` zone in the no-parking street around the bay, exactly as they see a
 * point in the bay (issue 17: a camera reporting only `loading_bay` matched no rule and was neither cased nor
 * recorded as exempt).
 */
function whereOf(event: Pick<CanonicalEvent, 'deviceId' | 'zones' | 'location'>, ctx: Pick<ClassifyContext, 'jurisdiction' | 'zoneToPlace'>): EventWhere {
  const located = event.location ? ctx.jurisdiction.locate(event.location) : undefined;
  if (event.zones.length > 0) {
    const zoneIds = event.zones.map((z) => ctx.zoneToPlace(event.deviceId, z)).filter((id): id is string => id !== undefined);
    const zonePlaces = zoneIds.length > 0 ? ctx.jurisdiction.placesAround(zoneIds) : [];
    if (zonePlaces.length > 0) return { places: zonePlaces, placeIds: zonePlaces.map((p) => p.id), via: 'zone', located };
  }
  const places = located?.places ?? [];
  return { places, placeIds: places.map((p) => p.id), ...(places.length > 0 && { via: 'geometry' as const }), located };
}

const inPlaceList = (p: Place, ids: readonly string[] | undefined, types: readonly string[] | undefined): boolean =>
  ids?.includes(p.id) === true || types?.includes(p.type) === true;

interface Candidate {
  rule: Rule;
  detection: Detection;
  issue: DetectedIssue;
  /** All places of the event (policies look at every one, not just the identity's). */
  places: Place[];
  placeIds: string[];
  trackKey?: string;
  pre?: { reason: SuppressionReason; detail: string; reference?: string };
}

const NO_RULES: readonly Rule[] = [];

type TrackOutcome = { key: string; outcome: ObserveOutcome } | { key?: undefined };

/** Classifies one event. For a batch use `classifyBatch`, which threads states from event to event. */
export function classify(event: CanonicalEvent, ctx: ClassifyContext): ClassifyResult {
  const rs = compile(ctx.ruleSet);
  const where = whereOf(event, ctx);
  const clock = localClock(event.occurredAt, rs.offsetMinutes);
  const changedTracks = new Map<string, TrackState>();
  const candidates: Candidate[] = [];

  // Frigate flags objects it judged false positives; the adapter keeps them for the record, they never count.
  if (event.attributes.falsePositive === true) return { issues: [], suppressed: [], tracks: [], inhibitors: [] };

  for (const detection of event.detections) {
    const labels = labelsOf(event, detection);
    const track = observe(event, detection, labels, where, ctx, rs, changedTracks);
    // One label (nearly every detection): its rules as compiled. A sub label may list a rule the label lists too.
    const rules = labels.length === 1 ? (rs.rulesByLabel.get(labels[0]) ?? NO_RULES) : new Set(labels.flatMap((l) => rs.rulesByLabel.get(l) ?? []));
    for (const rule of rules) {
      const c = evaluateRule(event, detection, rule, where, clock, track, changedTracks, ctx, rs);
      if (c) candidates.push(c);
    }
  }

  // Policies run after every candidate of the event exists, so a fire and garbage in one photo
  // inhibit the same way whichever detection came first.
  const issues: DetectedIssue[] = [];
  const suppressed: Suppression[] = [];
  const seenIssue = new Set<string>();
  const seenSuppression = new Set<string>();
  const suppress = (c: Candidate, reason: SuppressionReason, detail: string, reference?: string): void => {
    const key = `${reason}|${c.issue.identityKey}`;
    if (seenSuppression.has(key)) return;
    seenSuppression.add(key);
    suppressed.push({ reason, detail, ...(reference !== undefined && { reference }), issue: c.issue });
  };

  const live = candidates.filter((c) => {
    if (c.pre) suppress(c, c.pre.reason, c.pre.detail, c.pre.reference);
    return !c.pre;
  });
  const unsilenced = live.filter((c) => {
    const s = findSilence(c.issue, c.places, ctx.ruleSet);
    if (s) suppress(c, 'silenced', `silence "${s.id}" (${s.from} – ${s.to}): ${s.reason}`, [s.id, s.reference].filter(Boolean).join(' '));
    return !s;
  });
  const eventInhibitors = inhibitorsStartedBy(unsilenced, (c) => c.issue, ctx.ruleSet);
  // Copied only when the event starts some (most do not, and the inhibitors in force may be many).
  const inhibitors = eventInhibitors.length > 0 ? [...ctx.activeInhibitors, ...eventInhibitors] : ctx.activeInhibitors;
  for (const c of unsilenced) {
    const inhibitor = findInhibitor(c.issue, c.placeIds, inhibitors, ctx.ruleSet);
    if (inhibitor) {
      suppress(c, 'inhibited', inhibitionDetail(inhibitor), inhibitionReference(inhibitor));
      continue;
    }
    const dnd = doNotDisturb(c, ctx);
    if (dnd) {
      suppress(c, 'do-not-disturb', dnd.detail, dnd.subjectId);
      continue;
    }
    if (seenIssue.has(c.issue.identityKey)) continue;
    seenIssue.add(c.issue.identityKey);
    issues.push(c.issue);
    if (c.trackKey) confirm(c, changedTracks, ctx);
  }
  return {
    issues,
    suppressed,
    tracks: [...changedTracks.values()],
    inhibitors: inhibitorsStartedBy(issues, (i) => i, ctx.ruleSet),
  };
}

/** The inhibitors these issues start; asked for every event, and nearly every issue's category starts none. */
function inhibitorsStartedBy<T>(items: readonly T[], issueOf: (item: T) => DetectedIssue, ruleSet: RuleSet): ActiveInhibitor[] {
  const sources = compile(ruleSet).inhibitionSources;
  const started: ActiveInhibitor[] = [];
  for (const item of items) {
    const issue = issueOf(item);
    if (sources.has(issue.categoryCode)) started.push(...inhibitorsFromIssue(issue, ruleSet));
  }
  return started;
}

/**
 * A detection's label, plus Frigate's sub label (`attributes.subLabel`, e.g. person → "vendor") when the
 * event is about that one object: a rule listing `vendor` matches a model label or a sub label alike.
 */
function labelsOf(event: CanonicalEvent, detection: Detection): string[] {
  const sub = event.attributes.subLabel;
  return typeof sub === 'string' && sub !== '' && sub !== detection.label && event.detections.length === 1 ? [detection.label, sub] : [detection.label];
}

function currentTrack(key: string, changed: ReadonlyMap<string, TrackState>, ctx: ClassifyContext): TrackState | undefined {
  return changed.get(key) ?? ctx.tracks.get(key);
}

function observe(
  event: CanonicalEvent,
  detection: Detection,
  labels: readonly string[],
  where: EventWhere,
  ctx: ClassifyContext,
  rs: CompiledRuleSet,
  changed: Map<string, TrackState>,
): TrackOutcome {
  if (!labels.some((l) => rs.trackedLabels.has(l))) return {};
  const key = trackKeyOf(event, detection);
  if (!key) return {};
  const outcome = observeTrack(
    currentTrack(key, changed, ctx),
    key,
    {
      at: event.occurredAt,
      eventId: event.eventId,
      deviceId: event.deviceId,
      label: detection.label,
      ...(detection.trackId !== undefined && { trackId: detection.trackId }),
      ...(detection.plate !== undefined && { plate: detection.plate }),
      ...(detection.stationary !== undefined && { stationary: detection.stationary }),
      ...(detection.box && { box: detection.box }),
      ...(event.location && { location: event.location }),
      placeIds: where.placeIds,
      ended: event.phase === 'end',
    },
    ctx.ruleSet.tracking,
  );
  if (outcome.kind === 'applied') changed.set(key, outcome.state);
  return { key, outcome };
}

function evaluateRule(
  event: CanonicalEvent,
  detection: Detection,
  rule: Rule,
  where: EventWhere,
  clock: LocalClock,
  track: TrackOutcome,
  changed: ReadonlyMap<string, TrackState>,
  ctx: ClassifyContext,
  rs: CompiledRuleSet,
): Candidate | undefined {
  if (rule.sources && !rule.sources.some((s) => s === event.source || s === event.sourceKind)) return undefined;
  if (detection.confidence < rule.minConfidence) return undefined;
  const hasPlaceCondition = rule.places !== undefined || rule.placeTypes !== undefined;
  const matched = hasPlaceCondition ? where.places.filter((p) => inPlaceList(p, rule.places, rule.placeTypes)) : where.places;
  if (hasPlaceCondition && matched.length === 0) return undefined;

  let activeWindow: string | undefined;
  if (rule.timeWindows?.active) {
    const w = rule.timeWindows.active.find((x) => windowAppliesToPlaces(x, where.places) && windowContainsTime(x, clock));
    // Outside its active windows the rule does not apply at all: nothing to record.
    if (!w) return undefined;
    activeWindow = describeWindow(w);
  }

  const category = rs.categories.get(rule.category);
  if (!category) return undefined; // unreachable: the schema checks category references
  const state = track.key !== undefined ? currentTrack(track.key, changed, ctx) : undefined;
  const issue = buildIssue(event, detection, rule, category, matched[0], where, state, track.key, ctx);
  if (activeWindow) issue.explanation.window = { kind: 'active', window: activeWindow, localTime: clock.text };
  const candidate: Candidate = {
    rule,
    detection,
    issue,
    places: where.places,
    placeIds: where.placeIds,
    ...(track.key !== undefined && { trackKey: track.key }),
  };

  // Dwell and exemptions need the object's history.
  const exemption = rule.exemptions?.find((e) => where.places.some((p) => inPlaceList(p, e.places, e.placeTypes)));
  if (rule.dwell || exemption?.graceMinutes !== undefined) {
    if (track.key === undefined) {
      if (rule.dwell)
        return { ...candidate, pre: { reason: 'no-track', detail: 'dwell needs a tracked object (tracker id or plate); this detection has neither' } };
    } else if (track.outcome.kind === 'late') {
      issue.explanation.lateBySeconds = track.outcome.lateBySeconds;
      return {
        ...candidate,
        pre: {
          reason: 'late-event',
          detail: `${Math.round(track.outcome.lateBySeconds)} s older than the track's latest observation (tolerance ${ctx.ruleSet.tracking.lateToleranceSeconds} s): ignored for dwell`,
        },
      };
    }
  }
  const measured = state ? dwellOf(state, rule.dwell?.requireStationary ?? false, event.occurredAt) : { seconds: 0 };
  if (rule.dwell) {
    issue.explanation.dwell = {
      requiredMinutes: rule.dwell.minutes,
      observedMinutes: Math.round((measured.seconds / 60) * 100) / 100,
      ...(measured.since !== undefined && { since: measured.since }),
      requireStationary: rule.dwell.requireStationary,
    };
    // Not reached yet: no issue and nothing to record (the track state shows the progress).
    if (measured.seconds < rule.dwell.minutes * 60) return undefined;
    const proof = state && dwellProofOf(state, rule.dwell.requireStationary, { eventId: event.eventId, at: event.occurredAt });
    if (proof) {
      issue.dwellProof = proof;
      issue.explanation.dwell.firstEventId = proof.first.eventId;
      issue.explanation.dwell.sampledEvents = proof.sample.length;
    }
  }
  if (exemption) {
    const exempt = exemptionHolds(exemption, measured.seconds);
    const place = where.places.find((p) => inPlaceList(p, exemption.places, exemption.placeTypes));
    issue.explanation.exemption = {
      reason: exemption.reason,
      ...(exemption.graceMinutes !== undefined && { graceMinutes: exemption.graceMinutes }),
      ...(place && { placeId: place.id }),
    };
    if (exempt) {
      const grace = exemption.graceMinutes !== undefined ? ` (within ${exemption.graceMinutes} min grace)` : '';
      return { ...candidate, pre: { reason: 'exemption', detail: `${exemption.reason}${grace}`, ...(place && { reference: place.id }) } };
    }
  }

  const allowed = rule.timeWindows?.allowed?.find((x) => windowAppliesToPlaces(x, where.places) && windowContainsTime(x, clock));
  if (allowed) {
    const text = describeWindow(allowed);
    issue.explanation.window = { kind: 'allowed', window: text, localTime: clock.text };
    return { ...candidate, pre: { reason: 'allowed-window', detail: `allowed ${text} (local ${clock.text})` } };
  }
  return candidate;
}

/** Grace counts the same clock as dwell (stationary time for dwell rules, presence otherwise). */
function exemptionHolds(exemption: RuleExemption, dwellSeconds: number): boolean {
  return exemption.graceMinutes === undefined || dwellSeconds < exemption.graceMinutes * 60;
}

function buildIssue(
  event: CanonicalEvent,
  detection: Detection,
  rule: Rule,
  category: Category,
  place: Place | undefined,
  where: EventWhere,
  state: TrackState | undefined,
  trackKey: string | undefined,
  ctx: ClassifyContext,
): DetectedIssue {
  const { jurisdiction } = ctx;
  // A known place decides township and grid (both sources of a place agree); otherwise the point does.
  const township = place ? jurisdiction.township(place.townshipCode) : where.located?.township;
  const grid = place
    ? place.gridCode !== undefined
      ? jurisdiction.grid(place.gridCode)
      : where.located?.grid?.townshipCode === place.townshipCode
        ? where.located.grid
        : undefined
    : where.located?.grid;
  const plate = detection.plate ?? state?.plate;
  const confirmed = state?.confirmed[rule.id];
  // No point, and no camera zone placing it (a drone photo without GPS): nobody can say where it is.
  const noPosition = !event.location && !township;
  const unplacedPhoto =
    noPosition && !place && !grid ? /^photo:([0-9a-f]{64})$/.exec(event.media.find((m) => m.uri.startsWith('photo:'))?.uri ?? '')?.[1] : undefined;
  // A department's referral is its own case; a department record nothing places is its own case too (never its sender's).
  const referral = referralOf(event);
  const record = !place && !grid ? departmentRecordOf(event) : undefined;
  // A track keeps the identity of its first issue, so a plate read later does not open a second case.
  const id = confirmed
    ? { identity: confirmed.identity, identityKey: confirmed.identityKey, from: identityFrom(confirmed.identity) }
    : issueIdentity({
        categoryCode: category.code,
        ...(place && { placeId: place.id }),
        ...(grid && { gridCode: grid.code }),
        deviceId: event.deviceId,
        ...(category.identityIncludesPlate && plate !== undefined && { plate }),
        ...(unplacedPhoto !== undefined && { unplacedPhoto }),
        ...(referral && { referral: `${referral.platform}:${referral.referralNo}` }),
        ...(record !== undefined && { record }),
      });
  const department = departmentSeverity(event, rule.severity ?? category.severity);
  const severity = department.severity;
  const routeInput: RouteInput = { placeTypes: placeTypesOf(place, where.places) };
  if (township) routeInput.townshipCode = township.code;
  if (noPosition) routeInput.noPosition = true;
  const routing = routeIssue(ctx.routing, category.code, routeInput);
  // Built by assignment rather than conditional spreads: this runs for every detection of every event, and
  // the spreads were most of classification's cost. Same keys in the same order; the casts cover the
  // required keys assigned below.
  const explanation = { rule: rule.id, ruleVersion: ctx.ruleSet.version, category: category.code, severity, label: detection.label } as IssueExplanation;
  if (typeof event.attributes.subLabel === 'string') explanation.subLabel = event.attributes.subLabel;
  explanation.confidence = detection.confidence;
  explanation.minConfidence = rule.minConfidence;
  explanation.deviceId = event.deviceId;
  explanation.eventId = event.eventId;
  explanation.source = event.source;
  explanation.occurredAt = isoInstant(event.occurredAt);
  if (event.location) explanation.location = event.location;
  if (event.zones.length > 0) explanation.zones = event.zones;
  if (place && where.via) explanation.place = { id: place.id, name: place.name, type: place.type, via: where.via };
  if (township) explanation.township = { code: township.code, name: township.name };
  if (grid) explanation.grid = grid.officer ? { code: grid.code, officer: grid.officer } : { code: grid.code };
  explanation.identityFrom = id.from;
  if (referral) explanation.referral = referral;
  if (department.reported) explanation.departmentSeverity = department.reported;
  if (trackKey !== undefined) explanation.trackKey = trackKey;
  if (plate !== undefined) explanation.plate = plate;
  explanation.routing = routingExplanationOf(routing);

  const issue = {
    categoryCode: category.code,
    severity,
    identity: id.identity,
    identityKey: id.identityKey,
    ruleId: rule.id,
    ruleVersion: ctx.ruleSet.version,
    occurredAt: event.occurredAt,
    eventId: event.eventId,
    deviceId: event.deviceId,
    source: event.source,
  } as DetectedIssue;
  if (event.location) issue.location = event.location;
  if (township) issue.townshipCode = township.code;
  if (grid) issue.gridCode = grid.code;
  if (place) {
    issue.placeId = place.id;
    issue.placeType = place.type;
  }
  if (grid?.officer) issue.officer = grid.officer;
  if (routing.held) issue.heldReason = routing.reason;
  else issue.handlingUnit = routing.unit;
  issue.routing = routing;
  if (trackKey !== undefined) issue.trackKey = trackKey;
  issue.explanation = explanation;
  return issue;
}

/** The identity's place type first, then the other places' types, each once. */
function placeTypesOf(place: Place | undefined, places: readonly Place[]): string[] {
  // The common cases without a Set: no place at all, or one place (the identity's own).
  if (places.length === 0) return place ? [place.type] : [];
  if (places.length === 1 && (!place || place.type === places[0].type)) return [places[0].type];
  return [...new Set([...(place ? [place.type] : []), ...places.map((p) => p.type)])];
}

// Route decisions are cached and frozen (routeIssue), so the explanation's part of one is made once and shared, frozen too.
const routingExplanations = new WeakMap<RouteDecision, IssueExplanation['routing']>();
function routingExplanationOf(routing: RouteDecision): IssueExplanation['routing'] {
  let known = routingExplanations.get(routing);
  if (!known) {
    known = Object.freeze(routing.held ? { held: routing.reason, reason: routing.detail } : { unit: routing.unit, reason: routing.reason });
    routingExplanations.set(routing, known);
  }
  return known;
}

function identityFrom(identity: Record<string, string>): IdentityFrom {
  if (identity.referral !== undefined) return 'referral';
  return identity.place !== undefined ? 'place' : identity.grid !== undefined ? 'grid' : identity.record !== undefined ? 'record' : 'device';
}

/**
 * 无事不扰: a listed business's minor FIRST issue gets no case; any earlier issue of the subject within the
 * window — a case at one of its places, or a first issue suppressed here — makes this one a repeat, which opens
 * a case. A repeat is any minor issue of the subject, not only the same category: the list names businesses
 * whose conduct is trusted (包容审慎), and a second problem of another kind is just as much a sign that the
 * trust is not borne out. Per category, a business could collect one free pass per category — garbage today,
 * vending tomorrow, parking next week — and never be disturbed at all.
 */
function doNotDisturb(c: Candidate, ctx: ClassifyContext): { subjectId: string; detail: string } | undefined {
  const dnd = ctx.ruleSet.doNotDisturb;
  if (dnd.entries.length === 0) return undefined;
  if (severityRank(c.issue.severity) > severityRank(dnd.maxSeverity)) return undefined;
  const until = c.issue.occurredAt;
  const since = new Date(until.getTime() - dnd.windowDays * 86_400_000);
  for (const s of doNotDisturbSubjects(c.places, ctx.ruleSet, ctx.jurisdiction)) {
    const earlierIssue = ctx.doNotDisturbHistory({ subjectId: s.subjectId, placeIds: s.placeIds, since, until });
    c.issue.explanation.doNotDisturb = { subjectId: s.subjectId, earlierIssue, windowDays: dnd.windowDays };
    if (!earlierIssue) {
      return {
        subjectId: s.subjectId,
        detail: `do-not-disturb "${s.entry.name}": minor (${c.issue.severity}) first issue, no earlier issue (case or suppressed first issue) in ${dnd.windowDays} days${s.entry.reason ? ` (${s.entry.reason})` : ''}; a repeat within ${dnd.windowDays} days opens a case`,
      };
    }
  }
  return undefined;
}

function confirm(c: Candidate, changed: Map<string, TrackState>, ctx: ClassifyContext): void {
  if (!c.trackKey) return;
  const state = currentTrack(c.trackKey, changed, ctx);
  if (!state || state.confirmed[c.rule.id]) return;
  changed.set(c.trackKey, {
    ...state,
    confirmed: { ...state.confirmed, [c.rule.id]: { at: isoInstant(c.issue.occurredAt), identity: c.issue.identity, identityKey: c.issue.identityKey } },
  });
}

export interface BatchResult {
  /** Per event, in source-time order. */
  results: Array<{ event: CanonicalEvent } & Pick<ClassifyResult, 'issues' | 'suppressed'>>;
  /** Final state of every track the batch changed (upsert these in the same transaction as the cases). */
  tracks: TrackState[];
  /** Inhibitors started in the batch, merged per source where their windows overlap (store these). */
  inhibitors: ActiveInhibitor[];
  /** Do-not-disturb history the batch made (issues at listed places, suppressed first issues): see `repeatsAfterwards`. */
  doNotDisturb: DoNotDisturbRecord[];
}

/**
 * Classifies a batch in source-time order (stable for equal times), threading track states, inhibitors and
 * do-not-disturb history from one event to the next so the batch equals the same events classified one by one.
 *
 * Decisions that look at other events do not depend on the order events arrived in:
 * - inhibition: an inhibitor mutes from its source's time on, so a fire can mute detections with the same
 *   time that sort before it. The batch is classified once to collect the inhibitors it starts, then again
 *   with all of them known (only when it started any);
 * - do-not-disturb: a repeat needs an issue strictly earlier in source time, so equal times never decide
 *   between each other. Across batches, a first issue stored before an earlier one arrived is made a repeat
 *   afterwards (`repeatsAfterwards`, from `doNotDisturb`).
 */
export function classifyBatch(events: readonly CanonicalEvent[], ctx: ClassifyContext): BatchResult {
  const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.occurredAt.getTime() - b.e.occurredAt.getTime() || a.i - b.i);
  const dndPlaces = ctx.ruleSet.doNotDisturb.entries.length > 0 ? new Set(doNotDisturbPlaceIds(ctx.ruleSet, ctx.jurisdiction)) : undefined;
  const first = classifyInOrder(ordered, ctx, ctx.activeInhibitors, dndPlaces);
  // In time order an inhibitor reaches every later event already; only events of the very same instant that
  // came before the one starting it missed it, and only then is the batch classified again with all known.
  if (!first.startedAfterSameInstant) return first.result;
  return classifyInOrder(ordered, ctx, [...ctx.activeInhibitors, ...first.result.inhibitors], dndPlaces).result;
}

function classifyInOrder(
  ordered: ReadonlyArray<{ e: CanonicalEvent }>,
  ctx: ClassifyContext,
  known: readonly ActiveInhibitor[],
  dndPlaces: ReadonlySet<string> | undefined,
): { result: BatchResult; startedAfterSameInstant: boolean } {
  const tracks = new Map(ctx.tracks);
  let startedAfterSameInstant = false;
  let previousAt = Number.NaN;
  const changed = new Map<string, TrackState>();
  // Inhibitors started so far, merged as they come (a burst of smoke in one grid is one window, not one per
  // detection): every later event is checked against them, so their number must not grow with the burst.
  const started = new StartedInhibitors();
  const results: BatchResult['results'] = [];
  const ledger = new DoNotDisturbLedger();
  const records: DoNotDisturbRecord[] = [];
  const record = (r: DoNotDisturbRecord) => {
    ledger.add(r);
    records.push(r);
  };
  const history = dndPlaces ? eitherHistory(ctx.doNotDisturbHistory, ledger.history) : ctx.doNotDisturbHistory;
  // One context for the batch, its inhibitors replaced when they change (not a copy of it per event).
  const eventCtx: ClassifyContext = { ...ctx, tracks, activeInhibitors: known, doNotDisturbHistory: history };
  for (const { e } of ordered) {
    const r = classify(e, eventCtx);
    for (const t of r.tracks) {
      tracks.set(t.key, t);
      changed.set(t.key, t);
    }
    if (r.inhibitors.length > 0) {
      if (e.occurredAt.getTime() === previousAt) startedAfterSameInstant = true;
      if (started.add(r.inhibitors)) eventCtx.activeInhibitors = [...known, ...started.all()];
    }
    previousAt = e.occurredAt.getTime();
    if (dndPlaces) {
      for (const i of r.issues) if (i.placeId !== undefined && dndPlaces.has(i.placeId)) record({ at: i.occurredAt, placeId: i.placeId });
      for (const s of r.suppressed) if (s.reason === 'do-not-disturb' && s.reference !== undefined) record({ at: s.issue.occurredAt, subjectId: s.reference });
    }
    results.push({ event: e, issues: r.issues, suppressed: r.suppressed });
  }
  return { result: { results, tracks: [...changed.values()], inhibitors: mergeInhibitors(started.all()), doNotDisturb: records }, startedAfterSameInstant };
}

/** Inhibitor windows per (inhibition, source identity), merged where they overlap, as events come in time order. */
class StartedInhibitors {
  private readonly byKey = new Map<string, ActiveInhibitor[]>();

  /** Adds windows; true when the set changed (a new window, or one reaching further). */
  add(inhibitors: readonly ActiveInhibitor[]): boolean {
    let changed = false;
    for (const i of inhibitors) {
      const key = `${i.inhibitionId}\u0000${i.sourceIdentityKey}`;
      const windows = this.byKey.get(key);
      if (!windows) {
        this.byKey.set(key, [i]);
        changed = true;
        continue;
      }
      const overlapping = windows.findIndex((w) => i.from <= w.until && i.until >= w.from);
      if (overlapping < 0) {
        windows.push(i);
        changed = true;
        continue;
      }
      const w = windows[overlapping];
      if (i.from < w.from || i.until > w.until) {
        windows[overlapping] = { ...w, from: i.from < w.from ? i.from : w.from, until: i.until > w.until ? i.until : w.until };
        changed = true;
      }
    }
    return changed;
  }

  all(): ActiveInhibitor[] {
    return [...this.byKey.values()].flat();
  }
}

/** Ids of every place an event is in (zone mapping first, else its point), as classification sees them. */
export function placeIdsOf(
  event: Pick<CanonicalEvent, 'deviceId' | 'zones' | 'location'>,
  ctx: Pick<ClassifyContext, 'jurisdiction' | 'zoneToPlace'>,
): string[] {
  return whereOf(event, ctx).placeIds;
}
