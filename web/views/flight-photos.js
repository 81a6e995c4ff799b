// A flight's photos: where each was taken (a small map), a grid of thumbnails with the server's quality verdict,
// flags and position, and a mark form: the pilot or operator chooses what the photo shows (a category) and draws
// a box on it. The mark goes to POST /photos/{sha256}/detections and becomes an event like any other.
import { api, errorText, imageUrl } from '../api.js';
import { h, s, replace, nextId, toast } from '../dom.js';
import { t, fmtDateTime } from '../i18n.js';
import { district, townshipName, categoryName } from '../district.js';
import { navigate } from '../app.js';

const FLIGHT = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * @typedef {{ sha256: string, flightId: string, deviceId: string | null, fileName: string | null, width: number, height: number,
 *   takenAt: string | null, lat: number | null, lng: number | null, qualityVerdict: string, townshipCode: string | null, flags: string[] }} Photo
 */

/**
 * Photo positions over the township outlines, projected flat (the district is small): one dot per photo.
 * @param {Photo[]} photos
 * @param {(sha: string) => void} onSelect
 */
function photoMap(photos, onSelect) {
  const placed = photos.filter((p) => p.lat !== null && p.lng !== null);
  const W = 480;
  const H = 320;
  const geo = district();
  /** @type {number[][]} */
  const points = placed.map((p) => [/** @type {number} */ (p.lng), /** @type {number} */ (p.lat)]);
  if (points.length === 0) for (const f of geo.townships.features) points.push(...outline(f.geometry).flat());
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  // Some room around the photos, so the township outlines nearby give them a place.
  const pad = Math.max(0.006, 0.3 * Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)));
  const [x0, x1, y0, y1] = [Math.min(...xs) - pad, Math.max(...xs) + pad, Math.min(...ys) - pad, Math.max(...ys) + pad];
  const k = Math.cos(((y0 + y1) / 2) * (Math.PI / 180));
  const scale = Math.min(W / ((x1 - x0) * k || 1), H / (y1 - y0 || 1));
  /** @param {number[]} p */
  const project = (p) => [(W - (x1 - x0) * k * scale) / 2 + (p[0] - x0) * k * scale, H - ((H - (y1 - y0) * scale) / 2 + (p[1] - y0) * scale)];
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'photo-map', role: 'group', 'aria-label': t('photos.map') });
  svg.append(s('title', {}, t('photos.map')));
  for (const f of geo.townships.features) {
    for (const ring of outline(f.geometry)) {
      const d =
        ring
          .map(
            (p, i) =>
              `${i ? 'L' : 'M'}${project(p)
                .map((v) => v.toFixed(1))
                .join(' ')}`,
          )
          .join('') + 'Z';
      svg.append(s('path', { d, class: 'township' }));
    }
  }
  placed.forEach((p, i) => {
    const [cx, cy] = project([/** @type {number} */ (p.lng), /** @type {number} */ (p.lat)]);
    const dot = s(
      'circle',
      { cx, cy, r: 7, class: ['photo-dot', p.qualityVerdict !== 'ok' && 'doubtful'], tabindex: 0, role: 'button', dataset: { sha: p.sha256 } },
      s('title', {}, `${i + 1}. ${p.fileName ?? p.sha256.slice(0, 12)}`),
    );
    dot.addEventListener('click', () => onSelect(p.sha256));
    dot.addEventListener('keydown', (e) => {
      if (/** @type {KeyboardEvent} */ (e).key === 'Enter') onSelect(p.sha256);
    });
    svg.append(dot);
  });
  return svg;
}

/**
 * Outer rings of a (multi)polygon.
 * @param {import('../district.js').Geometry} g
 * @returns {number[][][]}
 */
function outline(g) {
  return g.type === 'Polygon' ? [g.coordinates[0]] : g.coordinates.map((poly) => poly[0]);
}

/** @param {Photo} p */
const positionText = (p) => (p.lat !== null && p.lng !== null ? `${p.lat.toFixed(5)}, ${p.lng.toFixed(5)}` : t('photos.noPosition'));

/**
 * @param {HTMLElement} main
 * @param {string[]} params [flightId]
 * @param {import('../app.js').ViewContext} ctx
 */
