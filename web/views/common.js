// Pieces every case page shares: badges, the deadline, evidence with zoom, the rule explanation, the
// device's review status, and the action forms (what the caller may do now is the server's allowedActions).
import { api, imageUrl, upload, ApiError, session } from '../api.js';
import { h, replace, toast, nextId } from '../dom.js';
import { t, label, fmtDateTime, fmtDateTimeSeconds, fmtClock, fmtDuration, fmtSpan, fmtPercent } from '../i18n.js';
import { categoryName, townshipName, unitName, units, placeName, grid, gridName } from '../district.js';
import { sha256Hex } from '../sha256.js';
import { errorNodes } from '../server-errors.js';
import { CASE_ACTION_ROLES, CLOSED_CASE_STATUSES, OPEN_CASE_STATUSES } from '../server-constants.js';

/** @typedef {import('../api.js').CaseView} CaseView */
/** @typedef {import('../api.js').ApiError} ApiErrorType */
/** @typedef {import('../server-constants.js').Role} Role */
/** @typedef {import('../server-constants.js').CaseAction} CaseAction */
/** @typedef {{ thumb: string, preview?: string, original?: string }} PictureUrls paths under /api/v1 */
/** @typedef {{ at: string, auditSeq?: number }} Sealed */
/**
 * An item of the evidence view (issue 14), or of the earlier view (kind media / after-photo, uri, sealedAt, auditSeq).
 * @typedef {object} EvidenceItem
 * @property {string} kind image, event, media, after-photo, …
 * @property {string} [key]
 * @property {string} [status] present, pending, missing
 * @property {string} [role]
 * @property {string | null} [sha256]
 * @property {string} [uri]
 * @property {string | null} [url]
 * @property {string | null} [previewUrl]
 * @property {string | null} [thumbUrl]
 * @property {PictureUrls} [legacyUrls]
 * @property {string | null} [capturedAt]
 * @property {Sealed | null} [sealed]
 * @property {string | null} [sealedAt]
 * @property {number} [auditSeq]
 * @property {string} [origin]
 * @property {string} [eventId]
 * @property {{ verdict?: string, reasons?: string[] } | null} [quality]
 * @property {string | null} [detail]
 * @property {string} [positionSource]
 * @property {boolean | null} [usableAsPenaltyEvidence]
 */
/** @typedef {{ at: string, image?: EvidenceItem | null }} DwellEnd */
/** @typedef {{ first: DwellEnd, last: DwellEnd, sample?: DwellEnd[], seconds: number }} Dwell */
/**
 * @typedef {object} Completeness
 * @property {boolean} complete
 * @property {string[]} [problems]
 * @property {{ present?: number, pending?: number, missing?: number }} [pictures]
 * @property {string | null} [quality]
 * @property {string} [deviceReview]
 * @property {string} [positionSource]
 */
/** @typedef {{ completeness?: Completeness | null, dwell?: Dwell | null, items?: EvidenceItem[] }} EvidenceView */
/**
 * One step of the loop in the audit trail.
 * @typedef {object} Transition
 * @property {string} action
 * @property {string} at
 * @property {string | null} [from]
 * @property {string} to
 * @property {{ id: string, role: string }} actor
 * @property {string | null} [actorName]
 * @property {string | null} [fromUnit]
 * @property {string | null} [toUnit]
 * @property {string | null} [reason]
 * @property {string | null} [note]
 * @property {string[] | null} [photos]
 * @property {number | null} [auditSeq]
 */
/** @typedef {{ type: 'statement', at: string, statement: { statement: string } } | { type: 'transition', transition: Transition }} TimelineItem */

export const CLOSED = CLOSED_CASE_STATUSES;
export const OPEN = OPEN_CASE_STATUSES;
const SHA = /[0-9a-f]{64}/;
/** @type {readonly Role[]} the roles that may read devices (GET /devices) */
const DEVICE_READERS = ['operator', 'supervisor', 'admin'];

/** @param {string} status */
export function statusBadge(status) {
  return h('span', { class: `badge status status-${status}` }, label('status', status));
}

/** @param {string} severity */
export function severityBadge(severity) {
  return h('span', { class: `badge sev sev-${severity}` }, label('severity', severity));
}

/**
 * The clock that matters now: the handling deadline once dispatched, else the running step's.
 * @param {CaseView} c
 * @returns {{ dueAt: string | null, state: string | null, step: string | null }}
 */
export function deadlineOf(c) {
  if (CLOSED.includes(c.status)) return { dueAt: c.loop?.dueAt ?? null, state: null, step: null };
  const running = c.loop?.deadline;
  const dueAt = running?.dueAt ?? c.loop?.dueAt ?? null;
  if (!dueAt) return { dueAt: null, state: null, step: null };
  const overdue = new Date(dueAt).getTime() < Date.now();
  return { dueAt, state: overdue ? 'overdue' : (running?.state ?? 'on-track'), step: running?.step ?? null };
}

/**
 * @param {CaseView} c
 * @param {{ long?: boolean }} [options]
 */
export function deadlineBadge(c, { long = false } = {}) {
  if (c.status === 'closed' && c.loop?.closedAt && c.loop?.dueAt) {
    const late = new Date(c.loop.closedAt).getTime() > new Date(c.loop.dueAt).getTime();
    return h(
      'span',
      { class: ['deadline', late ? 'deadline-overdue' : 'deadline-met'] },
      t(late ? 'case.closedLate' : 'case.closedOnTime'),
      long ? ` · ${t('case.due', { time: fmtDateTime(c.loop.dueAt) })}` : null,
    );
  }
  const d = deadlineOf(c);
  if (!d.dueAt || !d.state) return long ? h('span', { class: 'deadline none' }, t('case.noDeadline')) : null;
  const ms = new Date(d.dueAt).getTime() - Date.now();
  const text = d.state === 'overdue' ? t('case.overdueBy', { time: fmtSpan(ms) }) : t('case.remaining', { time: fmtSpan(ms) });
  return h(
    'span',
    { class: `deadline deadline-${d.state}`, title: t('case.due', { time: fmtDateTime(d.dueAt) }) },
    d.state === 'overdue' ? '⚠ ' : d.state === 'due-soon' ? '⏰ ' : '',
    text,
    long ? ` · ${t('case.due', { time: fmtDateTime(d.dueAt) })}${d.step ? ` (${label('case.step', d.step)})` : ''}` : null,
  );
}

/** @param {CaseView} c */
export const isOverdue = (c) => deadlineOf(c).state === 'overdue';

/** @param {unknown} ref */
export function shaOf(ref) {
  return typeof ref === 'string' ? (ref.match(SHA)?.[0] ?? null) : null;
}

/** Paths of a photo in the drone photo library (after-photos, photos named before issue 14). */
/** @type {(sha: string) => Required<PictureUrls>} */
const photoUrls = (sha) => ({ thumb: `/photos/${sha}/thumb`, preview: `/photos/${sha}/preview`, original: `/photos/${sha}/original` });

/** imageUrl() takes a path under /api/v1; the evidence view names its pictures by their full path. */
/** @param {string | null | undefined} url */
const underApi = (url) => (typeof url === 'string' && url.startsWith('/api/v1/') ? url.slice('/api/v1'.length) : (url ?? undefined));

