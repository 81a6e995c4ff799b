// The shell: hash routes, who is signed in, the navigation, the live alert stream and its cues.
import { session, openAlertStream } from './api.js';
import { h, replace, toast } from './dom.js';
import { t, lang, setLang, label } from './i18n.js';
import { loadDistrict, categoryName, whereOf } from './district.js';

const STAFF = ['operator', 'supervisor', 'admin'];
const CASE_READERS = ['operator', 'supervisor', 'admin', 'township_officer'];

const ROUTES = {
  login: { view: () => import('./views/login.js'), roles: null },
  console: { view: () => import('./views/console.js'), roles: STAFF, nav: 'nav.console' },
  workspace: { view: () => import('./views/workspace.js'), roles: ['township_officer'], nav: 'nav.workspace' },
  cases: { view: () => import('./views/case.js'), roles: CASE_READERS },
  figures: { view: () => import('./views/figures.js'), roles: CASE_READERS, nav: 'nav.figures' },
  upload: { view: () => import('./views/upload.js'), roles: ['pilot', 'supervisor', 'admin'], nav: 'nav.upload' },
};

export function homeOf(role) {
  if (STAFF.includes(role)) return '#/console';
  if (role === 'township_officer') return '#/workspace';
  if (role === 'pilot') return '#/upload';
  return '#/figures';
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// ---- live alerts: one stream per signed-in session, shared by the pages ----
const listeners = new Set();
let stream = null;
let liveState = 'off';

export function onAlert(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
export const liveStatus = () => liveState;

function setLive(state) {
  liveState = state;
  const el = document.getElementById('live-status');
  el.hidden = !stream;
  el.className = `live-status live-${state}`;
  el.textContent = t(`live.${state}`);
}

function startStream() {
  const user = session.user;
  if (stream || !user || !CASE_READERS.includes(user.role)) return;
  stream = openAlertStream(
    (alert) => {
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
  setLive('off');
}

// ---- the cue for high-severity alerts (operators): a banner, a short tone, the tab title ----
let audio = null;
export const soundOn = () => localStorage.getItem('cp.sound') !== 'off';
export function setSound(on) {
  localStorage.setItem('cp.sound', on ? 'on' : 'off');
  if (on) unlockAudio();
}
function unlockAudio() {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') audio.resume();
  } catch {
    audio = null;
  }
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
let titleTimer = null;
/** Ingest stopped moving: the centre may be blind, so it says so until ingest moves again. */
function ingestCue(alert) {
  const banner = document.getElementById('banner');
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

function cue(alert) {
  if (!STAFF.includes(session.user?.role)) return;
  if (alert.type === 'ingest.stalled' || alert.type === 'ingest.recovered') return ingestCue(alert);
  if (alert.type !== 'case.opened') return;
  const c = alert.case;
  if (c.severity !== 'high' && c.severity !== 'critical') return;
  const banner = document.getElementById('banner');
  replace(
    banner,
    h('span', { class: 'banner-text' }, '⚠ ', t('console.highAlert', { category: categoryName(c.category), place: whereOf(c), number: c.caseNumber })),
    h('a', { class: 'btn btn-small', href: `#/cases/${c.id}` }, t('console.openCase')),
    h('button', { type: 'button', class: 'btn btn-small btn-ghost', onClick: () => (banner.hidden = true) }, t('console.dismiss')),
  );
  banner.className = `banner banner-${c.severity}`;
  banner.dataset.kind = 'case';
  banner.hidden = false;
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
export function setTitle(text) {
  pageTitle = text ? `${text} · ${t('app.name')}` : t('app.title');
  document.title = pageTitle;
}

function renderShell(current) {
  const user = session.user;
  document.documentElement.lang = lang();
  document.getElementById('brand-name').textContent = t('app.name');
  document.getElementById('skip-link').textContent = t('app.skip');
  const nav = document.getElementById('nav');
  nav.setAttribute('aria-label', t('app.nav'));
  replace(
    nav,
    user
      ? h(
          'ul',
          {},
          Object.entries(ROUTES)
            .filter(([, r]) => r.nav && r.roles.includes(user.role))
            .map(([name, r]) => h('li', {}, h('a', { href: `#/${name}`, 'aria-current': name === current ? 'page' : undefined }, t(r.nav)))),
        )
      : null,
  );
  const langButton = document.getElementById('lang-switch');
  langButton.textContent = t('app.switchLang');
  langButton.lang = lang() === 'zh-CN' ? 'en' : 'zh-CN';
  document.getElementById('who').textContent = user ? `${user.username} · ${label('role', user.role)}` : '';
  const logout = document.getElementById('logout');
  logout.hidden = !user;
  logout.textContent = t('app.logout');
  setLive(liveState);
}

let cleanup = null;
let seq = 0;
async function route() {
  const [name = '', ...params] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const user = session.user;
  const my = ++seq;
  cleanup?.();
  cleanup = null;
  const main = document.getElementById('main');

  if (!user && name !== 'login') return navigate('#/login');
  const r = ROUTES[name];
  if (!r) return navigate(user ? homeOf(user.role) : '#/login');
  if (user && name === 'login') return navigate(homeOf(user.role));
  renderShell(name);
  if (user) startStream();

  if (r.roles && !r.roles.includes(user.role)) {
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
    cleanup = (await mod.render(main, params, { user, navigate, onAlert, setTitle, soundOn, setSound })) ?? null;
  } catch (err) {
    if (my !== seq) return;
    if (err.status === 401) return;
    replace(
      main,
      h('section', { class: 'page' }, h('p', { class: 'form-error', role: 'alert' }, t('app.error', { message: err.status === 0 ? t('app.network') : err.message })), h('button', { type: 'button', class: 'btn', onClick: route }, t('app.retry'))),
    );
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('cp:unauthorized', () => {
  stopStream();
  toast(t('login.expired'), 'warn');
  navigate('#/login');
});
document.getElementById('lang-switch').addEventListener('click', () => {
  setLang(lang() === 'zh-CN' ? 'en' : 'zh-CN');
  route();
});
document.getElementById('logout').addEventListener('click', () => {
  stopStream();
  session.clear();
  document.getElementById('banner').hidden = true;
  navigate('#/login');
});
document.getElementById('skip-link').addEventListener('click', () => document.getElementById('main').focus());
// Browsers start sound only after a user gesture; the first click or key unlocks it.
for (const type of ['pointerdown', 'keydown']) window.addEventListener(type, () => soundOn() && unlockAudio(), { once: true, capture: true });

setLang(lang());
route();
