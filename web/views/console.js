// Operator console: live map and list of alerts (SSE), filters, the review queue and one-click actions.
import { api, query } from '../api.js';
import { h, replace, nextId } from '../dom.js';
import { t, label, fmtAgo, fmtTime } from '../i18n.js';
import { categories, townships, townshipName, categoryName, whereOf } from '../district.js';
import { createMap } from '../map.js';
import { OPEN, statusBadge, severityBadge, deadlineBadge, liveEvidence, explanation, deviceBox, actionsPanel } from './common.js';
import { OPEN_CASE_STATUSES, CLOSED_CASE_STATUSES } from '../server-constants.js';

/** @typedef {import('../api.js').CaseView} CaseView */

const SOURCES = ['cloudpatrol', 'frigate', 'hikvision', 'dji', 'drone-upload', 'fire', 'police', 'emergency'];
/** The status filter's choices: the loop's order, the ended ones last (closed before rejected). */
const STATUSES = [...OPEN_CASE_STATUSES, ...[...CLOSED_CASE_STATUSES].reverse()];
const FRESH_MS = 15_000;

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').ViewContext} ctx
 */
export async function render(main, _params, { onAlert, setTitle, soundOn, setSound }) {
  setTitle(t('console.title'));
  const saved = JSON.parse(sessionStorage.getItem('cp.console.filters') ?? '{}');
  /** @type {Record<'township' | 'category' | 'source' | 'status', string>} */
  const filters = { township: '', category: '', source: '', status: 'open', ...saved };
  /** @type {Map<string, CaseView>} */
  const cases = new Map();
  /** @type {Map<string, number>} */
  const fresh = new Map();
  /** @type {string | null} */
  let selectedId = null;
  let total = 0;

  /** @param {CaseView} c */
  const matches = (c) =>
    (!filters.township || c.townshipCode === filters.township) &&
    (!filters.category || c.category?.code === filters.category) &&
    (!filters.source || c.explanation?.source === filters.source) &&
    (!filters.status || (filters.status === 'open' ? OPEN.includes(c.status) : c.status === filters.status));

  // ---- filter bar ----
  /**
   * @param {keyof typeof filters} name
   * @param {string} labelText
   * @param {(string | undefined)[][]} options [value, text]
   */
  const select = (name, labelText, options) => {
    const id = nextId(name);
    const el = h(
      'select',
      { id, name },
      options.map(([value, text]) => h('option', { value, selected: filters[name] === value }, text)),
    );
    el.addEventListener('change', () => {
      filters[name] = el.value;
      sessionStorage.setItem('cp.console.filters', JSON.stringify(filters));
      reviewButton.setAttribute('aria-pressed', String(filters.status === 'detected'));
      void load();
    });
    return h('div', { class: 'field field-inline' }, h('label', { for: id }, labelText), el);
  };
  const statusSelect = select('status', t('console.status'), [
    ['', t('console.all')],
    ['open', t('console.open')],
    ...STATUSES.map((s) => [s, label('status', s)]),
  ]);
  const reviewCount = h('span', { class: 'count-pill' }, '0');
  const reviewButton = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-review',
      'aria-pressed': String(filters.status === 'detected'),
      onClick: () => {
        filters.status = filters.status === 'detected' ? 'open' : 'detected';
        /** @type {HTMLSelectElement} */ (statusSelect.querySelector('select')).value = filters.status;
        reviewButton.setAttribute('aria-pressed', String(filters.status === 'detected'));
        sessionStorage.setItem('cp.console.filters', JSON.stringify(filters));
        void load();
      },
    },
    t('console.reviewQueue'),
    ' ',
    reviewCount,
  );
  const soundButton = h(
    'button',
    { type: 'button', class: 'btn btn-ghost', 'aria-pressed': String(soundOn()) },
    soundOn() ? `♪ ${t('console.soundOn')}` : t('console.soundOff'),
  );
  soundButton.addEventListener('click', () => {
    setSound(!soundOn());
    soundButton.setAttribute('aria-pressed', String(soundOn()));
    soundButton.textContent = soundOn() ? `♪ ${t('console.soundOn')}` : t('console.soundOff');
  });
  const filterBar = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': t('console.filters') },
    select('township', t('console.township'), [['', t('console.all')], ...townships().map((tw) => [tw.code, townshipName(tw.code)])]),
    select('category', t('console.category'), [['', t('console.all')], ...categories().map((c) => [c.code, categoryName(c.code)])]),
    select('source', t('console.source'), [['', t('console.all')], ...SOURCES.map((s) => [s, label('source', s)])]),
    statusSelect,
    reviewButton,
    soundButton,
  );
  filterBar.addEventListener('submit', (e) => e.preventDefault());

  // ---- map, list, review panel ----
  const map = createMap({ label: t('console.map'), onSelect: (id) => choose(id) });
  const listTitle = h('h2', { id: 'alerts-title' }, t('console.alerts'));
  const listCount = h('span', { class: 'muted', 'aria-live': 'polite' });
  const list = h('ul', { class: 'alert-list', 'aria-labelledby': 'alerts-title' });
  const detail = h('div', { class: 'review', tabindex: '-1' }, h('p', { class: 'muted placeholder' }, t('console.select')));
  main.append(
    h(
      'section',
      { class: 'console', 'aria-label': t('console.title') },
      h('h1', { class: 'visually-hidden' }, t('console.title')),
      filterBar,
      h(
        'div',
        { class: 'console-grid' },
        h('section', { class: 'panel map-panel', 'aria-label': t('console.map') }, map.el),
        h('section', { class: 'panel list-panel', 'aria-labelledby': 'alerts-title' }, h('div', { class: 'panel-head' }, listTitle, listCount), list),
        h('section', { class: 'panel review-panel', 'aria-label': t('console.reviewQueue') }, detail),
      ),
    ),
  );

  const visible = () => [...cases.values()].filter(matches).sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));

  let frame = 0;
  const draw = () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const now = Date.now();
      for (const [id, at] of fresh) if (now - at > FRESH_MS) fresh.delete(id);
      const items = visible();
      const freshIds = new Set(fresh.keys());
      map.setCases(items, { selectedId, freshIds });
      listCount.textContent = t('console.count', { n: Math.max(items.length, filtersNarrowClientSide() ? items.length : total) });
      reviewCount.textContent = String([...cases.values()].filter((c) => c.status === 'detected').length);
      replace(
        list,
        items.length === 0
          ? h('li', { class: 'empty muted' }, t('console.empty'))
          : items.map((c) =>
              h(
                'li',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    class: ['alert-row', `sev-${c.severity}`, c.id === selectedId && 'selected', freshIds.has(c.id) && 'fresh'],
                    'aria-pressed': String(c.id === selectedId),
                    dataset: { id: c.id, number: c.caseNumber },
                    onClick: () => choose(c.id),
                  },
                  h('span', { class: 'sev-bar', 'aria-hidden': 'true' }),
                  h(
                    'span',
                    { class: 'row-main' },
                    h(
                      'span',
                      { class: 'row-title' },
                      h('strong', {}, categoryName(c.category)),
                      c.occurrenceCount > 1
                        ? h('span', { class: 'count', title: t('console.occurrences', { n: c.occurrenceCount }) }, `×${c.occurrenceCount}`)
                        : null,
                      freshIds.has(c.id) ? h('span', { class: 'badge new' }, t('console.new')) : null,
                    ),
                    h('small', { class: 'row-sub' }, `${c.caseNumber} · ${whereOf(c)}`),
                  ),
                  h('span', { class: 'row-side' }, statusBadge(c.status), h('small', { class: 'muted', title: fmtTime(c.createdAt) }, fmtAgo(c.createdAt))),
                ),
              ),
            ),
      );
    });
  };
  // Only the source filter (and "open") is applied here rather than by the server.
  const filtersNarrowClientSide = () => Boolean(filters.source) || filters.status === 'open';

  async function load() {
    const status = filters.status === 'open' ? undefined : filters.status;
    const res = await api(`/cases${query({ status, category: filters.category, township: filters.township, limit: 300 })}`);
    cases.clear();
    for (const c of res.items) cases.set(c.id, c);
    total = res.total;
    draw();
  }

  let detailSeq = 0;
  /** @param {string} id */
  async function choose(id) {
    selectedId = id;
    map.select(id);
    draw();
    const my = ++detailSeq;
    try {
      const [c, evidence] = await Promise.all([api(`/cases/${id}`), api(`/cases/${id}/evidence`).catch(() => ({ items: [] }))]);
      if (my !== detailSeq) return;
      cases.set(c.id, c);
      showDetail(c, evidence);
      if (window.matchMedia('(max-width: 760px)').matches) detail.scrollIntoView({ block: 'start' });
    } catch (err) {
      if (my === detailSeq) replace(detail, h('p', { class: 'form-error', role: 'alert' }, /** @type {Error} */ (err).message));
    }
  }

  /**
   * @param {CaseView} c
   * @param {unknown} evidence the evidence view (or a bare list of items)
   */
  function showDetail(c, evidence) {
    replace(
      detail,
      h(
        'header',
        { class: 'review-head' },
        h('h2', {}, categoryName(c.category), c.occurrenceCount > 1 ? h('span', { class: 'count' }, `×${c.occurrenceCount}`) : null),
        h('p', { class: 'badges' }, severityBadge(c.severity), ' ', statusBadge(c.status), ' ', deadlineBadge(c)),
        h('p', { class: 'muted' }, `${c.caseNumber} · ${whereOf(c)} · ${fmtTime(c.lastSeenAt)}`),
        h('a', { href: `#/cases/${c.id}`, class: 'link-strong' }, `${t('console.openCase')} →`),
      ),
      h('h3', {}, t('case.actions')),
      actionsPanel(c, {
        onDone: (updated) => {
          cases.set(updated.id, updated);
          draw();
          void choose(updated.id);
        },
      }),
      h('h3', {}, t('case.evidence')),
      liveEvidence(c, evidence),
      h('h3', {}, t('case.explanation')),
      explanation(c),
      h('h3', {}, t('case.deviceReview')),
      deviceBox(c),
    );
  }

  const off = onAlert((alert) => {
    if (alert.type === 'resync') return void load();
    const c = alert.case;
    if (!c) return;
    const known = cases.get(c.id);
    // The stream's case has no allowedActions for this user: keep the ones we have until reloaded.
    cases.set(c.id, { ...known, ...c, allowedActions: known?.allowedActions });
    if (alert.type === 'case.opened' || !known) fresh.set(c.id, Date.now());
    if (!known) total += 1;
    draw();
    // Re-render the review panel only when the step changed (not while someone types a reason).
    if (c.id === selectedId && known?.status !== c.status) void choose(c.id);
  });
  const ticker = setInterval(draw, 30_000);

  await load();
  return () => {
    off();
    clearInterval(ticker);
    cancelAnimationFrame(frame);
  };
}