/** The thumb, preview and original of an evidence picture (each falls back to the next larger one). */
/**
 * @param {EvidenceItem} item
 * @returns {PictureUrls | null}
 */
function itemUrls(item) {
  if (item.legacyUrls) return item.legacyUrls;
  const original = underApi(item.url);
  const preview = underApi(item.previewUrl) ?? original;
  const thumb = underApi(item.thumbUrl) ?? preview;
  return thumb ? { thumb, preview, original: original ?? preview } : null;
}

/**
 * A picture as a thumbnail button, fetched with the bearer token and shown through a blob: URL; click, Enter
 * or Space opens the zoom dialog. `caption` is the picture's alt text and the dialog's name.
 * @param {string | null | undefined} sha
 * @param {string | undefined} caption
 * @param {PictureUrls} urls
 * @param {string} [key]
 */
function pictureThumb(sha, caption, urls, key) {
  const img = h('img', { alt: caption ?? t('case.evidencePhoto'), loading: 'lazy', class: 'thumb-img' });
  const fallback = h('span', { class: 'thumb-fallback' }, `${t('case.evidencePhoto')} ${(sha ?? '').slice(0, 8)}…`);
  const button = h(
    'button',
    {
      type: 'button',
      class: 'thumb',
      title: t('case.zoom'),
      'aria-label': `${t('case.zoom')}: ${caption ?? (sha ?? '').slice(0, 12)}`,
      dataset: key ? { key } : undefined,
      onClick: () => openZoom(sha, caption, urls),
    },
    img,
    fallback,
  );
  // A thumbnail asked for before it was made answers 404: asked again a few times, waiting longer each time.
  /** @param {number} attempt */
  const show = (attempt) =>
    void imageUrl(urls.thumb).then((url) => {
      if (url) {
        img.src = url;
        button.classList.add('loaded');
        button.disabled = false;
      } else if (attempt < THUMB_RETRIES.length) {
        button.disabled = true;
        setTimeout(() => button.isConnected && show(attempt + 1), THUMB_RETRIES[attempt]);
      } else button.disabled = true;
    });
  show(0);
  return button;
}

/** Waits before asking again for a thumbnail that was not there yet (ms). */
const THUMB_RETRIES = [1000, 2000, 4000, 8000, 16000];

/**
 * A photo from the library as a thumbnail button; click (or Enter) opens the zoom dialog.
 * @param {string} sha
 * @param {string} [caption]
 */
export function photoThumb(sha, caption) {
  return pictureThumb(sha, caption, photoUrls(sha));
}

/** @type {HTMLDialogElement | undefined} */
let zoomDialog;
/**
 * The preview image in a modal dialog, zoomable with buttons, +/- keys or the wheel (at full detail); Esc closes.
 * `urls` (paths under /api/v1) default to the photo library's.
 * @param {string | null | undefined} sha
 * @param {string | undefined} caption
 * @param {PictureUrls} [urls]
 */
export function openZoom(sha, caption, urls = photoUrls(/** @type {string} */ (sha))) {
  zoomDialog?.remove();
  let scale = 1;
  const img = h('img', { alt: caption ?? sha, class: 'zoom-img' });
  const frame = h('div', { class: 'zoom-frame', tabindex: '0' }, img);
  /** @type {Promise<unknown> | undefined} */
  let original;
  /** @param {number} k */
  const setScale = (k) => {
    scale = Math.min(8, Math.max(1, k));
    img.style.width = `${scale * 100}%`;
    // The preview is about 1000 px: zooming in swaps in the original, loaded once, for the detail.
    if (scale > 1 && !original && urls.original && urls.original !== urls.preview) {
      original = imageUrl(urls.original).then((url) => url && (img.src = url));
    }
  };
  frame.addEventListener('wheel', (e) => {
    e.preventDefault();
    setScale(scale * (e.deltaY > 0 ? 0.8 : 1.25));
  });
  /** @type {HTMLDialogElement} */
  const dialog = h(
    'dialog',
    { class: 'zoom', 'aria-label': caption ?? t('case.zoom') },
    h(
      'div',
      { class: 'zoom-bar' },
      h('span', { class: 'zoom-caption' }, caption ?? '', ' ', sha ? h('code', { title: sha }, sha.slice(0, 16), '…') : null),
      h('button', { type: 'button', class: 'btn', onClick: () => setScale(scale * 1.5) }, t('case.zoomIn'), ' +'),
      h('button', { type: 'button', class: 'btn', onClick: () => setScale(scale / 1.5) }, t('case.zoomOut'), ' −'),
      h('button', { type: 'button', class: 'btn btn-primary', onClick: () => dialog.close() }, t('case.close')),
    ),
    frame,
  );
  dialog.addEventListener('keydown', (e) => {
    if (e.key === '+' || e.key === '=') setScale(scale * 1.5);
    if (e.key === '-') setScale(scale / 1.5);
  });
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  zoomDialog = dialog;
  dialog.showModal();
  void imageUrl(urls.preview ?? urls.thumb).then((url) => url && (img.src = url));
}

/**
 * An evidence item in the shape of the evidence view (issue 14). Items of the earlier view (a `media` item or an
 * after-photo naming a stored photo by its `uri`, flat sealedAt/auditSeq) are read as the pictures they are.
 * @param {EvidenceItem} item
 * @returns {EvidenceItem}
 */
function normalItem(item) {
  const sealed = item.sealed !== undefined ? item.sealed : item.sealedAt ? { at: item.sealedAt, auditSeq: item.auditSeq } : null;
  if (item.kind === 'media' || item.kind === 'after-photo') {
    const sha = shaOf(item.uri);
    if (sha) {
      const role = item.kind === 'after-photo' ? 'after-photo' : item.role;
      return { ...item, kind: 'image', status: 'present', role, sha256: item.sha256 ?? sha, sealed, legacyUrls: photoUrls(sha) };
    }
  }
  return { ...item, sealed };
}

/**
 * The view as the page shows it: from the evidence view, or from a bare list of items (earlier callers).
 * @param {unknown} view
 */
function normalView(view) {
  /** @type {EvidenceView} */
  const v = Array.isArray(view) ? { items: view } : (view ?? {});
  return { completeness: v.completeness ?? null, dwell: v.dwell ?? null, items: (v.items ?? []).map(normalItem) };
}

/** Where a picture came from (frigate-api, hikvision-part, …), or an event's source (frigate, hikvision, …). */
/** @type {(origin: string | undefined, kind?: string) => string | undefined} */
const originName = (origin, kind = 'image') => (kind === 'image' ? label('evidence.origin', origin ?? 'unknown') : label('source', origin));

/**
 * The server words the completeness problems in English; the ones it words this way are shown in the page's
 * language, any other as it came (marked as English for screen readers).
 */
