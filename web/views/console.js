// Operator console: live map and list of alerts (SSE), filters, search, the review queue and one-click actions.
// Built for a shift with thousands of open cases and a busy stream: the server pages, sorts, filters and
// counts; the list is virtualised (only the rows in view exist); an alert patches its own row and marker
// and never rebuilds the list, so scroll position and keyboard focus stay where the reader left them.
import { api, errorText, query, session } from '../api.js';
import { h, replace, nextId } from '../dom.js';
import { t, label, fmtAgo, fmtTime } from '../i18n.js';
import { categories, townships, townshipName, categoryName, whereOf, units, unitName } from '../district.js';
import { createMap } from '../map.js';
import { OPEN, statusBadge, severityBadge, deadlineBadge, liveEvidence, explanation, deviceBox, actionsPanel } from './common.js';
import { OPEN_CASE_STATUSES, CLOSED_CASE_STATUSES } from '../server-constants.js';

/** @typedef {import('../api.js').CaseView & { deadlineState?: 'on-track' | 'due-soon' | 'overdue' | null }} CaseView */
/** @typedef {{ open: number, awaitingReview: number, overdue: number, dueSoon: number }} Summary */

const SOURCES = ['cloudpatrol', 'frigate', 'hikvision', 'dji', 'drone-upload', 'fire', 'police', 'emergency'];
/** The status filter's choices: the loop's order, the ended ones last (closed before rejected). */
const STATUSES = [...OPEN_CASE_STATUSES, ...[...CLOSED_CASE_STATUSES].reverse()];
const SORTS = ['created', 'deadline', 'severity', 'last-seen'];
const FRESH_MS = 15_000;
/** Every row has this height (px): the list can then place any row without measuring the others. */
const ROW_H = 64;
/** Rows drawn above and below the visible ones, so a quick scroll does not show blanks. */
const OVERSCAN = 6;
/** Rows per request; the first two pages also feed the map. */
const PAGE = 250;
/** After alerts, the counts are fetched again at most this often (they come from the server, exact). */
const COUNTS_EVERY_MS = 2_000;
/** The map is redrawn at most this often under a stream (its markers are clustered, not one per case). */
const MAP_EVERY_MS = 1_000;
/** Drones' live positions (their osd track's last point) are asked this often; the device list once a minute. */
const DRONES_EVERY_MS = 3_000;
/** A drone whose last osd point is older than this is not flying (not drawn). */
const DRONE_STALE_MS = 30_000;
/** Who may read devices and their tracks (the API says the same). */
const DEVICE_READERS = ['operator', 'supervisor', 'admin'];

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').ViewContext} ctx
 */
