import type { CaseEvidenceEventRow, CasePictureRow, EvidenceItemRow } from '@app/persistence';

/**
 * What a reviewer sees of a case's evidence (issue 14, `GET /api/v1/cases/{id}/evidence`): one list of items in
 * one shape — the pictures (present, being fetched, or missing with the reason), the raw events, other media and
 * after-photos — each with what Administrative Penalty Law art. 41 asks of it (device reviewed, where its position
 * came from, picture quality, sealed), the proof of a dwell's duration (first and last picture), and an overall
 * completeness verdict with the problems spelled out.
 */

/** image and video: bytes here (or expected); file: other bytes here; reference: bytes held elsewhere, only named. */
export type EvidenceItemKind = 'image' | 'event' | 'video' | 'file' | 'reference';
export type EvidenceItemStatus = 'present' | 'pending' | 'missing';
export type EvidenceRole = 'first' | 'sample' | 'last' | 'occurrence' | 'after-photo';

export interface EvidenceViewItem {
  key: string;
  kind: EvidenceItemKind;
  status: EvidenceItemStatus;
  sha256: string | null;
  capturedAt: string | null;
  eventId: string | null;
  deviceId: string | null;
  origin?: string;
  role?: EvidenceRole;
  detail?: string;
  /** Images: the original bytes (hash-checked before they are served), a preview and a thumbnail, scoped like the case. */
  url?: string;
  previewUrl?: string;
  thumbUrl?: string;
  quality?: { verdict: string; reasons: string[] };
  width?: number;
  height?: number;
  bytes: number | null;
  /** Where the bytes are: a key under the media root (local) or the reference the source gave. */
  uri: string | null;
  /** The bytes are here: audit verify hashes them again. */
  local: boolean;
  deviceReview: 'passed' | 'not-passed' | null;
  positionSource?: 'event' | 'device' | 'none';
  usableAsPenaltyEvidence: boolean | null;
  sealed: { at: string; auditSeq: number } | null;
}

export interface DwellEnd {
  eventId: string;
  at: string;
  image: EvidenceViewItem | null;
}

export interface EvidenceCompleteness {
  complete: boolean;
  pictures: { present: number; pending: number; missing: number };
  /** ok: every present picture passed the quality gate; doubtful: at least one is blurry, dark or over-exposed. */
  quality: 'ok' | 'doubtful' | null;
  deviceReview: 'passed' | 'not-passed';
  positionSource: 'event' | 'device' | 'none' | 'mixed';
  problems: string[];
}

export interface CaseEvidenceView {
  caseId: string;
  caseNumber: string;
  completeness: EvidenceCompleteness;
  dwell: { seconds: number; first: DwellEnd; last: DwellEnd; sample: DwellEnd[] } | null;
  items: EvidenceViewItem[];
}

const VIDEO = /\.(mp4|mov|m4v|mkv|avi)$/i;
const IMAGE = /\.(jpe?g|png|webp|tiff?)$/i;