/** @type {[pattern: RegExp, key: string][]} */
const PROBLEMS = [
  [/^no picture yet: still being fetched$/, 'evidence.problem.noPictureYet'],
  [/^no picture of the case is stored$/, 'evidence.problem.noPicture'],
  [/^(?<n>\d+) picture\(s\) still being fetched$/, 'evidence.problem.pending'],
  [/^(?<n>\d+) picture\(s\) missing: (?<reasons>.*)$/, 'evidence.problem.missing'],
  [/^(?<n>\d+) picture\(s\) of doubtful quality \((?<verdicts>[^)]*)\)/, 'evidence.problem.doubtful'],
  [/^the dwell is not proven by pictures/, 'evidence.problem.dwellUnproven'],
  [/^device\(s\) without passed legal and technical review \(art\. 41\): (?<devices>.*)$/, 'evidence.problem.deviceReview'],
  [/^an event has no position/, 'evidence.problem.noPosition'],
];
/** @param {string} problem */
function problemText(problem) {
  for (const [pattern, key] of PROBLEMS) {
    const m = pattern.exec(problem);
    if (!m) continue;
    const vars = { ...m.groups };
    if (vars.verdicts)
      vars.verdicts = vars.verdicts
        .split(/,\s*/)
        .map((v) => label('evidence.verdictName', v))
        .join('、');
    return h('li', {}, t(key, vars));
  }
  return h('li', { lang: 'en' }, problem);
}
/** @type {(iso: string | null | undefined, fmt?: (iso: string) => string) => HTMLTimeElement | null} */
const timeEl = (iso, fmt = fmtDateTimeSeconds) => (iso ? h('time', { datetime: iso }, fmt(iso)) : null);
/** @param {EvidenceItem} item */
const isDoubtful = (item) => !!item.quality?.verdict && item.quality.verdict !== 'ok';

/**
 * A SHA-256 shortened, the whole on hover, with a button that copies it.
 * @param {string | null | undefined} sha
 */
function shaBox(sha) {
  if (!sha) return null;
  const code = h('code', { class: 'sha', title: sha }, `${sha.slice(0, 12)}…`);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(sha);
      toast(t('evidence.copied'), 'ok');
    } catch {
      // No clipboard (an insecure origin, a refused permission): show it whole and selected, for Ctrl+C.
      code.textContent = sha;
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      toast(t('evidence.copyFailed'));
    }
  };
  return h(
    'span',
    { class: 'sha-box' },
    h('abbr', { title: t('case.sha') }, 'SHA-256'),
    ' ',
    code,
    ' ',
    h(
      'button',
      { type: 'button', class: 'btn btn-small sha-copy', 'aria-label': t('evidence.copySha', { sha }), title: t('evidence.copySha', { sha }), onClick: copy },
      t('evidence.copy'),
    ),
  );
}

/** @param {Sealed | null | undefined} sealed */
function sealedMark(sealed) {
  return sealed
    ? h(
        'span',
        { class: 'ok sealed', title: t('evidence.sealedAt', { time: fmtDateTimeSeconds(sealed.at) }) },
        '✓ ',
        t('evidence.sealed', { seq: sealed.auditSeq }),
      )
    : h('span', { class: 'muted sealed' }, t('evidence.notSealed'));
}

/** @param {EvidenceItem} item */
function qualityMark(item) {
  const verdict = item.quality?.verdict;
  if (!verdict) return null;
  const reasons = (item.quality?.reasons ?? []).join('; ');
  if (verdict === 'ok') return h('span', { class: 'ok quality' }, '✓ ', t('evidence.verdict.ok'));
  return h(
    'span',
    { class: 'quality quality-warn', role: 'note', title: reasons || undefined },
    label('evidence.verdict', verdict),
    h('span', { class: 'quality-hint' }, ` — ${t('evidence.verdictWarn')}`),
  );
}

/**
 * One picture of the case with what a reviewer needs to judge it: the picture (zoomable), its capture time, origin,
 * quality verdict, SHA-256 and whether it is sealed. A pending picture says it is being fetched; a missing one why.
 * @param {EvidenceItem} item
 * @param {{ caption?: string, at?: string }} [options]
 */
function pictureCard(item, { caption, at } = {}) {
  const when = item.capturedAt ?? at ?? null;
  const origin = originName(item.origin);
  const alt = [caption, origin, when ? t('evidence.captured', { time: fmtDateTimeSeconds(when) }) : t('evidence.capturedUnknown')].filter(Boolean).join(' · ');
  const urls = item.status === 'present' ? itemUrls(item) : null;
  let picture;
  if (urls) picture = pictureThumb(item.sha256, alt, urls, item.key);
  else if (item.status === 'pending')
    picture = h(
      'div',
      { class: 'thumb thumb-pending', role: 'img', 'aria-label': `${alt}: ${t('evidence.pending')}` },
      h('span', { class: 'thumb-fallback' }, t('evidence.pending')),
    );
  else
    picture = h(
      'div',
      { class: 'thumb thumb-missing', role: 'img', 'aria-label': `${alt}: ${t('evidence.missing')}` },
      h('span', { class: 'thumb-fallback' }, `${t('evidence.missing')}: ${item.detail || t('evidence.missingNoReason')}`),
    );
  return h(
    'figure',
    { class: ['picture', `picture-${item.status}`, isDoubtful(item) && 'picture-doubtful'], dataset: { key: item.key ?? '' } },
    picture,
    h(
      'figcaption',
      {},
      caption ? h('strong', { class: 'picture-caption' }, caption) : null,
      h('span', { class: 'picture-time' }, when ? [t('evidence.takenAt'), ' ', timeEl(when)] : t('evidence.capturedUnknown')),
      h('span', { class: 'picture-origin' }, origin, item.eventId ? ` · ${t('evidence.event', { id: item.eventId })}` : ''),
      item.status === 'pending' ? h('span', { class: 'muted picture-status', title: item.detail ?? undefined }, t('evidence.pending')) : null,
      item.status === 'missing'
        ? h('span', { class: 'warn picture-status' }, `✗ ${t('evidence.missing')}: ${item.detail || t('evidence.missingNoReason')}`)
        : null,
      qualityMark(item),
      shaBox(item.sha256),
      item.status === 'present' ? sealedMark(item.sealed) : null,
    ),
  );
}

/**
 * The overall line a reviewer reads first: complete (calm), or the problems to put right.
 * @param {Completeness} cm
 */
function completenessLine(cm) {
  const facts = [
    t('evidence.pictures', { present: cm.pictures?.present ?? 0, pending: cm.pictures?.pending ?? 0, missing: cm.pictures?.missing ?? 0 }),
    t(cm.quality ? `evidence.quality.${cm.quality}` : 'evidence.quality.none'),
    label('evidence.deviceReview', cm.deviceReview),
    label('evidence.position', cm.positionSource),
  ];
  const problems = cm.complete ? [] : (cm.problems ?? []);
  return h(
    'div',
    { class: ['evidence-summary', cm.complete ? 'evidence-complete' : 'evidence-incomplete'], 'aria-label': t('evidence.summary') },
    h('p', { class: 'evidence-verdict' }, cm.complete ? '✓ ' : '⚠ ', t(cm.complete ? 'evidence.complete' : 'evidence.incomplete')),
    h(
      'ul',
      { class: 'evidence-facts', role: 'list' },
      facts.map((f) => h('li', {}, f)),
    ),
    problems.length ? h('ul', { class: 'evidence-problems', 'aria-label': t('evidence.problems') }, problems.map(problemText)) : null,
  );
}

