// The shell: hash routes, who is signed in, the navigation, the live alert stream and its cues.
import { session, openAlertStream, errorText } from './api.js';
import { h, replace, toast, byId } from './dom.js';
import { t, lang, setLang, label } from './i18n.js';
import { fmtAgo, fmtDuration } from './i18n.js';
import { loadDistrict } from './district.js';
import { CASE_READER_ROLES } from './server-constants.js';
import { createCriticalQueue } from './views/critical-queue.js';

/** @typedef {import('./server-constants.js').Role} Role */
/** @typedef {import('./api.js').User} User */
/** @typedef {import('./api.js').Alert} Alert */
/**
 * What a page gets besides its element and the route's parameters. `user` is the signed-in user (the login
 * page, the only one without roles, never reads it).
 * @typedef {object} ViewContext
 * @property {User} user
 * @property {typeof navigate} navigate
 * @property {typeof onAlert} onAlert
 * @property {typeof setTitle} setTitle
 * @property {typeof soundOn} soundOn
 * @property {typeof setSound} setSound
 * @property {typeof chime} chime a short tone (when sound is on), e.g. for newly dispatched work
 */
/**
 * A page: render() fills `main` and may answer a cleanup run when the page is left.
 * @typedef {{ render(main: HTMLElement, params: string[], ctx: ViewContext): void | (() => void) | Promise<void | (() => void)> }} View
 */
/** @typedef {{ view: () => Promise<View>, roles: readonly Role[] | null, nav?: string }} Route */

/** @type {readonly Role[]} */
const STAFF = ['operator', 'supervisor', 'admin'];
/** @type {readonly Role[]} */
const CASE_READERS = CASE_READER_ROLES;

/** @type {Record<string, Route>} */
const ROUTES = {
  login: { view: () => import('./views/login.js'), roles: null },
  console: { view: () => import('./views/console.js'), roles: STAFF, nav: 'nav.console' },
  workspace: { view: () => import('./views/workspace.js'), roles: ['township_officer'], nav: 'nav.workspace' },
  cases: { view: () => import('./views/case.js'), roles: CASE_READERS },
  figures: { view: () => import('./views/figures.js'), roles: CASE_READERS, nav: 'nav.figures' },
  upload: { view: () => import('./views/upload.js'), roles: ['pilot', 'supervisor', 'admin'], nav: 'nav.upload' },
  devices: { view: () => import('./views/devices.js'), roles: STAFF, nav: 'nav.devices' },
  events: { view: () => import('./views/integrator.js'), roles: STAFF, nav: 'nav.events' },
  photos: { view: () => import('./views/flight-photos.js'), roles: ['pilot', 'operator', 'supervisor'], nav: 'nav.photos' },
};

/** @param {Role} role */
export function homeOf(role) {
  // Supervisors steer by the figures (README): the console is one click away.
  if (role === 'supervisor') return '#/figures';
  if (STAFF.includes(role)) return '#/console';
  if (role === 'township_officer') return '#/workspace';
  if (role === 'pilot') return '#/upload';
  return '#/figures';
}

/** @param {string} hash */
export function navigate(hash) {
  if (location.hash === hash) void route();
  else location.hash = hash;
}

// ---- live alerts: one stream per signed-in session, shared by the pages ----
/** @type {Set<(alert: Alert) => void>} */
const listeners = new Set();
/** @type {{ close(): void } | null} */
let stream = null;
/** @typedef {'connecting' | 'live' | 'reconnecting' | 'off'} LiveState */
/** @type {LiveState} */
let liveState = 'off';
/** The centre's queue of unacknowledged critical alerts (staff only). @type {ReturnType<typeof createCriticalQueue> | null} */
let queue = null;

/**
 * @param {(alert: Alert) => void} fn
 * @returns {() => void} stops listening
 */
