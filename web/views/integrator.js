// Events and dead letters: what a device sent and what became of it (a case, a suppression, nothing), and the
// messages that could not become events, with their reason. Totals are the server's; payloads shown on demand.
import { api, query } from '../api.js';
import { h, replace } from '../dom.js';
import { t, label, fmtDateTimeSeconds } from '../i18n.js';

/**
 * GET /api/v1/events, as this page reads it.
 * @typedef {{ id: string, caseNumber: string, status: string, categoryCode: string, opened: boolean }} EventCase
 * @typedef {{ reason: string, detail: string, count: number, matchedBy: 'latest' | 'span' }} EventSuppression
 * @typedef {{ id: string, source: string, sourceEventId: string, deviceId: string, occurredAt: string, receivedAt: string,
 *   rawPayload: string, rawPayloadChars: number, outcome: 'case' | 'suppressed' | 'none', cases: EventCase[], suppressions: EventSuppression[] }} EventRow
 * @typedef {{ reason: string, count: number }} ReasonCount
 * @typedef {{ items: EventRow[], total: number, deadLetters: { total: number, byReason: ReasonCount[] } }} EventAnswer
 */
/**
 * GET /api/v1/dead-letters, as this page reads it.
 * @typedef {{ id: string, transport: string, source: string, topic: string, reason: string, detail: string, deviceId: string | null,
 *   receivedAt: string, payloadBytes: number, payloadEncoding: 'utf8' | 'base64', payload: string, truncated: boolean,
 *   replay: { state: 'not-replayed' | 'replaying' | 'replayed', outcome: { status?: string } | null } }} DeadLetterRow
 * @typedef {{ items: DeadLetterRow[], total: number, byReason: ReasonCount[] }} DeadLetterAnswer
 */

const PAGE = 50;

/**
 * A datetime-local value (the browser's time) as an ISO instant; empty stays empty.
 * @param {string} value
 */
const instant = (value) => (value ? new Date(value).toISOString() : undefined);

/**
 * A button that shows or hides the payload beside it.
 * @param {string} payload
 * @param {{ encoding: 'utf8' | 'base64', bytes: number, truncated: boolean }} about
 */
