// One case: facts, deadline, actions, map, evidence, timeline and the audit trail.
import { api } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t } from '../i18n.js';
import { categoryName, whereOf } from '../district.js';
import { createMap } from '../map.js';
import {
  statusBadge,
  severityBadge,
  deadlineBadge,
  isOverdue,
  facts,
  liveEvidence,
  explanation,
  deviceBox,
  actionsPanel,
  timelineList,
  auditTable,
} from './common.js';

/**
 * @param {HTMLElement} main
 * @param {string[]} params the case id
 * @param {import('../app.js').ViewContext} ctx
 */
export async function render(main, [id], { onAlert, setTitle }) {
  const page = h('article', { class: 'page case-page' });
  main.append(page);

  /** @returns {Promise<import('../api.js').CaseView | null>} */
  async function load() {
    /** @type {import('../api.js').CaseView} */
    let c;
    let evidence, timeline;
    try {
      [c, evidence, timeline] = await Promise.all([api(`/cases/${id}`), api(`/cases/${id}/evidence`), api(`/cases/${id}/timeline`)]);
    } catch (err) {
      const status = /** @type {import('../api.js').ApiError} */ (err).status;
      if (status === 404 || status === 400) {
        setTitle(t('case.notFound'));
        replace(page, h('h1', {}, t('case.notFound')), h('p', {}, h('a', { href: '#/' }, `← ${t('case.back')}`)));
        return null;
      }
      throw err;
    }
    setTitle(t('case.title', { number: c.caseNumber }));
    const map = createMap({ label: `${t('case.location')}: ${whereOf(c)}`, compact: true, focusTownship: c.townshipCode });
    map.setCases([c], { selectedId: c.id });
    if (c.location) map.fitPoint(c.location.lat, c.location.lng);
    else if (c.townshipCode) map.fitTownship(c.townshipCode);

    replace(
      page,
      h(
        'header',
        { class: ['case-head', isOverdue(c) && 'overdue'] },
        h(
          'p',
          {},
          h('a', { href: '#/', class: 'back', onClick: (e) => (history.length > 1 ? (e.preventDefault(), history.back()) : null) }, `← ${t('case.back')}`),
        ),
        h('h1', {}, t('case.title', { number: c.caseNumber }), ' ', h('span', { class: 'h1-sub' }, categoryName(c.category))),
        h('p', { class: 'badges' }, severityBadge(c.severity), ' ', statusBadge(c.status), ' ', deadlineBadge(c, { long: true })),
        h('p', { class: 'muted' }, whereOf(c)),
      ),
      h(
        'div',
        { class: 'case-grid' },
        h(
          'div',
          { class: 'case-col' },
          (c.allowedActions ?? []).length
            ? h(
                'section',
                { class: 'panel panel-actions', 'aria-labelledby': 'actions-h' },
                h('h2', { id: 'actions-h' }, t('case.actions')),
                actionsPanel(c, { onStart: () => (actedAt = Date.now()), onDone: async () => (current = (await load()) ?? current) }),
              )
            : null,
          h('section', { class: 'panel', 'aria-labelledby': 'facts-h' }, h('h2', { id: 'facts-h' }, t('case.facts')), facts(c)),
          h('section', { class: 'panel', 'aria-labelledby': 'map-h' }, h('h2', { id: 'map-h' }, t('case.location')), map.el),
        ),
        h(
          'div',
          { class: 'case-col' },
          h('section', { class: 'panel', 'aria-labelledby': 'evidence-h' }, h('h2', { id: 'evidence-h' }, t('case.evidence')), liveEvidence(c, evidence)),
          h('section', { class: 'panel', 'aria-labelledby': 'timeline-h' }, h('h2', { id: 'timeline-h' }, t('case.timeline')), timelineList(timeline.items)),
          h(
            'section',
            { class: 'panel', 'aria-labelledby': 'why-h' },
            h('h2', { id: 'why-h' }, t('case.explanation')),
            explanation(c),
            h('h3', {}, t('case.deviceReview')),
            deviceBox(c),
          ),
          h('section', { class: 'panel', 'aria-labelledby': 'audit-h' }, h('h2', { id: 'audit-h' }, t('case.audit')), auditTable(timeline.items)),
        ),
      ),
    );
    return c;
  }

  let actedAt = 0;
  let current = await load();
  const off = onAlert(async (alert) => {
    if (alert.type === 'resync' || alert.case?.id === id) {
      if (alert.case && current && alert.case.updatedAt === current.updatedAt) return;
      const before = current?.status;
      current = await load().catch(() => current);
      // Someone else moved the case on: say so (not after this user's own action).
      if (current && before && current.status !== before && Date.now() - actedAt > 5000) toast(t('case.updated'));
    }
  });
  return off;
}
