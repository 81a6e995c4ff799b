// The centre's queue of critical alerts nobody has acknowledged yet (issue 18): every high- or critical-severity case
// opened, kept until one person at the centre acknowledges it (GET /critical-alerts, POST /critical-alerts/{id}/ack);
// an acknowledgement on any console takes it off every console's queue (the alert.acknowledged stream message).
import { api, errorText } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtAgo, label } from '../i18n.js';
import { categoryName, whereOf } from '../district.js';

/** @typedef {import('../api.js').CaseView} CaseView */
/** @typedef {import('../api.js').Alert} Alert */

/** How many of the queue are listed while it is folded; unfolded it lists all it holds. */
const FOLDED = 3;

/** @param {string} severity */
const isCritical = (severity) => severity === 'high' || severity === 'critical';

/**
 * The queue as a page-wide strip under the banner.
 * @param {{ canAck: boolean, onNew: (c: CaseView) => void }} options `onNew` runs for each newly queued alert (tone, title)
 */
export function createCriticalQueue({ canAck, onNew }) {
  /** @type {Map<string, CaseView>} newest first */
  let items = new Map();
  let total = 0;
  let unfolded = false;
  /** Put aside (not acknowledged) until the next new alert. */
  let dismissed = false;
  /** @type {Set<string>} acknowledgements on their way */
  const busy = new Set();
  // role=alert: a new critical alert is announced at once, as the banner was.
  const el = h('section', { class: 'critical-queue', id: 'critical-queue', role: 'alert', hidden: true });

  function draw() {
    el.hidden = items.size === 0 || dismissed;
    if (el.hidden) return replace(el);
    const shown = [...items.values()].slice(0, unfolded ? items.size : FOLDED);
    replace(
      el,
      h(
        'div',
        { class: 'queue-head' },
        h('h2', { class: 'queue-title' }, '⚠ ', t('queue.title', { n: String(total) })),
        items.size > FOLDED
          ? h(
              'button',
              { type: 'button', class: 'btn btn-small btn-ghost', 'aria-expanded': String(unfolded), onClick: () => ((unfolded = !unfolded), draw()) },
              unfolded ? t('queue.fold') : t('queue.unfold', { n: String(items.size - FOLDED) }),
            )
          : null,
        h(
          'button',
          { type: 'button', class: 'btn btn-small btn-ghost', title: t('queue.dismissHint'), onClick: () => ((dismissed = true), draw()) },
          t('console.dismiss'),
        ),
      ),
      h(
        'ol',
        { class: 'queue-list' },
        shown.map((c) =>
          h(
            'li',
            { class: ['queue-item', `sev-${c.severity}`], dataset: { id: c.id, number: c.caseNumber } },
            h('span', { class: `badge sev sev-${c.severity}` }, label('severity', c.severity)),
            h('span', { class: 'queue-text' }, t('console.highAlert', { category: categoryName(c.category), place: whereOf(c), number: c.caseNumber })),
            h('span', { class: 'muted queue-ago' }, fmtAgo(c.createdAt)),
            h('a', { class: 'btn btn-small', href: `#/cases/${c.id}` }, t('console.openCase')),
            canAck
              ? h(
                  'button',
                  { type: 'button', class: 'btn btn-small btn-primary', disabled: busy.has(c.id), onClick: () => void acknowledge(c) },
                  t('queue.ack'),
                )
              : null,
          ),
        ),
      ),
    );
  }

  async function load() {
    try {
      /** @type {{ total: number, items: CaseView[] }} */
      const res = await api('/critical-alerts');
      items = new Map(res.items.map((c) => [c.id, c]));
      total = res.total;
      draw();
    } catch {
      // The queue is a cue, not a page: the stream and the next resync bring it back.
    }
  }

  /** @param {CaseView} c */
  async function acknowledge(c) {
    busy.add(c.id);
    draw();
    try {
      /** @type {{ by: { id: string, name: string | null } }} */
      const ack = await api(`/critical-alerts/${c.id}/ack`, { method: 'POST' });
      remove(c.id);
      toast(t('queue.acked', { number: c.caseNumber, name: ack.by.name ?? '' }), 'info');
    } catch (err) {
      toast(errorText(err), 'warn');
    } finally {
      busy.delete(c.id);
      draw();
    }
  }

  /** @param {string} id */
  function remove(id) {
    if (items.delete(id)) total = Math.max(0, total - 1);
    draw();
  }

  /** @param {Alert & { ack?: { caseId: string } }} alert */
  function onAlert(alert) {
    if (alert.type === 'resync') return void load();
    if (alert.type === 'alert.acknowledged' && alert.ack) return remove(alert.ack.caseId);
    const c = alert.case;
    if (!c) return;
    if (alert.type === 'case.opened' && isCritical(c.severity) && !items.has(c.id)) {
      items = new Map([[c.id, c], ...items]);
      total++;
      dismissed = false;
      draw();
      onNew(c);
    } else if (items.has(c.id)) {
      // Closed or rejected meanwhile: nothing left to acknowledge.
      if (c.status === 'closed' || c.status === 'rejected') remove(c.id);
      else items.set(c.id, c);
    }
  }

  return { el, load, onAlert, size: () => items.size };
}