/**
 * A dwell's proof: the first and the last picture side by side with their times and the time between, then the sample.
 * @param {Dwell} dwell
 */
function dwellProof(dwell) {
  const headingId = nextId('dwell');
  /** @type {(e: DwellEnd, caption: string) => HTMLElement} */
  const end = (e, caption) =>
    e.image
      ? pictureCard(normalItem(e.image), { caption, at: e.at })
      : h(
          'figure',
          { class: 'picture picture-none' },
          h(
            'div',
            { class: 'thumb thumb-missing', role: 'img', 'aria-label': `${caption}: ${t('evidence.dwellNoPicture')}` },
            h('span', { class: 'thumb-fallback' }, t('evidence.dwellNoPicture')),
          ),
          h('figcaption', {}, h('strong', { class: 'picture-caption' }, caption), h('span', { class: 'picture-time' }, timeEl(e.at))),
        );
  const sample = dwell.sample ?? [];
  return h(
    'section',
    { class: 'dwell-proof', 'aria-labelledby': headingId },
    h('h3', { id: headingId }, t('evidence.dwell')),
    h(
      'div',
      { class: 'dwell-pair' },
      h('div', { class: 'dwell-end dwell-first' }, end(dwell.first, t('evidence.dwellFirst'))),
      h(
        'p',
        { class: 'dwell-span' },
        h('span', { class: 'dwell-arrow', 'aria-hidden': 'true' }, '→'),
        h('strong', { class: 'dwell-duration' }, t('evidence.dwellStood', { time: fmtDuration(dwell.seconds) })),
        h('small', { class: 'muted' }, timeEl(dwell.first.at, fmtClock), ' – ', timeEl(dwell.last.at, fmtClock)),
      ),
      h('div', { class: 'dwell-end dwell-last' }, end(dwell.last, t('evidence.dwellLast'))),
    ),
    sample.length
      ? [
          h('h4', {}, t('evidence.dwellSample', { n: sample.length })),
          h(
            'ul',
            { class: 'thumbs thumbs-small dwell-strip', role: 'list' },
            sample.map((e) => {
              const image = e.image ? normalItem(e.image) : null;
              const when = image?.capturedAt ?? e.at;
              const caption = `${t('evidence.role.sample')} · ${fmtDateTimeSeconds(when)}`;
              const urls = image?.status === 'present' ? itemUrls(image) : null;
              return h(
                'li',
                { class: image && isDoubtful(image) ? 'picture-doubtful' : null },
                urls
                  ? pictureThumb(/** @type {EvidenceItem} */ (image).sha256, caption, urls, /** @type {EvidenceItem} */ (image).key)
                  : h(
                      'div',
                      { class: ['thumb', image?.status === 'pending' ? 'thumb-pending' : 'thumb-missing'] },
                      h('span', { class: 'thumb-fallback' }, image?.status === 'pending' ? t('evidence.pending') : t('evidence.missing')),
                    ),
                h(
                  'small',
                  { class: 'thumb-meta' },
                  timeEl(when, fmtClock),
                  image && isDoubtful(image) ? [' ', label('evidence.verdict', image.quality?.verdict)] : null,
                ),
              );
            }),
          ),
        ]
      : null,
  );
}

/**
 * The evidence of a case as the reviewer judges it: the completeness line, a dwell's first and last picture side by
 * side, every picture as a zoomable thumbnail with its time, origin, quality, SHA-256 and seal, and the register of
 * every item with its Art. 41 usability. `view` is the evidence view (or, from earlier callers, its items).
 * @param {unknown} view
 * @param {CaseView} [c]
 */
export function evidenceList(view, c) {
  const { completeness, dwell, items } = normalView(view);
  /** @type {Set<string | undefined>} */
  const inDwell = new Set();
  for (const e of dwell ? [dwell.first, dwell.last, ...(dwell.sample ?? [])] : []) {
    if (e?.image?.key) inDwell.add(e.image.key);
  }
  // The same picture named by several events is shown once (each item is still listed in the register).
  /** @type {EvidenceItem[]} */
  const pictures = [];
  /** @type {Set<string>} */
  const shown = new Set();
  for (const item of items) {
    if (item.kind !== 'image' || inDwell.has(item.key)) continue;
    if (item.sha256 && item.status === 'present') {
      if (shown.has(item.sha256)) continue;
      shown.add(item.sha256);
    }
    pictures.push(item);
  }
  for (const ref of c?.loop?.afterPhotos ?? []) {
    const sha = shaOf(ref);
    if (sha && !shown.has(sha) && !items.some((i) => i.sha256 === sha)) {
      shown.add(sha);
      pictures.push({
        key: `after-photo:${sha}`,
        kind: 'image',
        status: 'present',
        role: 'after-photo',
        sha256: sha,
        capturedAt: null,
        sealed: null,
        legacyUrls: photoUrls(sha),
      });
    }
  }
  if (!completeness && !dwell && items.length === 0 && pictures.length === 0) return h('p', { class: 'muted' }, t('case.noEvidence'));

  /** @param {boolean | null | undefined} v */
  const usable = (v) =>
    v === true
      ? h('span', { class: 'ok' }, '✓ ', t('case.evidenceUsable'))
      : v === false
        ? h('span', { class: 'warn' }, '✗ ', t('case.evidenceNotUsable'))
        : h('span', { class: 'muted' }, t('case.evidenceUnknown'));
  /** @param {string} k */
  const kindName = (k) => label('evidence.kind', k);
  const picturesId = nextId('pictures');
  const registerId = nextId('register');
  return h(
    'div',
    { class: 'evidence' },
    completeness ? completenessLine(completeness) : null,
    dwell ? dwellProof(dwell) : null,
    pictures.length
      ? h(
          'section',
          { class: 'evidence-pictures', 'aria-labelledby': picturesId },
          h('h3', { id: picturesId }, t('evidence.picturesHeading', { n: pictures.length })),
          h(
            'ul',
            { class: 'pictures', role: 'list' },
            pictures.map((item) =>
              h('li', {}, pictureCard(item, { caption: item.role && item.role !== 'occurrence' ? label('evidence.role', item.role) : undefined })),
            ),
          ),
        )
      : null,
    items.length
      ? h(
          'details',
          { class: 'evidence-register', open: items.length <= 6 },
          h('summary', {}, h('h3', { id: registerId }, t('evidence.register'), ` (${items.length})`)),
          h(
            'ul',
            { class: 'evidence-items', role: 'list' },
            items.map((item) =>
              h(
                'li',
                { class: `evidence-item evidence-${item.kind}` },
                h('strong', {}, kindName(item.kind)),
                item.role && item.role !== 'occurrence' ? ` (${label('evidence.role', item.role)})` : '',
                item.eventId ? ` #${item.eventId}` : '',
                item.capturedAt ? [' · ', timeEl(item.capturedAt)] : '',
                item.origin ? ` · ${originName(item.origin, item.kind)}` : '',
                item.kind === 'image' && item.status !== 'present'
                  ? [' · ', h('span', { class: item.status === 'missing' ? 'warn' : 'muted' }, label('evidence', item.status))]
                  : null,
                item.positionSource ? ` · ${label('evidence.positionOf', item.positionSource)}` : '',
                item.role === 'after-photo' ? null : [' · ', usable(item.usableAsPenaltyEvidence)],
                h('br'),
                item.sha256 ? shaBox(item.sha256) : h('code', { class: 'sha' }, item.uri ?? item.key ?? ''),
                item.status === 'missing' || !item.sha256 ? null : [' · ', sealedMark(item.sealed)],
              ),
            ),
          ),
        )
      : null,
  );
}

