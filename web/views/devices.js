// Devices: every registered device with its kind, when it was last heard and whether it is online (device health).
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, label, fmtAgo, fmtDateTime, fmtDuration } from '../i18n.js';

/**
 * The part of the device view this page reads (GET /api/v1/devices).
 * @typedef {{ id: string, kind: string, name: string, townshipCode: string | null, status: 'active' | 'retired',
 *   lastSeenAt: string | null,
 *   health: { state: 'online' | 'offline' | 'never-seen', offlineSince: string | null, offlineAfterSeconds: number | null } }} DeviceRow
 */

/** @type {Record<DeviceRow['health']['state'], string>} */
const BADGE = { online: 'status-closed', offline: 'overdue-badge', 'never-seen': 'status-rejected' };

/** Offline first, then never heard, then online; by id within each. */
const ORDER = { offline: 0, 'never-seen': 1, online: 2 };

/** @param {DeviceRow[]} items */
const sortDevices = (items) => [...items].sort((a, b) => ORDER[a.health.state] - ORDER[b.health.state] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** @param {DeviceRow} d */
function healthBadge(d) {
  const state = d.status === 'retired' ? 'retired' : d.health.state;
  const cls = d.status === 'retired' ? 'status-rejected' : BADGE[d.health.state];
  return h('span', { class: `badge ${cls}`, 'data-health': state }, t(`devices.state.${state}`));
}

/** @param {DeviceRow} d */
function lastSeenCell(d) {
  if (!d.lastSeenAt) return h('td', {}, t('devices.never'));
  return h('td', {}, h('time', { datetime: d.lastSeenAt, title: fmtDateTime(d.lastSeenAt) }, fmtAgo(d.lastSeenAt)));
}

/** @param {DeviceRow[]} items */
function table(items) {
  const sorted = sortDevices(items);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table devices-table' },
      h('caption', { class: 'visually-hidden' }, t('devices.title')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [t('devices.id'), t('devices.name'), t('devices.kind'), t('devices.lastSeen'), t('devices.health'), t('devices.threshold')].map((x) =>
            h('th', { scope: 'col' }, x),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        sorted.map((d) =>
          h(
            'tr',
            { 'data-device': d.id },
            h('td', {}, h('code', {}, d.id)),
            h('td', {}, d.name),
            h('td', {}, label('devices.kind', d.kind)),
            lastSeenCell(d),
            h('td', {}, healthBadge(d)),
            h('td', {}, d.health.offlineAfterSeconds === null ? t('devices.notWatched') : fmtDuration(d.health.offlineAfterSeconds)),
          ),
        ),
      ),
    ),
  );
}

/** On a phone: one row per device, name and badge first (a six-column table does not fit 390 px). */
const SEV = { offline: 'sev-critical', 'never-seen': 'sev-medium', online: 'sev-low' };
/** @param {DeviceRow[]} items */
function list(items) {
  return h(
    'ul',
    { class: 'alert-list devices-list', 'aria-label': t('devices.title') },
    sortDevices(items).map((d) =>
      h(
        'li',
        { 'data-device': d.id },
        h(
          'div',
          { class: ['alert-row', SEV[d.health.state]] },
          h('span', { class: 'sev-bar', 'aria-hidden': 'true' }),
          h(
            'div',
            { class: 'row-main' },
            h('span', { class: 'row-title' }, d.name),
            h('span', { class: 'row-sub' }, `${d.id} · ${label('devices.kind', d.kind)}`),
          ),
          h('div', { class: 'row-side' }, healthBadge(d), h('span', { class: 'muted' }, d.lastSeenAt ? fmtAgo(d.lastSeenAt) : t('devices.never'))),
        ),
      ),
    ),
  );
}

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').ViewContext} ctx
 */
export async function render(main, _params, { setTitle, onAlert }) {
  setTitle(t('devices.title'));
  const summary = h('p', { class: 'devices-summary', 'aria-live': 'polite' });
  const body = h('div', { class: 'devices-body', 'aria-busy': 'true' });
  replace(main, h('section', { class: 'page' }, h('h1', {}, t('devices.title')), h('p', { class: 'hint' }, t('devices.hint')), summary, body));

  const narrow = window.matchMedia('(max-width: 640px)');
  /** @type {DeviceRow[]} */
  let items = [];
  const draw = () => replace(body, narrow.matches ? list(items) : table(items));
  narrow.addEventListener('change', draw);
  let loading = false;
  const load = async () => {
    if (loading) return;
    loading = true;
    try {
      const list = /** @type {{ items: DeviceRow[], total: number }} */ (await api('/devices'));
      const active = list.items.filter((d) => d.status === 'active');
      const offline = active.filter((d) => d.health.state === 'offline').length;
      summary.textContent = t('devices.summary', { total: active.length, offline });
      summary.className = `devices-summary${offline > 0 ? ' form-error' : ''}`;
      items = list.items;
      draw();
      body.setAttribute('aria-busy', 'false');
    } finally {
      loading = false;
    }
  };
  await load();
  // A device's health changes with its alert; "3 minutes ago" moves with the clock.
  const stop = onAlert((alert) => {
    if (alert.type === 'device.offline' || alert.type === 'device.back' || alert.type === 'resync') void load();
  });
  const timer = setInterval(() => void load(), 60_000);
  return () => {
    stop();
    clearInterval(timer);
    narrow.removeEventListener('change', draw);
  };
}
