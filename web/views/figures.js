// Figures: opened / closed counts, the closure rate and the on-time closure rate per township, category or handling
// unit over time, and the files for the dispatch meeting (调度会). Periods are the district's days (+08:00): the page
// sends dates, the server reads them in the district's zone. Rates are drawn on a fixed 0–100 % scale per row, so
// one big township does not flatten the others; counts are printed.
import { api, download, errorText, query } from '../api.js';
import { h, s, replace, nextId, toast } from '../dom.js';
import { t, fmtDate, fmtMonth, fmtPercent, fmtDateTime } from '../i18n.js';
import { district, townshipName, categoryName, unitName } from '../district.js';
import { barLineChart, sparkline, dataTable, legend } from '../charts.js';

/** @type {Record<string, { buckets: number, unit: 'week' | 'month' }>} */
const PERIODS = {
  '8w': { buckets: 8, unit: 'week' },
  '6m': { buckets: 6, unit: 'month' },
  '12m': { buckets: 12, unit: 'month' },
};
const DAY = 86_400_000;

/** The district's UTC offset in minutes ('+08:00' → 480). */
function offsetMinutes() {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(district()?.timezone ?? '+08:00');
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 480;
}
/** A district date 'YYYY-MM-DD' as a day number (UTC midnight of that date, in ms) and back. */
/** @param {string} d */
const dayMs = (d) => Date.parse(`${d}T00:00:00Z`);
/** @param {number} ms */
const dateOf = (ms) => new Date(ms).toISOString().slice(0, 10);
/** The instant a district date starts, for labels. */
/** @param {string} d */
const startOf = (d) => new Date(dayMs(d) - offsetMinutes() * 60_000);
const todayInDistrict = () => dateOf(Date.now() + offsetMinutes() * 60_000);

/**
 * Adjacent periods as district dates [from, to).
 * @param {string} period
 * @param {{ from: string, to: string }} custom to is inclusive
 * @returns {{ from: string, to: string, label: string }[]}
 */
function bucketsOf(period, custom) {
  const out = [];
  if (period === 'custom') {
    const from = dayMs(custom.from);
    const end = dayMs(custom.to) + DAY;
    // Days for a month or less, weeks beyond.
    const step = end - from <= 31 * DAY ? DAY : 7 * DAY;
    for (let a = from; a < end; a += step) {
      const b = Math.min(end, a + step);
      out.push({ from: dateOf(a), to: dateOf(b), label: fmtDate(startOf(dateOf(a))) });
    }
    return out;
  }
  const { buckets, unit } = PERIODS[period];
  const end = dayMs(todayInDistrict()) + DAY;
  if (unit === 'week') {
    for (let i = buckets - 1; i >= 0; i--) {
      const to = end - i * 7 * DAY;
      out.push({ from: dateOf(to - 7 * DAY), to: dateOf(to), label: fmtDate(startOf(dateOf(to - 7 * DAY))) });
    }
  } else {
    const today = new Date(end - DAY);
    for (let i = buckets - 1; i >= 0; i--) {
      const from = Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - i, 1);
      const to = Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - i + 1, 1);
      out.push({ from: dateOf(from), to: dateOf(to), label: fmtMonth(startOf(dateOf(from))) });
    }
  }
  return out;
}

/**
 * A rate on a fixed 0–100 % bar with its value printed: comparable across groups of any size.
 * @param {number | null} rate
 * @param {string} label
 * @param {string} [kind]
 */
function rateCell(rate, label, kind = '') {
  const svg = s(
    'svg',
    { viewBox: '0 0 100 10', class: 'rate-bar', preserveAspectRatio: 'none', role: 'img', 'aria-label': `${label}: ${fmtPercent(rate)}` },
    s('rect', { x: 0, y: 0, width: 100, height: 10, class: 'track' }),
    rate === null ? null : s('rect', { x: 0, y: 0, width: Math.max(0, Math.min(100, rate * 100)), height: 10, class: ['fill', kind] }),
  );
  return h('td', { class: 'rate-cell' }, h('span', { class: 'num rate-value' }, fmtPercent(rate)), svg);
}

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').ViewContext} ctx
 */