export async function render(main, params, { setTitle, user }) {
  setTitle(t('photos.title'));
  const flightId = decodeURIComponent(params[0] ?? '');
  const inputId = nextId('flight');
  const input = h('input', { id: inputId, name: 'flight', value: flightId, pattern: '[A-Za-z0-9._\\-]{1,100}', required: true, autocomplete: 'off' });
  const picker = h(
    'form',
    { class: 'filters', 'aria-label': t('photos.flight') },
    h('div', { class: 'field field-inline' }, h('label', { for: inputId }, t('photos.flight')), input),
    h('button', { type: 'submit', class: 'btn' }, t('photos.open')),
  );
  picker.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = input.value.trim();
    if (FLIGHT.test(id)) navigate(`#/photos/${encodeURIComponent(id)}`);
  });
  const body = h('div', { class: 'photos-body', 'aria-live': 'polite' });
  const recent = h('nav', { class: 'panel recent-flights', 'aria-label': t('photos.recent') });
  main.append(h('section', { class: 'page flight-photos' }, h('header', { class: 'page-head' }, h('h1', {}, t('photos.title'))), picker, body, recent));
  // The latest flights (a pilot's own): what there is to browse.
  void api('/flights')
    .then((/** @type {{ items: { flightId: string, photos: number, placed: number, doubtful: number, deviceIds: string[], lastUploadAt: string }[] }} */ r) =>
      replace(
        recent,
        h('h2', {}, t('photos.recent')),
        r.items.length === 0
          ? h('p', { class: 'muted' }, t('photos.noFlights'))
          : h(
              'ul',
              { class: 'flight-list' },
              r.items.map((f) =>
                h(
                  'li',
                  { class: f.flightId === flightId ? 'current' : undefined },
                  h('a', { href: `#/photos/${encodeURIComponent(f.flightId)}` }, f.flightId),
                  ' ',
                  h(
                    'span',
                    { class: 'muted' },
                    t('photos.flightLine', {
                      n: f.photos,
                      placed: f.placed,
                      doubtful: f.doubtful,
                      devices: f.deviceIds.join(', ') || '—',
                      at: fmtDateTime(f.lastUploadAt),
                    }),
                  ),
                ),
              ),
            ),
      ),
    )
    .catch(() => undefined);
  if (!FLIGHT.test(flightId)) return;

  /** @type {Photo[]} */
  const photos = await api(`/flights/${encodeURIComponent(flightId)}/photos`);
  if (photos.length === 0) {
    replace(body, h('p', { class: 'muted' }, t('photos.none')));
    return;
  }
  /** @type {Set<string>} marked in this visit */
  const marked = new Set();
  const detail = h('section', { class: 'panel photo-detail', 'aria-label': t('photos.mark'), hidden: true });
  /** @type {Map<string, HTMLElement>} */
  const cards = new Map();

  /** @param {string} sha */
  const select = (sha) => {
    const p = photos.find((x) => x.sha256 === sha);
    if (!p) return;
    for (const [k, el] of cards) el.classList.toggle('selected', k === sha);
    for (const dot of body.querySelectorAll('.photo-dot')) dot.classList.toggle('selected', /** @type {SVGElement} */ (dot).dataset.sha === sha);
    showDetail(p);
  };

  const grid = h(
    'ul',
    { class: 'photo-grid', 'aria-label': t('photos.grid') },
    photos.map((p, i) => {
      const img = h('img', { alt: p.fileName ?? p.sha256.slice(0, 12), width: 160, height: 120, loading: 'lazy' });
      void imageUrl(`/photos/${p.sha256}/thumb`).then((url) => url && img.setAttribute('src', url));
      const card = h(
        'li',
        { class: ['photo-card', p.qualityVerdict !== 'ok' && 'doubtful'], dataset: { sha: p.sha256 } },
        h('button', { type: 'button', class: 'photo-open', 'aria-label': `${i + 1}. ${p.fileName ?? p.sha256.slice(0, 12)}` }, img),
        h('span', { class: 'photo-name' }, `${i + 1}. ${p.fileName ?? p.sha256.slice(0, 12)}`),
        h('span', { class: 'photo-quality' }, `${t('photos.quality')}: ${t(`upload.verdict.${p.qualityVerdict}`)}`),
        h('span', { class: 'photo-position' }, `${t('photos.position')}: ${positionText(p)}`),
        p.flags.length
          ? h(
              'span',
              { class: 'photo-flags' },
              p.flags.map((f) => h('span', { class: 'badge badge-warn' }, t(`upload.flag.${f}`))),
            )
          : null,
        h('span', { class: 'photo-marked badge', hidden: true }, t('photos.marked')),
      );
      /** @type {HTMLButtonElement} */ (card.querySelector('.photo-open')).addEventListener('click', () => select(p.sha256));
      cards.set(p.sha256, card);
      return card;
    }),
  );
  const placed = photos.filter((p) => p.lat !== null).length;
  replace(
    body,
    h('p', { class: 'muted photo-count' }, t('photos.count', { n: photos.length, placed })),
    h(
      'div',
      { class: 'photos-layout' },
      h('figure', { class: 'panel photo-map-panel' }, h('figcaption', {}, h('h2', {}, t('photos.map'))), photoMap(photos, select)),
      detail,
    ),
    h('section', { class: 'panel' }, h('h2', {}, t('photos.grid')), grid),
  );

  /** @param {Photo} p */
  function showDetail(p) {
    detail.hidden = false;
    const canMark = ['pilot', 'operator', 'supervisor'].includes(user?.role ?? '');
    const img = h('img', { alt: p.fileName ?? p.sha256, class: 'photo-preview' });
    void imageUrl(`/photos/${p.sha256}/preview`).then((url) => url && img.setAttribute('src', url));
    // The box is drawn in the photo's own pixels (viewBox = width × height), which is what a detection's box is.
    const overlay = s('svg', { class: 'photo-overlay', viewBox: `0 0 ${p.width} ${p.height}`, preserveAspectRatio: 'none' });
    const rect = s('rect', { class: 'mark-box', x: 0, y: 0, width: 0, height: 0, visibility: 'hidden' });
    overlay.append(rect);
    /** @type {[number, number, number, number] | null} */
    let box = null;
    const boxState = h('span', { class: 'muted box-state' }, t('photos.noBox'));
    /** @param {PointerEvent} e */
    const toPhoto = (e) => {
      const r = overlay.getBoundingClientRect();
      return [
        Math.round(Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)) * p.width),
        Math.round(Math.min(1, Math.max(0, (e.clientY - r.top) / r.height)) * p.height),
      ];
    };
    /** @type {number[] | null} */
    let start = null;
    const drawBox = (/** @type {number[]} */ a, /** @type {number[]} */ b) => {
      box = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
      rect.setAttribute('x', String(box[0]));
      rect.setAttribute('y', String(box[1]));
      rect.setAttribute('width', String(box[2] - box[0]));
      rect.setAttribute('height', String(box[3] - box[1]));
      rect.setAttribute('visibility', 'visible');
      boxState.textContent = `${t('photos.box')}: ${box.join(', ')}`;
    };
    if (canMark) {
      overlay.addEventListener('pointerdown', (e) => {
        start = toPhoto(e);
        overlay.setPointerCapture(e.pointerId);
      });
      overlay.addEventListener('pointermove', (e) => start && drawBox(start, toPhoto(e)));
      overlay.addEventListener('pointerup', (e) => {
        if (start) drawBox(start, toPhoto(e));
        start = null;
        // A click without a drag is no box.
        if (box && (box[2] - box[0] < 4 || box[3] - box[1] < 4)) clearBox();
      });
    }
    const clearBox = () => {
      box = null;
      rect.setAttribute('visibility', 'hidden');
      boxState.textContent = t('photos.noBox');
    };
    const catId = nextId('category');
    const noteId = nextId('note');
    const category = h(
      'select',
      { id: catId, name: 'category', required: true },
      h('option', { value: '' }, '—'),
      district().categories.map((c) => h('option', { value: c.code }, categoryName(c.code))),
    );
    const note = h('input', { id: noteId, name: 'note', maxlength: 1000, autocomplete: 'off' });
    const clear = h('button', { type: 'button', class: 'btn' }, t('photos.clearBox'));
    clear.addEventListener('click', clearBox);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('photos.save'));
    const error = h('p', { class: 'form-error', role: 'alert' });
    const form = h(
      'form',
      { class: 'mark-form' },
      h('p', { class: 'muted' }, t('photos.markHint')),
      h('div', { class: 'field' }, h('label', { for: catId }, t('photos.category')), category),
      h('div', { class: 'field' }, h('label', { for: noteId }, t('photos.note')), note),
      h('div', { class: 'buttons' }, submit, clear, boxState),
      error,
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      error.textContent = '';
      if (!category.value) return (error.textContent = t('photos.category'));
      submit.disabled = true;
      try {
        const mark = { label: category.value, ...(box && { box }), ...(note.value.trim() && { note: note.value.trim() }) };
        const res = await api(`/photos/${p.sha256}/detections`, { method: 'POST', body: { by: 'pilot', marks: [mark] } });
        marked.add(p.sha256);
        const badge = /** @type {HTMLElement | null | undefined} */ (cards.get(p.sha256)?.querySelector('.photo-marked'));
        if (badge) badge.hidden = false;
        /** @type {string[]} */
        const ids = res.eventIds ?? [];
        const said = t('photos.saved', { id: ids.join(', ') || res.status });
        toast(said, 'ok');
        form.append(h('p', { class: 'mark-done', role: 'status' }, said));
      } catch (caught) {
        error.textContent = errorText(caught);
      } finally {
        submit.disabled = false;
      }
    });
    const close = h('button', { type: 'button', class: 'btn btn-small' }, t('photos.close'));
    close.addEventListener('click', () => (detail.hidden = true));
    replace(
      detail,
      h('header', { class: 'photo-detail-head' }, h('h2', {}, p.fileName ?? p.sha256.slice(0, 12)), close),
      h('div', { class: 'photo-stage' }, img, overlay),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, t('photos.takenAt')),
        h('dd', {}, fmtDateTime(p.takenAt)),
        h('dt', {}, t('photos.position')),
        h('dd', {}, positionText(p)),
        h('dt', {}, t('photos.township')),
        h('dd', {}, p.townshipCode ? townshipName(p.townshipCode) : '—'),
        h('dt', {}, t('photos.quality')),
        h('dd', {}, t(`upload.verdict.${p.qualityVerdict}`)),
        h('dt', {}, t('upload.flags')),
        h('dd', {}, p.flags.length ? p.flags.map((f) => t(`upload.flag.${f}`)).join('、') : '—'),
      ),
      !canMark ? null : p.deviceId ? h('div', {}, h('h3', {}, t('photos.mark')), form) : h('p', { class: 'muted' }, t('photos.noDevice')),
    );
    detail.scrollIntoView({ block: 'nearest' });
  }
}
