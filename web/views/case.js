// One case: facts, deadline, actions, map, evidence, timeline and the audit trail.
import { api, download as downloadFile, errorText, session } from '../api.js';
import { h, nextId, replace, toast } from '../dom.js';
import { fmtDateTime, label, t } from '../i18n.js';
import { categoryName, district, whereOf } from '../district.js';
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
import { followUpPanel } from './follow-up-panel.js';

/**
 * @param {HTMLElement} main
 * @param {string[]} params the case id
 * @param {import('../app.js').ViewContext} ctx
 */
export async function render(main, [id], { onAlert, setTitle, user }) {
  const page = h('article', { class: 'page case-page' });
  main.append(page);
  /** The desk and 督办 / 催办 (issue 18): kept across reloads of the page, so a note being written survives. */
  /** @type {ReturnType<typeof followUpPanel> | null} */
  let followUps = null;

  /** @returns {Promise<import('../api.js').CaseView | null>} */
  async function load() {
    /** @type {import('../api.js').CaseView} */
    let c;
    let evidence, timeline;
    /** @type {Notice | null} */
    let notice = null;
    try {
      [c, evidence, timeline] = await Promise.all([api(`/cases/${id}`), api(`/cases/${id}/evidence`), api(`/cases/${id}/timeline`)]);
      // A notice exists once the case is registered with evidence usable for a penalty; 404 still means none yet.
      const usable = /** @type {{ usableForPenalty?: boolean | null } | null | undefined} */ (c.loop?.evidence)?.usableForPenalty;
      if (usable === true)
        notice = await api(`/cases/${id}/notice`).catch((/** @type {import('../api.js').ApiError} */ err) => (err.status === 404 ? null : Promise.reject(err)));
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
    if (FOLLOW_UP_READERS.includes(user.role)) {
      followUps ??= followUpPanel(c, user);
      await followUps.update(c).catch(() => undefined);
    }
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
          followUps?.el,
          caseFilePanel(c, notice),
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
    // A follow-up or a new desk changes nothing else of the case.
    if ((alert.type === 'case.follow-up' || alert.type === 'case.assigned') && alert.case?.id === id) return void followUps?.load().catch(() => undefined);
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

/**
 * The party's notice (告知书) as GET /cases/{id}/notice answers it (libs/http/src/openapi/case-file.schemas.ts).
 * @typedef {{ id: string, method: string, recipient: string | null, note: string | null, status: 'pending' | 'delivered' | 'failed',
 *   attempts: number, lastError: string | null, requestedAt: string, deliveredAt: string | null, nextAttemptAt: string | null }} NoticeDelivery
 * @typedef {{ caseId: string, caseNumber: string, noticeNumber: string, producedAt: string, deliveredAt: string | null,
 *   statementDueAt: string | null, statementLimit: { amount: number, unit: string }, deliveries: NoticeDelivery[],
 *   notifier: { enabled: boolean } }} Notice
 */

/** Who reads a case's desk and follow-ups (GET /cases/{id}/follow-ups). */
const FOLLOW_UP_READERS = ['operator', 'supervisor', 'admin', 'township_officer'];

/** Who may record a delivery (POST /cases/{id}/notice/deliveries). */
const DELIVERY_ROLES = ['operator', 'supervisor', 'township_officer'];
const DELIVERY_METHODS = ['in-person', 'post', 'electronic', 'notifier'];

/**
 * The case file and the notice: the PDFs to download, the notice's number, deadline and deliveries, and a form
 * to record a delivery.
 * @param {import('../api.js').CaseView} c
 * @param {Notice | null} notice
 */
function caseFilePanel(c, notice) {
  const langId = nextId('doc-lang');
  const body = h('div', { class: 'notice-body' });
  const noticeButton = h('button', { type: 'button', class: 'btn', disabled: !notice }, t('caseFile.notice'));
  const language = h('select', { id: langId }, h('option', { value: 'zh' }, t('caseFile.lang.zh')), h('option', { value: 'en' }, t('caseFile.lang.en')));
  /** @param {string} what dossier or notice */
  const download = async (what, /** @type {HTMLButtonElement} */ button) => {
    button.disabled = true;
    try {
      const name = await downloadFile(`/cases/${c.id}/${what}.pdf?lang=${language.value}`, `${c.caseNumber}-${what}.pdf`, 'application/pdf');
      toast(t('caseFile.downloaded', { name }), 'ok');
    } catch (err) {
      toast(t('caseFile.failed', { message: errorText(err) }), 'warn');
    } finally {
      button.disabled = what === 'notice' && !notice;
    }
  };
  const dossierButton = h('button', { type: 'button', class: 'btn btn-primary' }, t('caseFile.dossier'));
  dossierButton.addEventListener('click', () => void download('dossier', dossierButton));
  noticeButton.addEventListener('click', () => void download('notice', noticeButton));

  /** @param {Notice | null} n */
  const show = (n) => {
    notice = n;
    noticeButton.disabled = !n;
    replace(body, n ? noticeView(c, n, show) : h('p', { class: 'muted notice-none' }, t('caseFile.noNotice')));
  };
  show(notice);
  return h(
    'section',
    { class: 'panel panel-case-file', 'aria-labelledby': 'case-file-h' },
    h('h2', { id: 'case-file-h' }, t('caseFile.title')),
    h(
      'div',
      { class: 'buttons case-file-buttons' },
      dossierButton,
      ' ',
      noticeButton,
      ' ',
      h('span', { class: 'field-inline' }, h('label', { for: langId }, t('caseFile.language')), ' ', language),
    ),
    h('h3', {}, t('caseFile.noticeTitle')),
    body,
  );
}

/**
 * @param {import('../api.js').CaseView} c
 * @param {Notice} n
 * @param {(n: Notice) => void} onChange
 */
function noticeView(c, n, onChange) {
  const limit = `${n.statementLimit.amount} ${label('caseFile.limitUnit', n.statementLimit.unit)}`;
  const role = session.user?.role;
  return [
    h(
      'dl',
      { class: 'kv notice-facts' },
      h('dt', {}, t('caseFile.noticeNumber')),
      h('dd', { class: 'notice-number' }, n.noticeNumber),
      h('dt', {}, t('caseFile.producedAt')),
      h('dd', {}, h('time', { datetime: n.producedAt }, withOffset(n.producedAt))),
      h('dt', {}, t('caseFile.deliveredAt')),
      h('dd', {}, n.deliveredAt ? h('time', { datetime: n.deliveredAt }, withOffset(n.deliveredAt)) : t('caseFile.notDelivered')),
      h('dt', {}, t('caseFile.statementDue')),
      h(
        'dd',
        { class: 'statement-due' },
        n.statementDueAt ? h('time', { datetime: n.statementDueAt }, withOffset(n.statementDueAt)) : t('caseFile.dueAfterDelivery', { limit }),
      ),
    ),
    n.deliveries.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table deliveries' },
            h('caption', { class: 'visually-hidden' }, t('caseFile.deliveries')),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                [t('caseFile.method'), t('caseFile.recipient'), t('caseFile.status'), t('caseFile.time'), t('caseFile.attempts'), t('caseFile.lastError')].map(
                  (x) => h('th', { scope: 'col' }, x),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              n.deliveries.map((d) =>
                h(
                  'tr',
                  { class: `delivery delivery-${d.status}` },
                  h('td', {}, label('caseFile.methodName', d.method)),
                  h('td', {}, d.recipient ?? '—'),
                  h('td', {}, label('caseFile.deliveryStatus', d.status)),
                  h('td', {}, fmtDateTime(d.deliveredAt ?? d.requestedAt)),
                  h('td', {}, d.attempts),
                  h('td', {}, d.lastError ?? '—'),
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, t('caseFile.noDeliveries')),
    role && DELIVERY_ROLES.includes(role) ? deliveryForm(c, n, onChange) : null,
  ];
}

/**
 * @param {import('../api.js').CaseView} c
 * @param {Notice} n
 * @param {(n: Notice) => void} onChange
 */
function deliveryForm(c, n, onChange) {
  const ids = { method: nextId('dm'), recipient: nextId('dr'), note: nextId('dn') };
  const error = h('p', { class: 'form-error', role: 'alert' });
  const methods = DELIVERY_METHODS.filter((m) => m !== 'notifier' || n.notifier.enabled);
  const f = h(
    'form',
    { class: 'action-form delivery-form' },
    h(
      'div',
      { class: 'field' },
      h('label', { for: ids.method }, t('caseFile.method')),
      h(
        'select',
        { id: ids.method, name: 'method', required: true },
        methods.map((m) => h('option', { value: m }, label('caseFile.methodName', m))),
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: ids.recipient }, t('caseFile.recipient')),
      h('input', { id: ids.recipient, name: 'recipient', maxlength: 200 }),
    ),
    h('div', { class: 'field' }, h('label', { for: ids.note }, t('caseFile.note')), h('input', { id: ids.note, name: 'note', maxlength: 2000 })),
    error,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('caseFile.record'))),
  );
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = (/** @type {string} */ name) => /** @type {HTMLInputElement} */ (f.elements.namedItem(name)).value.trim();
    const button = /** @type {HTMLButtonElement} */ (f.querySelector('button[type=submit]'));
    button.disabled = true;
    error.textContent = '';
    try {
      const body = { method: value('method'), ...(value('recipient') && { recipient: value('recipient') }), ...(value('note') && { note: value('note') }) };
      const done = /** @type {{ notice: Notice }} */ (await api(`/cases/${c.id}/notice/deliveries`, { method: 'POST', body }));
      toast(t('caseFile.recorded'), 'ok');
      onChange(done.notice);
    } catch (caught) {
      const err = /** @type {import('../api.js').ApiError} */ (caught);
      error.textContent = errorText(err);
      button.disabled = false;
    }
  });
  return f;
}

/**
 * A time as the district lives it, with its offset (the statement deadline is a legal date: no guessing the zone).
 * @param {string} iso
 */
function withOffset(iso) {
  let offset = '';
  try {
    const part = new Intl.DateTimeFormat('en', { timeZone: district().timezone, timeZoneName: 'longOffset' })
      .formatToParts(new Date(iso))
      .find((p) => p.type === 'timeZoneName');
    offset = part ? part.value.replace(/^GMT/, '') || '+00:00' : '';
  } catch {
    /* no district zone: the browser's */
  }
  return offset ? `${fmtDateTime(iso)} (${offset})` : fmtDateTime(iso);
}