/**
 * Whether the view still waits for something the server is doing: sealing a new case, fetching pictures.
 * @param {unknown} view
 */
function unsettled(view) {
  const { items, dwell } = normalView(view);
  if (items.length === 0) return true;
  // A picture still being fetched; a stored item the worker has not sealed yet (it does so shortly).
  if (items.some((i) => i.status === 'pending' || (i.status === 'present' && !i.sealed))) return true;
  return !!dwell && [dwell.first, dwell.last, ...(dwell.sample ?? [])].some((e) => e?.image?.status === 'pending');
}

/**
 * The evidence section, loading itself. A new case's evidence is sealed by the worker shortly after the case
 * opens and its pictures arrive afterwards (fetched, retried), so the view is asked again while it is empty or a
 * picture is still pending, less and less often, and redrawn only when it changed (keeping the focus).
 * @param {CaseView} c
 * @param {unknown} [first] the evidence view already fetched, or a bare list of items
 */
export function liveEvidence(c, first) {
  const box = h('div', { class: 'evidence-box', 'aria-busy': 'true' });
  let tries = 0;
  let shownAs = '';
  /** @param {unknown} view */
  const show = (view) => {
    const json = JSON.stringify(view);
    if (json !== shownAs) {
      shownAs = json;
      const active = document.activeElement;
      const focused = active && box.contains(active) ? /** @type {HTMLElement | null} */ (active.closest('[data-key]'))?.dataset.key : undefined;
      replace(box, evidenceList(view, c));
      if (focused) /** @type {HTMLElement | null} */ (box.querySelector(`button[data-key="${CSS.escape(focused)}"]`))?.focus();
    }
    box.setAttribute('aria-busy', 'false');
    const empty = normalView(view).items.length === 0;
    // An empty answer is asked again a few times; pending pictures for a few minutes (they retry with back-off).
    if (unsettled(view) && tries < (empty ? 8 : 40)) {
      tries += 1;
      setTimeout(() => load(true), Math.min(10_000, 1500 + (empty ? 0 : tries * 500)));
    }
  };
  /** @type {(again?: boolean) => Promise<void>} */
  const load = (again = false) =>
    // Stop asking once the section has left the page.
    again && !box.isConnected
      ? Promise.resolve()
      : api(`/cases/${c.id}/evidence`)
          .then((r) => show(r))
          .catch(() => show(shownAs ? JSON.parse(shownAs) : []));
  if (first) show(first);
  // A bare list of items (the console's review panel): drawn now, and the whole view asked for once.
  if (!first || Array.isArray(first)) void load();
  return box;
}

/** @param {unknown} v */
const pct = (v) => (typeof v === 'number' ? fmtPercent(v) : '—');

/**
 * Why the case exists: rule and version, inputs and thresholds, where and who handles it.
 * @param {CaseView} c
 */
export function explanation(c) {
  const e = c.explanation ?? {};
  const rows = [
    [t('case.rule'), `${e.rule ?? c.rule?.id} v${e.ruleVersion ?? c.rule?.version}`],
    [t('case.label'), [e.label, e.subLabel].filter(Boolean).join(' / ') || null],
    [t('case.confidence'), e.confidence !== undefined ? `${pct(e.confidence)} (${t('case.minConfidence')} ${pct(e.minConfidence)})` : null],
    [t('case.source'), e.source ? label('source', e.source) : null],
    [t('case.device'), e.deviceId ?? c.deviceId],
    [t('case.zones'), Array.isArray(e.zones) ? e.zones.map((z) => placeName(z) ?? z).join(', ') : null],
    [t('case.place'), e.place ? t('explain.place', { name: placeName(e.place.id) ?? e.place.name, type: placeTypeName(e.place.type) }) : null],
    [t('case.grid'), e.grid ? `${gridName(e.grid.code)}${e.grid.officer ? ` · ${e.grid.officer.name}` : ''}` : null],
    [t('case.plate'), e.plate ?? null],
    [t('case.dwell'), e.dwell ? dwellText(e.dwell) : null],
    [t('case.exemption'), e.exemption ? exemptionText(e.exemption) : null],
    [
      t('case.window'),
      e.window ? t(`explain.window.${e.window.kind === 'allowed' ? 'allowed' : 'active'}`, { window: e.window.window, time: e.window.localTime }) : null,
    ],
    [t('case.routing'), e.routing ? routingText(e.routing) : null],
  ].filter(([, v]) => v !== null && v !== undefined && v !== '');
  return h(
    'dl',
    { class: 'kv' },
    rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]),
  );
}

/** @param {string | null | undefined} type a place type of the district's data (fire-lane) */
const placeTypeName = (type) => (type === '*' ? t('explain.anyPlace') : (label('placeType', type) ?? '—'));

/** @param {number} minutes */
const minutesText = (minutes) => t('unit.minutes', { n: Math.round(minutes * 10) / 10 });

/**
 * How long it stayed against the rule's threshold, in words (the classifier's `dwell`).
 * @param {unknown} dwell
 */
function dwellText(dwell) {
  const d = /** @type {{ requiredMinutes?: number, observedMinutes?: number, since?: string, requireStationary?: boolean, sampledEvents?: number }} */ (dwell);
  if (typeof d.observedMinutes !== 'number' || typeof d.requiredMinutes !== 'number') return JSON.stringify(dwell);
  const parts = [t('explain.dwell', { observed: minutesText(d.observedMinutes), required: minutesText(d.requiredMinutes) })];
  if (d.since) parts.push(t('explain.dwellSince', { time: fmtDateTimeSeconds(d.since) }));
  if (d.requireStationary) parts.push(t('explain.dwellStationary'));
  if (d.sampledEvents) parts.push(t('explain.dwellSampled', { n: d.sampledEvents }));
  return parts.join(' · ');
}

/**
 * The exemption that was weighed: its reason is the district's own text (config), the grace in words.
 * @param {{ reason?: string, graceMinutes?: number, placeId?: string }} x
 */
function exemptionText(x) {
  const parts = [x.reason ?? ''];
  if (x.graceMinutes !== undefined) parts.push(t('explain.grace', { n: x.graceMinutes }));
  if (x.placeId) parts.push(placeName(x.placeId) ?? x.placeId);
  return parts.filter(Boolean).join(' · ');
}

/**
 * Where the routing table sent the case, in words. The domain writes a routed reason as
 * `category × placeType → unit (routing vN)` (libs/domain routing-table.ts) and a held one as a code with a detail.
 * @param {{ held?: string, reason?: string, unit?: string }} r
 */
