// Pilot upload: choose a flight's folder, fingerprint each photo (SHA-256 in the browser), ask the server
// which it lacks (/check), upload only those in requests of ~20 with a progress bar per file (the files of a
// request go one after another, so the bytes sent say how far each file is), show what the server found in
// each (quality verdict, flags: no position, too dark, blurry), and carry on by itself after a dropped
// connection (each retry re-checks first, so nothing is sent twice).
import { api, upload } from '../api.js';
import { h, replace, nextId } from '../dom.js';
import { navigate } from '../app.js';
import { filePicker } from './common.js';
import { t, fmtBytes } from '../i18n.js';
import { sha256Hex } from '../sha256.js';
import { errorNodes, photoRefusal } from '../server-errors.js';

const BATCH_FILES = 20;
const BATCH_BYTES = 256 * 1024 * 1024;
const IMAGE = /\.(jpe?g|png|tiff?|webp|dng|heic)$/i;
const FLIGHT = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * A chosen file and where it is: notImage, hashing, pending, uploading, retry, then stored, duplicate, skipped or rejected.
 * `sent` is the fraction of its bytes on the wire; `verdict` and `flags` are the server's findings.
 * @typedef {{ file: File, name: string, status: string, sha: string | null, reason: string | null, detail?: string | null, sent: number, verdict: string | null, flags: string[], row?: HTMLTableRowElement }} Entry
 */
/** @typedef {{ n: number, files: Entry[], progress: HTMLProgressElement, state: HTMLSpanElement, el: HTMLLIElement, done: boolean }} Batch */
/** @typedef {import('../api.js').ApiError} ApiError */