export function buildEvidenceView(input: {
  caseId: string;
  caseNumber: string;
  events: readonly CaseEvidenceEventRow[];
  pictures: readonly CasePictureRow[];
  sealed: readonly EvidenceItemRow[];
}): CaseEvidenceView {
  const { caseId, events, pictures, sealed } = input;
  const eventById = new Map(events.map((e) => [e.eventId, e]));
  const sealedByKey = new Map(sealed.map((s) => [s.itemKey, s]));
  const seal = (key: string) => {
    const s = sealedByKey.get(key);
    return s ? { at: s.sealedAt.toISOString(), auditSeq: s.auditSeq } : null;
  };
  const pictureUrls = (sha256: string) => {
    const base = `/api/v1/cases/${caseId}/pictures/${sha256}`;
    return { url: `${base}/original`, previewUrl: `${base}/preview`, thumbUrl: `${base}/thumb` };
  };

  const proofFirst = events.find((e) => e.role === 'first');
  const occurrences = events.filter((e) => e.role === 'occurrence');
  const lastOccurrence = occurrences.length > 0 ? occurrences[occurrences.length - 1] : undefined;
  const roleOf = (eventId: string): EvidenceRole => {
    if (proofFirst && eventId === proofFirst.eventId) return 'first';
    if (proofFirst && lastOccurrence && eventId === lastOccurrence.eventId) return 'last';
    return eventById.get(eventId)?.role === 'sample' ? 'sample' : 'occurrence';
  };

  const items: EvidenceViewItem[] = [];
  for (const p of pictures) {
    const e = eventById.get(p.eventId);
    const key = `event:${p.eventId}:picture:${p.slot}`;
    const reviewed = e?.deviceReviewed ?? null;
    items.push({
      key,
      kind: 'image',
      status: p.status === 'present' && !p.picture ? 'missing' : p.status,
      sha256: p.sha256,
      capturedAt: p.capturedAt.toISOString(),
      eventId: p.eventId,
      deviceId: e?.deviceId ?? null,
      origin: p.origin,
      role: roleOf(p.eventId),
      ...(p.detail !== null && { detail: p.detail }),
      ...(p.status === 'pending' && p.detail === null && { detail: p.attempts > 0 ? `being fetched (attempt ${p.attempts})` : 'waiting for the picture' }),
      ...(p.status === 'present' && p.picture === null && { detail: 'the picture is not in the catalogue' }),
      ...(p.picture && {
        ...pictureUrls(p.picture.sha256),
        quality: { verdict: p.picture.qualityVerdict, reasons: reasonsOf(p.picture.quality) },
        width: p.picture.width,
        height: p.picture.height,
      }),
      bytes: p.picture?.bytes ?? null,
      uri: p.picture ? `photos/${p.picture.originalKey}` : null,
      local: p.picture !== null,
      deviceReview: reviewed === null ? null : reviewed ? 'passed' : 'not-passed',
      ...(e && { positionSource: e.positionSource }),
      usableAsPenaltyEvidence: p.status === 'present' && p.picture !== null ? reviewed : false,
      sealed: seal(key),
    });
  }

  for (const e of events) {
    const key = `event:${e.eventId}`;
    const s = sealedByKey.get(key);
    items.push({
      key,
      kind: 'event',
      status: 'present',
      sha256: s?.sha256 ?? null,
      capturedAt: e.occurredAt.toISOString(),
      eventId: e.eventId,
      deviceId: e.deviceId,
      origin: e.source,
      role: roleOf(e.eventId),
      ...(s === undefined && { detail: 'stored; sealed into the audit chain shortly' }),
      bytes: null,
      uri: null,
      local: false,
      deviceReview: e.deviceReviewed ? 'passed' : 'not-passed',
      positionSource: e.positionSource,
      usableAsPenaltyEvidence: s?.usableAsPenaltyEvidence ?? e.deviceReviewed,
      sealed: seal(key),
    });
  }

  for (const s of sealed) {
    if (s.kind === 'event' || s.kind === 'image') continue;
    const e = s.eventId !== null ? eventById.get(s.eventId) : undefined;
    const afterPhoto = s.kind === 'after-photo';
    const stored = s.local && s.sha256 !== null;
    items.push({
      key: s.itemKey,
      kind: afterPhoto
        ? 'image'
        : !s.local
          ? s.uri !== null && VIDEO.test(s.uri)
            ? 'video'
            : 'reference'
          : s.uri !== null && VIDEO.test(s.uri)
            ? 'video'
            : s.uri !== null && IMAGE.test(s.uri)
              ? 'image'
              : 'file',
      status: stored || (!afterPhoto && s.sha256 !== null) ? 'present' : 'missing',
      sha256: s.sha256,
      capturedAt: e ? e.occurredAt.toISOString() : afterPhoto ? s.sealedAt.toISOString() : null,
      eventId: s.eventId,
      deviceId: s.deviceId,
      ...(afterPhoto && { role: 'after-photo' as const }),
      ...(!stored && { detail: afterPhoto ? 'the after-photo was not stored here' : 'a reference: the bytes are held by the source, not here' }),
      ...(afterPhoto && stored && s.sha256 !== null && pictureUrls(s.sha256)),
      bytes: s.bytes,
      uri: s.uri,
      local: s.local,
      deviceReview: e ? (e.deviceReviewed ? 'passed' : 'not-passed') : null,
      ...(e && { positionSource: e.positionSource }),
      usableAsPenaltyEvidence: s.usableAsPenaltyEvidence,
      sealed: { at: s.sealedAt.toISOString(), auditSeq: s.auditSeq },
    });
  }

  const imageOf = (eventId: string): EvidenceViewItem | null => {
    const own = items.filter((i) => i.kind === 'image' && i.eventId === eventId && i.role !== 'after-photo');
    return own.find((i) => i.status === 'present') ?? own[0] ?? null;
  };
  const end = (e: CaseEvidenceEventRow): DwellEnd => ({ eventId: e.eventId, at: e.occurredAt.toISOString(), image: imageOf(e.eventId) });
  const dwell =
    proofFirst && lastOccurrence
      ? {
          seconds: Math.max(0, Math.round((lastOccurrence.occurredAt.getTime() - proofFirst.occurredAt.getTime()) / 1000)),
          first: end(proofFirst),
          last: end(lastOccurrence),
          sample: events.filter((e) => e.role === 'sample' && e.eventId !== proofFirst.eventId && e.eventId !== lastOccurrence.eventId).map(end),
        }
      : null;

  return { caseId, caseNumber: input.caseNumber, completeness: completenessOf(items, events, dwell !== null), dwell, items };
}