function routingText(r) {
  if (r.held) {
    const key = `explain.held.${r.held}`;
    const text = t(key);
    return text === key ? t('case.held', { reason: r.reason ?? r.held }) : text;
  }
  const sent = t('explain.routedTo', { unit: unitName(r.unit) });
  const m = r.reason?.match(/^(.+?) × (.+?) → (.+?) \(routing v(\d+)\)$/);
  if (!m) return r.reason ? `${sent} · ${r.reason}` : sent;
  // The unit is named once (`sent`): the table's unit code is the per-township unit's stem (township-team).
  const [, category, placeType, , version] = m;
  return `${sent} · ${t('explain.routeRule', { version, category: category === '*' ? t('explain.anyCategory') : categoryName(category), place: placeTypeName(placeType) })}`;
}

/**
 * A device with its art. 41 review (GET /devices).
 * @typedef {{ id: string, name: string, kind: string, address?: string | null, review: { legalReviewPassed: boolean, technicalReviewPassed: boolean, locationPublished: boolean, usableAsPenaltyEvidence: boolean, reviewedOn?: string | null } }} Device
 */
/** @type {Promise<Map<string, Device>> | undefined} */
let devicesPromise;
/** @param {string} id */
export function deviceOf(id) {
  devicesPromise ??= api('/devices')
    .then((r) => new Map(/** @type {Device[]} */ (r.items).map((d) => [d.id, d])))
    .catch(() => new Map());
  return devicesPromise.then((m) => m.get(id) ?? null);
}
export const forgetDevices = () => (devicesPromise = undefined);

/**
 * The device and its Administrative Penalty Law art. 41 review. Operators, supervisors and admins can read devices.
 * @param {CaseView} c
 */
export function deviceBox(c) {
  const box = h('div', { class: 'device-box' }, h('p', { class: 'muted' }, c.deviceId));
  const role = session.user?.role;
  if (!role || !DEVICE_READERS.includes(role)) {
    const ok = c.loop?.evidence?.deviceReviewPassed;
    replace(
      box,
      h(
        'p',
        {},
        h('strong', {}, c.deviceId),
        ' · ',
        ok === true
          ? h('span', { class: 'ok' }, '✓ ', t('case.deviceUsable'))
          : ok === false
            ? h('span', { class: 'warn' }, '✗ ', t('case.deviceNotUsable'))
            : '',
      ),
    );
    return box;
  }
  void deviceOf(c.deviceId).then((d) => {
    if (!d) return;
    /** @param {boolean} v */
    const yn = (v) => (v ? h('span', { class: 'ok' }, '✓ ', t('case.yes')) : h('span', { class: 'warn' }, '✗ ', t('case.no')));
    replace(
      box,
      h('p', {}, h('strong', {}, d.name), ' ', h('span', { class: 'muted' }, `${d.id} · ${d.kind}${d.address ? ` · ${d.address}` : ''}`)),
      h(
        'dl',
        { class: 'kv kv-compact' },
        h('dt', {}, t('case.legalReview')),
        h('dd', {}, yn(d.review.legalReviewPassed), d.review.reviewedOn ? ` (${d.review.reviewedOn})` : ''),
        h('dt', {}, t('case.technicalReview')),
        h('dd', {}, yn(d.review.technicalReviewPassed)),
        h('dt', {}, t('case.locationPublished')),
        h('dd', {}, yn(d.review.locationPublished)),
      ),
      h(
        'p',
        { class: d.review.usableAsPenaltyEvidence ? 'ok' : 'warn' },
        d.review.usableAsPenaltyEvidence ? `✓ ${t('case.deviceUsable')}` : `✗ ${t('case.deviceNotUsable')}`,
      ),
    );
  });
  return box;
}

/**
 * Facts of a case as a definition list.
 * @param {CaseView} c
 */
