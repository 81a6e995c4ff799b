// Township team workspace: this township's cases (the API scopes them). By default only the work in the team's
// hands (to accept, in progress), overdue and followed-up first; filters by status, deadline and category, and a
// search. Newly dispatched cases and 督办 / 催办 from the centre arrive over the live stream with a cue.
import { api, query } from '../api.js';
import { h, replace, toast, nextId } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import { categoryName, categories, townshipName, whereOf, unitName } from '../district.js';
import { CLOSED, statusBadge, severityBadge, deadlineBadge, deadlineOf, actionsPanel } from './common.js';
import { followUpItem } from './follow-up-panel.js';

/** @typedef {import('../api.js').CaseView} CaseView */
/** @typedef {import('../server-constants.js').CaseStatus} CaseStatus */
/** @typedef {import('./follow-up-panel.js').FollowUp} FollowUp */

/**
 * Where the handling unit holds the case: to accept, in hand, reported back (awaiting the centre's check).
 * @type {readonly CaseStatus[]}
 */
const HELD_BY_UNIT = ['dispatched', 'in_progress', 'reported'];
/**
 * In the team's hands: what it has to act on now.
 * @type {readonly CaseStatus[]}
 */
const IN_HAND = ['dispatched', 'in_progress'];
/**
 * Where the centre has still to review or dispatch.
 * @type {readonly CaseStatus[]}
 */
const WITH_CENTRE = ['detected', 'registered'];

/** The status filter's choices: `actionable` (the default) is the team's own work: to accept, in hand, reported back. */
const STATUS_FILTERS = ['actionable', 'open', 'dispatched', 'in_progress', 'reported', 'with-centre', 'closed', 'all'];
const DEADLINE_FILTERS = ['', 'overdue', 'due-soon', 'on-track', 'none'];

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').ViewContext} ctx
 */