export function onAlert(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
export const liveStatus = () => liveState;

/** @param {LiveState} state */
function setLive(state) {
  liveState = state;
  const el = byId('live-status');
  el.hidden = !stream;
  el.className = `live-status live-${state}`;
  el.textContent = t(`live.${state}`);
}

function startStream() {
  const user = session.user;
  if (stream || !user || !CASE_READERS.includes(user.role)) return;
  if (STAFF.includes(user.role)) {
    queue = createCriticalQueue({ canAck: user.role !== 'admin', onNew: alarm });
    byId('banner').after(queue.el);
    void queue.load();
  }
  stream = openAlertStream(
    (alert) => {
      queue?.onAlert(alert);
      cue(alert);
      for (const fn of listeners) fn(alert);
    },
    (state, info) => {
      setLive(state);
      // Alerts sent while the stream was down are not replayed: let the pages reload their lists.
      if (state === 'live' && info?.resumed) for (const fn of listeners) fn({ type: 'resync' });
    },
  );
}

function stopStream() {
  stream?.close();
  stream = null;
  queue?.el.remove();
  queue = null;
  setLive('off');
}

// ---- the cue for high-severity alerts (operators): a banner, a short tone, the tab title ----
/** @type {AudioContext | null} */
let audio = null;
export const soundOn = () => localStorage.getItem('cp.sound') !== 'off';
/** @param {boolean} on */
export function setSound(on) {
  localStorage.setItem('cp.sound', on ? 'on' : 'off');
  if (on) unlockAudio();
}
function unlockAudio() {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') void audio.resume();
  } catch {
    audio = null;
  }
}
export function chime() {
  beep();
}
function beep() {
  if (!soundOn() || !audio || audio.state !== 'running') return;
  const now = audio.currentTime;
  for (const [i, freq] of [880, 660, 880].entries()) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + i * 0.18);
    gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.18 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.18 + 0.16);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + i * 0.18);
    osc.stop(now + i * 0.18 + 0.17);
  }
}

let lastCue = 0;
/** @type {ReturnType<typeof setInterval> | undefined} */
let titleTimer;
/**
 * Ingest stopped moving: the centre may be blind, so it says so until ingest moves again.
 * @param {Alert & { ingest: NonNullable<Alert['ingest']> }} alert
 */
function ingestCue(alert) {
  const banner = byId('banner');
  if (alert.type === 'ingest.recovered') {
    if (banner.dataset.kind === 'ingest') banner.hidden = true;
    toast(t('console.ingestRecovered', { transport: alert.ingest.transport }), 'info');
    return;
  }
  replace(
    banner,
    h('span', { class: 'banner-text' }, '⚠ ', t('console.ingestStalled', { transport: alert.ingest.transport, reason: alert.ingest.reason ?? '' })),
    h('button', { type: 'button', class: 'btn btn-small btn-ghost', onClick: () => (banner.hidden = true) }, t('console.dismiss')),
  );
  banner.className = 'banner banner-critical';
  banner.dataset.kind = 'ingest';
  banner.hidden = false;
}

/**
 * A device health alert (`device.offline` / `device.back`).
 * @typedef {{ id: string, kind: string, name: string, lastSeenAt: string, silentSeconds?: number }} DeviceAlert
 */
/**
 * A watched device went silent (a hole in the patrol) or is heard again: said once, the devices page shows the rest.
 * @param {Alert & { device: DeviceAlert }} alert
 */
function deviceCue(alert) {
  const d = alert.device;
  if (alert.type === 'device.back') toast(t('console.deviceBack', { name: d.name, id: d.id, silent: fmtDuration(d.silentSeconds ?? 0) }), 'info');
  else toast(t('console.deviceOffline', { name: d.name, id: d.id, ago: fmtAgo(d.lastSeenAt) }), 'warn');
}

/** @param {Alert} alert */
function cue(alert) {
  const role = session.user?.role;
  if (!role || !STAFF.includes(role)) return;
  if (alert.type === 'ingest.stalled' || alert.type === 'ingest.recovered')
    return ingestCue(/** @type {Alert & { ingest: NonNullable<Alert['ingest']> }} */ (alert));
  if (alert.type === 'device.offline' || alert.type === 'device.back') return deviceCue(/** @type {Alert & { device: DeviceAlert }} */ (alert));
}

/**
 * A critical alert joined the queue (critical-queue.js shows it until someone acknowledges it): a tone and the tab title.
 * @param {import('./api.js').CaseView} c
 */