export function facts(c) {
  const g = grid(c.gridCode);
  const rows = [
    [t('case.category'), categoryName(c.category)],
    [t('case.severity'), severityBadge(c.severity)],
    [t('case.status'), statusBadge(c.status)],
    [t('case.township'), townshipName(c.townshipCode)],
    [t('case.grid'), c.gridCode ? `${c.gridCode}${g?.name ? ` · ${g.name}` : ''}` : null],
    [t('case.gridOfficer'), c.officer?.name ?? null],
    [t('case.place'), placeName(c.placeId)],
    [t('case.unit'), c.handlingUnit ? unitName(c.handlingUnit) : c.heldReason ? routingText({ held: c.heldReason }) : null],
    [t('case.location'), c.location ? `${c.location.lat.toFixed(5)}, ${c.location.lng.toFixed(5)}` : null],
    [t('case.firstSeen'), fmtDateTime(c.firstSeenAt)],
    [t('case.lastSeen'), fmtDateTime(c.lastSeenAt)],
    [t('case.occurrences'), String(c.occurrenceCount)],
    [t('case.origin'), label('case.origin', c.origin)],
    [t('case.review'), c.loop?.review ? t('case.reviewedBy', { time: fmtDateTime(c.loop.review.reviewedAt) }) : t('case.notReviewed')],
    [t('case.deadline'), deadlineBadge(c, { long: true })],
    [t('case.rejection'), c.loop?.rejectionReason ?? null],
    [t('case.result'), c.loop?.resultNote ?? null],
  ].filter(([, v]) => v !== null && v !== undefined && v !== '');
  return h(
    'dl',
    { class: 'kv' },
    rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

/**
 * @param {string} name
 * @param {string | null | undefined} selected
 * @param {{ exclude?: string | null, township?: string | null }} [options] `township`: dispatch stays in the case's
 *   township, so other townships' teams are not offered (the server refuses them: use transfer)
 */
function unitSelect(name, selected, { exclude, township } = {}) {
  const id = nextId('unit');
  const select = h(
    'select',
    { id, name, required: true },
    h('option', { value: '' }, t('action.chooseUnit')),
    units()
      .filter((u) => u.code !== exclude)
      .filter((u) => !township || !u.townshipCode || u.townshipCode === township)
      .map((u) => h('option', { value: u.code, selected: u.code === selected }, unitName(u.code))),
  );
  return h('div', { class: 'field' }, h('label', { for: id }, t('action.unit')), select);
}

/**
 * @param {string} name
 * @param {string} labelText
 * @param {{ required?: boolean, multiline?: boolean, list?: string, value?: string }} [options]
 */
function textField(name, labelText, { required = false, multiline = false, list, value } = {}) {
  const id = nextId(name);
  const input = multiline
    ? h('textarea', { id, name, rows: 3, required, maxlength: 4000 }, value ?? '')
    : h('input', { id, name, type: 'text', required, maxlength: 4000, list, value, autocomplete: 'off' });
  return h('div', { class: 'field' }, h('label', { for: id }, labelText), input);
}

/**
 * A file input with a button and the chosen names in the page's language (the browser's own control
 * speaks the browser's language). The input stays the labelled, focusable control.
 * @param {import('../dom.js').Attrs} attrs
 */
export function filePicker(attrs) {
  const input = h('input', { type: 'file', class: 'file-input', ...attrs });
  const names = h('span', { class: 'file-names muted' }, t('file.none'));
  input.addEventListener('change', () => {
    const files = [.../** @type {FileList} */ (input.files)];
    names.textContent = files.length === 0 ? t('file.none') : files.length === 1 ? files[0].name : t('file.count', { n: files.length });
  });
  return h(
    'div',
    { class: 'file-pick' },
    input,
    h('span', { class: 'btn file-button', 'aria-hidden': 'true' }, attrs.webkitdirectory ? t('file.chooseFolder') : t('file.choose')),
    names,
  );
}

const QUICK_REJECT = ['reason.falsePositive', 'reason.duplicate', 'reason.outOfScope'];

/**
 * Uploads after-photos for a report-back and answers their media keys.
 * @param {string} caseId
 * @param {File[]} files
 * @param {(fraction: number) => void} onProgress
 * @returns {Promise<string[]>}
 */
async function uploadReportPhotos(caseId, files, onProgress) {
  if (files.length === 0) return [];
  const form = new FormData();
  for (const f of files) {
    form.append('sha256', await sha256Hex(f));
    form.append('photos', f, f.name);
  }
  const res = await upload(`/cases/${caseId}/report-photos`, form, { onProgress });
  /** @type {{ status: string, fileName: string, reason?: string, detail?: string, key?: string, sha256: string }[]} */
  const results = res.results;
  const bad = results.filter((r) => r.status === 'rejected');
  if (bad.length) throw new ApiError(422, bad.map((r) => `${r.fileName}: ${r.reason} ${r.detail ?? ''}`).join('; '));
  return results.map((r) => r.key ?? r.sha256);
}

/**
 * The forms for what this user may do on the case now. onDone(updatedCase) after a transition.
 * Register, reject with a reason and dispatch take one or two clicks.
 * @param {CaseView} c
 * @param {{ onDone?: (updated: CaseView) => unknown, onStart?: () => unknown, compact?: boolean }} [options]
 */
export function actionsPanel(c, { onDone, onStart, compact = false } = {}) {
  const allowed = c.allowedActions ?? [];
  const wrap = h('div', { class: ['actions', compact && 'actions-compact'] });
  if (allowed.length === 0) {
    wrap.append(h('p', { class: 'muted' }, t('action.none')));
    return wrap;
  }
  const error = h('p', { class: 'form-error', role: 'alert' });

  /** @typedef {Record<string, unknown>} Body */
  /**
   * Takes the steps in turn (register, then dispatch); each step's body may be worked out first (uploads).
   * @param {HTMLFormElement} form
   * @param {{ action: CaseAction, body: Body | (() => Promise<Body>) }[]} steps
   */
  const run = async (form, steps) => {
    const buttons = [...wrap.querySelectorAll('button')];
    buttons.forEach((b) => (b.disabled = true));
    error.textContent = '';
    onStart?.();
    let current = c;
    /** @type {CaseAction | undefined} */
    let action;
    try {
      for (const step of steps) {
        action = step.action;
        const body = typeof step.body === 'function' ? await step.body() : step.body;
        current = (await api(`/cases/${c.id}/transitions`, { method: 'POST', body: { action: step.action, ...body } })).case;
      }
      toast(t('action.done', { action: label('action', steps[steps.length - 1].action) }), 'ok');
      onDone?.(current);
    } catch (caught) {
      const err = /** @type {ApiErrorType} */ (caught);
      replace(error, errorNodes({ text: t('action.failed', { action: label('action', action), message: err.text }), detail: err.detail }));
      buttons.forEach((b) => (b.disabled = false));
      if (current !== c) onDone?.(current);
    }
  };

  /**
   * @param {CaseAction} action
   * @param {import('../dom.js').Child[]} fields
   * @param {import('../dom.js').Child[]} buttons
   * @param {(f: HTMLFormElement, submitter: HTMLButtonElement | null) => unknown} onSubmit
   */
  const form = (action, fields, buttons, onSubmit) => {
    const f = h('form', { class: `action-form action-${action}`, novalidate: false }, fields, h('div', { class: 'buttons' }, buttons));
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      onSubmit(f, /** @type {HTMLButtonElement | null} */ (e.submitter));
    });
    return f;
  };
  /** @type {(f: HTMLFormElement, name: string) => HTMLInputElement | null} */
  const field = (f, name) => /** @type {HTMLInputElement | null} */ (f.elements.namedItem(name));
  /** @type {(f: HTMLFormElement, name: string) => string} */
  const value = (f, name) => field(f, name)?.value?.trim() ?? '';

  if (allowed.includes('review-register')) {
    const usableId = nextId('usable');
    const role = session.user?.role;
    const canDispatchNext = !!role && CASE_ACTION_ROLES.dispatch.includes(role);
    wrap.append(
      form(
        'review-register',
        [
          h(
            'div',
            { class: 'field field-check' },
            h('input', { type: 'checkbox', id: usableId, name: 'usable', checked: c.loop?.evidence?.deviceReviewPassed === true }),
            h('label', { for: usableId }, t('action.usable')),
          ),
          canDispatchNext ? unitSelect('unit', c.handlingUnit, { township: c.townshipCode }) : null,
        ],
        [
          h('button', { type: 'submit', class: 'btn', value: 'register', formnovalidate: true }, t('action.review-register')),
          canDispatchNext ? h('button', { type: 'submit', class: 'btn btn-primary', value: 'register-dispatch' }, t('action.registerDispatch')) : null,
        ],
        (f, submitter) => {
          /** @type {{ action: CaseAction, body: Record<string, unknown> }} */
          const register = { action: 'review-register', body: { evidenceUsableForPenalty: /** @type {HTMLInputElement} */ (field(f, 'usable')).checked } };
          if (submitter?.value === 'register-dispatch') {
            const unit = value(f, 'unit');
            void run(f, [register, { action: 'dispatch', body: unit && unit !== c.handlingUnit ? { unit } : {} }]);
          } else void run(f, [register]);
        },
      ),
    );
  }
  if (allowed.includes('dispatch')) {
    wrap.append(
      form(
        'dispatch',
        [unitSelect('unit', c.handlingUnit, { township: c.townshipCode })],
        [h('button', { type: 'submit', class: 'btn btn-primary' }, t('action.dispatch'))],
        (f) => {
          const unit = value(f, 'unit');
          void run(f, [{ action: 'dispatch', body: unit && unit !== c.handlingUnit ? { unit } : {} }]);
        },
      ),
    );
  }
  if (allowed.includes('accept')) {
    wrap.append(
      form('accept', [], [h('button', { type: 'submit', class: 'btn btn-primary' }, t('action.accept'))], (f) => run(f, [{ action: 'accept', body: {} }])),
    );
  }
  if (allowed.includes('report-back')) {
    const photosId = nextId('photos');
    const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': t('action.uploadProgress') });
    wrap.append(
      form(
        'report-back',
        [
          textField('resultNote', t('action.resultNote'), { required: true, multiline: true }),
          h(
            'div',
            { class: 'field' },
            h('label', { for: photosId }, t('action.photos')),
            filePicker({ id: photosId, name: 'photos', accept: 'image/*', multiple: true, capture: 'environment' }),
            h('small', { class: 'muted' }, t('action.photosHint')),
            progress,
          ),
        ],
        [h('button', { type: 'submit', class: 'btn btn-primary' }, t('action.report-back'))],
        (f) => {
          const resultNote = value(f, 'resultNote');
          if (!resultNote) return (error.textContent = t('action.resultRequired'));
          const files = [.../** @type {FileList} */ (/** @type {HTMLInputElement} */ (field(f, 'photos')).files)];
          void run(f, [
            {
              action: 'report-back',
              body: async () => {
                progress.hidden = files.length === 0;
                const photos = await uploadReportPhotos(c.id, files, (p) => (progress.value = p));
                return { resultNote, ...(photos.length ? { photos } : {}) };
              },
            },
          ]);
        },
      ),
    );
  }
  if (allowed.includes('verify-close')) {
    wrap.append(
      form(
        'verify-close',
        [textField('note', t('action.note'))],
        [h('button', { type: 'submit', class: 'btn btn-primary' }, t('action.verify-close'))],
        (f) => {
          const note = value(f, 'note');
          void run(f, [{ action: 'verify-close', body: note ? { note } : {} }]);
        },
      ),
    );
  }

  // Actions that need a reason sit behind a disclosure, with quick reasons as one-click buttons.
  // Quick reasons submit at once when nothing else is needed (reject), otherwise fill in the reason.
  /** @type {(action: CaseAction, extra?: import('../dom.js').Child[], quick?: string[], bodyOf?: (f: HTMLFormElement) => Record<string, unknown>, quickSubmits?: boolean) => HTMLDetailsElement} */
  const reasoned = (action, extra = [], quick = [], bodyOf = () => ({}), quickSubmits = extra.length === 0) => {
    const listId = nextId('reasons');
    const f = form(
      action,
      [
        textField('reason', t('action.reason'), { required: true, list: quick.length ? listId : undefined }),
        quick.length
          ? h(
              'datalist',
              { id: listId },
              quick.map((k) => h('option', { value: t(k) })),
            )
          : null,
        extra,
        quick.length
          ? h(
              'div',
              { class: 'quick-reasons' },
              quick.map((k) =>
                quickSubmits
                  ? h('button', { type: 'submit', class: 'btn btn-small', value: t(k), formnovalidate: true }, t(k))
                  : h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn btn-small',
                        onClick: (e) => {
                          const form = /** @type {HTMLFormElement} */ (/** @type {HTMLButtonElement} */ (e.target).form);
                          const reason = /** @type {HTMLInputElement} */ (field(form, 'reason'));
                          reason.value = t(k);
                        },
                      },
                      t(k),
                    ),
              ),
            )
          : null,
      ],
      [h('button', { type: 'submit', class: ['btn', action === 'reject' ? 'btn-danger' : 'btn-primary'], value: '' }, t(`action.${action}`))],
      (form, submitter) => {
        const reason = submitter?.value || value(form, 'reason');
        if (!reason) return (error.textContent = t('action.reasonRequired'));
        void run(form, [{ action, body: { reason, ...bodyOf(form) } }]);
      },
    );
    return h('details', { class: `action-more action-more-${action}` }, h('summary', {}, t(`action.${action}`), '…'), f);
  };
  if (allowed.includes('reject')) wrap.append(reasoned('reject', [], QUICK_REJECT));
  if (allowed.includes('send-back')) {
    const id = nextId('to');
    wrap.append(
      reasoned(
        'send-back',
        [
          h(
            'div',
            { class: 'field' },
            h('label', { for: id }, t('action.sendBackTo')),
            h(
              'select',
              { id, name: 'to' },
              ['in_progress', 'dispatched'].map((v) => h('option', { value: v }, t(`action.sendBackTo.${v}`))),
            ),
          ),
        ],
        [],
        (f) => ({ to: /** @type {HTMLInputElement} */ (field(f, 'to')).value }),
      ),
    );
  }
  if (allowed.includes('transfer')) {
    wrap.append(
      reasoned('transfer', [unitSelect('unit', '', { exclude: c.handlingUnit })], ['reason.notOurs'], (f) => ({
        unit: /** @type {HTMLInputElement} */ (field(f, 'unit')).value || undefined,
      })),
    );
  }
  if (allowed.includes('reopen')) wrap.append(reasoned('reopen'));
  wrap.append(error);
  return wrap;
}

