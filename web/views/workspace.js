// Township team workspace: only this township's cases (the API scopes them), by deadline, overdue first.
import { api, query } from '../api.js';
import { h, replace, toast, nextId } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import { categoryName, townshipName, whereOf, unitName } from '../district.js';
import { CLOSED, statusBadge, severityBadge, deadlineBadge, deadlineOf, actionsPanel } from './common.js';

/** @typedef {import('../api.js').CaseView} CaseView */
/** @typedef {import('../server-constants.js').CaseStatus} CaseStatus */

/**
 * Where the handling unit holds the case: to accept, in hand, reported back (awaiting the centre's check).
 * @type {readonly CaseStatus[]}
 */
const HELD_BY_UNIT = ['dispatched', 'in_progress', 'reported'];
/**
 * Where the centre has still to review or dispatch.
 * @type {readonly CaseStatus[]}
 */
const WITH_CENTRE = ['detected', 'registered'];

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').ViewContext} ctx
 */
export async function render(main, _params, { user, onAlert, setTitle }) {
  const title = user.townshipCode ? t('workspace.title', { township: townshipName(user.townshipCode) }) : t('workspace.titleAny');
  setTitle(title);
  let showClosed = false;
  /** @type {Map<string, CaseView>} */
  const cases = new Map();
  /** @type {Map<string, HTMLLIElement>} */
  let cards = new Map();
  const stats = h('ul', { class: 'stats', 'aria-label': title });
  const list = h('ul', { class: 'work-list', role: 'list' });
  const toggleId = nextId('closed');
  const toggle = h('input', { type: 'checkbox', id: toggleId });
  toggle.addEventListener('change', () => {
    showClosed = toggle.checked;
    draw();
  });
  main.append(
    h(
      'section',
      { class: 'page workspace' },
      h('header', { class: 'page-head' }, h('h1', {}, title), h('p', { class: 'muted' }, t('workspace.sorted'))),
      stats,
      h('div', { class: 'field field-check' }, toggle, h('label', { for: toggleId }, t('workspace.showClosed'))),
      list,
    ),
  );

  // What this team holds first, overdue on top, by deadline; then what others hold or the centre has
  // still to dispatch; closed last.
  /** @type {(c: CaseView) => [group: number, due: number]} */
  const rank = (c) => {
    const d = deadlineOf(c);
    const mine = c.handlingUnit === user.unitCode && HELD_BY_UNIT.includes(c.status);
    const group = CLOSED.includes(c.status) ? 3 : mine ? (d.state === 'overdue' ? 0 : 1) : 2;
    return [group, d.dueAt ? new Date(d.dueAt).getTime() : Infinity];
  };
  /** @type {(a: CaseView, b: CaseView) => number} */
  const byDeadline = (a, b) => {
    const [ra, da] = rank(a);
    const [rb, db] = rank(b);
    return ra - rb || da - db || (a.createdAt < b.createdAt ? 1 : -1);
  };

  /** @param {CaseView} c */
  function card(c) {
    const d = deadlineOf(c);
    const waiting = WITH_CENTRE.includes(c.status);
    return h(
      'li',
      {
        class: ['work-card', `sev-${c.severity}`, d.state === 'overdue' && 'overdue', CLOSED.includes(c.status) && 'done'],
        dataset: { id: c.id, number: c.caseNumber },
      },
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
          d.state === 'overdue' ? h('span', { class: 'badge overdue-badge' }, t('case.overdue')) : null,
          ' ',
          statusBadge(c.status),
          ' ',
          severityBadge(c.severity),
        ),
      ),
      h('p', { class: 'work-deadline' }, deadlineBadge(c, { long: true })),
      h('p', { class: 'muted' }, `${c.caseNumber} · ${whereOf(c)} · ${fmtTime(c.lastSeenAt)}`),
      c.handlingUnit ? h('p', { class: 'muted' }, `${t('case.unit')}: ${unitName(c.handlingUnit)}`) : null,
      c.loop?.resultNote ? h('p', {}, `${t('case.result')}: ${c.loop.resultNote}`) : null,
      waiting ? h('p', { class: 'muted' }, t('workspace.waitingCentre')) : null,
      CLOSED.includes(c.status) || waiting ? null : actionsPanel(c, { compact: true, onDone: (updated) => refresh(updated.id, updated) }),
      h('p', {}, h('a', { href: `#/cases/${c.id}`, class: 'link-strong' }, `${t('workspace.details')} →`)),
    );
  }

  function draw() {
    const all = [...cases.values()];
    const visible = all.filter((c) => showClosed || !CLOSED.includes(c.status)).sort(byDeadline);
    // The figures are about what this team holds.
    const mine = all.filter((c) => c.handlingUnit === user.unitCode);
    /** @param {(c: CaseView) => boolean} pred */
    const count = (pred) => mine.filter(pred).length;
    replace(
      stats,
      /** @type {[key: string, n: number, cls: string][]} */ ([
        ['workspace.toAccept', count((c) => c.status === 'dispatched'), 'stat-accept'],
        ['workspace.inProgress', count((c) => c.status === 'in_progress'), 'stat-progress'],
        ['workspace.reported', count((c) => c.status === 'reported'), 'stat-reported'],
        ['workspace.overdue', count((c) => deadlineOf(c).state === 'overdue'), 'stat-overdue'],
      ]).map(([key, n, cls]) =>
        h(
          'li',
          { class: ['stat', cls, cls === 'stat-overdue' && n > 0 && 'alarm'] },
          h('span', { class: 'stat-n' }, String(n)),
          h('span', { class: 'stat-label' }, t(key)),
        ),
      ),
    );
    // Cards are kept while their case is unchanged, so a form being filled in survives live updates.
    const keep = new Map();
    replace(
      list,
      visible.length
        ? visible.map((c) => {
            const key = `${c.id}:${c.updatedAt}:${c.status}:${deadlineOf(c).state}`;
            const el = cards.get(key) ?? card(c);
            keep.set(key, el);
            replace(/** @type {HTMLElement} */ (el.querySelector('.work-deadline')), deadlineBadge(c, { long: true }));
            return el;
          })
        : h('li', { class: 'empty muted' }, t('workspace.empty')),
    );
    cards = keep;
  }

  async function load() {
    const res = await api(`/cases${query({ limit: 500 })}`);
    cases.clear();
    for (const c of res.items) cases.set(c.id, c);
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
      cases.set(c.id, c);
    } catch (err) {
      if (/** @type {import('../api.js').ApiError} */ (err).status === 404) cases.delete(id); // transferred away: no longer ours to see
    }
    draw();
  }

  const off = onAlert((alert) => {
    if (alert.type === 'resync') return void load();
    const c = alert.case;
    if (!c) return;
    const known = cases.get(c.id);
    if (known && known.updatedAt === c.updatedAt) return;
    if (!known && c.status === 'dispatched') toast(t('workspace.newCase', { number: c.caseNumber }), 'info');
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