export async function render(main, _params, { setTitle }) {
  setTitle(t('figures.title'));
  const today = todayInDistrict();
  /** @type {Record<'by' | 'period' | 'from' | 'to', string>} */
  const state = {
    by: sessionStorage.getItem('cp.figures.by') ?? 'township',
    period: sessionStorage.getItem('cp.figures.period') ?? '8w',
    from: sessionStorage.getItem('cp.figures.from') ?? dateOf(dayMs(today) - 29 * DAY),
    to: sessionStorage.getItem('cp.figures.to') ?? today,
  };
  if (!['township', 'category', 'team'].includes(state.by)) state.by = 'township';
  const body = h('div', { class: 'figures-body', 'aria-live': 'polite', 'aria-busy': 'true' });
  const formError = h('p', { class: 'form-error', role: 'alert' });
  /**
   * @param {'by' | 'period'} name
   * @param {string} labelText
   * @param {string[][]} options [value, text]
   */
  const control = (name, labelText, options) => {
    const id = nextId(name);
    const el = h(
      'select',
      { id, name },
      options.map(([v, text]) => h('option', { value: v, selected: state[name] === v }, text)),
    );
    el.addEventListener('change', () => {
      state[name] = el.value;
      sessionStorage.setItem(`cp.figures.${name}`, el.value);
      customDates.hidden = state.period !== 'custom';
      void load();
    });
    return h('div', { class: 'field field-inline' }, h('label', { for: id }, labelText), el);
  };
  /** @param {'from' | 'to'} name */
  const dateField = (name) => {
    const id = nextId(name);
    const el = h('input', { id, name, type: 'date', value: state[name], max: today });
    el.addEventListener('change', () => {
      if (!el.value) return;
      state[name] = el.value;
      sessionStorage.setItem(`cp.figures.${name}`, el.value);
      void load();
    });
    return h('div', { class: 'field field-inline' }, h('label', { for: id }, t(`figures.${name}`)), el);
  };
  const customDates = h('div', { class: 'custom-dates form-row', hidden: state.period !== 'custom' }, dateField('from'), dateField('to'));

  /** The whole period, [from, to) in district dates. */
  const whole = () => {
    const b = bucketsOf(state.period, state);
    return { from: b[0].from, to: /** @type {{ to: string }} */ (b.at(-1)).to };
  };
  /** @param {Record<string, string>} extra */
  const exportPath = (extra) => `/figures/export${query({ ...whole(), by: state.by, lang: document.documentElement.lang === 'en' ? 'en' : 'zh', ...extra })}`;
  /**
   * @param {string} text
   * @param {Record<string, string>} extra
   * @param {string} fallback
   */
  const exportButton = (text, extra, fallback) => {
    const b = h('button', { type: 'button', class: 'btn' }, text);
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        toast(t('figures.exported', { name: await download(exportPath(extra), fallback) }), 'ok');
      } catch (caught) {
        toast(t('app.error', { message: errorText(caught) }), 'warn');
      } finally {
        b.disabled = false;
      }
    });
    return b;
  };
  const exports = h(
    'div',
    { class: 'export-buttons', role: 'group', 'aria-label': t('figures.export') },
    h('span', { class: 'muted' }, t('figures.export')),
    exportButton(t('figures.export.xlsx'), { format: 'xlsx' }, 'figures.xlsx'),
    exportButton(t('figures.export.csv'), { format: 'csv' }, 'figures.csv'),
    exportButton(t('figures.export.overdueCsv'), { format: 'csv', sheet: 'overdue' }, 'figures-overdue.csv'),
  );

  main.append(
    h(
      'section',
      { class: 'page figures' },
      h('header', { class: 'page-head' }, h('h1', {}, t('figures.title'))),
      h(
        'form',
        { class: 'filters', 'aria-label': t('figures.title') },
        control(
          'by',
          t('figures.by'),
          ['township', 'category', 'team'].map((v) => [v, t(`figures.by.${v}`)]),
        ),
        control(
          'period',
          t('figures.period'),
          [...Object.keys(PERIODS), 'custom'].map((v) => [v, t(`figures.period.${v}`)]),
        ),
        customDates,
        exports,
      ),
      formError,
      body,
    ),
  );

  let seq = 0;
  async function load() {
    const my = ++seq;
    formError.textContent = '';
    if (state.period === 'custom' && (state.to < state.from || dayMs(state.to) - dayMs(state.from) >= 366 * DAY)) {
      formError.textContent = t('figures.badPeriod');
      return;
    }
    body.setAttribute('aria-busy', 'true');
    const buckets = bucketsOf(state.period, state);
    /** @type {(from: string, to: string) => Promise<any>} */
    const ask = (from, to) => api(`/figures${query({ from, to, by: state.by })}`);
    const span = whole();
    const [all, ...per] = await Promise.all([ask(span.from, span.to), ...buckets.map((b) => ask(b.from, b.to))]);
    if (my !== seq) return;
    body.setAttribute('aria-busy', 'false');
    /** @type {(g: { key: string, name: string }) => string} */
    const nameOf = (g) => {
      if (g.key === '(none)') return g.name;
      if (state.by === 'township') return townshipName(g.key);
      if (state.by === 'category') return categoryName(g.key);
      return unitName(g.key);
    };
    const groupWord = t(`figures.group.${state.by}`);
    if (all.groups.length === 0 && all.total.opened === 0 && all.total.due === 0) {
      replace(body, h('p', { class: 'muted' }, t('figures.noData')));
      return;
    }
    const labels = buckets.map((b) => b.label);
    const T = all.total;
    /** @type {[string, string, boolean?][]} */
    const tiles = [
      [t('figures.opened'), String(T.opened)],
      [t('figures.due'), String(T.due)],
      [t('figures.closed'), String(T.closed)],
      [t('figures.closureRate'), fmtPercent(T.closureRate)],
      [t('figures.onTimeRate'), fmtPercent(T.onTimeClosureRate)],
      [t('figures.overdueOpen'), String(T.open), T.open > 0],
      [t('figures.pending'), String(T.pending ?? 0)],
    ];
    const overTime = barLineChart({
      title: t('figures.overTime'),
      labels,
      series: [
        { name: t('figures.opened'), values: per.map((p) => p.total.opened) },
        { name: t('figures.closed'), values: per.map((p) => p.total.closed) },
      ],
      rate: { name: t('figures.onTimeRate'), values: per.map((p) => p.total.onTimeClosureRate) },
    });
    const groups = [...all.groups].sort((a, b) => b.opened - a.opened || b.due - a.due);
    /** @type {(key: string, field: 'opened' | 'onTimeClosureRate') => (number | null)[]} */
    const series = (key, field) =>
      per.map((p) => p.groups.find((/** @type {{ key: string }} */ g) => g.key === key)?.[field] ?? (field === 'onTimeClosureRate' ? null : 0));

    replace(
      body,
      h(
        'section',
        { class: 'panel figures-summary' },
        h('h2', {}, `${t('figures.title')} · ${t('figures.asOf', { at: fmtDateTime(all.asOf) })}`),
        h(
          'ul',
          { class: 'stats', 'aria-label': t('figures.title') },
          tiles.map(([name, value, alarm]) =>
            h('li', { class: ['stat', alarm && 'alarm'] }, h('span', { class: 'stat-n' }, value), h('span', { class: 'stat-label' }, name)),
          ),
        ),
        h('p', { class: 'muted rate-note' }, t('figures.rateNote')),
      ),
      h(
        'figure',
        { class: 'panel chart-panel' },
        h('figcaption', {}, h('h2', {}, t('figures.overTime'))),
        legend([
          ['series-0', t('figures.opened')],
          ['series-1', t('figures.closed')],
          ['rate', t('figures.onTimeRate')],
        ]),
        overTime,
        dataTable(
          t('figures.table'),
          [
            '',
            t('figures.opened'),
            t('figures.due'),
            t('figures.closed'),
            t('figures.onTime'),
            t('figures.closureRate'),
            t('figures.onTimeRate'),
            t('figures.pending'),
          ],
          per.map((p, i) => [
            labels[i],
            p.total.opened,
            p.total.due,
            p.total.closed,
            p.total.closedOnTime,
            fmtPercent(p.total.closureRate),
            fmtPercent(p.total.onTimeClosureRate),
            p.total.pending ?? 0,
          ]),
        ),
      ),
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, t('figures.rates', { group: groupWord })),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table rate-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                [
                  groupWord,
                  t('figures.opened'),
                  t('figures.due'),
                  t('figures.closed'),
                  t('figures.closureRate'),
                  t('figures.onTimeRate'),
                  t('figures.overdueOpen'),
                  t('figures.pending'),
                  t('figures.median'),
                ].map((x) => h('th', { scope: 'col' }, x)),
              ),
            ),
            h(
              'tbody',
              {},
              groups.map((g) =>
                h(
                  'tr',
                  { dataset: { key: g.key } },
                  h('th', { scope: 'row' }, nameOf(g)),
                  h('td', { class: 'num' }, g.opened),
                  h('td', { class: 'num' }, g.due),
                  h('td', { class: 'num' }, g.closed),
                  rateCell(g.closureRate, `${nameOf(g)} ${t('figures.closureRate')}`),
                  rateCell(g.onTimeClosureRate, `${nameOf(g)} ${t('figures.onTimeRate')}`, 'on-time'),
                  h('td', { class: ['num', g.open > 0 && 'overdue'] }, g.open),
                  h('td', { class: 'num' }, g.pending ?? 0),
                  h('td', { class: 'num' }, g.medianTimeToCloseMinutes === null ? '—' : Math.round(g.medianTimeToCloseMinutes)),
                ),
              ),
            ),
          ),
        ),
      ),
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, t('figures.trend', { group: groupWord })),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table trend-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                [t('figures.name'), `${t('figures.opened')} (${labels[0]} – ${labels.at(-1)})`, t('figures.onTimeRate')].map((x) =>
                  h('th', { scope: 'col' }, x),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              groups.map((g) => {
                const opened = /** @type {number[]} opened counts are never null */ (series(g.key, 'opened'));
                return h(
                  'tr',
                  {},
                  h('th', { scope: 'row' }, nameOf(g)),
                  // Each row on its own scale, with its peak printed: a big township does not flatten a small one.
                  h(
                    'td',
                    {},
                    sparkline(opened, { max: Math.max(1, ...opened), label: `${nameOf(g)} ${t('figures.opened')}: ${opened.join(', ')}` }),
                    h('span', { class: 'muted' }, ` ≤ ${Math.max(0, ...opened)}`),
                  ),
                  h(
                    'td',
                    {},
                    sparkline(series(g.key, 'onTimeClosureRate'), {
                      max: 1,
                      kind: 'rate',
                      label: `${nameOf(g)} ${t('figures.onTimeRate')}: ${series(g.key, 'onTimeClosureRate').map(fmtPercent).join(', ')}`,
                    }),
                  ),
                );
              }),
            ),
          ),
        ),
        all.falsePositives?.overall
          ? h('p', { class: 'muted' }, `${t('figures.falsePositive')}: ${fmtPercent(all.falsePositives.overall.rate ?? null)}`)
          : null,
      ),
    );
  }
  await load();
}