/**
 * Timeline of the loop (who did what, when, why) from /cases/:id/timeline.
 * @param {TimelineItem[]} items
 */
export function timelineList(items) {
  if (!items.length) return h('p', { class: 'muted' }, '—');
  return h(
    'ol',
    { class: 'timeline' },
    items.map((item) => {
      if (item.type === 'statement') {
        return h(
          'li',
          { class: 'tl-statement' },
          h('time', { datetime: item.at }, fmtDateTime(item.at)),
          h('strong', {}, t('case.statement')),
          h('p', {}, item.statement.statement),
        );
      }
      const tr = item.transition;
      const photos = /** @type {string[]} */ ((tr.photos ?? []).map(shaOf).filter(Boolean));
      return h(
        'li',
        { class: `tl-${tr.action}` },
        h('time', { datetime: tr.at }, fmtDateTime(tr.at)),
        h('strong', {}, label('action', tr.action)),
        ' ',
        tr.from ? h('span', { class: 'muted' }, `${label('status', tr.from)} → `) : null,
        statusBadge(tr.to),
        h('div', { class: 'tl-who' }, `${tr.actorName ?? tr.actor.id} · ${label('role', tr.actor.role)}`),
        tr.toUnit ? h('div', {}, `${t('case.unit')}: ${tr.fromUnit ? `${unitName(tr.fromUnit)} → ` : ''}${unitName(tr.toUnit)}`) : null,
        tr.reason ? h('div', {}, `${t('action.reason')}: ${tr.reason}`) : null,
        tr.note ? h('div', {}, `${tr.action === 'report-back' ? t('case.result') : t('action.note')}: ${tr.note}`) : null,
        photos.length
          ? h(
              'div',
              { class: 'thumbs thumbs-small' },
              photos.map((sha) => photoThumb(sha, t('case.afterPhotos'))),
            )
          : null,
      );
    }),
  );
}

/**
 * The audit trail: every transition with its sequence number in the append-only hash chain.
 * @param {TimelineItem[]} items
 */
export function auditTable(items) {
  const rows = items.flatMap((i) => (i.type === 'transition' ? [i.transition] : []));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table' },
      h('caption', { class: 'visually-hidden' }, t('case.audit')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [t('case.auditSeq'), t('case.time'), t('case.actor'), t('case.role'), t('case.action'), t('case.change')].map((x) => h('th', { scope: 'col' }, x)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            h('td', {}, r.auditSeq ?? '—'),
            h('td', {}, fmtDateTime(r.at)),
            h('td', {}, r.actorName ?? r.actor.id),
            h('td', {}, label('role', r.actor.role)),
            h('td', {}, label('action', r.action)),
            h('td', {}, `${r.from ? label('status', r.from) : '∅'} → ${label('status', r.to)}`),
          ),
        ),
      ),
    ),
  );
}