function payloadToggle(payload, about) {
  const note = [
    about.encoding === 'base64' ? t('integrator.payloadBase64') : null,
    about.truncated ? t('integrator.payloadTruncated', { n: about.bytes }) : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const pre = h('pre', { class: 'raw-payload', hidden: true, tabindex: '0' }, payload);
  const box = h('div', { class: 'payload-box', hidden: true }, note ? h('p', { class: 'muted' }, note) : null, pre);
  const button = h('button', { type: 'button', class: 'btn btn-small', 'aria-expanded': 'false' }, t('integrator.showPayload'));
  button.addEventListener('click', () => {
    const open = box.hidden;
    box.hidden = !open;
    pre.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    button.textContent = t(open ? 'integrator.hidePayload' : 'integrator.showPayload');
  });
  return h('div', { class: 'payload-cell' }, button, box);
}

/** @param {EventRow} e */
function outcomeCell(e) {
  if (e.outcome === 'case') {
    return h(
      'td',
      { 'data-outcome': 'case' },
      e.cases.map((c) =>
        h(
          'div',
          {},
          h('span', { class: 'badge status-registered' }, t(c.opened ? 'integrator.caseOpened' : 'integrator.caseJoined')),
          ' ',
          h('a', { href: `#/cases/${c.id}`, class: 'link-strong' }, c.caseNumber),
          ' ',
          h('span', { class: 'muted' }, label('status', c.status)),
        ),
      ),
    );
  }
  if (e.outcome === 'suppressed') {
    return h(
      'td',
      { 'data-outcome': 'suppressed' },
      e.suppressions.map((s) =>
        h(
          'div',
          {},
          h('span', { class: 'badge status-rejected' }, t('integrator.suppressed')),
          ' ',
          h('strong', {}, s.reason),
          ' ',
          h('span', { class: 'muted' }, s.detail),
        ),
      ),
    );
  }
  return h('td', { 'data-outcome': 'none' }, h('span', { class: 'muted' }, t('integrator.noRule')));
}

/**
 * Previous / next, with "41–50 of 73".
 * @param {number} offset
 * @param {number} shown
 * @param {number} total
 * @param {(offset: number) => void} go
 */
function pager(offset, shown, total, go) {
  return h(
    'div',
    { class: 'pager' },
    h('button', { type: 'button', class: 'btn btn-small', disabled: offset === 0, onClick: () => go(Math.max(0, offset - PAGE)) }, t('integrator.previous')),
    h('span', { class: 'muted' }, shown === 0 ? '' : t('integrator.range', { from: offset + 1, to: offset + shown, total })),
    h('button', { type: 'button', class: 'btn btn-small', disabled: offset + shown >= total, onClick: () => go(offset + PAGE) }, t('integrator.next')),
  );
}

/**
 * @param {string} id
 * @param {string} text
 * @param {HTMLElement} control
 */
const field = (id, text, control) => {
  control.id = id;
  return h('div', { class: 'field field-inline' }, h('label', { for: id }, text), control);
};

/**
 * @param {HTMLElement} main
 * @param {string[]} params  #/events/<device>: that device's events at once
 * @param {import('../app.js').ViewContext} ctx
 */
export async function render(main, params, { setTitle }) {
  setTitle(t('integrator.title'));

  // ---- events of a device ----
  const devices = /** @type {{ items: { id: string, name: string }[] }} */ (await api('/devices'));
  const deviceList = h(
    'datalist',
    { id: 'integrator-devices' },
    devices.items.map((d) => h('option', { value: d.id }, d.name)),
  );
  const device = h('input', { type: 'text', list: 'integrator-devices', value: params[0] ?? '', autocomplete: 'off', required: true });
  const from = h('input', { type: 'datetime-local', step: '1' });
  const to = h('input', { type: 'datetime-local', step: '1' });
  const text = h('input', { type: 'search', maxlength: '200' });
  const eventsSummary = h('p', { class: 'events-summary', 'aria-live': 'polite' });
  const eventsBody = h('div', { class: 'events-body' });
  let eventsOffset = 0;

  const loadEvents = async () => {
    if (!device.value.trim()) return;
    eventsBody.setAttribute('aria-busy', 'true');
    const answer = /** @type {EventAnswer} */ (
      await api(
        `/events${query({ device: device.value.trim(), from: instant(from.value), to: instant(to.value), q: text.value.trim(), limit: PAGE, offset: eventsOffset })}`,
      )
    );
    eventsSummary.textContent = t('integrator.eventsTotal', { total: answer.total, deadLetters: answer.deadLetters.total });
    const reasons = answer.deadLetters.byReason.map((r) =>
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small',
          'data-reason': r.reason,
          onClick: () => {
            dlDevice.value = device.value.trim();
            dlReason.value = r.reason;
            dlOffset = 0;
            void loadDeadLetters();
          },
        },
        `${r.reason} · ${r.count}`,
      ),
    );
    replace(
      eventsBody,
      reasons.length ? h('p', { class: 'dead-letter-reasons' }, t('integrator.deadLettersOfDevice'), ' ', reasons) : null,
      answer.items.length === 0
        ? h('p', { class: 'muted' }, t('integrator.noEvents'))
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table events-table' },
              h('caption', { class: 'visually-hidden' }, t('integrator.events')),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  [t('integrator.occurredAt'), t('integrator.eventId'), t('integrator.source'), t('integrator.outcome'), t('integrator.payload')].map((x) =>
                    h('th', { scope: 'col' }, x),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                answer.items.map((e) =>
                  h(
                    'tr',
                    { 'data-event': e.sourceEventId },
                    h('td', {}, h('time', { datetime: e.occurredAt }, fmtDateTimeSeconds(e.occurredAt))),
                    h('td', {}, h('code', {}, e.sourceEventId)),
                    h('td', {}, label('source', e.source)),
                    outcomeCell(e),
                    h(
                      'td',
                      {},
                      payloadToggle(e.rawPayload, { encoding: 'utf8', bytes: e.rawPayloadChars, truncated: e.rawPayloadChars > e.rawPayload.length }),
                    ),
                  ),
                ),
              ),
            ),
          ),
      pager(eventsOffset, answer.items.length, answer.total, (offset) => {
        eventsOffset = offset;
        void loadEvents();
      }),
    );
    eventsBody.setAttribute('aria-busy', 'false');
  };

  const eventsForm = h(
    'form',
    {
      class: 'filters',
      onSubmit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        eventsOffset = 0;
        void loadEvents();
      },
    },
    field('integrator-device', t('integrator.device'), device),
    field('integrator-from', t('integrator.from'), from),
    field('integrator-to', t('integrator.to'), to),
    field('integrator-q', t('integrator.search'), text),
    h('button', { type: 'submit', class: 'btn btn-primary' }, t('integrator.show')),
  );

  // ---- dead letters ----
  const dlReason = h('select', {}, h('option', { value: '' }, t('integrator.allReasons')));
  const dlDevice = h('input', { type: 'text', list: 'integrator-devices', autocomplete: 'off' });
  const dlSummary = h('p', { class: 'dead-letters-summary', 'aria-live': 'polite' });
  const dlBody = h('div', { class: 'dead-letters-body' });
  let dlOffset = 0;

  /** @param {ReasonCount[]} byReason */
  const fillReasons = (byReason) => {
    const chosen = dlReason.value;
    const known = new Set(byReason.map((r) => r.reason));
    replace(
      dlReason,
      h('option', { value: '' }, t('integrator.allReasons')),
      byReason.map((r) => h('option', { value: r.reason, selected: r.reason === chosen }, `${r.reason} (${r.count})`)),
      // A reason chosen elsewhere with no dead letter in this view stays chosen.
      chosen && !known.has(chosen) ? h('option', { value: chosen, selected: true }, `${chosen} (0)`) : null,
    );
  };

  const loadDeadLetters = async () => {
    dlBody.setAttribute('aria-busy', 'true');
    const answer = /** @type {DeadLetterAnswer} */ (
      await api(`/dead-letters${query({ reason: dlReason.value, device: dlDevice.value.trim(), limit: PAGE, offset: dlOffset })}`)
    );
    fillReasons(answer.byReason);
    dlSummary.textContent = t('integrator.deadLettersTotal', { total: answer.total });
    replace(
      dlBody,
      answer.items.length === 0
        ? h('p', { class: 'muted' }, t('integrator.noDeadLetters'))
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table dead-letters-table' },
              h('caption', { class: 'visually-hidden' }, t('integrator.deadLetters')),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  [
                    t('integrator.receivedAt'),
                    t('integrator.reason'),
                    t('integrator.source'),
                    t('integrator.device'),
                    t('integrator.detail'),
                    t('integrator.replay'),
                    t('integrator.payload'),
                  ].map((x) => h('th', { scope: 'col' }, x)),
                ),
              ),
              h(
                'tbody',
                {},
                answer.items.map((d) =>
                  h(
                    'tr',
                    { 'data-dead-letter': d.id, 'data-reason': d.reason },
                    h('td', {}, h('time', { datetime: d.receivedAt }, fmtDateTimeSeconds(d.receivedAt))),
                    h('td', {}, h('strong', {}, d.reason)),
                    h('td', {}, label('source', d.source)),
                    h('td', {}, d.deviceId ? h('code', {}, d.deviceId) : h('span', { class: 'muted' }, '—')),
                    h('td', { class: 'detail-cell' }, d.detail),
                    h(
                      'td',
                      {},
                      t(`integrator.replay.${d.replay.state}`),
                      d.replay.outcome?.status ? h('span', { class: 'muted' }, ` · ${d.replay.outcome.status}`) : null,
                    ),
                    h('td', {}, payloadToggle(d.payload, { encoding: d.payloadEncoding, bytes: d.payloadBytes, truncated: d.truncated })),
                  ),
                ),
              ),
            ),
          ),
      pager(dlOffset, answer.items.length, answer.total, (offset) => {
        dlOffset = offset;
        void loadDeadLetters();
      }),
    );
    dlBody.setAttribute('aria-busy', 'false');
  };

  const dlForm = h(
    'form',
    {
      class: 'filters',
      onSubmit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        dlOffset = 0;
        void loadDeadLetters();
      },
    },
    field('integrator-reason', t('integrator.reason'), dlReason),
    field('integrator-dl-device', t('integrator.device'), dlDevice),
    h('button', { type: 'submit', class: 'btn btn-primary' }, t('integrator.show')),
  );
  dlReason.addEventListener('change', () => {
    dlOffset = 0;
    void loadDeadLetters();
  });

  replace(
    main,
    h(
      'section',
      { class: 'page integrator' },
      h('h1', {}, t('integrator.title')),
      h('p', { class: 'hint' }, t('integrator.hint')),
      deviceList,
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'integrator-events-h' },
        h('h2', { id: 'integrator-events-h' }, t('integrator.events')),
        eventsForm,
        eventsSummary,
        eventsBody,
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'integrator-dead-letters-h' },
        h('h2', { id: 'integrator-dead-letters-h' }, t('integrator.deadLetters')),
        h('p', { class: 'hint' }, t('integrator.deadLettersHint')),
        dlForm,
        dlSummary,
        dlBody,
      ),
    ),
  );
  await Promise.all([loadEvents(), loadDeadLetters()]);
}