function alarm(c) {
  // No storm: one tone per 5 seconds however many arrive.
  if (Date.now() - lastCue > 5000) {
    lastCue = Date.now();
    beep();
  }
  clearInterval(titleTimer);
  let n = 0;
  titleTimer = setInterval(() => {
    document.title = n++ % 2 ? `⚠ ${label('severity', c.severity)} · ${t('app.name')}` : pageTitle;
    if (n > 10) {
      clearInterval(titleTimer);
      document.title = pageTitle;
    }
  }, 800);
}

// ---- shell ----
let pageTitle = t('app.title');
/** @param {string} text */
export function setTitle(text) {
  pageTitle = text ? `${text} · ${t('app.name')}` : t('app.title');
  document.title = pageTitle;
}

/** @param {string} current */
function renderShell(current) {
  const user = session.user;
  document.documentElement.lang = lang();
  byId('brand-name').textContent = t('app.name');
  byId('skip-link').textContent = t('app.skip');
  const nav = byId('nav');
  nav.setAttribute('aria-label', t('app.nav'));
  replace(
    nav,
    user
      ? h(
          'ul',
          {},
          Object.entries(ROUTES)
            .filter(([, r]) => r.nav && r.roles?.includes(user.role))
            .map(([name, r]) => h('li', {}, h('a', { href: `#/${name}`, 'aria-current': name === current ? 'page' : undefined }, t(r.nav ?? '')))),
        )
      : null,
  );
  const langButton = byId('lang-switch');
  langButton.textContent = t('app.switchLang');
  langButton.lang = lang() === 'zh-CN' ? 'en' : 'zh-CN';
  byId('who').textContent = user ? `${user.username} · ${label('role', user.role)}` : '';
  const logout = byId('logout');
  logout.hidden = !user;
  logout.textContent = t('app.logout');
  setLive(liveState);
}

/** @type {(() => void) | null} */
let cleanup = null;
let seq = 0;
async function route() {
  const [name = '', ...params] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const user = session.user;
  const my = ++seq;
  cleanup?.();
  cleanup = null;
  const main = byId('main');

  if (!user && name !== 'login') return navigate('#/login');
  const r = ROUTES[name];
  if (!r) return navigate(user ? homeOf(user.role) : '#/login');
  if (user && name === 'login') return navigate(homeOf(user.role));
  renderShell(name);
  if (user) startStream();

  if (r.roles && !(user && r.roles.includes(user.role))) {
    replace(main, h('section', { class: 'page' }, h('h1', {}, t('app.forbidden'))));
    return;
  }
  replace(main, h('p', { class: 'loading' }, t('app.loading')));
  try {
    if (user) await loadDistrict();
    const mod = await r.view();
    if (my !== seq) return;
    setTitle('');
    replace(main);
    main.className = `view-${name}`;
    // Only the login page is shown without a user, and it does not read one.
    const stop = (await mod.render(main, params, { user: /** @type {User} */ (user), navigate, onAlert, setTitle, soundOn, setSound, chime })) ?? null;
    // Left while it was still loading (a case opened before the console had its list): stopped now, its timers and
    // alert listener with it. Kept as `cleanup`, it ran on behind the page shown, and that page's own was lost.
    if (my !== seq) return void stop?.();
    cleanup = stop;
  } catch (caught) {
    if (my !== seq) return;
    const err = /** @type {import('./api.js').ApiError} */ (caught);
    if (err.status === 401) return;
    replace(
      main,
      h(
        'section',
        { class: 'page' },
        h('p', { class: 'form-error', role: 'alert' }, t('app.error', { message: errorText(err) })),
        h('button', { type: 'button', class: 'btn', onClick: route }, t('app.retry')),
      ),
    );
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('cp:unauthorized', () => {
  stopStream();
  toast(t('login.expired'), 'warn');
  navigate('#/login');
});
byId('lang-switch').addEventListener('click', () => {
  setLang(lang() === 'zh-CN' ? 'en' : 'zh-CN');
  void route();
});
byId('logout').addEventListener('click', () => {
  stopStream();
  session.clear();
  byId('banner').hidden = true;
  navigate('#/login');
});
byId('skip-link').addEventListener('click', () => byId('main').focus());
// Browsers start sound only after a user gesture; the first click or key unlocks it.
for (const type of ['pointerdown', 'keydown']) window.addEventListener(type, () => soundOn() && unlockAudio(), { once: true, capture: true });

setLang(lang());
void route();