function completenessOf(items: readonly EvidenceViewItem[], events: readonly CaseEvidenceEventRow[], isDwell: boolean): EvidenceCompleteness {
  const images = items.filter((i) => i.kind === 'image' && i.role !== 'after-photo');
  const count = (s: EvidenceItemStatus) => images.filter((i) => i.status === s).length;
  const pictures = { present: count('present'), pending: count('pending'), missing: count('missing') };
  const doubtful = images.filter((i) => i.status === 'present' && i.quality && i.quality.verdict !== 'ok');
  const quality = pictures.present === 0 ? null : doubtful.length > 0 ? 'doubtful' : 'ok';
  const unreviewed = [...new Set(events.filter((e) => !e.deviceReviewed).map((e) => e.deviceId))];
  const sources = new Set(events.map((e) => e.positionSource));
  const positionSource = sources.size === 0 ? 'none' : sources.size === 1 ? [...sources][0] : 'mixed';

  const problems: string[] = [];
  if (pictures.present === 0) problems.push(pictures.pending > 0 ? 'no picture yet: still being fetched' : 'no picture of the case is stored');
  else if (pictures.pending > 0) problems.push(`${pictures.pending} picture(s) still being fetched`);
  if (pictures.missing > 0) {
    const reasons = [...new Set(images.filter((i) => i.status === 'missing').map((i) => i.detail ?? 'no reason recorded'))];
    problems.push(`${pictures.missing} picture(s) missing: ${reasons.slice(0, 3).join('; ')}`);
  }
  if (doubtful.length > 0) {
    const verdicts = [...new Set(doubtful.map((i) => i.quality?.verdict))].join(', ');
    problems.push(`${doubtful.length} picture(s) of doubtful quality (${verdicts}): check them before relying on them`);
  }
  if (isDwell) {
    const firstAndLast = items.filter((i) => i.kind === 'image' && (i.role === 'first' || i.role === 'last') && i.status === 'present');
    if (new Set(firstAndLast.map((i) => i.role)).size < 2) problems.push('the dwell is not proven by pictures: the first or the last picture is missing');
    // A source that answers with its best frame so far (Frigate's event snapshot) may give the same frame twice.
    else if (new Set(firstAndLast.map((i) => i.sha256)).size < 2)
      problems.push('the first and the last picture are the same image: they do not show how long it stood there');
  }
  if (unreviewed.length > 0) problems.push(`device(s) without passed legal and technical review (art. 41): ${unreviewed.join(', ')}`);
  if (sources.has('none')) problems.push('an event has no position: it is to be placed by hand');
  return {
    complete: problems.length === 0,
    pictures,
    quality,
    deviceReview: unreviewed.length > 0 ? 'not-passed' : 'passed',
    positionSource,
    problems,
  };
}

function reasonsOf(quality: Record<string, unknown>): string[] {
  const r = quality.reasons;
  return Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : [];
}