export async function render(main, _params, { onAlert, setTitle, soundOn, setSound }) {
  setTitle(t('console.title'));
  const saved = JSON.parse(sessionStorage.getItem('cp.console.filters') ?? '{}');
  /** @type {Record<'township' | 'category' | 'source' | 'status' | 'team' | 'deadline' | 'sort' | 'q', string>} */
  const filters = { township: '', category: '', source: '', status: 'open', team: '', deadline: '', sort: 'created', q: '', ...saved };
  /** Case views by id (the loaded pages and the stream's cases). */
  /** @type {Map<string, CaseView>} */
  const byId = new Map();
  /** The ids in the server's order; holes are rows not loaded yet. */
  /** @type {(string | undefined)[]} */
  let order = [];
  /** @type {Set<number>} */
  const pagesAsked = new Set();
  let total = 0;
  /** Bumped when the filters change: answers to older requests are dropped. */
  let generation = 0;
  /** @type {Map<string, number>} */
  const fresh = new Map();
  /** @type {string | null} */
  let selectedId = null;

  /** Whether a case fits the filters the console can judge itself (a new case is put on top only then). */
  /** @param {CaseView} c */
  const matches = (c) =>
    (!filters.township || c.townshipCode === filters.township) &&
    (!filters.category || c.category?.code === filters.category) &&
    (!filters.source || c.explanation?.source === filters.source) &&
    (!filters.team || c.handlingUnit === filters.team) &&
    (!filters.status || (filters.status === 'open' ? OPEN.includes(c.status) : c.status === filters.status));
  /** New cases go on top only when the list is newest first and not narrowed by what only the server knows. */
  const insertsOnTop = () => filters.sort === 'created' && !filters.q && !filters.deadline;

  const saveFilters = () => sessionStorage.setItem('cp.console.filters', JSON.stringify(filters));

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
      saveFilters();
      reviewButton.setAttribute('aria-pressed', String(filters.status === 'detected'));
      overdueButton.setAttribute('aria-pressed', String(filters.deadline === 'overdue'));
      void load();
    });
    return h('div', { class: 'field field-inline' }, h('label', { for: id }, labelText), el);
  };
  const statusSelect = select('status', t('console.status'), [
    ['', t('console.all')],
    ['open', t('console.open')],
    ...STATUSES.map((s) => [s, label('status', s)]),
  ]);
  const deadlineSelect = select('deadline', t('console.deadline'), [
    ['', t('console.all')],
    ['overdue', t('console.overdue')],
    ['due-soon', t('console.dueSoon')],
  ]);
  /**
   * A toggle for one filter value, with the server's count beside it.
   * @param {'status' | 'deadline'} name
   * @param {string} value
   * @param {string} off
   * @param {string} text
   * @param {HTMLElement} count
   * @param {string} cls
   */
  const toggle = (name, value, off, text, count, cls) => {
    const button = h('button', { type: 'button', class: ['btn', cls], 'aria-pressed': String(filters[name] === value) }, text, ' ', count);
    button.addEventListener('click', () => {
      filters[name] = filters[name] === value ? off : value;
      /** @type {HTMLSelectElement} */ ((name === 'status' ? statusSelect : deadlineSelect).querySelector('select')).value = filters[name];
      button.setAttribute('aria-pressed', String(filters[name] === value));
      saveFilters();
      void load();
    });
    return button;
  };
  const reviewCount = h('span', { class: 'count-pill', dataset: { count: 'review' } }, '0');
  const overdueCount = h('span', { class: 'count-pill', dataset: { count: 'overdue' } }, '0');
  const reviewButton = toggle('status', 'detected', 'open', t('console.reviewQueue'), reviewCount, 'btn-review');
  const overdueButton = toggle('deadline', 'overdue', '', t('console.overdue'), overdueCount, 'btn-overdue');

  const searchId = nextId('q');
  const searchInput = h('input', { id: searchId, type: 'search', name: 'q', value: filters.q, placeholder: t('console.searchHint'), autocomplete: 'off' });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let searchTimer;
  searchInput.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      filters.q = searchInput.value.trim();
      saveFilters();
      void load();
    }, 250);
  });

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
    h('div', { class: 'field field-inline' }, h('label', { for: searchId }, t('console.search')), searchInput),
    select('township', t('console.township'), [['', t('console.all')], ...townships().map((tw) => [tw.code, townshipName(tw.code)])]),
    select('category', t('console.category'), [['', t('console.all')], ...categories().map((c) => [c.code, categoryName(c.code)])]),
    select('team', t('console.team'), [
      ['', t('console.all')],
      ...townships().map((tw) => [`township-team:${tw.code}`, `${townshipName(tw.code)} ${t('console.townshipTeam')}`]),
      ...units().map((u) => [u.code, unitName(u.code)]),
    ]),
    select('source', t('console.source'), [['', t('console.all')], ...SOURCES.map((s) => [s, label('source', s)])]),
    statusSelect,
    deadlineSelect,
    select(
      'sort',
      t('console.sort'),
      SORTS.map((s) => [s, t(`console.sort.${s}`)]),
    ),
    reviewButton,
    overdueButton,
    soundButton,
  );
  filterBar.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(searchTimer);
    filters.q = searchInput.value.trim();
    saveFilters();
    void load();
  });

  // ---- map, list, review panel ----
  const map = createMap({ label: t('console.map'), onSelect: (id) => choose(id) });
  const listTitle = h('h2', { id: 'alerts-title' }, t('console.alerts'));
  const listCount = h('span', { class: 'muted', 'aria-live': 'polite', dataset: { count: 'total' } });
  const list = h('ul', { class: 'alert-list virtual', 'aria-labelledby': 'alerts-title', 'aria-busy': 'true' });
  const scroller = h('div', { class: 'alert-scroll' }, list);
  const empty = h('p', { class: 'empty muted', hidden: true }, t('console.empty'));
  const detail = h('div', { class: 'review', tabindex: '-1' }, h('p', { class: 'muted placeholder' }, t('console.select')));
  // The list panel is a column: its head stays, the rows scroll inside their own box.
  const listPanel = h(
    'section',
    { class: 'panel list-panel', 'aria-labelledby': 'alerts-title' },
    h('div', { class: 'panel-head' }, listTitle, listCount),
    empty,
    scroller,
  );
  Object.assign(listPanel.style, { display: 'flex', flexDirection: 'column', overflow: 'hidden' });
  Object.assign(scroller.style, { flex: '1', minHeight: '0', overflowY: 'auto', overflowAnchor: 'none', position: 'relative' });
  Object.assign(list.style, { position: 'relative', margin: '0' });
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
        listPanel,
        h('section', { class: 'panel review-panel', 'aria-label': t('console.reviewQueue') }, detail),
      ),
    ),
  );

  // ---- the virtual list: only the rows in view are in the document, each keyed by its case ----
  /** @type {Map<string, { li: HTMLLIElement, button: HTMLButtonElement, index: number, drawn: string }>} */
  const rendered = new Map();

  /** What a row shows depends on these; a row is redrawn only when they change. */
  /** @param {CaseView} c */
  const versionOf = (c) =>
    `${c.updatedAt}|${c.status}|${c.occurrenceCount}|${c.deadlineState ?? ''}|${c.id === selectedId}|${fresh.has(c.id)}|${Math.floor(Date.now() / 60_000)}`;

  /** @param {CaseView} c */
  const rowContent = (c) => [
    h('span', { class: 'sev-bar', 'aria-hidden': 'true' }),
    h(
      'span',
      { class: 'row-main' },
      h(
        'span',
        { class: 'row-title' },
        h('strong', {}, categoryName(c.category)),
        c.occurrenceCount > 1 ? h('span', { class: 'count', title: t('console.occurrences', { n: c.occurrenceCount }) }, `×${c.occurrenceCount}`) : null,
        fresh.has(c.id) ? h('span', { class: 'badge new' }, t('console.new')) : null,
        rowDeadline(c),
      ),
      h('small', { class: 'row-sub' }, `${c.caseNumber} · ${whereOf(c)}`),
    ),
    h('span', { class: 'row-side' }, statusBadge(c.status), h('small', { class: 'muted', title: fmtTime(c.createdAt) }, fmtAgo(c.createdAt))),
  ];

  /** The deadline as a row shows it: only when it asks for attention (due soon or late). */
  /** @param {CaseView} c */
  const rowDeadline = (c) => {
    const state = c.deadlineState;
    if (state !== 'overdue' && state !== 'due-soon') return null;
    const badge = deadlineBadge({ ...c, loop: c.loop && { ...c.loop, deadline: c.loop.deadline && { ...c.loop.deadline, state } } });
    return badge ? h('span', { class: ['row-deadline', `row-${state}`], dataset: { deadline: state } }, badge) : null;
  };

  /**
   * @param {HTMLButtonElement} button
   * @param {CaseView} c
   */
  const paintRow = (button, c) => {
    button.className = [
      'alert-row',
      `sev-${c.severity}`,
      c.id === selectedId && 'selected',
      fresh.has(c.id) && 'fresh',
      c.deadlineState === 'overdue' && 'late',
    ]
      .filter(Boolean)
      .join(' ');
    button.setAttribute('aria-pressed', String(c.id === selectedId));
    button.dataset.number = c.caseNumber;
    replace(button, ...rowContent(c));
  };

  /**
   * @param {CaseView} c
   * @param {number} index
   */
  const makeRow = (c, index) => {
    const button = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', dataset: { id: c.id } }));
    button.addEventListener('click', () => choose(/** @type {string} */ (button.dataset.id)));
    const li = /** @type {HTMLLIElement} */ (h('li', { dataset: { index: String(index) } }, button));
    Object.assign(li.style, { position: 'absolute', left: '0', right: '0', top: '0', height: `${ROW_H - 4}px`, margin: '0' });
    paintRow(button, c);
    return { li, button, index, drawn: versionOf(c) };
  };

  let frame = 0;
  const draw = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      drawWindow();
    });
  };

  function drawWindow() {
    const now = Date.now();
    for (const [id, at] of fresh) if (now - at > FRESH_MS) fresh.delete(id);
    list.style.height = `${total * ROW_H}px`;
    list.setAttribute('aria-rowcount', String(total));
    empty.hidden = total > 0 || list.getAttribute('aria-busy') === 'true';
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_H) - OVERSCAN);
    const last = Math.min(total, Math.ceil((scroller.scrollTop + (scroller.clientHeight || 600)) / ROW_H) + OVERSCAN);
    /** @type {Map<string, number>} */
    const want = new Map();
    for (let i = first; i < last; i++) {
      const id = order[i];
      if (id === undefined) askPage(Math.floor(i / PAGE));
      else want.set(id, i);
    }
    // The focused row stays in the document even when scrolled out of view: keyboard focus is never lost.
    const focusedId = /** @type {HTMLElement | null} */ (document.activeElement)?.closest?.('.alert-row')?.getAttribute('data-id');
    if (focusedId && !want.has(focusedId)) {
      const index = order.indexOf(focusedId);
      if (index >= 0) want.set(focusedId, index);
    }
    for (const [id, row] of rendered) {
      if (!want.has(id)) {
        row.li.remove();
        rendered.delete(id);
      }
    }
    for (const [id, index] of want) {
      const c = byId.get(id);
      if (!c) continue;
      let row = rendered.get(id);
      if (!row) {
        row = makeRow(c, index);
        rendered.set(id, row);
        list.append(row.li);
      } else {
        const version = versionOf(c);
        if (version !== row.drawn) {
          paintRow(row.button, c);
          row.drawn = version;
        }
      }
      if (row.index !== index || !row.li.style.transform) {
        row.index = index;
        row.li.dataset.index = String(index);
        row.li.style.transform = `translateY(${index * ROW_H}px)`;
      }
      row.li.setAttribute('aria-posinset', String(index + 1));
      row.li.setAttribute('aria-setsize', String(total));
    }
  }
  scroller.addEventListener('scroll', draw, { passive: true });
  new ResizeObserver(draw).observe(scroller);

  // Arrow keys move along the list (the keyboard path; the map's markers are not tab stops).
  scroller.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Home' && e.key !== 'End') return;
    const id = /** @type {HTMLElement} */ (e.target).closest?.('.alert-row')?.getAttribute('data-id');
    const from = id ? order.indexOf(id) : -1;
    const to = e.key === 'Home' ? 0 : e.key === 'End' ? total - 1 : Math.max(0, Math.min(total - 1, from + (e.key === 'ArrowDown' ? 1 : -1)));
    e.preventDefault();
    const top = to * ROW_H;
    if (top < scroller.scrollTop) scroller.scrollTop = top;
    else if (top + ROW_H > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = top + ROW_H - scroller.clientHeight;
    drawWindow();
    const target = order[to];
    if (target) rendered.get(target)?.button.focus();
  });

  // ---- loading: pages on demand, counts from the server ----
  const listQuery = (/** @type {Record<string, unknown>} */ extra) =>
    query({
      status: filters.status,
      category: filters.category,
      township: filters.township,
      team: filters.team,
      source: filters.source,
      deadline: filters.deadline,
      q: filters.q,
      sort: filters.sort,
      ...extra,
    });

  /** @param {{ total: number, summary?: Summary }} res */
  const showCounts = (res) => {
    total = res.total;
    listCount.textContent = t('console.count', { n: res.total });
    if (res.summary) {
      reviewCount.textContent = String(res.summary.awaitingReview);
      overdueCount.textContent = String(res.summary.overdue);
      overdueButton.classList.toggle('has-late', res.summary.overdue > 0);
    }
  };

  /** @param {number} page */
  function askPage(page) {
    if (pagesAsked.has(page) || page * PAGE >= total) return;
    pagesAsked.add(page);
    const my = generation;
    void api(`/cases${listQuery({ limit: PAGE, offset: page * PAGE })}`).then(
      (/** @type {{ items: CaseView[], total: number, summary: Summary }} */ res) => {
        if (my !== generation) return;
        res.items.forEach((c, i) => {
          // A case the stream already brought keeps its newer state.
          const known = byId.get(c.id);
          if (!known || known.updatedAt <= c.updatedAt) byId.set(c.id, c);
          order[page * PAGE + i] = c.id;
        });
        showCounts(res);
        draw();
        scheduleMap();
      },
      () => pagesAsked.delete(page),
    );
  }

  async function load() {
    const my = ++generation;
    list.setAttribute('aria-busy', 'true');
    const res = /** @type {{ items: CaseView[], total: number, summary: Summary }} */ (await api(`/cases${listQuery({ limit: PAGE, offset: 0 })}`));
    if (my !== generation) return;
    byId.clear();
    for (const row of rendered.values()) row.li.remove();
    rendered.clear();
    pagesAsked.clear();
    pagesAsked.add(0);
    order = res.items.map((c) => c.id);
    for (const c of res.items) byId.set(c.id, c);
    scroller.scrollTop = 0;
    showCounts(res);
    list.setAttribute('aria-busy', 'false');
    drawWindow();
    // The map shows the first two pages (the 500 most pressing by the chosen sort) and what the stream brings.
    askPage(1);
    drawMap();
  }

  /** @param {string} id a case that no longer fits the filters */
  function leaveList(id) {
    const at = order.indexOf(id);
    if (at < 0) return;
    order.splice(at, 1);
    total = Math.max(0, total - 1);
    listCount.textContent = t('console.count', { n: total });
    // Rows below moved up one: a reader who scrolled keeps the same rows in view.
    if (scroller.scrollTop > at * ROW_H) scroller.scrollTop = Math.max(0, scroller.scrollTop - ROW_H);
    // Off the map too, unless the review panel shows it.
    if (id !== selectedId) byId.delete(id);
  }

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let countsTimer;
  const scheduleCounts = () => {
    countsTimer ??= setTimeout(async () => {
      const my = generation;
      try {
        const res = /** @type {{ items: CaseView[], total: number, summary: Summary }} */ (await api(`/cases${listQuery({ limit: 1, offset: 0 })}`));
        if (my === generation) {
          showCounts(res);
          draw();
        }
      } finally {
        countsTimer = undefined;
      }
    }, COUNTS_EVERY_MS);
  };

  let mapDrawnAt = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let mapTimer;
  const drawMap = () => {
    mapDrawnAt = Date.now();
    map.setCases([...byId.values()], { selectedId, freshIds: new Set(fresh.keys()) });
  };
  const scheduleMap = () => {
    if (mapTimer) return;
    mapTimer = setTimeout(
      () => {
        mapTimer = undefined;
        drawMap();
      },
      Math.max(0, MAP_EVERY_MS - (Date.now() - mapDrawnAt)),
    );
  };

  let detailSeq = 0;
  /** @param {string} id */
  async function choose(id) {
    const before = selectedId;
    selectedId = id;
    // The case shown until now may have left the list (rejected under "open"): then it leaves the map as well.
    if (before && before !== id && !order.includes(before)) byId.delete(before);
    map.select(id);
    for (const c of [before, id]) {
      const row = c ? rendered.get(c) : undefined;
      const view = c ? byId.get(c) : undefined;
      if (row && view) {
        paintRow(row.button, view);
        row.drawn = versionOf(view);
      }
    }
    const my = ++detailSeq;
    detail.setAttribute('aria-busy', 'true');
    // The list's copy (kept current by the stream, with the caller's actions) shows at once; the fresh case
    // and its evidence follow from the server.
    const cached = byId.get(id);
    const early = cached?.allowedActions ? cached : null;
    if (early) showDetail(early, null);
    try {
      const [c, evidence] = await Promise.all([api(`/cases/${id}`), api(`/cases/${id}/evidence`).catch(() => ({ items: [] }))]);
      if (my !== detailSeq) return;
      byId.set(c.id, c);
      // Unchanged since the list's copy: only the evidence is filled in (the form someone may be typing in stays).
      const slot = detail.querySelector('[data-slot="evidence"]');
      const head = /** @type {HTMLElement | null} */ (detail.querySelector('.review-head'));
      if (early && slot && head && early.updatedAt === c.updatedAt && early.status === c.status && String(early.allowedActions) === String(c.allowedActions)) {
        slot.replaceWith(liveEvidence(c, evidence));
        head.dataset.complete = 'true';
      } else showDetail(c, evidence);
      draw();
      if (window.matchMedia('(max-width: 760px)').matches) detail.scrollIntoView({ block: 'start' });
    } catch (err) {
      if (my === detailSeq) replace(detail, h('p', { class: 'form-error', role: 'alert' }, errorText(err)));
    } finally {
      if (my === detailSeq) detail.setAttribute('aria-busy', 'false');
    }
  }

  /**
   * @param {CaseView} c
   * @param {unknown} evidence the evidence view (or a bare list of items); null while it is on its way
   */
  function showDetail(c, evidence) {
    replace(
      detail,
      h(
        'header',
        { class: 'review-head', dataset: { id: c.id, complete: String(evidence !== null) } },
        h('h2', {}, categoryName(c.category), c.occurrenceCount > 1 ? h('span', { class: 'count' }, `×${c.occurrenceCount}`) : null),
        h('p', { class: 'badges' }, severityBadge(c.severity), ' ', statusBadge(c.status), ' ', deadlineBadge(c)),
        h('p', { class: 'muted' }, `${c.caseNumber} · ${whereOf(c)} · ${fmtTime(c.lastSeenAt)}`),
        h('a', { href: `#/cases/${c.id}`, class: 'link-strong' }, `${t('console.openCase')} →`),
      ),
      h('h3', {}, t('case.actions')),
      actionsPanel(c, {
        onDone: (updated) => {
          byId.set(updated.id, updated);
          draw();
          scheduleMap();
          scheduleCounts();
          void choose(updated.id);
        },
      }),
      h('h3', {}, t('case.evidence')),
      evidence === null ? h('p', { class: 'muted', 'aria-busy': 'true', dataset: { slot: 'evidence' } }, t('app.loading')) : liveEvidence(c, evidence),
      h('h3', {}, t('case.explanation')),
      explanation(c),
      h('h3', {}, t('case.deviceReview')),
      deviceBox(c),
    );
  }

  // ---- drones in the air: their last osd point on the map ----
  /** @type {{ id: string, name: string }[]} */
  let drones = [];
  let dronesListedAt = 0;
  const pollDrones = async () => {
    if (!DEVICE_READERS.includes(session.user?.role ?? '')) return;
    try {
      if (Date.now() - dronesListedAt > 60_000) {
        const res = /** @type {{ items: { id: string, name: string, kind: string, status: string }[] }} */ (await api('/devices'));
        drones = res.items.filter((d) => (d.kind === 'drone' || d.kind === 'dock') && d.status === 'active').slice(0, 20);
        dronesListedAt = Date.now();
      }
      const from = new Date(Date.now() - DRONE_STALE_MS).toISOString();
      const tracks = await Promise.all(
        drones.map((d) =>
          api(`/devices/${encodeURIComponent(d.id)}/track${query({ from })}`)
            .then((/** @type {{ points: { at: string, lat: number, lng: number, heading: number | null }[] }} */ r) => {
              const last = r.points[r.points.length - 1];
              return last ? { id: d.id, name: d.name, lat: last.lat, lng: last.lng, heading: last.heading, at: last.at } : null;
            })
            .catch(() => null),
        ),
      );
      map.setDrones(tracks.filter((x) => x !== null));
    } catch {
      // The map keeps its last positions; the next poll tries again.
    }
  };
  void pollDrones();
  const droneTicker = setInterval(() => void pollDrones(), DRONES_EVERY_MS);

  const off = onAlert((alert) => {
    if (alert.type === 'resync') return void load();
    const c = /** @type {CaseView | undefined} */ (alert.case);
    if (!c) return;
    const known = byId.get(c.id);
    if (known) {
      // Patch this case only: its row (if drawn) and its marker. The stream's case has no allowedActions for
      // this user: keep the ones we have until reloaded.
      const updated = { ...known, ...c, deadlineState: c.deadlineState ?? known.deadlineState, allowedActions: known.allowedActions };
      byId.set(c.id, updated);
      if (alert.type === 'case.opened') fresh.set(c.id, Date.now());
      // Rejected or closed under "open" (or moved out of the chosen township, team…): it has left the server's list,
      // so it leaves this one too. Kept, the next count would be one short and cut off the last row, another case.
      if (!matches(updated)) leaveList(c.id);
    } else if (alert.type === 'case.opened' && insertsOnTop() && matches(c)) {
      byId.set(c.id, c);
      fresh.set(c.id, Date.now());
      // Newest first: alerts of one batch may arrive out of order, so it goes below any newer one near the top.
      let at = 0;
      while (at < Math.min(order.length, 50) && (byId.get(order[at] ?? '')?.createdAt ?? '') > c.createdAt) at++;
      order.splice(at, 0, c.id);
      total += 1;
      listCount.textContent = t('console.count', { n: total });
      // Rows below moved down one: a reader who scrolled keeps the same rows in view.
      if (scroller.scrollTop > at * ROW_H) scroller.scrollTop += ROW_H;
    }
    scheduleCounts();
    scheduleMap();
    draw();
    // Re-render the review panel only when the step changed (not while someone types a reason).
    if (c.id === selectedId && known?.status !== c.status) void choose(c.id);
  });
  const ticker = setInterval(draw, 30_000);

  await load();
  return () => {
    off();
    clearInterval(ticker);
    clearInterval(droneTicker);
    clearTimeout(countsTimer);
    clearTimeout(mapTimer);
    clearTimeout(searchTimer);
    cancelAnimationFrame(frame);
  };
}