function defaultFlightId() {
  const d = new Date();
  /** @param {number} n */
  const p = (n) => String(n).padStart(2, '0');
  return `FLIGHT-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
}

/**
 * @param {number} ms
 * @param {AbortSignal} [signal]
 * @returns {Promise<void>}
 */
const sleep = (ms, signal) =>
  new Promise((/** @type {() => void} */ resolve) => {
    const timer = setTimeout(resolve, ms);
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    window.addEventListener('online', wake, { once: true });
    signal?.addEventListener('abort', wake, { once: true });
  });

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').ViewContext} ctx
 */
export async function render(main, _params, { setTitle }) {
  setTitle(t('upload.title'));
  /** @type {Entry[]} */
  let entries = [];
  /** @type {Batch[]} */
  let batches = [];
  let running = false;
  /** @type {AbortController | null} */
  let controller = null;

  const ids = { flight: nextId('flight'), device: nextId('device'), folder: nextId('folder'), files: nextId('files') };
  const flight = h('input', {
    id: ids.flight,
    name: 'flight',
    required: true,
    value: defaultFlightId(),
    pattern: '[A-Za-z0-9._\\-]{1,100}',
    autocomplete: 'off',
  });
  const device = h('input', { id: ids.device, name: 'device', list: `${ids.device}-list`, autocomplete: 'off', placeholder: 'DRONE-01' });
  const deviceList = h('datalist', { id: `${ids.device}-list` });
  const folderPick = filePicker({ id: ids.folder, webkitdirectory: true, multiple: true });
  const filesPick = filePicker({ id: ids.files, accept: 'image/*', multiple: true });
  const folder = /** @type {HTMLInputElement} */ (folderPick.querySelector('input'));
  const picker = /** @type {HTMLInputElement} */ (filesPick.querySelector('input'));
  const startButton = h('button', { type: 'submit', class: 'btn btn-primary' }, t('upload.start'));
  const pauseButton = h('button', { type: 'button', class: 'btn', hidden: true }, t('upload.pause'));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const statusLine = h('p', { class: 'upload-status', role: 'status' });
  const overall = h('progress', { max: 1, value: 0, 'aria-label': t('upload.overall') });
  const batchList = h('ol', { class: 'batches', 'aria-label': t('upload.batches') });
  const resultBody = h('tbody');
  const deviceHint = h('p', { class: 'muted field-hint', id: `${ids.device}-hint` });
  const browseLink = h('a', { class: 'btn', href: '#/photos', hidden: true }, t('upload.browse'));
  const refreshBrowse = () => {
    const id = flight.value.trim();
    browseLink.hidden = !FLIGHT.test(id);
    browseLink.setAttribute('href', `#/photos/${encodeURIComponent(id)}`);
  };
  flight.addEventListener('input', refreshBrowse);
  browseLink.addEventListener('click', (e) => {
    e.preventDefault();
    navigate(/** @type {string} */ (browseLink.getAttribute('href')));
  });

  const form = h(
    'form',
    { class: 'panel upload-form' },
    h('p', { class: 'muted' }, t('upload.intro')),
    h(
      'div',
      { class: 'form-row' },
      h('div', { class: 'field' }, h('label', { for: ids.flight }, t('upload.flight')), flight),
      h('div', { class: 'field' }, h('label', { for: ids.device }, t('upload.device')), device, deviceList, deviceHint),
    ),
    h(
      'div',
      { class: 'form-row' },
      h('div', { class: 'field' }, h('label', { for: ids.folder }, t('upload.folder')), folderPick),
      h('div', { class: 'field' }, h('label', { for: ids.files }, t('upload.files')), filesPick),
    ),
    error,
    h('div', { class: 'buttons' }, startButton, pauseButton, browseLink),
  );
  main.append(
    h(
      'section',
      { class: 'page upload' },
      h('header', { class: 'page-head' }, h('h1', {}, t('upload.title'))),
      form,
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'progress-h' },
        h('h2', { id: 'progress-h' }, t('upload.overall')),
        statusLine,
        overall,
        h('h3', {}, t('upload.batches')),
        batchList,
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'results-h' },
        h('h2', { id: 'results-h' }, t('upload.results')),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table results' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                [t('upload.file'), t('upload.size'), t('upload.progress'), t('upload.result'), t('upload.quality'), t('upload.flags'), 'SHA-256'].map((x) =>
                  h('th', { scope: 'col' }, x),
                ),
              ),
            ),
            resultBody,
          ),
        ),
      ),
    ),
  );
  // The pilot's own read of the drones (GET /drones): the device register itself is the centre's.
  api('/drones')
    .then((r) => {
      /** @type {{ id: string, name: string, kind: string }[]} */
      const drones = r.items;
      replace(
        deviceList,
        drones.map((d) => h('option', { value: d.id }, `${d.name} (${d.id})`)),
      );
      deviceHint.textContent = t('upload.dronesLoaded', { n: drones.length });
    })
    .catch(() => undefined);
  refreshBrowse();

  // ---- the table of files ----
  /** @param {Entry} e */
  const statusText = (e) => {
    const base = t(`upload.status.${e.status}`);
    return e.reason ? `${base}: ${e.reason}` : base;
  };
  const FINAL = ['stored', 'duplicate', 'skipped', 'rejected'];
  /** @param {Entry} e */
  function row(e) {
    e.row ??= h(
      'tr',
      {},
      h('td', { class: 'file-name' }, e.name),
      h('td', { class: 'num' }, fmtBytes(e.file.size)),
      h('td', { class: 'file-progress' }, h('progress', { max: 1, value: 0, 'aria-label': `${e.name} ${t('upload.progress')}` })),
      h('td', { class: 'file-status' }),
      h('td', { class: 'file-quality' }),
      h('td', { class: 'file-flags' }),
      h('td', {}, h('code', { class: 'sha' })),
    );
    e.row.className = `st-${e.status}${e.verdict && e.verdict !== 'ok' ? ' quality-doubtful' : ''}${e.flags.length ? ' flagged' : ''}`;
    const bar = /** @type {HTMLProgressElement} */ (e.row.children[2].firstChild);
    bar.value = FINAL.includes(e.status) ? 1 : e.sent;
    // The refusal in the page's language; the server's own words small underneath.
    replace(/** @type {HTMLElement} */ (e.row.children[3]), ...errorNodes({ text: statusText(e), detail: e.detail ?? null }));
    e.row.children[4].textContent = e.verdict ? t(`upload.verdict.${e.verdict}`) : '';
    replace(/** @type {HTMLElement} */ (e.row.children[5]), ...e.flags.map((f) => h('span', { class: 'badge badge-warn', title: f }, t(`upload.flag.${f}`))));
    /** @type {ChildNode} */ (e.row.children[6].firstChild).textContent = e.sha ? `${e.sha.slice(0, 16)}…` : '';
    return e.row;
  }
  /** @param {Entry} e */
  const paint = (e) => row(e);
  /** @param {FileList | null} files */
  function choose(files) {
    if (running) return;
    entries = [.../** @type {FileList} */ (files)]
      .sort((a, b) => (a.webkitRelativePath || a.name).localeCompare(b.webkitRelativePath || b.name))
      .map((file) => ({
        file,
        name: file.webkitRelativePath || file.name,
        status: IMAGE.test(file.name) || file.type.startsWith('image/') ? 'pending' : 'notImage',
        sha: null,
        reason: null,
        sent: 0,
        verdict: null,
        flags: [],
      }));
    batches = [];
    replace(batchList);
    replace(resultBody, entries.map(row));
    overall.value = 0;
    statusLine.textContent = '';
    error.textContent = '';
  }
  folder.addEventListener('change', () => choose(folder.files));
  picker.addEventListener('change', () => choose(picker.files));

  function updateOverall() {
    const photos = entries.filter((e) => e.status !== 'notImage');
    const finished = photos.filter((e) => ['skipped', 'stored', 'duplicate', 'rejected'].includes(e.status)).length;
    overall.max = Math.max(1, photos.length);
    overall.value = finished;
  }

  function summary() {
    /** @param {string} s */
    const n = (s) => entries.filter((e) => e.status === s).length;
    return t('upload.done', { stored: n('stored'), duplicate: n('duplicate'), skipped: n('skipped'), rejected: n('rejected') });
  }

  // ---- the steps ----
  /** @param {AbortSignal} signal */
  async function fingerprint(signal) {
    const unhashed = entries.filter((e) => e.status !== 'notImage' && !e.sha);
    let done = 0;
    for (const e of unhashed) {
      if (signal.aborted) return false;
      e.status = 'hashing';
      paint(e);
      e.sha = await sha256Hex(e.file);
      e.status = 'pending';
      paint(e);
      statusLine.textContent = t('upload.hashing', { done: ++done, total: unhashed.length });
    }
    return true;
  }

  /**
   * Which of these the server already has (marked skipped); answers the missing ones.
   * @param {Entry[]} list
   */
  async function check(list) {
    /** @type {Set<string | null>} */
    const missing = new Set();
    for (let i = 0; i < list.length; i += 1000) {
      const part = list.slice(i, i + 1000);
      const res = await api(`/flights/${encodeURIComponent(flight.value.trim())}/photos/check`, {
        method: 'POST',
        body: { sha256: [...new Set(part.map((e) => e.sha))] },
      });
      for (const sha of res.missing) missing.add(sha);
    }
    for (const e of list) {
      if (!missing.has(e.sha) && !['stored', 'duplicate'].includes(e.status)) {
        e.status = 'skipped';
        paint(e);
      }
    }
    return list.filter((e) => missing.has(e.sha));
  }

  /**
   * @param {Entry[]} list
   * @returns {Batch[]}
   */
  function makeBatches(list) {
    /** @type {Entry[][]} */
    const out = [];
    /** @type {Entry[]} */
    let cur = [];
    let bytes = 0;
    for (const e of list) {
      if (cur.length && (cur.length >= BATCH_FILES || bytes + e.file.size > BATCH_BYTES)) {
        out.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(e);
      bytes += e.file.size;
    }
    if (cur.length) out.push(cur);
    return out.map((files, i) => {
      const progress = h('progress', { max: 1, value: 0, 'aria-label': t('upload.batch', { n: i + 1, count: files.length }) });
      const state = h('span', { class: 'batch-state' }, t('upload.batchStatus.waiting'));
      const el = h('li', { class: 'batch' }, h('span', { class: 'batch-name' }, t('upload.batch', { n: i + 1, count: files.length })), progress, state);
      return { n: i + 1, files, progress, state, el, done: false };
    });
  }

  /** @type {(b: Batch, status: string, value?: number) => void} */
  const setBatch = (b, status, value) => {
    b.el.className = `batch batch-${status}`;
    b.state.textContent = t(`upload.batchStatus.${status}`);
    if (value !== undefined) b.progress.value = value;
  };

  /** @param {ApiError} err */
  const retryable = (err) => err.status === 0 || err.status >= 500 || err.status === 429;

  /**
   * @param {Batch} b
   * @param {AbortSignal} signal
   */
  async function sendBatch(b, signal) {
    let attempt = 0;
    while (!signal.aborted) {
      /** @type {Entry[]} */
      let files = [];
      try {
        // A retry first asks again: what arrived before the drop is not sent twice.
        const open = b.files.filter((e) => !['stored', 'duplicate', 'skipped', 'rejected'].includes(e.status));
        files = attempt === 0 ? open : await check(open);
        if (files.length === 0) {
          setBatch(b, 'done', 1);
          updateOverall();
          return true;
        }
        setBatch(b, 'uploading', 0);
        statusLine.textContent = t('upload.uploading', { batch: b.n, batches: batches.length });
        for (const e of files) {
          e.status = 'uploading';
          e.reason = null;
          e.detail = null;
          e.sent = 0;
          paint(e);
        }
        // The files go in order in one body: bytes sent so far say how far each one is.
        const sizes = files.map((e) => e.file.size);
        const totalBytes = Math.max(
          1,
          sizes.reduce((a, b) => a + b, 0),
        );
        /** @param {number} fraction */
        const onProgress = (fraction) => {
          b.progress.value = fraction;
          let before = 0;
          files.forEach((e, i) => {
            const sent = Math.min(1, Math.max(0, (fraction * totalBytes - before) / Math.max(1, sizes[i])));
            before += sizes[i];
            if (e.status !== 'uploading' && e.status !== 'sending') return;
            const next = sent >= 1 ? 'processing' : sent > 0 ? 'sending' : 'uploading';
            if (Math.abs(sent - e.sent) < 0.01 && next === e.status) return;
            e.sent = sent;
            e.status = next;
            paint(e);
          });
        };
        const data = new FormData();
        if (device.value.trim()) data.append('deviceId', device.value.trim());
        for (const e of files) {
          data.append('sha256', /** @type {string} */ (e.sha));
          data.append('photos', e.file, e.name.split('/').pop());
        }
        const res = await upload(`/flights/${encodeURIComponent(flight.value.trim())}/photos`, data, { signal, onProgress });
        const inFlight = ['uploading', 'sending', 'processing'];
        res.results.forEach(
          (
            /** @type {{ sha256?: string, status: string, reason?: string, detail?: string, flags?: string[], qualityVerdict?: string }} */ r,
            /** @type {number} */ i,
          ) => {
            const e = files.find((f) => r.sha256 && f.sha === r.sha256 && inFlight.includes(f.status)) ?? files[i];
            if (!e) return;
            e.status = r.status;
            const refusal = r.status === 'rejected' ? photoRefusal(r.reason, r.detail) : null;
            e.reason = refusal?.text ?? null;
            e.detail = refusal?.detail ?? null;
            e.flags = r.flags ?? [];
            e.verdict = r.qualityVerdict ?? null;
            e.sent = 1;
            paint(e);
          },
        );
        setBatch(b, 'done', 1);
        updateOverall();
        return true;
      } catch (caught) {
        const err = /** @type {ApiError} */ (caught);
        for (const e of files) {
          if (['uploading', 'sending', 'processing'].includes(e.status)) {
            e.status = 'retry';
            e.sent = 0;
            paint(e);
          }
        }
        setBatch(b, 'retry');
        if (err.name === 'AbortError') return false;
        if (!retryable(err)) throw err;
        const wait = Math.min(30, 2 ** Math.min(attempt, 5));
        statusLine.textContent = t('upload.offline', { seconds: wait });
        attempt += 1;
        await sleep(wait * 1000, signal);
      }
    }
    return false;
  }

  async function run() {
    error.textContent = '';
    if (!FLIGHT.test(flight.value.trim())) return (error.textContent = t('upload.flightInvalid'));
    if (!entries.some((e) => e.status !== 'notImage')) return (error.textContent = t('upload.noFiles'));
    running = true;
    controller = new AbortController();
    const { signal } = controller;
    startButton.hidden = true;
    pauseButton.hidden = false;
    folder.disabled = picker.disabled = flight.disabled = device.disabled = true;
    try {
      if (!(await fingerprint(signal))) return;
      if (batches.length === 0 || batches.every((b) => b.done)) {
        statusLine.textContent = t('upload.checking');
        const missing = await check(entries.filter((e) => e.sha && ['pending', 'retry'].includes(e.status)));
        batches = makeBatches(missing);
        replace(
          batchList,
          batches.map((b) => b.el),
        );
        updateOverall();
      }
      for (const b of batches) {
        if (b.done) continue;
        if (!(await sendBatch(b, signal))) return;
        b.done = true;
      }
      statusLine.textContent = summary();
      refreshBrowse();
    } catch (caught) {
      const err = /** @type {ApiError} */ (caught);
      replace(error, errorNodes({ text: t('app.error', { message: err.text }), detail: err.detail }));
    } finally {
      running = false;
      if (signal.aborted) statusLine.textContent = t('upload.paused');
      startButton.hidden = false;
      startButton.textContent = batches.some((b) => !b.done) ? t('upload.resume') : t('upload.start');
      pauseButton.hidden = true;
      folder.disabled = picker.disabled = flight.disabled = device.disabled = false;
      updateOverall();
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!running) void run();
  });
  pauseButton.addEventListener('click', () => controller?.abort());
  return () => controller?.abort();
}
