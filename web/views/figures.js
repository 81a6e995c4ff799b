// Figures: opened / closed counts and the on-time closure rate per township or category over time.
import { api, query } from '../api.js';
import { h, replace, nextId } from '../dom.js';
import { t, fmtDate, fmtMonth, fmtPercent } from '../i18n.js';
import { townshipName, categoryName } from '../district.js';
import { barLineChart, hBarChart, sparkline, dataTable, legend } from '../charts.js';

/** @type {Record<string, { buckets: number, unit: 'week' | 'month' }>} */
const PERIODS = {
  '8w': { buckets: 8, unit: 'week' },
  '6m': { buckets: 6, unit: 'month' },
  '12m': { buckets: 12, unit: 'month' },
};

/**
 * @param {string} period
 * @returns {{ from: Date, to: Date, label: string }[]}
 */
function bucketsOf(period) {
  const { buckets, unit } = PERIODS[period];
  const end = new Date();
  end.setHours(24, 0, 0, 0);
  const out = [];
  if (unit === 'week') {
    for (let i = buckets - 1; i >= 0; i--) {
      const to = new Date(end.getTime() - i * 7 * 86_400_000);
      out.push({ from: new Date(to.getTime() - 7 * 86_400_000), to, label: fmtDate(new Date(to.getTime() - 7 * 86_400_000)) });
    }
  } else {
    const first = new Date(end.getFullYear(), end.getMonth() + 1, 1);
    for (let i = buckets; i >= 1; i--) {
      const from = new Date(first.getFullYear(), first.getMonth() - i, 1);
      const to = new Date(first.getFullYear(), first.getMonth() - i + 1, 1);
      out.push({ from, to, label: fmtMonth(from) });
    }
  }
  return out;
}

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').ViewContext} ctx
 */
export async function render(main, _params, { setTitle }) {
  setTitle(t('figures.title'));
  /** @type {Record<'by' | 'period', string>} */
  const state = { by: sessionStorage.getItem('cp.figures.by') ?? 'township', period: sessionStorage.getItem('cp.figures.period') ?? '8w' };
  const body = h('div', { class: 'figures-body', 'aria-live': 'polite', 'aria-busy': 'true' });
  /**
   * @param {keyof typeof state} name
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
      void load();
    });
    return h('div', { class: 'field field-inline' }, h('label', { for: id }, labelText), el);
  };
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
          ['township', 'category'].map((v) => [v, t(`figures.by.${v}`)]),
        ),
        control(
          'period',
          t('figures.period'),
          Object.keys(PERIODS).map((v) => [v, t(`figures.period.${v}`)]),
        ),
      ),
      body,
    ),
  );

  let seq = 0;
  async function load() {
    const my = ++seq;
    body.setAttribute('aria-busy', 'true');
    const buckets = bucketsOf(state.period);
    /** @type {(from: Date, to: Date) => Promise<any>} */
    const ask = (from, to) => api(`/figures${query({ from: from.toISOString(), to: to.toISOString(), by: state.by })}`);
    const last = /** @type {{ to: Date }} */ (buckets.at(-1));
    const [whole, ...per] = await Promise.all([ask(buckets[0].from, last.to), ...buckets.map((b) => ask(b.from, b.to))]);
    if (my !== seq) return;
    body.setAttribute('aria-busy', 'false');
    /** @type {(g: { key: string, name: string }) => string} */
    const nameOf = (g) => (state.by === 'township' ? (g.key === '(none)' ? g.name : townshipName(g.key)) : categoryName(g.key));
    const groupWord = t(`figures.group.${state.by}`);
    if (whole.groups.length === 0 && whole.total.opened === 0) {
      replace(body, h('p', { class: 'muted' }, t('figures.noData')));
      return;
    }
    const labels = buckets.map((b) => b.label);
    const overTime = barLineChart({
      title: t('figures.overTime'),
      labels,
      series: [
        { name: t('figures.opened'), values: per.map((p) => p.total.opened) },
        { name: t('figures.closed'), values: per.map((p) => p.total.closed) },
      ],
      rate: { name: t('figures.onTimeRate'), values: per.map((p) => p.total.onTimeClosureRate) },
    });
    const groups = [...whole.groups].sort((a, b) => b.opened - a.opened);
    const perGroup = hBarChart({
      title: t('figures.perGroup', { group: groupWord }),
      rows: groups.map((g) => ({ name: nameOf(g), values: [g.opened, g.closed], rate: g.onTimeClosureRate })),
      seriesNames: [t('figures.opened'), t('figures.closed')],
      rateName: t('figures.onTimeRate'),
    });
    /** @type {(key: string, field: 'opened' | 'onTimeClosureRate') => (number | null)[]} */
    const series = (key, field) =>
      per.map((p) => p.groups.find((/** @type {{ key: string }} */ g) => g.key === key)?.[field] ?? (field === 'onTimeClosureRate' ? null : 0));
    const maxOpened = Math.max(1, ...groups.flatMap((g) => /** @type {number[]} opened counts are never null */ (series(g.key, 'opened'))));

    replace(
      body,
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
          ['', t('figures.opened'), t('figures.due'), t('figures.closed'), t('figures.onTime'), t('figures.onTimeRate')],
          per.map((p, i) => [labels[i], p.total.opened, p.total.due, p.total.closed, p.total.closedOnTime, fmtPercent(p.total.onTimeClosureRate)]),
        ),
      ),
      h(
        'figure',
        { class: 'panel chart-panel' },
        h('figcaption', {}, h('h2', {}, t('figures.perGroup', { group: groupWord }))),
        legend([
          ['series-0', t('figures.opened')],
          ['series-1', t('figures.closed')],
          ['rate-text', `${t('figures.onTimeRate')} (%)`],
        ]),
        perGroup,
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
                [
                  t('figures.name'),
                  `${t('figures.opened')} (${labels[0]} – ${labels.at(-1)})`,
                  t('figures.onTimeRate'),
                  t('figures.opened'),
                  t('figures.due'),
                  t('figures.closed'),
                  t('figures.onTimeRate'),
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
                  {},
                  h('th', { scope: 'row' }, nameOf(g)),
                  h(
                    'td',
                    {},
                    sparkline(series(g.key, 'opened'), { max: maxOpened, label: `${nameOf(g)} ${t('figures.opened')}: ${series(g.key, 'opened').join(', ')}` }),
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
                  h('td', { class: 'num' }, g.opened),
                  h('td', { class: 'num' }, g.due),
                  h('td', { class: 'num' }, g.closed),
                  h('td', { class: 'num' }, fmtPercent(g.onTimeClosureRate)),
                  h('td', { class: 'num' }, g.medianTimeToCloseMinutes ?? '—'),
                ),
              ),
            ),
          ),
        ),
        whole.falsePositives?.overall
          ? h('p', { class: 'muted' }, `${t('figures.falsePositive')}: ${fmtPercent(whole.falsePositives.overall.rate ?? null)}`)
          : null,
      ),
    );
  }
  await load();
}