export async function render(main, _params, { user, onAlert, setTitle, chime }) {
  const title = user.townshipCode ? t('workspace.title', { township: townshipName(user.townshipCode) }) : t('workspace.titleAny');
  setTitle(title);
  /** @type {Map<string, CaseView>} */
  const cases = new Map();
  /** Unseen 督办 / 催办 per case, newest first. @type {Map<string, FollowUp[]>} */
  const followUps = new Map();
  /** Cases dispatched to the team while the page was open, not yet taken in hand. @type {Set<string>} */
  const fresh = new Set();
  /** @type {Map<string, HTMLLIElement>} */
  let cards = new Map();
  const filter = { status: 'actionable', deadline: '', category: '', q: '' };

  /** The team's own case: no unit on the officer's account means the township's team (the API scoped the township). */
  /** @param {CaseView} c */
  const ours = (c) => !user.unitCode || c.handlingUnit === user.unitCode;

  const stats = h('ul', { class: 'stats', 'aria-label': title });
  const list = h('ul', { class: 'work-list', role: 'list' });
  const summary = h('p', { class: 'muted work-summary', 'aria-live': 'polite' });
  const freshNote = h('p', { class: 'fresh-note', role: 'status', hidden: true });

  /**
   * @param {string} key i18n key of the label
   * @param {HTMLSelectElement | HTMLInputElement} control
   */
  const field = (key, control) => h('div', { class: 'field' }, h('label', { for: control.id }, t(key)), control);
  const statusSelect = h(
    'select',
    { id: nextId('ws-status') },
    STATUS_FILTERS.map((s) => h('option', { value: s }, t(`workspace.filter.status.${s}`))),
  );
  const deadlineSelect = h(
    'select',
    { id: nextId('ws-deadline') },
    DEADLINE_FILTERS.map((d) => h('option', { value: d }, t(`workspace.filter.deadline.${d || 'any'}`))),
  );
  const categorySelect = h(
    'select',
    { id: nextId('ws-category') },
    h('option', { value: '' }, t('workspace.filter.anyCategory')),
    categories().map((c) => h('option', { value: c.code }, categoryName(c))),
  );
  const search = h('input', { type: 'search', id: nextId('ws-q'), placeholder: t('workspace.searchPlaceholder'), autocomplete: 'off' });
  statusSelect.addEventListener('change', () => ((filter.status = statusSelect.value), draw()));
  deadlineSelect.addEventListener('change', () => ((filter.deadline = deadlineSelect.value), draw()));
  categorySelect.addEventListener('change', () => ((filter.category = categorySelect.value), draw()));
  search.addEventListener('input', () => ((filter.q = search.value.trim().toLowerCase()), draw()));

  main.append(
    h(
      'section',
      { class: 'page workspace' },
      h('header', { class: 'page-head' }, h('h1', {}, title), h('p', { class: 'muted' }, t('workspace.sorted'))),
      stats,
      freshNote,
      h(
        'form',
        { class: 'work-filters', role: 'search', 'aria-label': t('workspace.filters'), onSubmit: (/** @type {Event} */ e) => e.preventDefault() },
        field('workspace.filter.status', statusSelect),
        field('workspace.filter.deadline', deadlineSelect),
        field('workspace.filter.category', categorySelect),
        field('workspace.search', search),
      ),
      summary,
      list,
    ),
  );

  /** @param {CaseView} c */
  const unseen = (c) => followUps.get(c.id) ?? [];

  // Followed-up and overdue work in the team's hands first, by deadline; then what others hold or the centre has
  // still to dispatch; closed last.
  /** @type {(c: CaseView) => [group: number, due: number]} */
  const rank = (c) => {
    const d = deadlineOf(c);
    const mine = ours(c) && HELD_BY_UNIT.includes(c.status);
    const urgent = d.state === 'overdue' || unseen(c).length > 0 || fresh.has(c.id);
    const group = CLOSED.includes(c.status) ? 3 : mine ? (urgent ? 0 : 1) : 2;
    return [group, d.dueAt ? new Date(d.dueAt).getTime() : Infinity];
  };
  /** @type {(a: CaseView, b: CaseView) => number} */
  const byDeadline = (a, b) => {
    const [ra, da] = rank(a);
    const [rb, db] = rank(b);
    return ra - rb || da - db || (a.createdAt < b.createdAt ? 1 : -1);
  };

  /** @param {CaseView} c */
  function byStatus(c) {
    switch (filter.status) {
      case 'actionable':
        // Reported back stays in view (the team sees it through to the centre's check), unreviewed detections do not.
        return HELD_BY_UNIT.includes(c.status) && ours(c);
      case 'open':
        return !CLOSED.includes(c.status);
      case 'with-centre':
        return WITH_CENTRE.includes(c.status);
      case 'closed':
        return CLOSED.includes(c.status);
      case 'all':
        return true;
      default:
        return c.status === filter.status;
    }
  }

  /** @param {CaseView} c */
  function byDeadlineState(c) {
    if (!filter.deadline) return true;
    const state = deadlineOf(c).state;
    return filter.deadline === 'none' ? state === null : state === filter.deadline;
  }

  /** Case number, plate, category, place, unit and the result note: what an officer has in hand to look for. */
  /** @param {CaseView} c */
  function matches(c) {
    if (!filter.q) return true;
    const text = [c.caseNumber, c.explanation?.plate, categoryName(c.category), whereOf(c), c.handlingUnit && unitName(c.handlingUnit), c.loop?.resultNote]
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
    return text.includes(filter.q);
  }

  /** @param {CaseView} c */
  function card(c) {
    const d = deadlineOf(c);
    const waiting = WITH_CENTRE.includes(c.status);
    const notes = unseen(c);
    return h(
      'li',
      {
        class: [
          'work-card',
          `sev-${c.severity}`,
          d.state === 'overdue' && 'overdue',
          CLOSED.includes(c.status) && 'done',
          notes.length > 0 && 'followed-up',
          fresh.has(c.id) && 'fresh',
        ],
        dataset: { id: c.id, number: c.caseNumber },
      },
      notes.length
        ? h(
            'ul',
            { class: 'follow-ups card-follow-ups', 'aria-label': t('followUp.title') },
            notes.map((f) => followUpItem(f, { canMarkSeen: true, onSeen: () => seen(c.id, f.id) })),
          )
        : null,
      h(
        'div',
        { class: 'work-head' },
        h(
          'h2',
          {},
          h('a', { href: `#/cases/${c.id}` }, categoryName(c.category)),
          c.occurrenceCount > 1 ? h('span', { class: 'count' }, `×${c.occurrenceCount}`) : null,
        ),
        h(
          'p',
          { class: 'badges' },
          fresh.has(c.id) ? h('span', { class: 'badge fresh-badge' }, t('workspace.freshBadge')) : null,
          ' ',
          d.state === 'overdue' ? h('span', { class: 'badge overdue-badge' }, t('case.overdue')) : null,
          ' ',
          statusBadge(c.status),
          ' ',
          severityBadge(c.severity),
        ),
      ),
      h('p', { class: 'work-deadline' }, deadlineBadge(c, { long: true })),
      h('p', { class: 'muted' }, `${c.caseNumber} · ${whereOf(c)} · ${fmtTime(c.lastSeenAt)}`),
      c.explanation?.plate ? h('p', { class: 'muted' }, `${t('workspace.plate')}: ${c.explanation.plate}`) : null,
      c.handlingUnit ? h('p', { class: 'muted' }, `${t('case.unit')}: ${unitName(c.handlingUnit)}`) : null,
      c.loop?.resultNote ? h('p', {}, `${t('case.result')}: ${c.loop.resultNote}`) : null,
      waiting ? h('p', { class: 'muted' }, t('workspace.waitingCentre')) : null,
      CLOSED.includes(c.status) || waiting ? null : actionsPanel(c, { compact: true, onDone: (updated) => refresh(updated.id, updated) }),
      h('p', {}, h('a', { href: `#/cases/${c.id}`, class: 'link-strong' }, `${t('workspace.details')} →`)),
    );
  }

  function draw() {
    const all = [...cases.values()];
    const visible = all
      .filter((c) => byStatus(c) && byDeadlineState(c) && (!filter.category || c.category.code === filter.category) && matches(c))
      .sort(byDeadline);
    // The figures are about what this team holds.
    const mine = all.filter(ours);
    /** @param {(c: CaseView) => boolean} pred */
    const count = (pred) => mine.filter(pred).length;
    replace(
      stats,
      /** @type {[key: string, n: number, cls: string][]} */ ([
        ['workspace.toAccept', count((c) => c.status === 'dispatched'), 'stat-accept'],
        ['workspace.inProgress', count((c) => c.status === 'in_progress'), 'stat-progress'],
        ['workspace.reported', count((c) => c.status === 'reported'), 'stat-reported'],
        ['workspace.overdue', count((c) => deadlineOf(c).state === 'overdue'), 'stat-overdue'],
        ['workspace.followedUp', [...followUps.keys()].filter((id) => cases.has(id)).length, 'stat-followed-up'],
      ]).map(([key, n, cls]) =>
        h(
          'li',
          { class: ['stat', cls, (cls === 'stat-overdue' || cls === 'stat-followed-up') && n > 0 && 'alarm'] },
          h('span', { class: 'stat-n' }, String(n)),
          h('span', { class: 'stat-label' }, t(key)),
        ),
      ),
    );
    summary.textContent = t('workspace.showing', { n: String(visible.length), total: String(all.length) });
    freshNote.hidden = fresh.size === 0;
    freshNote.textContent = t('workspace.freshNote', { n: String(fresh.size) });
    // Cards are kept while their case is unchanged, so a form being filled in survives live updates.
    const keep = new Map();
    replace(
      list,
      visible.length
        ? visible.map((c) => {
            const key = `${c.id}:${c.updatedAt}:${c.status}:${deadlineOf(c).state}:${fresh.has(c.id)}:${unseen(c)
              .map((f) => f.id)
              .join(',')}`;
            const el = cards.get(key) ?? card(c);
            keep.set(key, el);
            replace(/** @type {HTMLElement} */ (el.querySelector('.work-deadline')), deadlineBadge(c, { long: true }));
            return el;
          })
        : h(
            'li',
            { class: 'empty muted' },
            all.length === 0
              ? t('workspace.empty')
              : filter.status === 'actionable' && !filter.q
                ? t('workspace.emptyActionable')
                : t('workspace.emptyFiltered'),
          ),
    );
    cards = keep;
  }

  async function load() {
    const [res, open] = await Promise.all([api(`/cases${query({ limit: 500 })}`), api('/follow-ups').catch(() => ({ items: [] }))]);
    cases.clear();
    for (const c of res.items) cases.set(c.id, c);
    followUps.clear();
    for (const f of /** @type {FollowUp[]} */ (open.items)) if (!f.seen) followUps.set(f.caseId, [...(followUps.get(f.caseId) ?? []), f]);
    draw();
  }

  /**
   * Newly in the team's hands: a tone, a note on top and the card marked until it is accepted. Told by what the page
   * knew of the case before, from whichever comes first: the dispatch's alert, or the fetch an earlier alert started.
   * Registered and dispatched in quick succession, the fetch after the registration's alert may already bring the
   * dispatched case, and the dispatch's alert then finds nothing new.
   * @param {CaseView} c
   * @param {CaseView | undefined} before
   */
  function cueIfNewlyDispatched(c, before) {
    if (c.status !== 'dispatched' || before?.status === 'dispatched' || !ours(c) || fresh.has(c.id)) return;
    fresh.add(c.id);
    toast(t('workspace.newCase', { number: c.caseNumber }), 'info');
    chime();
  }

  /**
   * @param {string} caseId
   * @param {string} followUpId
   */
  function seen(caseId, followUpId) {
    const rest = unseen(/** @type {CaseView} */ ({ id: caseId })).filter((f) => f.id !== followUpId);
    if (rest.length) followUps.set(caseId, rest);
    else followUps.delete(caseId);
    draw();
  }

  /**
   * @param {string} id
   * @param {CaseView} [known]
   */
  async function refresh(id, known) {
    try {
      /** @type {CaseView} */
      const c = known?.allowedActions ? known : await api(`/cases/${id}`);
      const before = cases.get(c.id);
      cases.set(c.id, c);
      cueIfNewlyDispatched(c, before);
      if (c.status !== 'dispatched') fresh.delete(c.id);
      if (!IN_HAND.includes(c.status)) followUps.delete(c.id);
    } catch (err) {
      if (/** @type {import('../api.js').ApiError} */ (err).status === 404) {
        cases.delete(id); // transferred away: no longer ours to see
        fresh.delete(id);
        followUps.delete(id);
      }
    }
    draw();
  }

  const off = onAlert((alert) => {
    if (alert.type === 'resync') return void load();
    const c = alert.case;
    if (!c) return;
    if (alert.type === 'case.follow-up') {
      const f = /** @type {{ followUp: FollowUp & { by: { id: string, name: string, role: string } } }} */ (/** @type {unknown} */ (alert)).followUp;
      /** @type {FollowUp} */
      const item = { ...f, caseId: c.id, caseNumber: c.caseNumber, handlingUnit: c.handlingUnit ?? null, seen: null };
      followUps.set(c.id, [item, ...unseen(c).filter((x) => x.id !== item.id)]);
      toast(t('workspace.followUpArrived', { kind: t(`followUp.kind.${f.kind}`), number: c.caseNumber }), 'warn');
      chime();
      return void refresh(c.id);
    }
    if (alert.type === 'case.assigned') return;
    const known = cases.get(c.id);
    if (known && known.updatedAt === c.updatedAt) return;
    cueIfNewlyDispatched(c, known);
    // The stream carries the case without this user's allowed actions: fetch it.
    void refresh(c.id);
  });
  const ticker = setInterval(draw, 60_000);
  await load();
  return () => {
    off();
    clearInterval(ticker);
  };
}
