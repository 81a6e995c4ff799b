// Charts as inline SVG: bars with an optional rate line, horizontal bars, sparklines. Each chart comes
// with a text alternative; colours come from CSS classes (series-0, series-1, rate).
import { h, s } from './dom.js';
import { fmtPercent } from './i18n.js';

/** A top for a 4-step axis whose ticks are whole, round numbers (1, 2, 5 × 10^k per step). */
/** @param {number} v */
function niceMax(v) {
  const raw = Math.max(1, v) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((x) => x >= raw && Number.isInteger(x)) ?? Math.ceil(raw);
  return step * 4;
}

/**
 * Grouped vertical bars per period (series) and a rate line on a 0–100% right axis.
 * @param {{ title: string, labels: string[], series: { name: string, values: number[] }[], rate?: { name: string, values: (number | null)[] } }} chart
 */
export function barLineChart({ title, labels, series, rate }) {
  const W = 600;
  const H = 260;
  const m = { l: 36, r: 44, t: 14, b: 30 };
  const iw = W - m.l - m.r;
  const ih = H - m.t - m.b;
  const max = niceMax(Math.max(1, ...series.flatMap((x) => x.values)));
  const band = iw / Math.max(1, labels.length);
  const bw = Math.min(26, (band * 0.7) / series.length);
  /** @param {number} v */
  const y = (v) => m.t + ih - (v / max) * ih;
  /** @param {number} r */
  const yr = (r) => m.t + ih - r * ih;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    svg.append(s('line', { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), class: 'gridline' }));
    svg.append(s('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, String(Math.round(v))));
    if (rate) svg.append(s('text', { x: W - m.r + 6, y: yr(i / 4) + 4, class: 'axis axis-rate' }, `${i * 25}%`));
  }
  labels.forEach((lab, i) => {
    const x0 = m.l + band * i + (band - bw * series.length) / 2;
    series.forEach((ser, k) => {
      const v = ser.values[i] ?? 0;
      svg.append(
        s(
          'rect',
          { x: x0 + k * bw, y: y(v), width: bw - 2, height: Math.max(0, m.t + ih - y(v)), class: `bar series-${k}` },
          s('title', {}, `${lab} · ${ser.name}: ${v}`),
        ),
      );
    });
    svg.append(s('text', { x: m.l + band * i + band / 2, y: H - m.b + 16, 'text-anchor': 'middle', class: 'axis' }, lab));
  });
  if (rate) {
    const pts = rate.values.map((r, i) => (r === null ? null : [m.l + band * i + band / 2, yr(r)]));
    let d = '';
    pts.forEach((p, i) => {
      if (!p) return;
      d += `${d && pts[i - 1] ? 'L' : 'M'}${p[0].toFixed(1)} ${p[1].toFixed(1)}`;
    });
    if (d) svg.append(s('path', { d, class: 'rate-line' }));
    pts.forEach(
      (p, i) =>
        p &&
        svg.append(s('circle', { cx: p[0], cy: p[1], r: 4, class: 'rate-dot' }, s('title', {}, `${labels[i]} · ${rate.name}: ${fmtPercent(rate.values[i])}`))),
    );
  }
  return svg;
}

/**
 * One row per group: bars for each series and the rate written at the end.
 * @param {{ title: string, rows: { name: string, values: number[], rate: number | null }[], seriesNames: string[], rateName: string }} chart
 */
export function hBarChart({ title, rows, seriesNames, rateName }) {
  const W = 600;
  const rowH = 30;
  const m = { l: 120, r: 64, t: 8, b: 8 };
  const H = m.t + m.b + rowH * Math.max(1, rows.length);
  const max = niceMax(Math.max(1, ...rows.flatMap((r) => r.values)));
  const iw = W - m.l - m.r;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  rows.forEach((r, i) => {
    const top = m.t + i * rowH;
    svg.append(
      s('text', { x: m.l - 8, y: top + rowH / 2 + 4, 'text-anchor': 'end', class: 'axis axis-name' }, r.name.length > 12 ? `${r.name.slice(0, 11)}…` : r.name),
    );
    const bh = (rowH - 8) / r.values.length;
    r.values.forEach((v, k) => {
      svg.append(
        s(
          'rect',
          { x: m.l, y: top + 4 + k * bh, width: Math.max(1, (v / max) * iw), height: bh - 1, class: `bar series-${k}` },
          s('title', {}, `${r.name} · ${seriesNames[k]}: ${v}`),
        ),
      );
      svg.append(s('text', { x: m.l + (v / max) * iw + 4, y: top + 4 + k * bh + bh - 2, class: 'axis value' }, String(v)));
    });
    svg.append(
      s(
        'text',
        { x: W - 4, y: top + rowH / 2 + 4, 'text-anchor': 'end', class: 'axis rate-text' },
        fmtPercent(r.rate),
        s('title', {}, `${r.name} · ${rateName}: ${fmtPercent(r.rate)}`),
      ),
    );
  });
  return svg;
}

/**
 * A small line for a table cell; nulls leave gaps.
 * @param {(number | null)[]} values
 * @param {{ max?: number, label?: string, kind?: string }} [options]
 */
export function sparkline(values, { max, label, kind = 'count' } = {}) {
  const W = 120;
  const H = 28;
  const top = max ?? Math.max(1, ...values.filter((v) => v !== null));
  const step = values.length > 1 ? W / (values.length - 1) : W;
  let d = '';
  values.forEach((v, i) => {
    if (v === null) return;
    const x = i * step;
    const y = H - 3 - (v / top) * (H - 6);
    d += `${d && values[i - 1] !== null ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
  });
  const dots = values.map((v, i) => (v === null ? null : s('circle', { cx: i * step, cy: H - 3 - (v / top) * (H - 6), r: 2 })));
  return s(
    'svg',
    { viewBox: `-3 0 ${W + 6} ${H}`, class: `spark spark-${kind}`, role: 'img', 'aria-label': label },
    s('title', {}, label),
    d ? s('path', { d }) : null,
    dots,
  );
}

/**
 * A chart's numbers as a table behind a disclosure.
 * @param {string} caption
 * @param {string[]} head
 * @param {import('./dom.js').Child[][]} rows
 */
export function dataTable(caption, head, rows) {
  return h(
    'details',
    { class: 'data-table' },
    h('summary', {}, caption),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            head.map((x) => h('th', { scope: 'col' }, x)),
          ),
        ),
        h(
          'tbody',
          {},
          rows.map((r) =>
            h(
              'tr',
              {},
              r.map((x) => h('td', {}, x)),
            ),
          ),
        ),
      ),
    ),
  );
}

/** @param {[cls: string, name: string][]} items */
export function legend(items) {
  return h(
    'ul',
    { class: 'legend' },
    items.map(([cls, name]) => h('li', {}, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), name)),
  );
}
